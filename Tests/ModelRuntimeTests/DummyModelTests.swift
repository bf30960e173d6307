import ServingCore
import Testing

@testable import ModelRuntime

@Suite("Dummy weights and the embedded default model")
struct DummyModelTests {
    @Test("dummy weights depend only on the seed, bit for bit")
    func deterministic() {
        let a = LlamaWeights(dummyConfig: .embeddedDefault, seed: 0)
        let b = LlamaWeights(dummyConfig: .embeddedDefault, seed: 0)
        let c = LlamaWeights(dummyConfig: .embeddedDefault, seed: 1)
        #expect(a.layers[3].down.toArray() == b.layers[3].down.toArray())
        #expect(a.embedTokens?.toArray() != c.embedTokens?.toArray())
        // Pinned values: any machine must produce exactly these.
        var rng = SplitMix64(seed: 0)
        #expect(rng.next() == 0xE220_A839_7B1D_CDAF)
        #expect(a.embedTokens!.toArray().prefix(2).map(\.bitPattern) == Self.pinnedEmbeddingBits)
    }

    static let pinnedEmbeddingBits: [UInt32] = [3_202_607_068, 3_213_857_196]

    @Test("the embedded default model continues different prompts differently")
    func variedOutputs() throws {
        let runner = try ModelRunner(source: .embeddedDefault)
        let driver = try RunnerDriver(runner: runner, numBlocks: 64, options: .init(blockSize: 16, maxTokens: 12))
        let prompts: [[TokenID]] = [[1, 72, 101, 108, 108, 111], [1, 300, 301, 302], [1, 65, 66, 67, 68, 69, 70]]
        let outputs = try driver.run(prompts).map(\.output)
        let distinct = Set(outputs.flatMap { $0 })
        #expect(distinct.count >= 8, "outputs \(outputs)")
        #expect(outputs[0] != outputs[1])
    }
}
