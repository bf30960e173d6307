import Testing

@testable import RequestRouting

@Suite("XPYD and pool-qualified admin addresses")
struct PDTopologyTests {
    @Test("XPYD parses to producer and consumer counts", arguments: [("1P1D", 1, 1), ("2P1D", 2, 1), ("3P12D", 3, 12)])
    func parses(text: String, prefill: Int, decode: Int) throws {
        let topology = try PDTopology(parsing: text)
        #expect(topology == PDTopology(prefill: prefill, decode: decode))
        #expect(topology.description == text)
    }

    @Test(
        "anything else is refused with the expected form in the message",
        arguments: ["", "1P", "P1D", "1PD", "0P1D", "1P0D", "01P1D", "1p1d", "1P1D ", " 1P1D", "1P1DD", "1P2P1D",
            "-1P1D", "+1P1D", "1D1P", "1P1", "12345P1D", "1 P1D"])
    func refuses(text: String) {
        #expect(throws: PDTopology.ParseError.self) { try PDTopology(parsing: text) }
        do {
            _ = try PDTopology(parsing: text)
        } catch {
            #expect(error.description.contains("XPYD"))
            #expect(error.description.contains("\"\(text)\""))
        }
    }

    @Test("an admin address may name its pool")
    func poolAddresses() {
        #expect(EnginePool.split("prefill=10.0.0.1:80") == (.prefill, "10.0.0.1:80"))
        #expect(EnginePool.split("decode=host:1") == (.decode, "host:1"))
        #expect(EnginePool.split("10.0.0.1:80") == (nil, "10.0.0.1:80"))
        #expect(EnginePool.split("other=10.0.0.1:80") == (nil, "other=10.0.0.1:80"))
    }
}
