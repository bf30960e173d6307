import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

/// The runner's side of LoRA serving: refusals that leave it unchanged, its LRU of adapters, reloads.
@Suite("Runner LoRA adapters: loading, refusals, LRU, reloads")
struct LoRARunnerTests {
    static let model = "tiny-llama"

    static func lora(_ adapter: String) -> LoRARequest { LoRAFixtures.request(model, adapter) }

    static func newRequest(_ id: String, _ lora: LoRARequest?, block: Int) -> NewRequestData {
        NewRequestData(reqID: id, promptTokenIDs: [5, 6, 7], samplingParams: .greedy, blockIDs: [block], lora: lora)
    }

    /// One step that prefills `requests` (3 tokens each, one block each).
    static func prefill(_ requests: [NewRequestData], stepID: Int = 0) -> SchedulerOutput {
        SchedulerOutput(
            stepID: stepID, scheduledNewReqs: requests,
            numScheduledTokens: Dictionary(uniqueKeysWithValues: requests.map { ($0.reqID, 3) }))
    }

    @Test("a step naming an adapter on a runner without --enable-lora is refused and changes nothing")
    func loraNotEnabled() throws {
        let runner = try ModelRunner(source: .directory(Fixtures.path(Self.model)))
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        let step = Self.prefill([
            Self.newRequest("a", nil, block: 0), Self.newRequest("b", Self.lora("r8-all"), block: 1),
        ])
        #expect(
            throws: RunnerError.invalidRequest(
                reqID: "b", reason: "names LoRA adapter 'r8-all', but the runner was started without --enable-lora")
        ) {
            try runner.execute(step)
        }
        #expect(runner.knownRequestIDs.isEmpty)
        #expect(try runner.execute(Self.prefill([Self.newRequest("a", nil, block: 0)])).reqIDs == ["a"])
    }

    @Test("an adapter that fails to load refuses the whole step, names request and adapter, and changes nothing")
    func failedLoad() throws {
        let runner = try LoRAFixtures.runner(Self.model, maxRank: 4)
        runner.initializeKVCache(numBlocks: 8, blockSize: 4)
        let missing = LoRARequest(name: "gone", path: "/nonexistent/adapter")
        let good = Self.lora("r4-attn-f16")
        let step = Self.prefill([
            Self.newRequest("a", good, block: 0), Self.newRequest("b", nil, block: 1),
            Self.newRequest("c", missing, block: 2),
        ])
        #expect(
            throws: RunnerError.loraLoad(
                reqID: "c", name: "gone", path: missing.path,
                error: .missingFile(path: "/nonexistent/adapter/adapter_config.json"))
        ) { try runner.execute(step) }
        // Rank 8 is above this runner's --max-lora-rank 4.
        let big = Self.lora("r8-all")
        do {
            _ = try runner.execute(Self.prefill([Self.newRequest("d", big, block: 3)]))
            Issue.record("rank 8 loaded on a runner of max rank 4")
        } catch {
            guard case .loraLoad("d", "r8-all", _, .badRank(_, _, 8, 4)) = error else { throw error }
            #expect(error.description.contains("request 'd'") && error.description.contains("r8-all"))
        }
        #expect(runner.knownRequestIDs.isEmpty && runner.loadedLoRAs.isEmpty && runner.loraLoadCount == 0)
        let out = try runner.execute(
            Self.prefill([Self.newRequest("a", good, block: 0), Self.newRequest("b", nil, block: 1)]))
        #expect(out.reqIDs == ["a", "b"] && runner.loadedLoRAs == [good])
    }

    @Test("least recently used adapters are evicted past --max-cpu-loras, never one the step uses, and reload")
    func lruEvictionAndReload() throws {
        let runner = try LoRAFixtures.runner(Self.model, maxCPULoRAs: 2)
        runner.initializeKVCache(numBlocks: 16, blockSize: 4)
        let (a, b, c) = (Self.lora("r8-all"), Self.lora("r4-attn-f16"), Self.lora("r16-rslora"))
        var stepID = 0
        func run(_ loras: [LoRARequest?]) throws {
            let ids = loras.indices.map { "s\(stepID)-\($0)" }
            _ = try runner.execute(
                Self.prefill(
                    zip(ids, loras).enumerated().map { Self.newRequest($1.0, $1.1, block: $0) }, stepID: stepID))
            _ = try runner.execute(SchedulerOutput(stepID: stepID + 1, finishedReqIDs: Set(ids)))
            stepID += 2
        }
        try run([a])
        try run([b, nil])
        #expect(runner.loadedLoRAs == [a, b] && runner.loraLoadCount == 2)
        try run([a])
        #expect(runner.loadedLoRAs == [b, a] && runner.loraLoadCount == 2, "a cache hit loads nothing")
        try run([c])
        #expect(runner.loadedLoRAs == [a, c] && runner.loraLoadCount == 3, "b was least recently used")
        try run([b])
        #expect(runner.loadedLoRAs == [c, b] && runner.loraLoadCount == 4, "b reloads from its path")
        let three = [a, b, c].enumerated().map { Self.newRequest("three-\($0)", $1, block: $0) }
        _ = try runner.execute(Self.prefill(three, stepID: stepID))
        #expect(Set(runner.loadedLoRAs) == [a, b, c], "a step holds all its adapters past the capacity")
        #expect(runner.loraLoadCount == 5, "only a was not held")
        _ = try runner.execute(SchedulerOutput(stepID: stepID + 1, finishedReqIDs: Set(three.map(\.reqID))))
        #expect(runner.loadedLoRAs == [c, a], "the next step trims back to the capacity, least recently used first")
    }

    @Test("a request whose adapter was evicted while it waited reloads it and continues as if it never left")
    func evictedWhileWaiting() throws {
        let golden = try LoRAFixtures.golden(Self.model, "r8-all").cases[0]
        let runner = try LoRAFixtures.runner(Self.model, maxCPULoRAs: 1)
        runner.initializeKVCache(numBlocks: 16, blockSize: 4)
        runner.captureLogits = true
        let a = Self.lora("r8-all")
        let first = try runner.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    NewRequestData(
                        reqID: "x", promptTokenIDs: golden.prompt, samplingParams: .greedy, blockIDs: [0, 1, 2], lora: a
                    )
                ],
                numScheduledTokens: ["x": golden.prompt.count]))
        #expect(first.sampledTokenIDs == [[golden.greedy[0]]])
        // Another adapter's request runs while "x" waits; the capacity of one evicts "x"'s adapter.
        _ = try runner.execute(Self.prefill([Self.newRequest("y", Self.lora("r4-attn-f16"), block: 5)], stepID: 1))
        #expect(runner.loadedLoRAs == [Self.lora("r4-attn-f16")])
        let next = try runner.execute(
            SchedulerOutput(
                stepID: 2,
                scheduledCachedReqs: [
                    CachedRequestData(reqID: "x", numComputedTokens: golden.prompt.count, numOutputTokens: 1)
                ],
                numScheduledTokens: ["x": 1], finishedReqIDs: ["y"]))
        #expect(next.sampledTokenIDs == [[golden.greedy[1]]])
        #expect(Fixtures.relativeError(runner.capturedLogits["x"]!, golden.logits[golden.prompt.count]) < 1e-4)
        #expect(runner.loadedLoRAs == [a] && runner.loraLoadCount == 3)
    }

    @Test("a request re-sent in full after a runner restart reloads its adapter and continues peft's greedy text")
    func resentAfterRestart() throws {
        let golden = try LoRAFixtures.golden(Self.model, "r16-rslora").cases[1]
        let before = try LoRAFixtures.runner(Self.model)
        let lora = Self.lora("r16-rslora")
        let first = try LoRADriver.run(before, [.init(prompt: golden.prompt, lora: lora)], maxTokens: 2)[0]
        #expect(first.tokens == Array(golden.greedy.prefix(2)))
        // A fresh runner (the old one's process is gone): the engine-core re-sends prompt, outputs and adapter.
        let after = try LoRAFixtures.runner(Self.model)
        after.initializeKVCache(numBlocks: 16, blockSize: 4)
        after.captureLogits = true
        let known = golden.prompt.count + 2
        let out = try after.execute(
            SchedulerOutput(
                stepID: 0,
                scheduledNewReqs: [
                    NewRequestData(
                        reqID: "r", promptTokenIDs: golden.prompt, samplingParams: .greedy, blockIDs: Array(0..<5),
                        lora: lora, outputTokenIDs: first.tokens)
                ],
                numScheduledTokens: ["r": known]))
        #expect(out.sampledTokenIDs == [[golden.greedy[2]]])
        #expect(Fixtures.relativeError(after.capturedLogits["r"]!, golden.logits[known - 1]) < 1e-4)
        #expect(after.loadedLoRAs == [lora] && after.loraLoadCount == 1)
    }
}
