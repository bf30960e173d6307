/// How many KV blocks an engine-core can give its scheduler (docs/architecture.md §4.10).
///
/// `num_blocks = available_bytes / bytes_per_block` per runner, the minimum over runners, unless overridden by
/// `--num-gpu-blocks-override` or capped by `--kv-cache-memory`. Fails fast when one `max_model_len` request
/// cannot fit, naming the largest length that would.
public struct KVCacheSizing: Sendable, Equatable {
    public var numBlocks: Int
    public var bytesPerBlock: Int

    public static func compute(
        profiles: [RunnerProfile], blockSize: Int, maxModelLen: Int, numGPUBlocksOverride: Int? = nil,
        kvCacheMemoryBytes: Int? = nil
    ) throws(KVCacheSizingError) -> KVCacheSizing {
        guard !profiles.isEmpty else { throw .noRunners }
        let perRunner = profiles.map { p -> (blocks: Int, bytes: Int) in
            let bytes = p.bytesPerBlock(blockSize: blockSize)
            let budget = kvCacheMemoryBytes ?? p.availableKVBytes
            return (max(0, budget) / max(1, bytes), bytes)
        }
        let bytesPerBlock = perRunner.map(\.bytes).max()!
        var numBlocks = perRunner.map(\.blocks).min()!
        if let override = numGPUBlocksOverride { numBlocks = override }
        let needed = (maxModelLen + blockSize - 1) / blockSize + 1
        guard numBlocks >= needed else {
            let largest = max(0, (numBlocks - 1) * blockSize)
            throw .doesNotFit(
                maxModelLen: maxModelLen, numBlocks: numBlocks, neededBlocks: needed, largestFittingLen: largest)
        }
        return KVCacheSizing(numBlocks: numBlocks, bytesPerBlock: bytesPerBlock)
    }
}

public enum KVCacheSizingError: Error, Sendable, Equatable, CustomStringConvertible {
    case noRunners
    case doesNotFit(maxModelLen: Int, numBlocks: Int, neededBlocks: Int, largestFittingLen: Int)

    public var description: String {
        switch self {
        case .noRunners:
            "no runner answered Describe/Profile"
        case .doesNotFit(let len, let blocks, let needed, let largest):
            "the KV cache has \(blocks) blocks but one request of max_model_len=\(len) needs \(needed) "
                + "(including the null block); increase --kv-cache-memory / the runner's --memory-budget, or decrease "
                + "--max-model-len (the largest that fits is \(largest))"
        }
    }
}
