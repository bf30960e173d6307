import ApusBench
import ArgumentParser
import Foundation
import Scheduling

/// `apus sim TRACE.json`: replays a workload through the real scheduler with a scripted executor (no model) and
/// prints one JSON line per step — for capacity planning and for holding Apus against vLLM's scheduler.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Replay a trace through the V1 scheduler; one JSON line per step (see README for the format).")

    @Argument(help: "Trace file (JSON), or - for standard input.")
    var trace: String

    func run() async throws {
        let data: Data
        if trace == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let d = FileManager.default.contents(atPath: trace) else {
                throw ValidationError("cannot read trace file \(trace)")
            }
            data = d
        }
        do {
            for line in try TraceSimulator.run(traceJSON: data) { print(line) }
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
