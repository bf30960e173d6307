/// What paged attention needs for one mixed batch (vLLM's FlashAttention/Ascend metadata, reduced).
///
/// Request `r` owns query tokens `queryStartLoc[r] ..< queryStartLoc[r+1]`; they are the last of its
/// `seqLens[r]` tokens, so query token `i` of `r` sits at position `seqLens[r] − numQuery + i` and attends
/// causally to positions `0...` that one. Block `j` of request `r` is `blockTables[r * maxBlocksPerRequest + j]`.
public struct AttentionMetadata: Sendable, Equatable {
    public var queryStartLoc: [Int32]
    public var seqLens: [Int32]
    public var blockTables: [Int32]
    public var maxBlocksPerRequest: Int
    /// Cache slot of every query token (−1 = padding, not written).
    public var slotMapping: [Int64]

    public init(
        queryStartLoc: [Int32], seqLens: [Int32], blockTables: [Int32], maxBlocksPerRequest: Int,
        slotMapping: [Int64]
    ) {
        self.queryStartLoc = queryStartLoc
        self.seqLens = seqLens
        self.blockTables = blockTables
        self.maxBlocksPerRequest = maxBlocksPerRequest
        self.slotMapping = slotMapping
    }

    public var numRequests: Int { seqLens.count }
    public var numTokens: Int { Int(queryStartLoc.last ?? 0) }
}
