import ServingCore

@testable import ModelRuntime

/// A miniature engine-core with speculative decoding, for tests: prefills each prompt in one step, then each step
/// schedules every request's last token plus the drafts `propose` returns, and applies the output as vLLM's scheduler
/// does: the returned tokens are appended and `numComputedTokens` rolls back by the rejected drafts, which the next
/// step's `CachedRequestData` tells the runner.
final class SpecDecodeDriver {
    struct Request {
        var id: String
        var prompt: [TokenID]
        var params: SamplingParams
        var blockIDs: [Int] = []
        var numComputedTokens = 0
        var output: [TokenID] = []
        var logprobs: [PositionLogprobs] = []
        var sent = false
        var numTokens: Int { prompt.count + output.count }
    }

    let runner: any StepRunner
    let blockSize: Int
    var freeBlocks: [Int]
    var steps = 0
    /// Drafts proposed and accepted over the run.
    var proposed = 0
    var accepted = 0

    init(runner: any StepRunner, numBlocks: Int = 128, blockSize: Int = 4) {
        self.runner = runner
        self.blockSize = blockSize
        runner.initializeKVCache(numBlocks: numBlocks, blockSize: blockSize)
        freeBlocks = Array(0..<numBlocks)
    }

    /// Runs until every request has at least `maxTokens` outputs and returns them in order (outputs cut to
    /// `maxTokens`). `propose(i, tokens)` gives request i's drafts after `tokens` (prompt ++ outputs), or none.
    func run(
        _ prompts: [[TokenID]], params: [SamplingParams], maxTokens: Int,
        propose: (Int, [TokenID]) -> [TokenID] = { _, _ in [] }
    ) throws -> [Request] {
        var requests = zip(prompts, params).enumerated().map {
            Request(id: "req-\($0.offset)", prompt: $0.element.0, params: $0.element.1)
        }
        while requests.contains(where: { $0.output.count < maxTokens }) {
            precondition(steps < 1_000, "the test scheduler made no progress")
            var step = SchedulerOutput(stepID: steps)
            for i in requests.indices where requests[i].output.count < maxTokens {
                var r = requests[i]
                let drafts = r.sent ? propose(i, r.prompt + r.output) : []
                let n = r.numTokens - r.numComputedTokens + drafts.count
                let needed = (r.numComputedTokens + n + blockSize - 1) / blockSize - r.blockIDs.count
                let fresh = Array(freeBlocks.prefix(max(needed, 0)))
                freeBlocks.removeFirst(fresh.count)
                r.blockIDs += fresh
                if r.sent {
                    step.scheduledCachedReqs.append(
                        CachedRequestData(
                            reqID: r.id, newBlockIDs: fresh, numComputedTokens: r.numComputedTokens,
                            numOutputTokens: r.output.count))
                } else {
                    step.scheduledNewReqs.append(
                        NewRequestData(
                            reqID: r.id, promptTokenIDs: r.prompt, samplingParams: r.params, blockIDs: r.blockIDs))
                    r.sent = true
                }
                step.numScheduledTokens[r.id] = n
                if !drafts.isEmpty { step.scheduledSpecDecodeTokens[r.id] = drafts }
                requests[i] = r
            }
            let out = try runner.execute(step)
            for (k, id) in out.reqIDs.enumerated() {
                let i = requests.firstIndex { $0.id == id }!
                let drafts = step.scheduledSpecDecodeTokens[id] ?? []
                let returned = out.sampledTokenIDs[k]
                precondition(returned.count >= 1 && returned.count <= drafts.count + 1, "bad token count")
                precondition(Array(returned.dropLast()) == Array(drafts.prefix(returned.count - 1)), "not a prefix")
                let rejected = drafts.count + 1 - returned.count
                (proposed, accepted) = (proposed + drafts.count, accepted + returned.count - 1)
                requests[i].numComputedTokens += step.numScheduledTokens[id]! - rejected
                requests[i].output += returned
                requests[i].logprobs += out.logprobs?[k] ?? []
            }
            steps += 1
        }
        return requests.map { r in
            var r = r
            r.output = Array(r.output.prefix(maxTokens))
            r.logprobs = Array(r.logprobs.prefix(maxTokens))
            return r
        }
    }
}
