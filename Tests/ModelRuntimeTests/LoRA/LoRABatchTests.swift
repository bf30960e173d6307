import ServingCore
import Testing

@testable import ModelRuntime

/// Requests of different adapters and of the base model share batches and still get exactly what they get alone.
@Suite("Mixed-adapter batches")
struct LoRABatchTests {
    static let mixes: [(model: String, adapters: [String?])] = [
        ("tiny-llama", ["r8-all", nil, "r4-attn-f16", "r16-rslora"]),
        ("tiny-qwen2", ["r8-all-linear", "r16-bf16", nil, "r4-attn-rslora-f16"]),
    ]

    static func requests(_ model: String, _ adapters: [String?], arrivals: [Int]) -> [LoRADriver.Request] {
        let prompts: [[TokenID]] = [
            [5, 17, 99, 3, 42], [88, 7, 7, 120, 64, 31, 9], [11, 12], [100, 50, 25, 12, 6, 3, 1, 0, 77],
        ]
        return adapters.enumerated().map { i, a in
            LoRADriver.Request(
                prompt: prompts[i], lora: a.map { LoRAFixtures.request(model, $0) }, arrival: arrivals[i])
        }
    }

    @Test(
        "a batch of three adapters and the base model gives each request its tokens and logits alone, bit for bit",
        arguments: [0, 1])
    func mixedBatchEqualsAlone(mix: Int) throws {
        let (model, adapters) = Self.mixes[mix]
        let together = Self.requests(model, adapters, arrivals: [0, 0, 1, 3])
        // Whole prefills beside decodes, then prefills in chunks of 3 beside decodes. Alone, a request is chunked the
        // same way: a prompt prefilled in chunks differs from one prefilled whole in the last bits (attention over
        // cached keys sums in another order), with or without adapters.
        for chunk in [nil, 3] {
            var alone: [LoRADriver.Result] = []
            for r in together {
                var single = r
                single.arrival = 0
                alone += try LoRADriver.run(try LoRAFixtures.runner(model), [single], maxTokens: 6, chunk: chunk)
            }
            let batch = try LoRADriver.run(try LoRAFixtures.runner(model), together, maxTokens: 6, chunk: chunk)
            for (i, (b, a)) in zip(batch, alone).enumerated() {
                #expect(b.tokens == a.tokens, "request \(i), chunk \(chunk ?? 0)")
                #expect(b.logits == a.logits, "request \(i), chunk \(chunk ?? 0)")
            }
        }
        // The adapters matter: the same prompt under each adapter gives different logits.
        let prompt = together[0].prompt
        let firsts = try adapters.map { a in
            try LoRADriver.run(
                try LoRAFixtures.runner(model),
                [.init(prompt: prompt, lora: a.map { LoRAFixtures.request(model, $0) })], maxTokens: 1)[0].logits[0]
        }
        #expect(Set(firsts.map { $0.map(\.bitPattern) }).count == adapters.count)
    }

    @Test("a step without adapters runs the base model bit for bit as a runner without LoRA")
    func baseStepsUnchanged() throws {
        let prompts: [[TokenID]] = [[5, 17, 99, 3, 42], [88, 7, 7, 120, 64, 31, 9]]
        let plain = try ModelRunner(source: .directory(Fixtures.path("tiny-llama")))
        let expected = try LoRADriver.run(plain, prompts.map { .init(prompt: $0) }, maxTokens: 4)
        let withLoRA = try LoRAFixtures.runner("tiny-llama")
        #expect(try LoRADriver.run(withLoRA, prompts.map { .init(prompt: $0) }, maxTokens: 4) == expected)
    }
}

/// Pipeline stages each hold and apply their own layers of an adapter.
@Suite("LoRA over pipeline stages")
struct LoRAPipelineTests {
    @Test("two stage runners with an adapter give the single runner's tokens and logits, bit for bit")
    func stagesEqualSingleRunner() throws {
        let golden = try LoRAFixtures.golden("tiny-llama", "r8-all")
        let requests = golden.cases.enumerated().map { i, c in
            LoRADriver.Request(prompt: c.prompt, lora: i == 0 ? LoRAFixtures.request("tiny-llama", "r8-all") : nil)
        }
        let single = try LoRADriver.run(try LoRAFixtures.runner("tiny-llama"), requests, maxTokens: 4, chunk: 4)
        let pipeline = try PipelineRunners(source: .directory(Fixtures.path("tiny-llama")), stages: 2)
        for stage in pipeline.stages { stage.enableLoRA(LoRAConfig()) }
        let staged = try LoRADriver.run(pipeline, requests, maxTokens: 4, chunk: 4)
        #expect(staged == single)
        #expect(staged[0].tokens == golden.cases[0].greedy)
        #expect(pipeline.stages.map(\.loadedLoRAs) == [[requests[0].lora!], [requests[0].lora!]])
    }
}
