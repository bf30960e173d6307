import Testing

@testable import Wire

@Suite("Wire enums")
struct WireEnumTests {
    func expectTotal<E: WireEnum>(_ type: E.Type, known: Int32) {
        for raw in Int32(-3)...(known + 3) {
            let value = E(rawValue: raw)
            #expect(value.rawValue == raw)
            #expect(E(rawValue: value.rawValue) == value)
        }
        #expect(E(rawValue: .max).rawValue == .max)
        #expect(E(rawValue: .min).rawValue == .min)
    }

    @Test("every raw value decodes and maps back to itself")
    func total() {
        expectTotal(ApusV1.ServingStatus.self, known: 3)
        expectTotal(ApusV1.KVEventKind.self, known: 3)
        expectTotal(ApusV1.BackendState.self, known: 5)
    }

    @Test("status codes keep gRPC's numbers")
    func grpcNumbers() {
        #expect(ApusV1.StatusCode.ok.rawValue == 0)
        #expect(ApusV1.StatusCode.cancelled.rawValue == 1)
        #expect(ApusV1.StatusCode.deadlineExceeded.rawValue == 4)
        #expect(ApusV1.StatusCode.notFound.rawValue == 5)
        #expect(ApusV1.StatusCode.resourceExhausted.rawValue == 8)
        #expect(ApusV1.StatusCode.unimplemented.rawValue == 12)
        #expect(ApusV1.StatusCode.internal.rawValue == 13)
        #expect(ApusV1.StatusCode.unavailable.rawValue == 14)
        #expect(ApusV1.StatusCode.unauthenticated.rawValue == 16)
        #expect(ApusV1.StatusCode(rawValue: 17) == nil, "the frame decoder maps unknown codes to UNKNOWN")
    }

    @Test("known values never decode as unrecognized")
    func knownValuesAreCases() {
        #expect(ApusV1.ServingStatus(rawValue: 1) == .serving)
        #expect(ApusV1.ServingStatus(rawValue: 3) == .serviceUnknown)
        #expect(ApusV1.KVEventKind(rawValue: 3) == .cleared)
        #expect(ApusV1.BackendState(rawValue: 5) == .draining)
        #expect(ApusV1.StatusCode(rawValue: 2) == .unknown)
    }
}
