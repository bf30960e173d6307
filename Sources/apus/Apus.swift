import ArgumentParser

@main
struct Apus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apus",
        abstract: "Apus: an LLM serving cluster (api, router, engine-core, runner) over length-prefixed protobuf.",
        subcommands: [
            ServeCommand.self, APICommand.self, RouterCommand.self, EngineCoreCommand.self, RunnerCommand.self,
            ProbeCommand.self, BenchCommand.self, SimCommand.self,
        ])
}

/// Splits "host:port" (IPv6 as "[::1]:port").
func parseHostPort(_ s: String) throws -> (String, Int) {
    guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port)
    else { throw ValidationError("expected HOST:PORT, got \"\(s)\"") }
    var host = String(s[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    guard !host.isEmpty else { throw ValidationError("expected HOST:PORT, got \"\(s)\"") }
    return (host, port)
}
