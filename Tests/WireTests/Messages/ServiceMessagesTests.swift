import Testing

@testable import Wire

@Suite("Hello, Health and Router messages on the wire")
struct ServiceMessagesTests {
    @Test("Hello round-trips empty, maximal and unicode values")
    func hello() throws {
        try expectRoundTrips([
            ApusV1.Hello(),
            ApusV1.Hello(
                protocolVersion: .max, service: MessageSamples.longString, instanceID: MessageSamples.longString,
                authToken: MessageSamples.longString, maxFrameBytes: .max),
            ApusV1.Hello(
                protocolVersion: 1, service: "engine-core", instanceID: MessageSamples.unicode, authToken: MessageSamples.unicode2,
                maxFrameBytes: 64 << 20),
        ])
    }

    @Test("HealthCheckRequest and HealthCheckResponse round-trip every status")
    func health() throws {
        try expectRoundTrips([
            ApusV1.HealthCheckRequest(), ApusV1.HealthCheckRequest(service: MessageSamples.unicode),
            ApusV1.HealthCheckRequest(service: MessageSamples.longString),
        ])
        let statuses: [ApusV1.ServingStatus] = [
            .unknown, .serving, .notServing, .serviceUnknown, .unrecognized(.max), .unrecognized(.min),
        ]
        try expectRoundTrips(statuses.map { ApusV1.HealthCheckResponse(status: $0) })
    }

    @Test("Router admin messages round-trip empty, maximal and unicode values")
    func router() throws {
        try expectRoundTrips([ApusV1.AddBackendRequest(), ApusV1.AddBackendRequest(address: "[::1]:50051")])
        try expectRoundTrips([ApusV1.RemoveBackendRequest(), ApusV1.RemoveBackendRequest(address: MessageSamples.unicode)])
        try expectRoundTrips([ApusV1.ListBackendsRequest()])
        try expectRoundTrips([ApusV1.DrainRequest(), ApusV1.DrainRequest(address: MessageSamples.longString)])
        let states: [ApusV1.BackendState] = [
            .unspecified, .pending, .ready, .notReady, .failed, .draining, .unrecognized(99),
        ]
        let backends = states.map { state in
            ApusV1.Backend(
                address: "engine-\(state.rawValue).local:7000", state: state, inFlight: UInt32(state.rawValue),
                load: state == .ready ? ApusV1.LoadReport(engineID: "e", numRunning: 4) : nil, engineID: MessageSamples.unicode
            )
        }
        try expectRoundTrips(backends + [ApusV1.Backend()])
        try expectRoundTrips([
            ApusV1.BackendList(), ApusV1.BackendList(backends: backends),
            ApusV1.BackendList(backends: (0..<2_000).map { _ in backends[2] }),
        ])
    }

    @Test("a backend with a load report of all zeros keeps it: present-but-empty is not absent")
    func emptyLoadIsNotNil() throws {
        #expect(try roundTrip(ApusV1.Backend(load: ApusV1.LoadReport())).load == ApusV1.LoadReport())
        #expect(try roundTrip(ApusV1.Backend()).load == nil)
    }
}
