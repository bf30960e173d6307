import HummingbirdTesting
import Synchronization
import Testing

@testable import APIServer
@testable import Wire

/// An engine client whose first `cuts` Generate calls deliver their first output and then lose the connection, as a
/// router killed mid-request would.
final class CutAfterFirstOutputClient: ForwardingEngineClient, @unchecked Sendable {
    private let cutsLeft: Mutex<Int>

    init(_ base: any EngineClient, cuts: Int = 1) {
        cutsLeft = Mutex(cuts)
        super.init(base)
    }

    override func generate(_ request: ApusV1.GenerateRequest) async throws -> RPCResponseStream<ApusV1.GenerateOutput> {
        let stream = try await base.generate(request)
        let cut = cutsLeft.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        guard cut else { return stream }
        let (frames, continuation) = AsyncThrowingStream<Frame, any Error>.makeStream()
        let forward = Task {
            var inner = stream.frames.makeAsyncIterator()
            if let first = try? await inner.next() { continuation.yield(first) }
            continuation.finish(
                throwing: RPCError(.unavailable, "connection to the server was lost", origin: .transport))
        }
        continuation.onTermination = { _ in forward.cancel() }
        return RPCResponseStream(frames: frames)
    }
}

@Suite("Retrying a lost upstream connection after the first output, before anything visible")
struct MidStreamRetryTests {
    @Test("a stream cut while its first token was still held back (a stop string's prefix) starts over unseen")
    func retriesBeforeVisibleOutput() async throws {
        let engine = FakeEngine()
        let upstream = EngineUpstream(engine: CutAfterFirstOutputClient(engine.client), retryWindow: .seconds(120))
        try await withAPI(upstream: upstream) { client in
            // "Hello" could be the start of "Hello world!": the stop matcher holds it back, so nothing is shown.
            let (status, _, text) = try await client.post(
                "/v1/completions", #"{"prompt":"Hi","stop":"Hello world!","stream":true}"#)
            #expect(status == .ok)
            let (events, done) = events(text)
            #expect(done, "\(text)")
            #expect(events.allSatisfy { $0["error"] == nil }, "\(text)")
            let texts = events.compactMap { $0["choices"]?[0]?["text"]?.stringValue }
            #expect(texts.joined() == "Hello world", "the client sees one clean answer, not the abandoned attempt")
        }
        let ids = engine.requests.map(\.requestID)
        #expect(ids.count == 2, "\(ids)")
        #expect(ids.last?.hasSuffix("-retry1") == true, "\(ids)")
    }

    @Test("a stream cut after visible text is not restarted: it ends with an error event")
    func noRetryAfterVisibleOutput() async throws {
        let engine = FakeEngine()
        let upstream = EngineUpstream(engine: CutAfterFirstOutputClient(engine.client), retryWindow: .seconds(120))
        try await withAPI(upstream: upstream) { client in
            let (status, _, text) = try await client.post("/v1/completions", #"{"prompt":"Hi","stream":true}"#)
            #expect(status == .ok)
            let (events, _) = events(text)
            #expect(events.contains { $0["error"] != nil }, "\(text)")
            let texts = events.compactMap { $0["choices"]?[0]?["text"]?.stringValue }
            let first = FakeEngine.tokenizer.encode("Hello world", addSpecialTokens: false)[0]
            #expect(texts.joined() == FakeEngine.tokenizer.decode([first]), "the first token, then the error")
        }
        #expect(engine.requests.count == 1)
    }
}
