import ApusBench
import ArgumentParser
import Foundation
import Wire

/// `apus bench wire`: Apus's RPC runtime against grpc-swift-2 on the same three workloads, in one run.
///
/// The Apus side runs in this process (`WireRPCBenchmark`); the grpc-swift side is Benchmarks/GRPCBench, built on
/// demand in release and run as a child process with the same plan. Both put server and client in one process on
/// 127.0.0.1 with one connection. With `--rounds R` the two sides alternate R times and each keeps its best round
/// (lowest p50, highest stream rate), since this machine is shared and a contended round only adds noise.
struct BenchWireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wire",
        abstract: "Unary p50/p99 (small, 4,000-token) and stream throughput: Apus RPC vs grpc-swift-2 on loopback.",
        discussion: """
            The grpc-swift side (Benchmarks/GRPCBench) is built on demand in release; the first build takes \
            10–25 minutes on 2 cores. Use --skip-grpc to measure Apus alone.
            """)

    @OptionGroup var output: BenchOutputOptions

    @Option(help: "Untimed unary calls per workload (and messages in the untimed warm-up stream).")
    var warmup: Int = 2_000

    @Option(help: "Timed sequential unary calls per unary workload.")
    var iterations: Int = 20_000

    @Option(name: .customLong("stream-messages"), help: "Messages in the timed server stream.")
    var streamMessages: Int = 200_000

    @Option(help: "Alternate Apus and grpc-swift this many times; each keeps its best round.")
    var rounds: Int = 1

    @Option(name: .customLong("grpc-package"),
            help: "Path of the Benchmarks/GRPCBench package (default: found from the working directory or apus).")
    var grpcPackage: String?

    @Flag(name: .customLong("skip-grpc"), help: "Measure Apus only.")
    var skipGRPC = false

    func validate() throws {
        guard warmup > 0, iterations > 0, streamMessages > 0, rounds > 0 else {
            throw ValidationError("--warmup, --iterations, --stream-messages and --rounds must be positive")
        }
    }

    func run() async throws {
        let plan = WireBenchPlan(warmup: warmup, iterations: iterations, streamMessages: streamMessages)
        let grpc = skipGRPC ? nil : try GRPCBenchRunner(packagePath: grpcPackage)
        try grpc?.build()
        var apusRounds: [[WireBenchResult]] = []
        var grpcRounds: [[WireBenchResult]] = []
        for round in 1...rounds {
            if rounds > 1 { BenchLog.note("round \(round) of \(rounds)") }
            apusRounds.append(try await WireRPCBenchmark.run(plan: plan))
            if let grpc { grpcRounds.append(try grpc.run(plan: plan)) }
        }
        let apus = WireBenchReport.best(apusRounds)
        let other = grpcRounds.isEmpty ? [] : WireBenchReport.best(grpcRounds)
        if output.json {
            (apus + other).forEach { print($0.jsonLine) }
        } else {
            WireBenchReport.humanLines(apus: apus, grpc: other, plan: plan, rounds: rounds).forEach { print($0) }
        }
    }
}
