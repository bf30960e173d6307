import ServingCore

/// The flat model inputs of one step (vLLM `_prepare_inputs`, reference §11.3).
public struct PreparedInputs: Sendable, Equatable {
    public var inputIDs: [TokenID]
    public var positions: [Int32]
    /// Cumulative query starts with a leading 0 (`numRows + 1` entries).
    public var queryStartLoc: [Int32]
    /// `numComputed + numScheduled` per row.
    public var seqLens: [Int32]
    /// `blockTable[row][pos / B] · B + pos % B` per token.
    public var slotMapping: [Int64]
    /// The last token of each row: where the next token is sampled.
    public var logitsIndices: [Int]
    /// Row-major `[numRows, maxBlocksPerRequest]`, padded with 0.
    public var blockTables: [Int32]
    public var maxBlocksPerRequest: Int

    public var attentionMetadata: AttentionMetadata {
        AttentionMetadata(queryStartLoc: queryStartLoc, seqLens: seqLens, blockTables: blockTables,
                          maxBlocksPerRequest: maxBlocksPerRequest, slotMapping: slotMapping)
    }
}

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
            precondition(end <= row.tokenIDs.count && end <= row.blockIDs.count * blockSize,
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
