import ApusBench
import ArgumentParser

/// `apus bench async-scheduling [--cpu-only] [--rounds N]`: the engine loop with async scheduling on and off.
struct BenchAsyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "async-scheduling",
        abstract: "Engine-loop steps/s and tokens/s with async scheduling off and on (scripted executor, 64 requests).")

    @OptionGroup var output: BenchOutputOptions

    @Flag(name: .customLong("cpu-only"), help: "Only the cases whose step spins a core (a CPU runner).")
    var cpuOnly = false

    @Option(help: "Runs of each case, async off then on.")
    var rounds: Int = 2

    func run() async throws {
        let cases = AsyncSchedulingBenchmark.cases.filter { !cpuOnly || $0.cpu != nil }
        let lines = try await AsyncSchedulingBenchmark.run(cases: cases, rounds: max(1, rounds))
        lines.forEach { print(output.json ? jsonObject(["line": $0]) : $0) }
    }
}
