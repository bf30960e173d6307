import ServingCore
import Wire

extension FakeEngine {
    /// The rank the fake reports for a prompt's own token at every position.
    static let promptTokenRank = 7

    /// What a runner reports with `prompt_logprobs = k`: for each prompt position 1…, the prompt's own token with
    /// logprob −0.25·position and rank `promptTokenRank`, then the top-k: ids 3, 4, … with logprobs −0.1,
    /// −1.1, …
    static func promptLogprobs(_ request: ApusV1.GenerateRequest) -> [PositionLogprobs] {
        guard let k = request.samplingParams.promptLogprobs else { return [] }
        return request.promptTokenIDs.dropFirst().enumerated().map { j, id in
            PositionLogprobs(
                tokenIDs: [id] + (0..<k).map { TokenID(3 + $0) },
                logprobs: [-0.25 * Float(j + 1)] + (0..<k).map { -0.1 - Float($0) }, sampledRank: promptTokenRank)
        }
    }
}
