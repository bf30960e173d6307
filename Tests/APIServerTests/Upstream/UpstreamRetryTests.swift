import HummingbirdTesting
import Synchronization
import Testing
import Wire

@testable import APIServer

/// An engine client whose first `failures` Generate calls fail as a lost connection would (or with `error`).
final class FlakyEngineClient: ForwardingEngineClient, @unchecked Sendable {
    let error: RPCError
    private let failuresLeft: Mutex<Int>
    private let calls = Mutex(0)
    /// Generate calls made so far.
    var attempts: Int { calls.withLock { $0 } }

    init(
        _ base: any EngineClient, failures: Int,
        error: RPCError = RPCError(.unavailable, "connection to the server was lost", origin: .transport)
    ) {
        self.error = error
        failuresLeft = Mutex(failures)
        super.init(base)
    }

    override func generate(_ request: ApusV1.GenerateRequest) async throws -> RPCResponseStream<ApusV1.GenerateOutput> {
        calls.withLock { $0 += 1 }
        let fail = failuresLeft.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if fail { throw error }
        return try await base.generate(request)
    }
}

@Suite("Retrying a lost upstream connection before the first token")
struct UpstreamRetryTests {
    @Test("a request whose upstream connection is lost twice is sent again under new ids and succeeds")
    func retriesTransportFailures() async throws {
        let engine = FakeEngine()
        // A window far beyond the two backoffs (50 + 100 ms): only the retries are under test, not the clock.
        let upstream = EngineUpstream(engine: FlakyEngineClient(engine.client, failures: 2), retryWindow: .seconds(120))
        try await withAPI(upstream: upstream) { client in
            let (status, body, text) = try await client.post("/v1/completions", #"{"prompt":"Hi","n":2}"#)
            #expect(status == .ok, "\(text)")
            #expect(body["choices"]?.arrayValue?.count == 2)
        }
        let ids = engine.requests.map(\.requestID)
        #expect(ids.count == 2)
        #expect(ids.filter { $0.hasSuffix("-retry2") }.count == 1, "\(ids)")
        #expect(ids.filter { !$0.contains("-retry") }.count == 1, "\(ids)")
    }

    @Test("an upstream that stays unreachable past the retry window is a 503")
    func givesUpAfterTheWindow() async throws {
        let engine = FakeEngine()
        let flaky = FlakyEngineClient(engine.client, failures: 1_000)
        let upstream = EngineUpstream(engine: flaky, retryWindow: .milliseconds(300))
        try await withAPI(upstream: upstream) { client in
            let (status, body, _) = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#)
            #expect(status == .serviceUnavailable)
            #expect(body["error"]?["message"]?.stringValue?.contains("connection to the server was lost") == true)
        }
        // Backoff 50, 100, 200 ms fits at most 4 attempts in 300 ms (the default 10 s window would allow 14).
        #expect((1...4).contains(flaky.attempts), "\(flaky.attempts) attempts")
        #expect(engine.requests.isEmpty)
    }

    @Test("errors the upstream answers itself are not retried: its UNAVAILABLE is a 503 at once, a full one a 429")
    func peerErrorsAreNotRetried() async throws {
        for (code, status) in [(StatusCode.unavailable, 503), (.resourceExhausted, 429)] {
            let engine = FakeEngine()
            let flaky = FlakyEngineClient(engine.client, failures: 1, error: RPCError(code, "no engine"))
            try await withAPI(upstream: EngineUpstream(engine: flaky)) { client in
                let (got, _, _) = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#)
                #expect(got.code == status)
            }
            #expect(engine.requests.isEmpty)
        }
    }

    @Test("a request sent while the upstream is down waits for it to come back on its address, then succeeds")
    func waitsForARestartedUpstream() async throws {
        let engine = FakeEngine()
        let first = RPCServer(
            host: "127.0.0.1", port: 0, identity: .init(service: "engine-core"), handlers: engine.handlers)
        let firstTask = Task { try await first.run() }
        let port = try await first.boundAddress().port!
        try await withAPI(upstreamPort: port, retryWindow: .seconds(10)) { client in
            #expect(try await client.post("/v1/completions", #"{"prompt":"Hi"}"#).0 == .ok)
            firstTask.cancel()
            _ = try? await firstTask.value
            let restart = Task {
                try await Task.sleep(for: .milliseconds(500))
                let second = RPCServer(
                    host: "127.0.0.1", port: port, identity: .init(service: "engine-core"), handlers: engine.handlers)
                try await second.run()
            }
            defer { restart.cancel() }
            let (status, _, text) = try await client.post("/v1/completions", #"{"prompt":"Hi"}"#)
            #expect(status == .ok, "\(text)")
        }
        #expect(engine.requests.count == 2)
    }
}
