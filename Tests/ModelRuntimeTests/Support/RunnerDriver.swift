import ServingCore

@testable import ModelRuntime

/// A miniature engine-core for tests: admits requests, chunks prefills under a token budget, allocates
/// blocks from a (possibly shuffled) free list, sends full data once and deltas after, and finishes each
/// request after `maxTokens` outputs.
final class RunnerDriver {
    struct Options {
        var blockSize = 4
        /// Most prompt tokens one request may compute per step (nil = whole prompt).
        var chunkSize: Int? = nil
        var tokenBudget = 1_000
        var shuffleBlocks = false
        /// Step at which each request arrives (default: all at step 0).
        var arrivalSteps: [Int]? = nil
        var maxTokens = 8
        /// Every this many steps, preempt the latest running request that holds blocks (vLLM recompute
        /// preemption): its blocks are freed and it is resumed a step later with a fresh block table.
        var preemptEvery: Int? = nil
    }

    struct Request {
        var id: String
        var prompt: [TokenID]
        var blockIDs: [Int] = []
        var numComputedTokens = 0
        var output: [TokenID] = []
        /// The logits each output token was sampled from.
        var logits: [[Float]] = []
        var sent = false
        var finished = false
        var preempted = false
        /// Each request is preempted at most once, so the run always ends.
        var wasPreempted = false
        var resumeAtStep = 0
        var numTokens: Int { prompt.count + output.count }
    }

    let runner: any StepRunner
    let options: Options
    var freeBlocks: [Int]
    var steps = 0
    /// Requests that scheduled a partial prefill and got no token that step (sanity counter).
    var partialChunks = 0
    var preemptions = 0

    init(runner: any StepRunner, numBlocks: Int = 256, options: Options = Options()) throws {
        self.runner = runner
        self.options = options
        runner.initializeKVCache(numBlocks: numBlocks, blockSize: options.blockSize)
        runner.captureLogits = true
        var rng = SplitMix64(seed: 7)
        freeBlocks = options.shuffleBlocks ? Array(0..<numBlocks).shuffled(using: &rng) : Array(0..<numBlocks)
    }

    /// Runs `prompts` to completion and returns them in order.
    func run(_ prompts: [[TokenID]]) throws -> [Request] {
        var requests = prompts.enumerated().map { Request(id: "req-\($0.offset)", prompt: $0.element) }
        var finished: Set<String> = []
        while requests.contains(where: { !$0.finished }) {
            precondition(steps < 10_000, "the test scheduler made no progress")
            var step = SchedulerOutput(stepID: steps, finishedReqIDs: finished)
            finished = []
            var budget = options.tokenBudget
            if let every = options.preemptEvery, steps > 0, steps % every == 0,
                let i = requests.lastIndex(where: { !$0.finished && !$0.blockIDs.isEmpty && !$0.wasPreempted })
            {
                freeBlocks += requests[i].blockIDs
                requests[i].blockIDs = []
                requests[i].numComputedTokens = 0
                requests[i].preempted = true
                requests[i].wasPreempted = true
                requests[i].resumeAtStep = steps + 1
                preemptions += 1
            }
            for i in requests.indices where !requests[i].finished && (options.arrivalSteps?[i] ?? 0) <= steps {
                var r = requests[i]
                guard r.resumeAtStep <= steps else { continue }
                var n = min(r.numTokens - r.numComputedTokens, budget)
                if r.numTokens - r.numComputedTokens > 1, let chunk = options.chunkSize { n = min(n, chunk) }
                guard n > 0 else { continue }
                budget -= n
                let needed = (r.numComputedTokens + n + options.blockSize - 1) / options.blockSize - r.blockIDs.count
                let fresh = Array(freeBlocks.prefix(max(needed, 0)))
                freeBlocks.removeFirst(fresh.count)
                r.blockIDs += fresh
                if r.preempted {
                    step.scheduledCachedReqs.append(
                        CachedRequestData(
                            reqID: r.id, resumed: true, newBlockIDs: r.blockIDs, numComputedTokens: 0,
                            numOutputTokens: r.output.count, allTokenIDs: r.prompt + r.output))
                    r.preempted = false
                } else if r.sent {
                    step.scheduledCachedReqs.append(
                        CachedRequestData(
                            reqID: r.id, newBlockIDs: fresh, numComputedTokens: r.numComputedTokens,
                            numOutputTokens: r.output.count))
                } else {
                    step.scheduledNewReqs.append(
                        NewRequestData(
                            reqID: r.id, promptTokenIDs: r.prompt, samplingParams: .greedy, blockIDs: r.blockIDs,
                            numComputedTokens: r.numComputedTokens))
                    r.sent = true
                }
                step.numScheduledTokens[r.id] = n
                requests[i] = r
            }
            let out = try runner.execute(step)
            for (k, id) in out.reqIDs.enumerated() {
                let i = requests.firstIndex { $0.id == id }!
                requests[i].numComputedTokens += step.numScheduledTokens[id]!
                if let token = out.sampledTokenIDs[k].first {
                    requests[i].output.append(token)
                    requests[i].logits.append(runner.capturedLogits[id]!)
                } else {
                    partialChunks += 1
                }
                if requests[i].output.count == options.maxTokens {
                    requests[i].finished = true
                    finished.insert(id)
                    freeBlocks += requests[i].blockIDs
                }
            }
            steps += 1
        }
        return requests
    }
}

extension SamplingParams {
    /// Temperature 0: argmax, as the goldens were made.
    static var greedy: SamplingParams {
        var p = SamplingParams()
        p.temperature = 0
        return p
    }
}
