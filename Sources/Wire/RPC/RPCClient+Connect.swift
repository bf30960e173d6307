import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

extension RPCClient {
    /// The live connection, connecting (or waiting out the backoff when `waitForReady`) as needed.
    func connection(waitForReady: Bool, deadline: ContinuousClock.Instant?) async throws -> RPCClientConnection {
        while true {
            let step = state.withLockedValue { s -> ConnectStep in
                if s.closed { return .fail(RPCError(.unavailable, "client for \(target) is closed", origin: .transport)) }
                if let c = s.connection, c.channel.isActive { return .ready(c) }
                s.connection = nil
                if let f = s.connecting { return .wait(f) }
                if let after = s.retryAfter, ContinuousClock.now < after {
                    return .backoff(after, s.lastError ?? RPCError(.unavailable, "\(target) unavailable", origin: .transport))
                }
                let f = makeConnection()
                s.connecting = f
                return .wait(f)
            }
            switch step {
            case .ready(let c): return c
            case .fail(let e): throw e
            case .wait(let f):
                do {
                    return try await f.get()
                } catch {
                    let e = RPCError.from(error)
                    guard waitForReady, !Self.passed(deadline) else { throw e }
                    try await Task.sleep(for: .milliseconds(20))
                }
            case .backoff(let until, let lastError):
                guard waitForReady else {
                    let ms = ContinuousClock.now.duration(to: until).components.attoseconds / 1_000_000_000_000_000
                    throw RPCError(.unavailable, "\(lastError.message) (next reconnect attempt in \(ms) ms)", origin: .transport)
                }
                if let deadline, deadline < until { throw RPCError(.deadlineExceeded, "deadline exceeded waiting for \(target)") }
                try await Task.sleep(until: until, clock: .continuous)
            }
        }
    }

    enum ConnectStep {
        case ready(RPCClientConnection)
        case wait(EventLoopFuture<RPCClientConnection>)
        case backoff(ContinuousClock.Instant, RPCError)
        case fail(RPCError)
    }

    static func passed(_ deadline: ContinuousClock.Instant?) -> Bool {
        deadline.map { ContinuousClock.now >= $0 } ?? false
    }

    private func makeConnection() -> EventLoopFuture<RPCClientConnection> {
        let loop = group.next()
        let helloPromise = loop.makePromise(of: ApusV1.Hello.self)
        let hello = ApusV1.Hello(
            protocolVersion: WireProtocol.version, service: configuration.service,
            instanceID: configuration.instanceID, authToken: configuration.authToken,
            maxFrameBytes: UInt32(clamping: configuration.maxFrameBytes))
        let keepalive = configuration.keepalive
        let lastRead = self.lastRead
        let maxFrameBytes = configuration.maxFrameBytes
        let closeReason = NIOLockedValueBox<RPCError?>(nil)
        let tls = configuration.tls
        let host = self.host
        let timeout = configuration.connectTimeout.components
        let future = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(timeout.seconds * 1000 + timeout.attoseconds / 1_000_000_000_000_000))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(OpenSSLHandler.rpcClient(tls, host: host))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(FrameDecoder(maxFrameBytes: maxFrameBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        ClientConnectionHandler(
                            hello: hello, helloPromise: helloPromise, keepalive: keepalive, closeReason: closeReason,
                            lastRead: lastRead))
                }
            }
            .connect(host: host, port: port)
            .flatMap { channel in
                helloPromise.futureResult.map { RPCClientConnection(channel: channel, serverHello: $0, closeReason: closeReason) }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
            }
            .flatMapErrorThrowing { [target] error -> RPCClientConnection in
                if let e = error as? RPCError { throw e }
                throw RPCError(.unavailable, "cannot connect to \(target): \(error)", origin: .transport)
            }
        future.whenComplete { [self] (result: Result<RPCClientConnection, any Error>) in
            state.withLockedValue { s in
                s.connecting = nil
                switch result {
                case .success(let c):
                    s.connection = c
                    s.failures = 0
                    s.retryAfter = nil
                    s.lastError = nil
                case .failure(let error):
                    s.failures += 1
                    s.lastError = RPCError.from(error)
                    s.retryAfter = ContinuousClock.now + backoff(afterFailures: s.failures)
                }
            }
        }
        return future
    }

    /// Exponential backoff with ±20% jitter: initial × 2^(n−1), capped at maxBackoff.
    func backoff(afterFailures n: Int) -> Duration {
        let base = configuration.initialBackoff * (1 << min(n - 1, 16))
        let capped = min(base, configuration.maxBackoff)
        return capped * Double.random(in: 0.8...1.2)
    }
}
