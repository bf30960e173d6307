import NIOCore
import NIOPosix
import Wire

/// How the router service talks to its engines: timeouts, probe periods and the core's routing config.
///
/// Defaults: connect 2 s, first output 5 min, idle 60 s (docs/architecture.md §8.5); the engines are probed once a
/// second with a 500 ms deadline; load reports arrive at most every 50 ms.
public struct RouterServiceConfig: Sendable {
    /// Policy, health thresholds and retry budget of the pure core (in PD mode: of the decode pool).
    public var core: RouterConfig
    /// Non-nil: PD mode (docs/disaggregation.md §4); the prefill pool's core config. Its `maxAttempts` is taken as 1:
    /// a failed prefill leg is not retried, the decode engine computes the prompt instead.
    public var prefillPool: RouterConfig?
    /// This router's id in load reports and model info.
    public var routerID: String
    /// Shared secret presented at hello to every engine.
    public var authToken: String = ""
    /// TLS for the links to the engines; nil dials plaintext.
    public var tls: TLSConfiguration?
    /// Connecting to an engine (TCP + hello) must take at most this long.
    public var connectTimeout: Duration = .seconds(2)
    /// An upstream Generate must produce its first output within this time.
    public var firstTokenTimeout: Duration = .seconds(300)
    /// An upstream Generate may go at most this long between outputs.
    public var idleTimeout: Duration = .seconds(60)
    /// Period and deadline of the active `Health.Check` probes.
    public var healthCheckInterval: Duration = .seconds(1)
    public var healthCheckTimeout: Duration = .milliseconds(500)
    /// Minimum interval between an engine's load reports (`WatchLoad.interval_us`).
    public var loadReportInterval: Duration = .milliseconds(50)
    /// How often an engine reports even when nothing changes (`WatchLoad.heartbeat_us`): a quarter of the hung
    /// window, at most 500 ms, so reports keep coming through a long step and only a stopped engine falls silent.
    public var loadHeartbeat: Duration {
        .nanoseconds(Int64(clamping: min(core.health.hungAfter / 4, 500_000_000)))
    }
    /// Period of `RouterCore.tick` (hung engines, drains, timeouts).
    public var tickInterval: Duration = .milliseconds(50)
    /// Period of DNS re-resolution for engines given by name.
    public var dnsRefreshInterval: Duration = .seconds(10)
    /// How long an `Abort` to an engine may take (before a retry, on cancel).
    public var abortTimeout: Duration = .seconds(1)
    /// Pause before re-opening a broken monitoring stream (Watch, WatchLoad, SubscribeKVEvents).
    public var streamRetryDelay: Duration = .milliseconds(100)
    /// Keepalive on engine connections: a frozen engine's connection is declared dead after about 5 s.
    public var keepalive = RPCClient.Keepalive(interval: .seconds(2), timeout: .seconds(3))
    /// The event loops of the engine connections; the router's server should serve on the same group, and with
    /// one thread (`apus router`'s default) a request never changes threads inside the router.
    public var eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton

    public init(core: RouterConfig = RouterConfig(), routerID: String = "router-" + RPCServer.randomInstanceID().prefix(8))
    {
        self.core = core
        self.routerID = routerID
    }

    /// The RPC client configuration for one engine connection.
    var clientConfiguration: RPCClient.Configuration {
        var c = RPCClient.Configuration(service: "router")
        c.authToken = authToken
        c.tls = tls
        c.connectTimeout = connectTimeout
        c.keepalive = keepalive
        c.initialBackoff = .milliseconds(50)
        c.maxBackoff = .seconds(1)
        return c
    }
}

extension Duration {
    /// Whole nanoseconds (router clock units).
    var nanoseconds: UInt64 {
        let c = components
        return UInt64(max(0, c.seconds)) &* 1_000_000_000 &+ UInt64(max(0, c.attoseconds / 1_000_000_000))
    }
}
