import Testing
import Tokenization

@testable import APIServer

@Suite("Sampling defaults from the generation config")
struct SamplingDefaultsTests {
    static func model(_ defaults: SamplingDefaults) throws -> ServedModel {
        let tokenizer = Tokenizer.embeddedDefault
        return ServedModel(
            names: ["tiny"], maxModelLen: 64, vocabSize: tokenizer.vocabSize, eosTokenIDs: [2],
            tokenizer: tokenizer, chatTemplate: try ChatTemplate(tokenizer.chatTemplate!), samplingDefaults: defaults)
    }

    @Test("unset fields take the model's defaults; the request's own values win")
    func defaultsFillUnsetFields() throws {
        let model = try Self.model(SamplingDefaults(temperature: 0.2, topP: 0.9, topK: 40, repetitionPenalty: 1.1))
        let unset = try ChatCompletionRequest.parse(
            try JSONValue(parsing: #"{"messages":[{"role":"user","content":"Hi"}]}"#), model: model, requestID: "a")
        let p = unset.plan.params
        #expect(p.temperature == 0.2 && p.topP == 0.9 && p.topK == 40 && p.repetitionPenalty == 1.1 && p.minP == 0)
        let set = try CompletionRequest.parse(
            try JSONValue(parsing: #"{"prompt":"Hi","temperature":0.7,"top_k":0}"#), model: model, requestID: "b")
        #expect(set.plan.params.temperature == 0.7 && set.plan.params.topK == 0 && set.plan.params.topP == 0.9)
    }

    @Test("no generation config: OpenAI's defaults")
    func noDefaults() throws {
        let request = try CompletionRequest.parse(
            try JSONValue(parsing: #"{"prompt":"Hi"}"#), model: try Self.model(.init()), requestID: "c")
        #expect(request.plan.params.temperature == 1 && request.plan.params.topP == 1)
    }

    @Test("--override-generation-config replaces keys and refuses unknown keys and non-numbers")
    func override() throws {
        let base = SamplingDefaults(GenerationConfig(temperature: 0.6, topP: 0.95, topK: 20))
        let over = try base.overridden(byJSON: #"{"temperature": 0.2, "min_p": 0.05}"#)
        #expect(over == SamplingDefaults(temperature: 0.2, topP: 0.95, topK: 20, minP: 0.05))
        #expect(throws: SamplingDefaultsError.self) { try base.overridden(byJSON: #"{"temprature": 0.2}"#) }
        #expect(throws: SamplingDefaultsError.self) { try base.overridden(byJSON: #"{"temperature": "low"}"#) }
        #expect(throws: SamplingDefaultsError.self) { try base.overridden(byJSON: #"{"top_k": true}"#) }
        #expect(throws: SamplingDefaultsError.self) { try base.overridden(byJSON: "[1]") }
        // 0 and 1 are numbers (Foundation's JSON parser on Linux hands them back as values that also cast to Bool).
        #expect(try base.overridden(byJSON: #"{"temperature": 0}"#).temperature == 0)
        #expect(try base.overridden(byJSON: #"{"temperature": 1.0, "top_k": 1}"#).topK == 1)
        #expect(throws: SamplingDefaultsError.self) { try base.overridden(byJSON: #"{"top_k": 2.5}"#) }
    }
}
