import Testing

@testable import Wire

@Suite("In-process RPC client")
struct InProcessRPCClientTests {
    @Test("close ends calls in flight with UNAVAILABLE from the transport, cancels their handlers, refuses new calls")
    func close() async throws {
        let cancelled = Flag()
        let client = InProcessRPCClient(
            handlers: ContractMethods.handlers(cancelled: cancelled), identity: .init(service: "test"))
        let stream = try await client.serverStream(
            TestMethods.forever, ApusV1.HealthCheckRequest(service: "x"), as: ApusV1.GenerateOutput.self)
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next() != nil)
        await client.close()
        let error = await #expect(throws: RPCError.self) {
            while try await iterator.next() != nil {}
        }
        #expect(error?.code == .unavailable)
        #expect(error?.origin == .transport)
        #expect(await cancelled.wait(timeout: .seconds(30)))
        let refused = await #expect(throws: RPCError.self) {
            try await client.unary(TestMethods.echo, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self)
        }
        #expect(refused?.code == .unavailable)
        #expect(refused?.origin == .transport)
    }

    @Test("a request over the server's frame limit fails that call with RESOURCE_EXHAUSTED before any handler runs")
    func requestTooLarge() async throws {
        let client = InProcessRPCClient(
            handlers: ContractMethods.handlers(), identity: .init(service: "test", maxFrameBytes: 64))
        let error = await #expect(throws: RPCError.self) {
            try await client.unary(
                TestMethods.echo, ApusV1.HealthCheckRequest(service: String(repeating: "x", count: 100)),
                as: ApusV1.HealthCheckRequest.self)
        }
        #expect(error?.code == .resourceExhausted)
        #expect(try await client.unary(TestMethods.echo, ApusV1.HealthCheckRequest(service: "ok"),
                                       as: ApusV1.HealthCheckRequest.self).service == "ok")
        await client.close()
    }

    @Test("a writer's sends after its call ended are refused, so a handler learns its caller left")
    func sendAfterEnd() async throws {
        let refused = Flag()
        var handlers = RPCHandlers()
        let (released, release) = AsyncStream<Void>.makeStream()
        handlers.serverStreaming("test.Late/Stream") {
            (_: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            try writer.send(ApusV1.GenerateOutput(requestID: "first"))
            for await _ in released { break }
            do {
                try writer.send(ApusV1.GenerateOutput(requestID: "late"))
            } catch let error as RPCError where error.code == .cancelled {
                refused.set()
            }
        }
        let client = InProcessRPCClient(handlers: handlers, identity: .init(service: "test"))
        let stream = try await client.serverStreamEncoded(
            "test.Late/Stream", [], timeout: nil, metadata: [], waitForReady: false)
        var iterator = stream.makeAsyncIterator()
        #expect(try await iterator.next() != nil)
        stream.cancel(RPCError(.cancelled, "gone"))
        release.yield()
        #expect(await refused.wait(timeout: .seconds(30)))
        await client.close()
    }
}
