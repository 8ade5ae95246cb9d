extension ChatTemplate {
    /// Known template sources; `{SYSTEM}` stands for the default system message.
    private static let chatMLWithDefaultSystem =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\n{SYSTEM}<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    private static let chatML =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    /// The template whose canonical source matches one we know how to render, or nil.
    static func recognise(_ source: String) -> ChatTemplate? {
        // Jinja drops one trailing newline of a template (keep_trailing_newline is off).
        let trimmed = source.hasSuffix("\n") ? String(source.unicodeScalars.dropLast()) : source
        let canonical = JinjaCanonicalForm.of(trimmed)
        if canonical == JinjaCanonicalForm.of(ChatTemplate.chatML) {
            return ChatTemplate(family: .chatML, defaultSystemMessage: nil)
        }
        // Canonicalised whole (a literal cut in two would be re-quoted), then cut at the
        // placeholder, which sits inside a literal and so comes through unchanged.
        let known = JinjaCanonicalForm.of(ChatTemplate.chatMLWithDefaultSystem).split(
            separator: "{SYSTEM}", omittingEmptySubsequences: false)
        guard known.count == 2 else { return nil }
        let prefix = String(known[0])
        let suffix = String(known[1])
        let scalars = Array(canonical.unicodeScalars)
        let prefixScalars = Array(prefix.unicodeScalars)
        let suffixScalars = Array(suffix.unicodeScalars)
        guard scalars.count >= prefixScalars.count + suffixScalars.count,
            scalars.starts(with: prefixScalars),
            scalars.reversed().starts(with: suffixScalars.reversed())
        else { return nil }
        let system = scalars[prefixScalars.count..<(scalars.count - suffixScalars.count)]
        // The message must be plain literal text; a quote or a tag inside would mean the
        // "message" is really template code we have not read.
        var text = String.UnicodeScalarView()
        text.append(contentsOf: system)
        let message = String(text)
        for forbidden in ["'", "{{", "}}", "{%", "%}", "<|im_start|>", "<|im_end|>"] where message.contains(forbidden) {
            return nil
        }
        return ChatTemplate(family: .chatML, defaultSystemMessage: message)
    }
}
