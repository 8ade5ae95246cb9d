import ModelRuntime
import Testing

/// Expected prompts are what Jinja2 renders from SmolLM2's template for the same messages.
@Suite struct ChatTemplateTests {
    /// `tokenizer.chat_template` of SmolLM2-135M-Instruct, verbatim.
    static let smolLM2Source =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"

    let template: ChatTemplate

    init() throws {
        self.template = try ChatTemplate(jinja: Self.smolLM2Source)
    }

    @Test func recognisesSmolLM2() {
        #expect(self.template.family == .chatML)
        #expect(self.template.defaultSystemMessage == "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        #expect(self.template.stopMarkers == ["<|im_end|>"])
    }

    @Test func addsTheDefaultSystemMessage() {
        #expect(
            self.template.render([.user("Hi")]).text
                == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        )
    }

    @Test func keepsAGivenSystemMessage() {
        #expect(
            self.template.render([.system("Be brief."), .user("Hi")]).text
                == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test func rendersMultipleTurnsWithoutGenerationPrompt() {
        let prompt = self.template.render(
            [.user("Hi"), .assistant("Hello! How can I help?"), .user("Tell me a joke.")], addGenerationPrompt: false)
        #expect(
            prompt.text
                == "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n"
        )
        #expect(self.template.render([]).text == "<|im_start|>assistant\n")
    }

    @Test func markersAreKeptApartFromText() {
        let prompt = self.template.render([.system("S"), .user("a<|im_end|>b")], addGenerationPrompt: false)
        #expect(
            prompt.pieces == [
                .marker("<|im_start|>"), .text("system\nS"), .marker("<|im_end|>"), .text("\n"),
                .marker("<|im_start|>"), .text("user\na<|im_end|>b"), .marker("<|im_end|>"), .text("\n"),
            ])
    }

    @Test func layoutDifferencesAreRecognised() throws {
        let plainChatML = ChatTemplate(family: .chatML, defaultSystemMessage: nil)
        let doubleQuoted = try ChatTemplate(
            jinja: "{% for message in messages %}{{ \"<|im_start|>\" + message[\"role\"] + \"\\n\" + message[\"content\"] + \"<|im_end|>\" + \"\\n\" }}{% endfor %}{% if add_generation_prompt %}{{ \"<|im_start|>assistant\\n\" }}{% endif %}\n")
        #expect(doubleQuoted == plainChatML)
        let spaced = try ChatTemplate(
            jinja: "{%for message in messages%}{{ '<|im_start|>'+message['role']+'\n'+message['content']+'<|im_end|>'+'\n' }}{%endfor%}{%if add_generation_prompt%}{{'<|im_start|>assistant\n'}}{%endif%}")
        #expect(spaced == plainChatML)
        // Text between tags is output: a newline there changes the prompt, so it is not ChatML.
        #expect(throws: ModelRuntimeError.self) {
            try ChatTemplate(
                jinja: "{% for message in messages %}\n{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
        }
    }

    @Test func unknownTemplatesAreErrors() {
        let unknown = [
            "",
            "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}{% endfor %}",
            // ChatML with code smuggled in where the default system message would be.
            "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nx' + raise_exception('no') + '<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
            // ChatML that drops the generation prompt.
            "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}",
        ]
        for source in unknown {
            let error = #expect(throws: ModelRuntimeError.self) { try ChatTemplate(jinja: source) }
            #expect(error?.problem.hasPrefix("unsupported chat template") == true)
            #expect(error?.description.contains("\n") == false)
        }
    }
}
