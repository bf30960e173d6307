import Foundation
import NIOCore
import NIOPosix
@testable import Wire

/// A real RPC server on 127.0.0.1 with an ephemeral port, stopped when the body returns (or throws).
func withTestServer<R>(
    _ handlers: RPCHandlers, identity: RPCServer.Identity = .init(service: "test"),
    _ body: (_ port: Int) async throws -> R
) async throws -> R {
    let server = RPCServer(host: "127.0.0.1", port: 0, identity: identity, handlers: handlers)
    let task = Task { try await server.run() }
    defer { task.cancel() }
    let port = try await server.boundAddress().port!
    return try await body(port)
}

func testClient(_ port: Int, keepalive: RPCClient.Keepalive = .init()) -> RPCClient {
    var config = RPCClient.Configuration(service: "test-client")
    config.keepalive = keepalive
    return RPCClient(host: "127.0.0.1", port: port, configuration: config)
}

/// Echo and stream handlers used across the RPC tests. Messages reuse wire types: the `service` string of a
/// HealthCheckRequest is the echoed text; GenerateOutput.new_token_ids carries a stream index.
enum TestMethods {
    static let echo = "test.Echo/Unary"
    static let count = "test.Echo/Count"
    static let forever = "test.Echo/Forever"
    static let fail = "test.Echo/Fail"
    static let slow = "test.Echo/Slow"
}

final class Flag: Sendable {
    private let box = NIOLockedValueBoxWrapper(false)
    func set() { box.set(true) }
    var isSet: Bool { box.get() }

    /// Polls until set or the timeout passes.
    func wait(timeout: Duration) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if isSet { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isSet
    }
}

import NIOConcurrencyHelpers

final class NIOLockedValueBoxWrapper<T: Sendable>: Sendable {
    private let box: NIOLockedValueBox<T>
    init(_ v: T) { box = NIOLockedValueBox(v) }
    func set(_ v: T) { box.withLockedValue { $0 = v } }
    func get() -> T { box.withLockedValue { $0 } }
}

func makeTestHandlers(cancelled: Flag = Flag()) -> RPCHandlers {
    var h = RPCHandlers()
    h.unary(TestMethods.echo) { (req: ApusV1.HealthCheckRequest, _) in req }
    h.unary(TestMethods.fail) { (req: ApusV1.HealthCheckRequest, _) -> ApusV1.HealthCheckRequest in
        struct Boom: Error, CustomStringConvertible { var description: String { "boom: the handler failed" } }
        throw Boom()
    }
    h.unary(TestMethods.slow) { (req: ApusV1.HealthCheckRequest, _) -> ApusV1.HealthCheckRequest in
        do {
            try await Task.sleep(for: .seconds(10))
        } catch {
            cancelled.set()
            throw error
        }
        return req
    }
    h.serverStreaming(TestMethods.count) {
        (req: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
        let n = Int(req.service) ?? 0
        for i in 0..<n { try writer.send(ApusV1.GenerateOutput(requestID: "s", newTokenIDs: [Int32(i)])) }
    }
    h.serverStreaming(TestMethods.forever) {
        (req: ApusV1.HealthCheckRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
        var i: Int32 = 0
        do {
            while true {
                try writer.send(ApusV1.GenerateOutput(requestID: req.service, newTokenIDs: [i]))
                i += 1
                try await Task.sleep(for: .milliseconds(2))
            }
        } catch {
            cancelled.set()
            throw error
        }
    }
    return h
}
