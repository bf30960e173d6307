import ServingCore
import Tokenization
import Wire

/// Output processing of one choice (one upstream request), docs/architecture.md §6.2: incremental detokenization, stop
/// strings with the streaming hold-back, finish and stop reasons.
///
/// Fed every `GenerateOutput` of its request in order; each call returns the `ChoiceDelta` to send. Once
/// `finishReason` is set nothing more is produced; `abortUpstream` says the api finished the request itself
/// (a stop string) and must abort it at the engine.
struct ChoiceProcessor: Sendable {
    let index: Int
    let params: SamplingParams
    private var detokenizer: IncrementalDetokenizer
    private let matcher: StopStringMatcher
    /// Every scalar of output text so far (truncated at a stop string once finished).
    private var text: [Unicode.Scalar] = []
    /// Scalars already handed out in deltas.
    private var sentCount = 0
    private(set) var numOutputTokens = 0
    private(set) var finishReason: FinishReason?

    /// Only the first choice of a prompt reports its cached tokens, and only once, so usage counts each prompt once.
    private var reportsCachedTokens: Bool

    init(
        index: Int, tokenizer: Tokenizer, promptTokenIDs: [TokenID], params: SamplingParams,
        reportsCachedTokens: Bool = true
    ) {
        self.index = index
        self.reportsCachedTokens = reportsCachedTokens
        self.params = params
        detokenizer = IncrementalDetokenizer(
            tokenizer: tokenizer, promptTokenIDs: promptTokenIDs, skipSpecialTokens: params.skipSpecialTokens)
        matcher = StopStringMatcher(params.stop, includeInOutput: params.includeStopStrInOutput)
    }

    var outputText: String { String(String.UnicodeScalarView(text)) }

    mutating func process(_ output: ApusV1.GenerateOutput) -> ChoiceDelta {
        precondition(finishReason == nil, "output after the choice finished")
        var delta = ChoiceDelta(
            index: index, tokenIDs: output.newTokenIDs, logprobs: output.newLogprobs,
            promptLogprobs: output.promptLogprobs)
        if reportsCachedTokens, output.numCachedTokens > 0 {
            delta.numCachedTokens = Int(output.numCachedTokens)
            reportsCachedTokens = false
        }
        numOutputTokens += output.newTokenIDs.count
        let previousCount = text.count

        // A stop token (EOS or stop_token_ids) ends the request but is not rendered (docs/architecture.md §6.2).
        var idsToRender = output.newTokenIDs
        if output.finishReason == .stop, !params.includeStopStrInOutput, !idsToRender.isEmpty,
            output.stopReason == nil || isTokenStop(output.stopReason)
        {
            idsToRender.removeLast()
        }
        text.append(contentsOf: detokenizer.add(contentsOf: idsToRender).unicodeScalars)
        if output.finishReason != nil { text.append(contentsOf: detokenizer.finish().unicodeScalars) }

        if numOutputTokens > params.minTokens, let match = matcher.match(in: text, previousCount: previousCount) {
            text.removeSubrange(min(match.truncateAt, text.count)...)
            finishReason = .stop
            delta.finishReason = .stop
            delta.stopReason = .string(params.stop[match.stopIndex])
            delta.abortUpstream = output.finishReason == nil
        } else if let reason = output.finishReason {
            finishReason = reason
            delta.finishReason = reason
            delta.stopReason = output.stopReason
            delta.errorMessage = output.errorMessage
        }
        let releasable = finishReason != nil ? text.count : max(sentCount, text.count - matcher.holdBack)
        if releasable > sentCount {
            delta.text = String(String.UnicodeScalarView(text[sentCount..<releasable]))
            sentCount = releasable
        }
        return delta
    }

    private func isTokenStop(_ reason: StopReason?) -> Bool {
        if case .tokenID = reason { return true }
        return false
    }
}
