import Testing
@testable import Engine

@Suite("KV cache sizing from runner profiles")
struct KVCacheSizingTests {
    static func profile(available: Int, layers: Int = 2) -> RunnerProfile {
        RunnerProfile(model: "m", vocabSize: 100, maxModelLen: 4096, numLayers: layers, numKVHeads: 2, headDim: 8,
                      dtypeBytes: 4, availableKVBytes: available)
    }

    @Test("blocks = available bytes / (2 × block size × kv heads × head dim × dtype bytes × layers)")
    func formula() throws {
        // 2 × 16 × 2 × 8 × 4 × 2 = 4096 bytes per block.
        let sizing = try KVCacheSizing.compute(profiles: [Self.profile(available: 4096 * 100)], blockSize: 16, maxModelLen: 256)
        #expect(sizing.bytesPerBlock == 4096)
        #expect(sizing.numBlocks == 100)
    }

    @Test("the minimum over runners wins")
    func minimumOverRunners() throws {
        let sizing = try KVCacheSizing.compute(
            profiles: [Self.profile(available: 4096 * 100), Self.profile(available: 4096 * 40)], blockSize: 16,
            maxModelLen: 256)
        #expect(sizing.numBlocks == 40)
    }

    @Test("--num-gpu-blocks-override and --kv-cache-memory replace the profile")
    func overrides() throws {
        let p = [Self.profile(available: 4096 * 100)]
        #expect(try KVCacheSizing.compute(profiles: p, blockSize: 16, maxModelLen: 256, numGPUBlocksOverride: 33).numBlocks == 33)
        #expect(try KVCacheSizing.compute(profiles: p, blockSize: 16, maxModelLen: 256, kvCacheMemoryBytes: 4096 * 20).numBlocks == 20)
    }

    @Test("a max_model_len request that cannot fit fails fast, naming the largest length that would")
    func doesNotFit() {
        #expect(throws: KVCacheSizingError.doesNotFit(maxModelLen: 4096, numBlocks: 10, neededBlocks: 257, largestFittingLen: 144)) {
            try KVCacheSizing.compute(profiles: [Self.profile(available: 4096 * 10)], blockSize: 16, maxModelLen: 4096)
        }
        #expect(throws: KVCacheSizingError.noRunners) {
            try KVCacheSizing.compute(profiles: [], blockSize: 16, maxModelLen: 16)
        }
    }
}
