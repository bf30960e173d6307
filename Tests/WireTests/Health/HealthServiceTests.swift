import Testing
@testable import Wire

@Suite("Health service (grpc.health.v1 semantics)")
struct HealthServiceTests {
    static func server(_ health: HealthService, _ body: (RPCClient) async throws -> Void) async throws {
        try await withTestServer(health.handlers) { port in
            let client = testClient(port)
            try await body(client)
            await client.close()
        }
    }

    @Test("Check answers SERVING / NOT_SERVING and NOT_FOUND for an unregistered service")
    func check() async throws {
        let health = HealthService(statuses: ["": .serving, "apus.v1.Engine": .notServing])
        try await Self.server(health) { client in
            let whole = try await client.unary(
                HealthService.checkMethod, ApusV1.HealthCheckRequest(service: ""), as: ApusV1.HealthCheckResponse.self)
            #expect(whole.status == .serving)
            let engine = try await client.unary(
                HealthService.checkMethod, ApusV1.HealthCheckRequest(service: "apus.v1.Engine"),
                as: ApusV1.HealthCheckResponse.self)
            #expect(engine.status == .notServing)
            do {
                _ = try await client.unary(
                    HealthService.checkMethod, ApusV1.HealthCheckRequest(service: "nope"),
                    as: ApusV1.HealthCheckResponse.self)
                Issue.record("expected NOT_FOUND")
            } catch let error as RPCError {
                #expect(error.code == .notFound)
            }
        }
    }

    @Test("Watch sends the current status at once, then sees SERVING turn NOT_SERVING")
    func watchSeesChange() async throws {
        let health = HealthService(statuses: ["": .serving])
        try await Self.server(health) { client in
            let stream = try await client.serverStream(
                HealthService.watchMethod, ApusV1.HealthCheckRequest(service: ""), as: ApusV1.HealthCheckResponse.self)
            var it = stream.makeAsyncIterator()
            #expect(try await it.next()?.status == .serving)
            health.setStatus(.notServing)
            #expect(try await it.next()?.status == .notServing)
            health.setStatus(.serving)
            #expect(try await it.next()?.status == .serving)
        }
    }

    @Test("Watch of an unknown service says SERVICE_UNKNOWN, then reports it once registered")
    func watchUnknown() async throws {
        let health = HealthService()
        try await Self.server(health) { client in
            let stream = try await client.serverStream(
                HealthService.watchMethod, ApusV1.HealthCheckRequest(service: "later"),
                as: ApusV1.HealthCheckResponse.self)
            var it = stream.makeAsyncIterator()
            #expect(try await it.next()?.status == .serviceUnknown)
            health.setStatus(.serving, for: "later")
            #expect(try await it.next()?.status == .serving)
        }
    }
}
