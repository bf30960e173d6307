import Scheduling
import ServingCore
import Wire

/// Hashes a request's prompt into the chained block hashes the engines report in their KV events.
///
/// Uses the block size and seed the engines announce in `GetModelInfo`, and Scheduling's `BlockHasher`
/// (cache_salt and LoRA name go into block 0 / every block exactly as the engine-core puts them), so the
/// router's prefix index and the engines' prefix caches name the same blocks.
struct PromptHasher: Sendable {
    let hasher: BlockHasher

    /// nil when the model info carries no usable block size or seed.
    init?(modelInfo: ApusV1.ModelInfo) {
        guard modelInfo.blockSize > 0, let seed = UInt64(modelInfo.blockHashSeed.isEmpty ? "0" : modelInfo.blockHashSeed, radix: 16)
        else { return nil }
        hasher = BlockHasher(blockSize: Int(modelInfo.blockSize), seed: seed)
    }

    /// The keys of every full block of a prompt (empty salt or LoRA name: none).
    func keys(promptTokenIDs: [TokenID], cacheSalt: String, loraName: String) -> [BlockHashKey] {
        hasher.blockHashes(
            tokenIDs: promptTokenIDs, cacheSalt: cacheSalt.isEmpty ? nil : cacheSalt,
            loraName: loraName.isEmpty ? nil : loraName
        ).map { BlockHashKey(w0: $0.w0, w1: $0.w1, w2: $0.w2, w3: $0.w3) }
    }
}
