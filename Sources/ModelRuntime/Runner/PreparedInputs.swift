import ServingCore

/// The flat model inputs of one step (vLLM `_prepare_inputs`; docs/architecture.md §5.1).
public struct PreparedInputs: Sendable, Equatable {
    public var inputIDs: [TokenID]
    public var positions: [Int32]
    /// Cumulative query starts with a leading 0 (`numRows + 1` entries).
    public var queryStartLoc: [Int32]
    /// `numComputed + numScheduled` per row.
    public var seqLens: [Int32]
    /// `blockTable[row][pos / B] · B + pos % B` per token.
    public var slotMapping: [Int64]
    /// The last token of each row: where the next token is sampled (and the bonus token of a row with drafts).
    public var logitsIndices: [Int]
    /// Row-major `[numRows, maxBlocksPerRequest]`, padded with 0.
    public var blockTables: [Int32]
    public var maxBlocksPerRequest: Int
    /// The number of draft tokens per row (0 for a row without drafts).
    public var numDecodeQueries: [Int32] = []

    public var attentionMetadata: AttentionMetadata {
        AttentionMetadata(
            queryStartLoc: queryStartLoc, seqLens: seqLens, blockTables: blockTables,
            maxBlocksPerRequest: maxBlocksPerRequest, slotMapping: slotMapping, numDecodeQueries: numDecodeQueries)
    }

    /// Row `r`'s sampling positions: its last token, and before it one per draft (vLLM's target logits indices).
    public func samplingIndices(row r: Int) -> ClosedRange<Int> {
        let drafts = numDecodeQueries.isEmpty ? 0 : Int(numDecodeQueries[r])
        return logitsIndices[r] - drafts...logitsIndices[r]
    }
}
