import ServingCore

@testable import ModelRuntime

/// Runs requests with adapters through a runner as the engine-core schedules them: each request arrives at its
/// step, prefills its prompt (in chunks of `chunk` tokens, if given), then decodes one token per step until it
/// has `maxTokens`; each holds its own contiguous blocks of a freshly initialized cache. Returns each request's tokens
/// and the logits each token was sampled from.
enum LoRADriver {
    struct Request {
        var prompt: [TokenID]
        var lora: LoRARequest?
        var arrival = 0
    }

    struct Result: Equatable {
        var tokens: [TokenID] = []
        var logits: [[Float]] = []
    }

    static func run(
        _ runner: any StepRunner, _ requests: [Request], maxTokens: Int, chunk: Int? = nil, blockSize: Int = 4,
        idPrefix: String = "req"
    ) throws -> [Result] {
        let blocksPer = requests.map { ($0.prompt.count + maxTokens + blockSize - 1) / blockSize }
        let firstBlock = blocksPer.reduce(into: [0]) { $0.append($0.last! + $1) }
        runner.initializeKVCache(numBlocks: firstBlock.last!, blockSize: blockSize)
        runner.captureLogits = true
        var results = Array(repeating: Result(), count: requests.count)
        var computed = Array(repeating: 0, count: requests.count)
        var sent = Array(repeating: false, count: requests.count)
        var finished: Set<String> = []
        var stepID = 0
        while results.contains(where: { $0.tokens.count < maxTokens }) {
            precondition(stepID < 1_000, "the LoRA test driver made no progress")
            var step = SchedulerOutput(stepID: stepID, finishedReqIDs: finished)
            finished = []
            for (i, r) in requests.enumerated() where r.arrival <= stepID && results[i].tokens.count < maxTokens {
                let id = "\(idPrefix)-\(i)"
                let known = r.prompt.count + results[i].tokens.count
                let n = min(known - computed[i], chunk ?? .max)
                if sent[i] {
                    step.scheduledCachedReqs.append(
                        CachedRequestData(
                            reqID: id, numComputedTokens: computed[i], numOutputTokens: results[i].tokens.count))
                } else {
                    step.scheduledNewReqs.append(
                        NewRequestData(
                            reqID: id, promptTokenIDs: r.prompt, samplingParams: .greedy,
                            blockIDs: Array(firstBlock[i]..<firstBlock[i + 1]), lora: r.lora))
                    sent[i] = true
                }
                step.numScheduledTokens[id] = n
            }
            let out = try runner.execute(step)
            for (k, id) in out.reqIDs.enumerated() {
                let i = Int(id.split(separator: "-").last!)!
                computed[i] += step.numScheduledTokens[id]!
                guard let token = out.sampledTokenIDs[k].first else { continue }
                results[i].tokens.append(token)
                results[i].logits.append(runner.capturedLogits[id]!)
                if results[i].tokens.count == maxTokens { finished.insert(id) }
            }
            stepID += 1
        }
        if !finished.isEmpty { _ = try runner.execute(SchedulerOutput(stepID: stepID, finishedReqIDs: finished)) }
        return results
    }
}
