import NIOCore
import NIOPosix
import Testing
@testable import Wire

@Suite("RPC over loopback TCP")
struct RPCTests {
    @Test("a unary call returns the handler's response")
    func unary() async throws {
        try await withTestServer(makeTestHandlers()) { port in
            let client = testClient(port)
            let reply = try await client.unary(
                TestMethods.echo, ApusV1.HealthCheckRequest(service: "héllo ✓"), as: ApusV1.HealthCheckRequest.self)
            #expect(reply.service == "héllo ✓")
            await client.close()
        }
    }

    @Test("a server stream of 10,000 messages arrives complete and in order")
    func longStream() async throws {
        try await withTestServer(makeTestHandlers()) { port in
            let client = testClient(port)
            let stream = try await client.serverStream(
                TestMethods.count, ApusV1.HealthCheckRequest(service: "10000"), as: ApusV1.GenerateOutput.self)
            var expected: Int32 = 0
            for try await message in stream {
                #expect(message.newTokenIDs == [expected])
                expected += 1
            }
            #expect(expected == 10_000)
            await client.close()
        }
    }

    @Test("a handler registered on the event loop runs (and resumes) on its connection's loop thread; others do not")
    func handlerOnEventLoop() async throws {
        var handlers = RPCHandlers()
        for (method, onLoop) in [("test.Loop/On", true), ("test.Loop/Off", false)] {
            handlers.serverStreamingEncoded(method, onEventLoop: onLoop) {
                (_: [UInt8], _, writer: RPCStreamWriter<ApusV1.HealthCheckRequest>) in
                let before = MultiThreadedEventLoopGroup.currentEventLoop != nil
                try await Task.sleep(for: .milliseconds(1))
                let after = MultiThreadedEventLoopGroup.currentEventLoop != nil
                try writer.send(ApusV1.HealthCheckRequest(service: "\(before) \(after)"))
            }
        }
        try await withTestServer(handlers) { port in
            let client = testClient(port)
            for (method, expected) in [("test.Loop/On", "true true"), ("test.Loop/Off", "false false")] {
                var answers: [String] = []
                let stream = try await client.serverStream(
                    method, ApusV1.HealthCheckRequest(service: ""), as: ApusV1.HealthCheckRequest.self)
                for try await message in stream { answers.append(message.service) }
                #expect(answers == [expected], "\(method)")
            }
            await client.close()
        }
    }

    @Test("a client that stops reading a stream cancels the server handler")
    func clientCancelReachesHandler() async throws {
        let cancelled = Flag()
        try await withTestServer(makeTestHandlers(cancelled: cancelled)) { port in
            let client = testClient(port)
            let task = Task {
                let stream = try await client.serverStream(
                    TestMethods.forever, ApusV1.HealthCheckRequest(service: "x"), as: ApusV1.GenerateOutput.self)
                var seen = 0
                for try await _ in stream {
                    seen += 1
                    if seen == 3 { break }
                }
                return seen
            }
            let seen = try await task.value
            #expect(seen == 3)
            #expect(await cancelled.wait(timeout: .seconds(2)))
            await client.close()
        }
    }

    @Test("a call past its deadline fails with DEADLINE_EXCEEDED and the handler is cancelled")
    func deadlineExceeded() async throws {
        let cancelled = Flag()
        try await withTestServer(makeTestHandlers(cancelled: cancelled)) { port in
            let client = testClient(port)
            let start = ContinuousClock.now
            await #expect(throws: RPCError(.deadlineExceeded, "deadline exceeded")) {
                _ = try await client.unary(
                    TestMethods.slow, ApusV1.HealthCheckRequest(service: "x"), as: ApusV1.HealthCheckRequest.self,
                    timeout: .milliseconds(100))
            }
            #expect(ContinuousClock.now - start < .seconds(2))
            #expect(await cancelled.wait(timeout: .seconds(2)))
            await client.close()
        }
    }

    @Test("an unknown method fails with UNIMPLEMENTED naming it")
    func unknownMethod() async throws {
        try await withTestServer(makeTestHandlers()) { port in
            let client = testClient(port)
            do {
                _ = try await client.unary(
                    "test.Nope/Missing", ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self)
                Issue.record("expected UNIMPLEMENTED")
            } catch let error as RPCError {
                #expect(error.code == .unimplemented)
                #expect(error.message.contains("test.Nope/Missing"))
            }
            await client.close()
        }
    }

    @Test("a handler that throws fails the call with INTERNAL and its message; the connection keeps working")
    func handlerThrows() async throws {
        try await withTestServer(makeTestHandlers()) { port in
            let client = testClient(port)
            await #expect(throws: RPCError(.internal, "boom: the handler failed")) {
                _ = try await client.unary(TestMethods.fail, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self)
            }
            let reply = try await client.unary(
                TestMethods.echo, ApusV1.HealthCheckRequest(service: "still here"), as: ApusV1.HealthCheckRequest.self)
            #expect(reply.service == "still here")
            await client.close()
        }
    }

    @Test("a peer that disconnects mid-stream does not disturb calls on other connections")
    func peerDisconnectIsIsolated() async throws {
        let cancelled = Flag()
        try await withTestServer(makeTestHandlers(cancelled: cancelled)) { port in
            let leaving = testClient(port)
            let staying = testClient(port)
            let doomed = try await leaving.serverStream(
                TestMethods.forever, ApusV1.HealthCheckRequest(service: "a"), as: ApusV1.GenerateOutput.self)
            var it = doomed.makeAsyncIterator()
            _ = try await it.next()
            let survivor = try await staying.serverStream(
                TestMethods.count, ApusV1.HealthCheckRequest(service: "2000"), as: ApusV1.GenerateOutput.self)
            await leaving.close()
            var n = 0
            for try await _ in survivor { n += 1 }
            #expect(n == 2000)
            #expect(await cancelled.wait(timeout: .seconds(2)))
            await staying.close()
        }
    }

    @Test("1,000 concurrent calls on one connection all complete")
    func thousandConcurrentCalls() async throws {
        try await withTestServer(makeTestHandlers()) { port in
            let client = testClient(port)
            let replies = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<1000 {
                    group.addTask {
                        let r = try await client.unary(
                            TestMethods.echo, ApusV1.HealthCheckRequest(service: "\(i)"),
                            as: ApusV1.HealthCheckRequest.self)
                        return r.service == "\(i)"
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(replies == 1000)
            await client.close()
        }
    }

    @Test("calls to a port with no server fail fast with UNAVAILABLE; the client reconnects once it is up")
    func reconnectsWithBackoff() async throws {
        // Find a free port by binding and releasing it.
        let probe = RPCServer(host: "127.0.0.1", port: 0, identity: .init(service: "probe"), handlers: RPCHandlers())
        let probeTask = Task { try await probe.run() }
        let port = try await probe.boundAddress().port!
        probeTask.cancel()
        _ = await probeTask.result
        var config = RPCClient.Configuration(service: "test-client")
        config.initialBackoff = .milliseconds(50)
        let client = RPCClient(host: "127.0.0.1", port: port, configuration: config)
        do {
            _ = try await client.unary(TestMethods.echo, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self)
            Issue.record("expected UNAVAILABLE")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
        }
        let server = RPCServer(
            host: "127.0.0.1", port: port, identity: .init(service: "test"), handlers: makeTestHandlers())
        let serverTask = Task { try await server.run() }
        defer { serverTask.cancel() }
        _ = try await server.boundAddress()
        let reply = try await client.unary(
            TestMethods.echo, ApusV1.HealthCheckRequest(service: "back"), as: ApusV1.HealthCheckRequest.self,
            timeout: .seconds(5), waitForReady: true)
        #expect(reply.service == "back")
        await client.close()
    }
}
