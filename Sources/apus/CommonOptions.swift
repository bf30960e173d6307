import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import Wire

/// Flags every service shares: where it listens and how it authenticates.
struct ServiceOptions: ParsableArguments {
    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "Wire (RPC) port; 0 picks a free one.")
    var port: Int

    @Option(name: .customLong("admin-port"), help: "HTTP port for /livez, /readyz, /metrics; 0 picks a free one, -1 disables.")
    var adminPort: Int = 0

    @Option(name: .customLong("auth-token"), help: "Shared secret required at hello on every wire link (env APUS_AUTH_TOKEN).")
    var authToken: String = ProcessInfo.processInfo.environment["APUS_AUTH_TOKEN"] ?? ""

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    init() {}

    func makeLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

/// Process-wide setup: logging to stderr, the Prometheus registry behind swift-metrics.
enum ProcessSetup {
    nonisolated(unsafe) private static var registryStorage: PrometheusCollectorRegistry?

    /// Call once, first thing in a service command.
    static func bootstrap(logLevel: String) -> PrometheusCollectorRegistry {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        registryStorage = registry
        return registry
    }
}

/// The one machine-readable line a service prints on stdout once it listens (tests and `apus serve` read it).
func announce(_ service: String, wire: SocketAddress, admin: SocketAddress?) {
    var line = "LISTENING \(service) wire=\(wire.ipAddress ?? "?"):\(wire.port ?? 0)"
    if let admin { line += " admin=\(admin.ipAddress ?? "?"):\(admin.port ?? 0)" }
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Parses sizes like "512MiB", "2GiB", "1.5GB", "1048576".
func parseBytes(_ s: String) throws -> Int {
    let units: [(String, Double)] = [
        ("KiB", 0x1p10), ("MiB", 0x1p20), ("GiB", 0x1p30), ("TiB", 0x1p40),
        ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("K", 0x1p10), ("M", 0x1p20), ("G", 0x1p30), ("B", 1),
    ]
    let t = s.trimmingCharacters(in: .whitespaces)
    for (suffix, scale) in units where t.hasSuffix(suffix) {
        guard let v = Double(t.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), v >= 0 else { break }
        return Int(v * scale)
    }
    guard let v = Int(t), v >= 0 else { throw ValidationError("cannot read \"\(s)\" as a size (e.g. 512MiB, 2GiB)") }
    return v
}
