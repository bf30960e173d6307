import Foundation
import ServingCore
import Testing
@testable import Tokenization

@Suite("tokenizer_config.json and generation_config.json")
struct TokenizerConfigTests {
    @Test("special tokens may be strings or AddedToken objects")
    func tokenForms() throws {
        let json = #"""
            {"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false}, "eos_token": "</s>",
             "add_bos_token": true, "add_eos_token": false, "model_max_length": 4096}
            """#
        let config = try TokenizerConfig(json: Data(json.utf8))
        #expect(config.bosToken == "<s>")
        #expect(config.eosToken == "</s>")
        #expect(config.addBOSToken == true)
        #expect(config.addEOSToken == false)
        #expect(config.modelMaxLength == 4096)
    }

    @Test("a chat_template list selects the template named default")
    func namedTemplates() throws {
        let json = #"""
            {"chat_template": [{"name": "default", "template": "A"}, {"name": "tool_use", "template": "B"}],
             "model_max_length": 1000000000000000019884624838656}
            """#
        let config = try TokenizerConfig(json: Data(json.utf8))
        #expect(config.chatTemplate == "A")
        #expect(config.namedChatTemplates == ["default": "A", "tool_use": "B"])
        #expect(config.modelMaxLength == nil, "the 1e30 sentinel means no limit")
    }

    @Test("a malformed chat_template is rejected with a message naming it")
    func malformedTemplate() {
        #expect(throws: TokenizerError.self) { try TokenizerConfig(json: Data(#"{"chat_template": 3}"#.utf8)) }
    }

    @Test("eos_token_id may be one id or a list; sampling defaults are read")
    func generationConfig() throws {
        let single = try GenerationConfig(json: Data(#"{"eos_token_id": 7, "temperature": 0.6, "top_p": 0.9}"#.utf8))
        #expect(single.eosTokenIDs == [7])
        #expect(single.temperature == 0.6)
        #expect(single.topP == 0.9)
        let list = try GenerationConfig(json: Data(
            #"{"eos_token_id": [1, 2], "top_k": 20, "repetition_penalty": 1.1, "max_new_tokens": 64}"#.utf8))
        #expect(list.eosTokenIDs == [1, 2])
        #expect(list.topK == 20)
        #expect(list.repetitionPenalty == 1.1)
        #expect(list.maxNewTokens == 64)
    }

    @Test("add_bos_token in the config overrides the tokenizer.json post-processor")
    func addBOSOverride() throws {
        let url = Fixtures.directory.appendingPathComponent("sentencepiece_llama2/tokenizer.json")
        let data = try Data(contentsOf: url)
        let without = try Tokenizer(tokenizerJSON: data, config: TokenizerConfig(bosToken: "<s>", addBOSToken: false))
        #expect(without.encode("Hi").first != 1)
        let with = try Tokenizer(
            tokenizerJSON: data,
            config: TokenizerConfig(bosToken: "<s>", eosToken: "</s>", addBOSToken: true, addEOSToken: true))
        let ids = with.encode("Hi")
        #expect(ids.first == 1)
        #expect(ids.last == 2)
        #expect(with.encode("Hi", addSpecialTokens: false) == Array(ids.dropFirst().dropLast()))
    }

    @Test("unsupported components fail with a clear error")
    func unsupportedComponents() {
        let json = #"{"model": {"type": "WordPiece", "vocab": {}}}"#
        #expect(throws: TokenizerError.unsupported("model type WordPiece (only BPE)")) {
            try Tokenizer(tokenizerJSON: Data(json.utf8), config: nil)
        }
    }

    @Test("a chat_template.jinja file next to the config provides (and overrides) the chat template")
    func chatTemplateFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try TokenizerConfig(directory: directory) == nil)
        try Data("{% for m in messages %}{{ m.content }}{% endfor %}".utf8)
            .write(to: directory.appendingPathComponent("chat_template.jinja"))
        #expect(try TokenizerConfig(directory: directory)?.chatTemplate?.hasPrefix("{% for m in") == true)
        try Data(#"{"chat_template": "old", "eos_token": "</s>"}"#.utf8)
            .write(to: directory.appendingPathComponent("tokenizer_config.json"))
        let config = try TokenizerConfig(directory: directory)
        #expect(config?.chatTemplate?.hasPrefix("{% for m in") == true)
        #expect(config?.eosToken == "</s>")
    }
}
