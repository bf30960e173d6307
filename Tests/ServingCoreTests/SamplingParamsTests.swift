import Testing
@testable import ServingCore

@Suite("SamplingParams validation")
struct SamplingParamsTests {
    @Test("defaults are valid")
    func defaultsAreValid() throws {
        try SamplingParams().validate(vocabSize: 10)
    }

    static func bad(_ mutate: (inout SamplingParams) -> Void) -> SamplingParams {
        var p = SamplingParams()
        mutate(&p)
        return p
    }

    static let cases: [(String, SamplingParams)] = [
        ("temperature", bad { $0.temperature = 2.5 }),
        ("top_p", bad { $0.topP = 0 }),
        ("top_k", bad { $0.topK = -2 }),
        ("min_p", bad { $0.minP = 1.5 }),
        ("presence_penalty", bad { $0.presencePenalty = 3 }),
        ("frequency_penalty", bad { $0.frequencyPenalty = -3 }),
        ("repetition_penalty", bad { $0.repetitionPenalty = 0 }),
        ("max_tokens", bad { $0.maxTokens = 0 }),
        ("min_tokens", bad { $0.minTokens = 17 }),
        ("logprobs", bad { $0.logprobs = 21 }),
        ("stop", bad { $0.stop = [""] }),
        ("logit_bias", bad { $0.logitBias = [10: 1] }),
        ("n", bad { $0.temperature = 0; $0.n = 2 }),
        ("n", bad { $0.n = SamplingParams.maxN + 1 }),
    ]

    @Test("each out-of-range value is rejected naming its parameter", arguments: cases)
    func rejects(parameter: String, params: SamplingParams) {
        #expect(throws: SamplingParamsError.self) { try params.validate(vocabSize: 10) }
        do {
            try params.validate(vocabSize: 10)
        } catch {
            #expect(error.parameter == parameter)
        }
    }

    @Test("the edges of each bounded range are accepted")
    func edgesAccepted() throws {
        var p = SamplingParams()
        p.n = SamplingParams.maxN
        p.logprobs = SamplingParams.maxLogprobs
        try p.validate(vocabSize: 10)
    }
}
