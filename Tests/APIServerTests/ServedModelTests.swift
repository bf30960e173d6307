import Testing
import Tokenization
import Wire

@testable import APIServer

@Suite("The served model built from GetModelInfo")
struct ServedModelTests {
    let tokenizer = Tokenizer.embeddedDefault

    @Test("the upstream's names, limits and EOS ids are used; --served-model-name replaces the names")
    func fromModelInfo() throws {
        let info = ApusV1.ModelInfo(
            model: "/models/x", servedModelNames: ["x"], maxModelLen: 128, vocabSize: 600, eosTokenIDs: [7])
        let model = try ServedModel(info: info, tokenizer: tokenizer)
        #expect(model.names == ["x"] && model.maxModelLen == 128 && model.vocabSize == 600 && model.eosTokenIDs == [7])
        #expect(model.chatTemplate != nil)
        let renamed = try ServedModel(info: info, tokenizer: tokenizer, servedModelNames: ["a", "b"])
        #expect(renamed.name == "a")
    }

    @Test("without upstream EOS ids or vocab size, the tokenizer's are used")
    func tokenizerFallbacks() throws {
        let model = try ServedModel(info: ApusV1.ModelInfo(model: "m", maxModelLen: 64), tokenizer: tokenizer)
        #expect(model.names == ["m"])
        #expect(model.eosTokenIDs == tokenizer.eosTokenIDs && model.vocabSize == tokenizer.vocabSize)
    }
}
