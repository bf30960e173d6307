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
    /// Per request, how many of its last query tokens are draft tokens under verification (empty: none). Each attends
    /// as the one-token decode step that would otherwise compute it, so its logits are the same bit for bit
    /// (docs/architecture.md §5.5); the query tokens before them attend as a chunk of their own.
    public var numDecodeQueries: [Int32]

    public init(
        queryStartLoc: [Int32], seqLens: [Int32], blockTables: [Int32], maxBlocksPerRequest: Int,
        slotMapping: [Int64], numDecodeQueries: [Int32] = []
    ) {
        self.queryStartLoc = queryStartLoc
        self.seqLens = seqLens
        self.blockTables = blockTables
        self.maxBlocksPerRequest = maxBlocksPerRequest
        self.slotMapping = slotMapping
        self.numDecodeQueries = numDecodeQueries
    }

    public var numRequests: Int { seqLens.count }
    public var numTokens: Int { Int(queryStartLoc.last ?? 0) }

    /// `numDecodeQueries[r]`, 0 when the list is empty.
    public func decodeQueries(ofRequest r: Int) -> Int { numDecodeQueries.isEmpty ? 0 : Int(numDecodeQueries[r]) }
}
