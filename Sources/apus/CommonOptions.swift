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

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp(
        "PEM certificate chain: serve TLS on the wire port and present it to services this one dials.",
        discussion: "Its SANs must name the host others dial; give it serverAuth and clientAuth usage."))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("tls-ca"), help: ArgumentHelp(
        "PEM CA file: dial other services over TLS and verify them (and wire clients, with --tls-require-client-cert).",
        discussion: "Without it, TLS links to other services verify against the system's roots."))
    var tlsCA: String?

    @Flag(name: .customLong("tls-require-client-cert"), help: "Mutual TLS: refuse wire clients without a certificate from --tls-ca.")
    var tlsRequireClientCert = false

    init() {}

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("give --tls-cert and --tls-key together") }
        if tlsRequireClientCert && (tlsCert == nil || tlsCA == nil) {
            throw ValidationError("--tls-require-client-cert needs --tls-cert, --tls-key and --tls-ca")
        }
    }

    /// TLS for this service's wire port: on with --tls-cert; nil serves plaintext.
    func serverTLS() -> TLSConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        return .server(
            certificateChain: tlsCert, privateKey: tlsKey, trustRoots: tlsCA,
            requireClientCertificate: tlsRequireClientCert)
    }

    /// TLS for links this service dials: on with --tls-ca or --tls-cert (presented as the client certificate).
    func clientTLS() -> TLSConfiguration? {
        guard tlsCA != nil || tlsCert != nil else { return nil }
        return .client(trustRoots: tlsCA, certificateChain: tlsCert, privateKey: tlsKey)
    }

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
