import ServingCore

/// Computes chained prefix-cache block hashes with one canonical, language-neutral byte encoding.
///
/// Every process that must agree on a block's identity (the engine-core's prefix cache, a router doing
/// prefix-aware routing from KV events, an offline tool) reproduces these bytes exactly:
///
/// - **Root** (the parent of block 0, vLLM's `NONE_HASH`):
///   `SHA-256("apus.block-hash.root.v1" (23 ASCII bytes) ‖ seed as UInt64 little-endian)`.
/// - **Block i** (only full blocks of `blockSize` tokens are hashed):
///   `SHA-256(parent (32 bytes) ‖ UInt32 LE token count ‖ each token id as Int32 LE ‖ flags (1 byte)
///   ‖ [UInt32 LE byte length ‖ LoRA name UTF-8]  if flags & 1
///   ‖ [UInt32 LE byte length ‖ cache_salt UTF-8] if flags & 2)`
///   where `parent` is the hash of block i−1 (the root for block 0), flag bit 0 is set when the request uses a
///   LoRA adapter (on every block), and flag bit 1 is set only on block 0 when the request has a `cache_salt`.
///
/// Because the parent hash is part of the input, a block hash fingerprints the entire prefix up to it.
public struct BlockHasher: Sendable, Hashable {
    /// Tokens per block (vLLM's default is 16).
    public let blockSize: Int
    /// The configured seed of the root hash.
    public let seed: UInt64
    /// The parent hash of block 0.
    public let rootHash: BlockHash

    static let rootTag: [UInt8] = Array("apus.block-hash.root.v1".utf8)

    public init(blockSize: Int = 16, seed: UInt64 = 0) {
        precondition(blockSize > 0, "blockSize must be positive")
        self.blockSize = blockSize
        self.seed = seed
        var input = Self.rootTag
        withUnsafeBytes(of: seed.littleEndian) { input.append(contentsOf: $0) }
        self.rootHash = input.withUnsafeBytes { BlockHash.sha256($0) }
    }

    /// The chained hashes of every full block of `tokenIDs` (a trailing partial block is not hashed).
    public static func blockHashes(
        tokenIDs: [TokenID], blockSize: Int = 16, seed: UInt64 = 0, cacheSalt: String? = nil, loraName: String? = nil
    ) -> [BlockHash] {
        BlockHasher(blockSize: blockSize, seed: seed).blockHashes(
            tokenIDs: tokenIDs, cacheSalt: cacheSalt, loraName: loraName)
    }

    /// The chained hashes of every full block of `tokenIDs`.
    public func blockHashes(tokenIDs: [TokenID], cacheSalt: String? = nil, loraName: String? = nil) -> [BlockHash] {
        var hashes: [BlockHash] = []
        extend(&hashes, tokenIDs: tokenIDs, cacheSalt: cacheSalt, loraName: loraName)
        return hashes
    }

    /// Appends the hashes of the blocks of `tokenIDs` that became full since `hashes` was last extended.
    ///
    /// Called when a request is created and whenever output tokens complete a block, so `hashes` grows
    /// monotonically and no hash is ever computed twice.
    public func extend(_ hashes: inout [BlockHash], tokenIDs: [TokenID], cacheSalt: String?, loraName: String?) {
        let numFull = tokenIDs.count / blockSize
        guard hashes.count < numFull else { return }
        tokenIDs.withUnsafeBufferPointer { tokens in
            var parent = hashes.last ?? rootHash
            for i in hashes.count..<numFull {
                let block = UnsafeBufferPointer(rebasing: tokens[(i * blockSize)..<((i + 1) * blockSize)])
                parent = hashBlock(
                    parent: parent, tokens: block, loraName: loraName, cacheSalt: i == 0 ? cacheSalt : nil)
                hashes.append(parent)
            }
        }
    }

    /// The hash of one block given its parent (see the type's documentation for the bytes).
    public func hashBlock(
        parent: BlockHash, tokens: UnsafeBufferPointer<TokenID>, loraName: String?, cacheSalt: String?
    ) -> BlockHash {
        let lora = loraName.map { Array($0.utf8) }
        let salt = cacheSalt.map { Array($0.utf8) }
        let size = 32 + 4 + 4 * tokens.count + 1 + (lora.map { 4 + $0.count } ?? 0) + (salt.map { 4 + $0.count } ?? 0)
        return withUnsafeTemporaryAllocation(byteCount: size, alignment: 8) { buf in
            var at = 0
            func put<T: FixedWidthInteger>(_ v: T) {
                withUnsafeBytes(of: v.littleEndian) { src in
                    UnsafeMutableRawBufferPointer(rebasing: buf[at..<(at + src.count)]).copyMemory(from: src)
                }
                at += MemoryLayout<T>.size
            }
            put(parent.w0)
            put(parent.w1)
            put(parent.w2)
            put(parent.w3)
            put(UInt32(tokens.count))
            for t in tokens { put(t) }
            put(UInt8((lora == nil ? 0 : 1) | (salt == nil ? 0 : 2)))
            for extra in [lora, salt] {
                guard let extra else { continue }
                put(UInt32(extra.count))
                for b in extra { put(b) }
            }
            precondition(at == size)
            return BlockHash.sha256(UnsafeRawBufferPointer(buf))
        }
    }
}
