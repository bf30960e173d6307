import ServingCore

/// One persistent-batch row as input preparation sees it.
public struct InputRow: Sendable {
    public var numComputedTokens: Int
    public var numScheduledTokens: Int
    public var blockIDs: [Int]
    /// The row's known tokens (prompt ++ outputs); at least `numComputed + numScheduled − drafts` of them.
    public var tokenIDs: [TokenID]
    /// Speculative draft tokens to verify: the last `draftTokenIDs.count` of the scheduled tokens (negative = padding).
    public var draftTokenIDs: [TokenID]

    public init(
        numComputedTokens: Int, numScheduledTokens: Int, blockIDs: [Int], tokenIDs: [TokenID],
        draftTokenIDs: [TokenID] = []
    ) {
        self.numComputedTokens = numComputedTokens
        self.numScheduledTokens = numScheduledTokens
        self.blockIDs = blockIDs
        self.tokenIDs = tokenIDs
        self.draftTokenIDs = draftTokenIDs
    }

    /// The end of the known tokens this step computes (the drafts come after it).
    public var knownEnd: Int { numComputedTokens + numScheduledTokens - draftTokenIDs.count }
}

public enum InputPreparation {
    /// Flattens `rows` into positions, token ids, slot mapping and attention metadata.
    ///
    /// A row's drafts take its last positions: their ids are the inputs there (padding feeds token 0, whose K/V and
    /// logits nobody keeps), and they attend as decodes (`AttentionMetadata.numDecodeQueries`).
    ///
    /// Preconditions (validated by the runner): every row has enough blocks for `numComputed + numScheduled` positions
    /// and enough tokens for the positions before its drafts, and schedules at least one token before them.
    public static func prepare(rows: [InputRow], blockSize: Int) -> PreparedInputs {
        let total = rows.reduce(0) { $0 + $1.numScheduledTokens }
        let maxBlocks = rows.map(\.blockIDs.count).max() ?? 0
        var p = PreparedInputs(
            inputIDs: [], positions: [], queryStartLoc: [0], seqLens: [], slotMapping: [], logitsIndices: [],
            blockTables: [Int32](repeating: 0, count: rows.count * maxBlocks), maxBlocksPerRequest: maxBlocks)
        p.inputIDs.reserveCapacity(total)
        p.positions.reserveCapacity(total)
        p.slotMapping.reserveCapacity(total)
        for (r, row) in rows.enumerated() {
            precondition(
                row.numScheduledTokens > row.draftTokenIDs.count, "row \(r) scheduled no token before its drafts")
            let end = row.numComputedTokens + row.numScheduledTokens
            let known = row.knownEnd
            precondition(
                known <= row.tokenIDs.count && end <= row.blockIDs.count * blockSize,
                "row \(r) lacks tokens or blocks for \(end) positions")
            for pos in row.numComputedTokens..<end {
                p.inputIDs.append(pos < known ? row.tokenIDs[pos] : max(0, row.draftTokenIDs[pos - known]))
                p.positions.append(Int32(pos))
                p.slotMapping.append(Int64(row.blockIDs[pos / blockSize] * blockSize + pos % blockSize))
            }
            p.numDecodeQueries.append(Int32(row.draftTokenIDs.count))
            for (j, block) in row.blockIDs.enumerated() { p.blockTables[r * maxBlocks + j] = Int32(block) }
            p.queryStartLoc.append(Int32(p.inputIDs.count))
            p.seqLens.append(Int32(end))
            p.logitsIndices.append(p.inputIDs.count - 1)
        }
        return p
    }
}
