import ModelRuntime
import Testing

/// A GGUF whose tokenizer metadata is wrong must fail to load with a one-line error naming
/// the file, never produce a tokenizer that splits or prompts wrongly.
@Suite struct TokenizerGGUFErrorTests {
    static func file(_ edit: (inout GGUFWriter) -> Void) throws -> (GGUFFile, TemporaryDirectory) {
        var writer = GGUFWriter()
        writer.set("tokenizer.ggml.model", .string("gpt2"))
        writer.set("tokenizer.ggml.pre", .string("smollm"))
        writer.set("tokenizer.ggml.tokens", .array(elementType: .string, TokenizerTestVocabulary.tokens.map { .string($0) }))
        writer.set("tokenizer.ggml.merges", .array(elementType: .string, TokenizerTestVocabulary.merges.map { .string($0) }))
        writer.set("tokenizer.chat_template", .string("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"))
        edit(&writer)
        let directory = try TemporaryDirectory()
        let path = directory.file("tokenizer.gguf")
        try writer.write(to: path)
        return (try GGUFFile(path: path), directory)
    }

    @Test func validMetadataLoads() throws {
        let (file, directory) = try Self.file { _ in }
        let tokenizer = try Tokenizer(gguf: file)
        #expect(tokenizer.decode(tokenizer.encode("hello world", addSpecial: true, parseSpecial: false)) == "hello world")
        #expect(try ChatTemplate(gguf: file).defaultSystemMessage == nil)
        _ = directory
    }

    @Test func unknownPreTokenizerIsAnError() throws {
        let (file, directory) = try Self.file { $0.set("tokenizer.ggml.pre", .string("qwen2")) }
        #expect(throws: ModelRuntimeError(file.path, "unsupported pre-tokenizer 'qwen2' (supported: gpt-2, smollm, starcoder, refact)")) {
            try Tokenizer(gguf: file)
        }
        _ = directory
    }

    @Test func unknownTokenizerModelIsAnError() throws {
        let (file, directory) = try Self.file { $0.set("tokenizer.ggml.model", .string("llama")) }
        #expect(throws: ModelRuntimeError.self) { try Tokenizer(gguf: file) }
        _ = directory
    }

    @Test func unknownTokenTypeIsAnError() throws {
        let count = TokenizerTestVocabulary.tokens.count
        let (file, directory) = try Self.file {
            $0.set("tokenizer.ggml.token_type", .array(elementType: .int32, (0..<count).map { .int32($0 == 7 ? 9 : 1) }))
        }
        #expect(throws: ModelRuntimeError(file.path, "token 7 has unknown type 9")) { try Tokenizer(gguf: file) }
        _ = directory
    }

    @Test func unknownChatTemplateIsAnErrorAtLoad() throws {
        let (file, directory) = try Self.file {
            $0.set("tokenizer.chat_template", .string("{{ bos_token }}{% for m in messages %}[INST] {{ m.content }} [/INST]{% endfor %}"))
        }
        let error = #expect(throws: ModelRuntimeError.self) { try ChatTemplate(gguf: file) }
        #expect(error?.source == file.path)
        #expect(error?.problem.hasPrefix("unsupported chat template") == true)
        _ = directory
    }
}
