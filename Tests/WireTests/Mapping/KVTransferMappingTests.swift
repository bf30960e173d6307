import ServingCore
import Testing

@testable import Wire

/// `kv_transfer_params` domain ↔ wire (`KVTransfer+Wire.swift`): addresses split into vLLM's host and port fields
/// and back, runners' layer ranges, and the refusal of an empty range.
@Suite("KV transfer params mapping")
struct KVTransferMappingTests {
    func roundTrip(_ p: KVTransferParams) throws -> KVTransferParams {
        let bytes = ApusV1.KVTransferParams(p).encoded()
        return try KVTransferParams(ApusV1.KVTransferParams(decoding: bytes))
    }

    @Test("a producer's answer survives the wire, IPv4, IPv6 and name addresses alike")
    func roundTrips() throws {
        for address in ["10.0.0.7:7100", "[fd00::1]:7100", "prefill-0.apus.svc:7100", ""] {
            var p = KVTransferParams(doRemotePrefill: true)
            p.remoteEngineID = "prefill0"
            p.remoteRequestID = "cmpl-1"
            p.remoteBlockIDs = [0, 17, 4_000_000]
            p.remoteAddress = address
            p.remoteRunners = [
                KVSource(address: "10.0.0.8:7000", layers: 0..<15, incarnation: "a1"),
                KVSource(address: "10.0.0.9:7000", layers: 15..<30),
            ]
            p.remoteBlockSize = 16
            p.remoteNumTokens = 2048
            #expect(try roundTrip(p) == p)
        }
        #expect(try roundTrip(KVTransferParams(doRemoteDecode: true)) == KVTransferParams(doRemoteDecode: true))
    }

    @Test("the host and port fields carry the address as vLLM's do")
    func hostAndPort() {
        var p = KVTransferParams(doRemotePrefill: true)
        p.remoteAddress = "[fd00::1]:7100"
        let m = ApusV1.KVTransferParams(p)
        #expect(m.remoteHost == "fd00::1")
        #expect(m.remotePort == 7100)
    }

    @Test("a runner with an empty layer range is refused, naming it")
    func emptyLayerRange() {
        let m = ApusV1.KVTransferParams(
            doRemotePrefill: true, remoteRunners: [ApusV1.KVSource(address: "r:1", firstLayer: 4, endLayer: 4)])
        #expect(throws: WireDecodingError.self) { try KVTransferParams(m) }
    }
}
