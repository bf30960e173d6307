import ArgumentParser
import Foundation
import Wire

/// `apus probe HOST:PORT`: a Kubernetes exec probe with grpc_health_probe's exit codes.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Health.Check a service: exit 0 serving, 1 bad arguments, 2 cannot connect, 3 call failed, 4 not serving.")

    @Argument(help: "HOST:PORT of the service's wire port.")
    var address: String

    @Option(help: "Service name to check (\"\" = the server as a whole).")
    var service: String = ""

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for the connection and hello.")
    var connectTimeout: Double = 1

    @Option(name: .customLong("rpc-timeout"), help: "Seconds to wait for the Check reply.")
    var rpcTimeout: Double = 1

    @Option(name: .customLong("auth-token"), help: "Shared secret presented at hello, if the server requires one.")
    var authToken: String = ProcessInfo.processInfo.environment["APUS_AUTH_TOKEN"] ?? ""

    @Option(name: .customLong("tls-ca"), help: "PEM CA file: probe over TLS and verify the server against it.")
    var tlsCA: String?

    @Option(name: .customLong("tls-cert"), help: "PEM client certificate for a server that requires mutual TLS.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    func run() async throws {
        guard let (host, port) = try? parseHostPort(address), connectTimeout > 0, rpcTimeout > 0 else {
            FileHandle.standardError.write(Data("error: bad arguments (expected HOST:PORT and positive timeouts)\n".utf8))
            throw ExitCode(HealthProbe.Outcome.badArguments.rawValue)
        }
        let (outcome, line) = await HealthProbe.check(
            host: host, port: port, service: service, connectTimeout: .milliseconds(Int(connectTimeout * 1000)),
            rpcTimeout: .milliseconds(Int(rpcTimeout * 1000)), authToken: authToken,
            tls: tlsCA == nil && tlsCert == nil
                ? nil : .client(trustRoots: tlsCA, certificateChain: tlsCert, privateKey: tlsKey))
        if outcome == .serving {
            print(line)
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        throw ExitCode(outcome.rawValue)
    }
}
