import Scheduling
import ServingCore

/// Structured outputs in the engine loop (docs/architecture.md §6.5): a mask row per constrained request of each
/// step, and each request's matcher advanced by the tokens it was given.
///
/// A structured request never has a sampling step in flight when it is scheduled again (the scheduler keeps them
/// synchronous), so its matcher has seen every token before its next mask is filled. Preemption and a runner restart
/// keep a request's outputs, so its matcher never has to roll back.
extension EngineCore {
    /// One row per scheduled request with a matcher, in the step's order. A row also goes with a partial prefill
    /// chunk (the runner samples nothing there and ignores it): cheaper than working out which rows sample.
    func grammarBitmask(for step: SchedulerOutput) -> GrammarBitmask? {
        let ids = step.scheduledReqIDs.filter { matchers[$0] != nil }
        guard !ids.isEmpty else { return nil }
        let perRow = GrammarBitmask.wordsPerRow(vocabSize: configuration.vocabSize)
        var words: [UInt32] = []
        words.reserveCapacity(ids.count * perRow)
        var row: [UInt32] = []
        for id in ids {
            matchers[id]!.fillMask(into: &row)
            // The matcher's vocabulary may be shorter than the model's (padded embedding rows): never allowed.
            if row.count < perRow { row += repeatElement(0, count: perRow - row.count) }
            words += row.prefix(perRow)
        }
        return GrammarBitmask(requestIDs: ids, words: words)
    }

    /// Feeds the output's tokens to the request's matcher. A token the grammar refuses can only come from a runner
    /// that did not apply the mask: the request ends with an error rather than stream output that breaks its
    /// constraint.
    func advanceGrammar(_ output: inout EngineCoreOutput) {
        guard let matcher = matchers[output.reqID] else { return }
        for (i, token) in output.newTokenIDs.enumerated() where !matcher.accept(token: Int(token)) {
            output.newTokenIDs.removeSubrange(i...)
            output.newLogprobs = output.newLogprobs.map { Array($0.prefix(i)) }
            if output.finishReason == nil { scheduler.finishRequests([output.reqID], status: .finishedError) }
            output.finishReason = .error
            output.stopReason = nil
            return
        }
    }
}
