import ServingCore

/// One persistent-batch row as input preparation sees it.
public struct InputRow: Sendable {
    public var numComputedTokens: Int
    public var numScheduledTokens: Int
    public var blockIDs: [Int]
    /// The row's known tokens (prompt ++ outputs); at least `numComputed + numScheduled` of them.
    public var tokenIDs: [TokenID]

    public init(numComputedTokens: Int, numScheduledTokens: Int, blockIDs: [Int], tokenIDs: [TokenID]) {
        self.numComputedTokens = numComputedTokens
        self.numScheduledTokens = numScheduledTokens
        self.blockIDs = blockIDs
        self.tokenIDs = tokenIDs
    }
}

public enum InputPreparation {
    /// Flattens `rows` into positions, token ids, slot mapping and attention metadata.
    ///
    /// Preconditions (validated by the runner): every row has enough tokens and blocks for
    /// `numComputed + numScheduled` positions.
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
            precondition(row.numScheduledTokens >= 1, "row \(r) scheduled no tokens")
            let end = row.numComputedTokens + row.numScheduledTokens
            precondition(
                end <= row.tokenIDs.count && end <= row.blockIDs.count * blockSize,
                "row \(r) lacks tokens or blocks for \(end) positions")
            for pos in row.numComputedTokens..<end {
                p.inputIDs.append(row.tokenIDs[pos])
                p.positions.append(Int32(pos))
                p.slotMapping.append(Int64(row.blockIDs[pos / blockSize] * blockSize + pos % blockSize))
            }
            for (j, block) in row.blockIDs.enumerated() { p.blockTables[r * maxBlocks + j] = Int32(block) }
            p.queryStartLoc.append(Int32(p.inputIDs.count))
            p.seqLens.append(Int32(end))
            p.logitsIndices.append(p.inputIDs.count - 1)
        }
        return p
    }
}
