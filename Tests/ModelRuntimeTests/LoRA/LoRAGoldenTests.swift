import ServingCore
import Testing

@testable import ModelRuntime

/// Logits with a PEFT adapter against transformers + peft on the committed tiny models and adapters.
@Suite("LoRA logits match transformers + peft")
struct LoRAGoldenTests {
    static let adapters = LoRAFixtures.adapters.map { "\($0.model)/\($0.adapter)" }

    static func split(_ name: String) -> (String, String) {
        let parts = name.split(separator: "/").map(String.init)
        return (parts[0], parts[1])
    }

    @Test("goldens were recorded with greedy choices well clear of float noise", arguments: adapters)
    func goldenGaps(name: String) throws {
        let (model, adapter) = Self.split(name)
        #expect(try LoRAFixtures.golden(model, adapter).smallestGap > 1e-2)
    }

    @Test("every position of one prefill with the adapter is within 1e-4 relative", arguments: adapters)
    func prefillLogits(name: String) throws {
        let (model, adapter) = Self.split(name)
        let runner = try ModelRunner(source: .directory(Fixtures.path(model)))
        let lora = try LoRAAdapter(
            directory: LoRAFixtures.path(model, adapter), shape: runner.config.shape, maxRank: 16)
        for c in try LoRAFixtures.golden(model, adapter).cases {
            let tokens = c.prompt + c.greedy.dropLast()
            let mapping = LoRAMapping(rowAdapters: Array(repeating: lora, count: tokens.count))
            let logits = GoldenForwardTests().forwardAllPositions(runner, tokens, lora: mapping)
            let base = GoldenForwardTests().forwardAllPositions(runner, tokens)
            for (p, expected) in c.logits.enumerated() {
                #expect(Fixtures.relativeError(logits[p], expected) < 1e-4, "position \(p)")
            }
            // The adapter changes the logits far beyond the tolerance (the test could fail).
            #expect(zip(base, c.logits).map { Fixtures.relativeError($0, $1) }.max()! > 1e-2)
        }
    }

    @Test("the runner's greedy continuation with the adapter is peft's, logits within 1e-4", arguments: adapters)
    func runnerContinuation(name: String) throws {
        let (model, adapter) = Self.split(name)
        let golden = try LoRAFixtures.golden(model, adapter)
        let runner = try LoRAFixtures.runner(model)
        let requests = golden.cases.map {
            LoRADriver.Request(prompt: $0.prompt, lora: LoRAFixtures.request(model, adapter))
        }
        let results = try LoRADriver.run(runner, requests, maxTokens: golden.cases[0].greedy.count, chunk: 3)
        for (c, r) in zip(golden.cases, results) {
            #expect(r.tokens == c.greedy)
            for (i, logits) in r.logits.enumerated() {
                #expect(Fixtures.relativeError(logits, c.logits[c.prompt.count - 1 + i]) < 1e-4, "token \(i)")
            }
        }
    }
}
