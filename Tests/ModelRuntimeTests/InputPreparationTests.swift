import ServingCore
import Testing

@testable import ModelRuntime

@Suite("Input preparation")
struct InputPreparationTests {
    @Test("the worked example of docs/architecture.md §5.1 gives vLLM's positions, slots and indices")
    func workedExample() {
        // B=4; num_computed [10,0,7], scheduled [2,5,3]; block tables r0=[3,8,1], r1=[5,6], r2=[2,9,4].
        let tokens = (0..<12).map { TokenID(100 + $0) }
        let rows = [
            InputRow(numComputedTokens: 10, numScheduledTokens: 2, blockIDs: [3, 8, 1], tokenIDs: tokens),
            InputRow(numComputedTokens: 0, numScheduledTokens: 5, blockIDs: [5, 6], tokenIDs: tokens),
            InputRow(numComputedTokens: 7, numScheduledTokens: 3, blockIDs: [2, 9, 4], tokenIDs: tokens),
        ]
        let p = InputPreparation.prepare(rows: rows, blockSize: 4)
        #expect(p.positions == [10, 11, 0, 1, 2, 3, 4, 7, 8, 9])
        #expect(p.inputIDs == [110, 111, 100, 101, 102, 103, 104, 107, 108, 109])
        #expect(p.queryStartLoc == [0, 2, 7, 10])
        #expect(p.seqLens == [12, 5, 10])
        #expect(p.slotMapping == [6, 7, 20, 21, 22, 23, 24, 39, 16, 17])
        #expect(p.logitsIndices == [1, 6, 9])
        #expect(p.maxBlocksPerRequest == 3)
        #expect(p.blockTables == [3, 8, 1, 5, 6, 0, 2, 9, 4])
    }

    @Test("drafts follow a row's known tokens as inputs, padding as token 0; the row samples at its last k + 1")
    func drafts() {
        let tokens: [TokenID] = [100, 101, 102, 103, 104]
        let rows = [
            InputRow(
                numComputedTokens: 4, numScheduledTokens: 4, blockIDs: [3, 8], tokenIDs: tokens,
                draftTokenIDs: [7, 9, -1]),
            InputRow(numComputedTokens: 2, numScheduledTokens: 3, blockIDs: [5, 6], tokenIDs: tokens),
        ]
        let p = InputPreparation.prepare(rows: rows, blockSize: 4)
        #expect(p.positions == [4, 5, 6, 7, 2, 3, 4])
        #expect(p.inputIDs == [104, 7, 9, 0, 102, 103, 104])
        #expect(p.seqLens == [8, 5])
        #expect(p.slotMapping == [32, 33, 34, 35, 22, 23, 24])
        #expect(p.numDecodeQueries == [3, 0])
        #expect(p.attentionMetadata.numDecodeQueries == [3, 0])
        #expect(p.logitsIndices == [3, 6])
        #expect(p.samplingIndices(row: 0) == 0...3 && p.samplingIndices(row: 1) == 6...6)
    }
}
