import ApusBench
import ArgumentParser
import Foundation
import Scheduling

/// `apus bench scheduler`: µs per schedule() + updateFromOutput() step (issue 3 workload).
struct BenchSchedulerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "µs per scheduler step for 64, 256 and 1,024 requests.")

    @OptionGroup var output: BenchOutputOptions

    @Option(name: .customLong("requests"), parsing: .upToNextOption, help: "Request counts to run.")
    var requests: [Int] = [64, 256, 1_024]

    func run() throws {
        for r in SchedulerBenchmark.run(requestCounts: requests) {
            if output.json {
                print(r.jsonLine)
            } else {
                print(String(format: "%5d requests, %5d steps: %.2f µs/step mean, p50 %.2f, p99 %.2f; %.0f steps/s",
                             r.requests, r.steps, r.usPerStepMean, r.usPerStepP50, r.usPerStepP99, r.stepsPerS))
            }
        }
    }
}
