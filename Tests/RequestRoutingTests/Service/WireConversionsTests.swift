import Testing
import Wire
@testable import RequestRouting

@Suite("Router wire conversions")
struct WireConversionsTests {
    @Test("CLEARED with hashes is a snapshot, without them a plain clear; unknown kinds keep their sequence number")
    func kvEventKinds() {
        let bytes = (0..<32).map { UInt8($0) }
        let batch = KVEventBatch(
            ApusV1.KVEventBatch(
                engineID: "e0",
                events: [
                    ApusV1.KVEvent(seq: 7, kind: .cleared, blockHashes: [bytes]),
                    ApusV1.KVEvent(seq: 8, kind: .cleared),
                    ApusV1.KVEvent(seq: 9, kind: .unspecified),
                ]))
        #expect(batch.records.map(\.sequenceNumber) == [7, 8, 9])
        #expect(batch.records.map(\.event) == [.snapshot([BlockHashKey(bytes: bytes)]), .allBlocksCleared, .blocksStored([])])
    }
}
