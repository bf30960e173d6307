import Testing

@testable import Wire

/// The two ways a client reaches a handler table; the contract tests run on both and expect the same.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case socket
    case inProcess

    var testDescription: String { rawValue }

    /// Runs `body` with a client of `handlers`: over loopback TCP, or in process; closes the client afterwards.
    func withClient(
        _ handlers: RPCHandlers, identity: RPCServer.Identity = .init(service: "test"),
        _ body: (any RPCCaller) async throws -> Void
    ) async throws {
        switch self {
        case .socket:
            try await withTestServer(handlers, identity: identity) { port in
                try await Self.run(body, on: testClient(port))
            }
        case .inProcess:
            let client = InProcessRPCClient(handlers: handlers, identity: identity, service: "test-client")
            try await Self.run(body, on: client)
        }
    }

    private static func run(_ body: (any RPCCaller) async throws -> Void, on client: any RPCCaller) async throws {
        do {
            try await body(client)
        } catch {
            await client.close()
            throw error
        }
        await client.close()
    }
}

/// Methods beyond `makeTestHandlers()`: what a handler sees, failures mid-stream, batched writes, and a handler
/// that never answers (only a deadline or a cancel ends its call).
enum ContractMethods {
    static let context = "test.Contract/Context"
    static let failMidStream = "test.Contract/FailMidStream"
    static let batched = "test.Contract/Batched"
    static let hang = "test.Contract/Hang"

    static func handlers(cancelled: Flag = Flag(), started: Flag = Flag()) -> RPCHandlers {
        var h = makeTestHandlers(cancelled: cancelled)
        h.unary(hang) { (request: ApusV1.HealthCheckRequest, _) -> ApusV1.HealthCheckRequest in
            started.set()
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                cancelled.set()
                throw error
            }
            return request
        }
        h.unary(context) { (_: ApusV1.HealthCheckRequest, context: RPCContext) in
            let metadata = context.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            let deadline = context.deadline.map { _ in "deadline" } ?? "none"
            return ApusV1.HealthCheckRequest(service: "\(context.peerService) \(metadata) \(deadline)")
        }
        h.serverStreaming(failMidStream) {
            (_: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            try writer.send(ApusV1.GenerateOutput(requestID: "a", newTokenIDs: [0]))
            try writer.send(ApusV1.GenerateOutput(requestID: "a", newTokenIDs: [1]))
            throw RPCError(.resourceExhausted, "scripted: out of blocks")
        }
        h.serverStreaming(batched) {
            (request: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            let batch = RPCWriteBatch()
            for i in 0..<(Int(request.service) ?? 0) {
                batch.add(ApusV1.GenerateOutput(requestID: "b", newTokenIDs: [Int32(i)]), to: writer)
            }
            batch.flush()
        }
        return h
    }
}

@Suite("RPC contract: the same calls over TCP and in process")
struct RPCContractTests {
    @Test("a unary call returns the handler's response", arguments: Transport.allCases)
    func unary(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let reply = try await client.unary(
                TestMethods.echo, ApusV1.HealthCheckRequest(service: "héllo ✓"), as: ApusV1.HealthCheckRequest.self)
            #expect(reply.service == "héllo ✓")
        }
    }

    @Test("the handler sees the caller's service, the metadata and the deadline", arguments: Transport.allCases)
    func context(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let reply = try await client.unary(
                ContractMethods.context, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self,
                timeout: .seconds(600), metadata: [MetadataEntry("trace", "t-1")], waitForReady: false)
            #expect(reply.service == "test-client trace=t-1 deadline")
        }
    }

    @Test("a stream of 1,000 messages arrives complete and in order", arguments: Transport.allCases)
    func stream(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let stream = try await client.serverStream(
                TestMethods.count, ApusV1.HealthCheckRequest(service: "1000"), as: ApusV1.GenerateOutput.self)
            var received: [Int32] = []
            for try await message in stream { received += message.newTokenIDs }
            #expect(received == (0..<1000).map { Int32($0) })
        }
    }

    @Test("messages added to an RPCWriteBatch arrive at its flush, in order", arguments: Transport.allCases)
    func batched(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let stream = try await client.serverStream(
                ContractMethods.batched, ApusV1.HealthCheckRequest(service: "5"), as: ApusV1.GenerateOutput.self)
            var received: [Int32] = []
            for try await message in stream { received += message.newTokenIDs }
            #expect(received == [0, 1, 2, 3, 4])
        }
    }

    @Test("a handler's thrown error fails the call with INTERNAL and its message, from the peer",
          arguments: Transport.allCases)
    func handlerError(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(
                    TestMethods.fail, ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self)
            }
            #expect(error?.code == .internal)
            #expect(error?.message.contains("boom: the handler failed") == true)
            #expect(error?.origin == .peer)
        }
    }

    @Test("an RPCError thrown mid-stream ends the stream with its code after the messages sent before it",
          arguments: Transport.allCases)
    func errorMidStream(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            var received: [Int32] = []
            let error = await #expect(throws: RPCError.self) {
                let stream = try await client.serverStream(
                    ContractMethods.failMidStream, ApusV1.HealthCheckRequest(), as: ApusV1.GenerateOutput.self)
                for try await message in stream { received += message.newTokenIDs }
            }
            #expect(received == [0, 1])
            #expect(error == RPCError(.resourceExhausted, "scripted: out of blocks"))
        }
    }

    @Test("an unknown method fails with UNIMPLEMENTED naming it", arguments: Transport.allCases)
    func unknownMethod(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let error = await #expect(throws: RPCError.self) {
                try await client.unary(
                    "test.Nope/Missing", ApusV1.HealthCheckRequest(), as: ApusV1.HealthCheckRequest.self)
            }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("test.Nope/Missing") == true)
        }
    }

    @Test("bytes that are not the method's request fail the call with INVALID_ARGUMENT", arguments: Transport.allCases)
    func undecodableRequest(transport: Transport) async throws {
        try await transport.withClient(ContractMethods.handlers()) { client in
            let error = await #expect(throws: RPCError.self) {
                // Field 1 as a length-delimited string that runs past the end of the message.
                let stream = try await client.serverStreamEncoded(
                    TestMethods.count, [0x0A, 0x7F, 0x41], timeout: nil, metadata: [], waitForReady: false)
                for try await _ in stream {}
            }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test("a consumer that stops reading a stream cancels the handler", arguments: Transport.allCases)
    func stopReading(transport: Transport) async throws {
        let cancelled = Flag()
        try await transport.withClient(ContractMethods.handlers(cancelled: cancelled)) { client in
            let seen = try await Self.readThree(client)
            #expect(seen == 3)
            #expect(await cancelled.wait(timeout: .seconds(30)))
        }
    }

    /// Reads three messages of an endless stream, then drops it.
    static func readThree(_ client: any RPCCaller) async throws -> Int {
        let stream = try await client.serverStream(
            TestMethods.forever, ApusV1.HealthCheckRequest(service: "x"), as: ApusV1.GenerateOutput.self)
        var seen = 0
        for try await _ in stream {
            seen += 1
            if seen == 3 { break }
        }
        return seen
    }

    @Test(
        "cancelling the caller's task cancels a unary call and its handler", .timeLimit(.minutes(1)),
        arguments: Transport.allCases)
    func cancelUnary(transport: Transport) async throws {
        let (cancelled, started) = (Flag(), Flag())
        try await transport.withClient(ContractMethods.handlers(cancelled: cancelled, started: started)) { client in
            let call = Task {
                try await client.unary(
                    ContractMethods.hang, ApusV1.HealthCheckRequest(service: "x"), as: ApusV1.HealthCheckRequest.self)
            }
            #expect(await started.wait(timeout: .seconds(30)))
            call.cancel()
            let error = await #expect(throws: RPCError.self) { try await call.value }
            #expect(error?.code == .cancelled)
            #expect(await cancelled.wait(timeout: .seconds(30)))
        }
    }

    @Test("RPCEncodedResponseStream.cancel ends iteration with the given error and cancels the handler",
          arguments: Transport.allCases)
    func cancelEncoded(transport: Transport) async throws {
        let cancelled = Flag()
        try await transport.withClient(ContractMethods.handlers(cancelled: cancelled)) { client in
            let stream = try await client.serverStreamEncoded(
                TestMethods.forever, ApusV1.HealthCheckRequest(service: "e").encoded(), timeout: nil, metadata: [],
                waitForReady: false)
            var seen = 0
            let error = await #expect(throws: RPCError.self) {
                for try await bytes in stream {
                    #expect(try ApusV1.GenerateOutput(decoding: bytes).requestID == "e")
                    seen += 1
                    if seen == 2 { stream.cancel(RPCError(.deadlineExceeded, "killed by the test")) }
                }
            }
            #expect(error == RPCError(.deadlineExceeded, "killed by the test"))
            #expect(await cancelled.wait(timeout: .seconds(30)))
        }
    }

    /// The handler never answers, so only the deadline can end the call (a missed one hits the time limit).
    @Test(
        "a call past its deadline fails with DEADLINE_EXCEEDED and the handler is cancelled", .timeLimit(.minutes(1)),
        arguments: Transport.allCases)
    func deadline(transport: Transport) async throws {
        let cancelled = Flag()
        try await transport.withClient(ContractMethods.handlers(cancelled: cancelled)) { client in
            await #expect(throws: RPCError(.deadlineExceeded, "deadline exceeded")) {
                _ = try await client.unary(
                    ContractMethods.hang, ApusV1.HealthCheckRequest(service: "x"), as: ApusV1.HealthCheckRequest.self,
                    timeout: .milliseconds(100))
            }
            #expect(await cancelled.wait(timeout: .seconds(30)))
        }
    }

    @Test("the hello names the server's service and instance id", arguments: Transport.allCases)
    func hello(transport: Transport) async throws {
        let identity = RPCServer.Identity(service: "engine-core", instanceID: "0123456789abcdef")
        try await transport.withClient(ContractMethods.handlers(), identity: identity) { client in
            let hello = try await client.serverHello()
            #expect(hello.service == "engine-core")
            #expect(hello.instanceID == "0123456789abcdef")
        }
    }
}
