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

    @Test("UNAVAILABLE is a transport error only when this process's transport produced it, whatever the message")
    func classifyByOrigin() {
        #expect(RequestOutcome.classify(RPCError(.unavailable, "connection closed", origin: .transport)) == .transportError)
        #expect(RequestOutcome.classify(RPCError(.unavailable, "connection closed")) == .unavailable)
        #expect(RequestOutcome.classify(RPCError(.unavailable, "no runner available")) == .unavailable)
        #expect(RequestOutcome.classify(RPCError(.deadlineExceeded, "deadline exceeded")) == .timedOut)
        #expect(RequestOutcome.classify(RPCError(.invalidArgument, "prompt too long")) == .clientError)
        #expect(RequestOutcome.classify(RPCError(.internal, "boom")) == .engineError)
    }
}
