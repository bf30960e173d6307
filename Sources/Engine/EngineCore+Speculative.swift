import Scheduling
import ServingCore

/// Speculative decoding on the engine loop (docs/scheduling.md §15): after each step, the proposer drafts the next
/// tokens of every request that just sampled, from the tokens the engine-core already holds; the scheduler puts
/// them into the next step, and the runner verifies them. The runners keep no proposer state.
extension EngineCore {
    /// The engine-core's own proposer; nil for a draft model (the runner proposes).
    static func makeProposer(_ config: SpeculativeConfig) -> (any DraftProposer)? {
        switch config.method {
        case .draftModel: nil
        case .ngram: NgramProposer(minN: config.promptLookupMin, maxN: config.promptLookupMax)
        case .suffix:
            SuffixProposer(
                maxTreeDepth: config.suffixMaxTreeDepth, maxCachedRequests: config.suffixMaxCachedRequests,
                maxSpecFactor: config.suffixMaxSpecFactor, minTokenProb: config.suffixMinTokenProb)
        }
    }

    /// Proposes drafts for the requests `out` scheduled that are still running and sampled in it: the engine's
    /// proposer, or the drafts a draft-model runner returned with the step.
    func proposeDrafts(after out: SchedulerOutput, _ result: ModelRunnerOutput) {
        let k = configuration.scheduler.numSpeculativeTokens
        let maxModelLen = configuration.scheduler.maxModelLen
        let fromRunner = result.draftTokenIDs.map { Dictionary(zip(result.reqIDs, $0), uniquingKeysWith: { a, _ in a }) }
        guard proposer != nil || fromRunner != nil else { return }
        var drafts: [String: [TokenID]] = [:]
        for id in out.numScheduledTokens.keys {
            guard let r = scheduler.requests[id], r.status == .running, !r.isPrefillChunk else { continue }
            // NOTE: a constrained request's next tokens need a mask per position; it decodes without drafts.
            guard r.samplingParams.structuredOutputs == nil else { continue }
            // Drafts past what the request may still emit would be computed for nothing.
            let room = min(k, maxModelLen - r.numTokens, r.maxTokens - r.numOutputTokens - 1)
            guard room > 0 else { continue }
            let proposed: [TokenID]
            if let fromRunner {
                // NOTE: a runner's drafts are checked like any input: they stop at the first id outside the vocabulary.
                let vocab = configuration.vocabSize
                proposed = Array((fromRunner[id] ?? []).prefix(room).prefix { $0 >= 0 && Int($0) < vocab })
            } else {
                proposed = proposer!.propose(
                    reqID: id, promptLength: r.numPromptTokens, tokens: r.allTokenIDs[...], maxDrafts: room)
            }
            if !proposed.isEmpty { drafts[id] = proposed }
        }
        if !drafts.isEmpty { scheduler.updateDraftTokenIDs(drafts) }
    }
}
