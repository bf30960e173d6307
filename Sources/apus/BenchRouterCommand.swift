import ApusBench
import ArgumentParser
import RequestRouting

/// `apus bench router`: cost of one routing decision per policy.
struct BenchRouterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "router", abstract: "Routing decision cost per policy (RouterCore, no network).")

    @OptionGroup var output: BenchOutputOptions

    func run() throws {
        let lines = RouterBenchmark.run()
        if output.json {
            lines.forEach { print($0.hasPrefix("{") ? $0 : jsonObject(["line": $0])) }
        } else {
            lines.forEach { print($0) }
        }
    }
}
