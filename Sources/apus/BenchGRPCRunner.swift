import ApusBench
import Foundation
import Wire

/// Builds and runs Benchmarks/GRPCBench, the grpc-swift side of `apus bench wire`.
struct GRPCBenchRunner {
    let packagePath: String

    /// Uses `path`, or looks for Benchmarks/GRPCBench above the working directory and above this executable.
    init(packagePath path: String?) throws {
        if let path {
            self.packagePath = path
            return
        }
        let relative = "Benchmarks/GRPCBench/Package.swift"
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent())
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent(relative)
                if FileManager.default.fileExists(atPath: candidate.path) {
                    self.packagePath = candidate.deletingLastPathComponent().path
                    return
                }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw BenchError("cannot find \(relative); run from the Apus checkout or pass --grpc-package (or --skip-grpc)")
    }

    /// `swift build -c release --package-path <package>` (progress on stderr; the first build takes minutes).
    func build() throws {
        BenchLog.note("building the grpc-swift side: swift build -c release --package-path \(packagePath)")
        let status = try Self.exec(["swift", "build", "-c", "release", "--package-path", packagePath],
                                   captureOutput: false).status
        guard status == 0 else { throw BenchError("building \(packagePath) failed (exit \(status))") }
    }

    /// Runs the built binary with the plan and parses its JSON lines.
    func run(plan: WireBenchPlan) throws -> [WireBenchResult] {
        let binPath = try Self.exec(
            ["swift", "build", "-c", "release", "--package-path", packagePath, "--show-bin-path"], captureOutput: true)
        let bin = binPath.output.trimmingCharacters(in: .whitespacesAndNewlines) + "/grpc-bench"
        let result = try Self.exec(
            [bin, "--warmup", "\(plan.warmup)", "--iterations", "\(plan.iterations)",
             "--stream-messages", "\(plan.streamMessages)"], captureOutput: true)
        guard result.status == 0 else { throw BenchError("grpc-bench exited with \(result.status)") }
        let decoder = JSONDecoder()
        let rows = try result.output.split(separator: "\n").filter { $0.hasPrefix("{") }.map {
            try decoder.decode(WireBenchResult.self, from: Data($0.utf8))
        }
        guard rows.count == WireBenchWorkload.allCases.count else {
            throw BenchError("grpc-bench printed \(rows.count) results, expected \(WireBenchWorkload.allCases.count)")
        }
        return rows
    }

    /// Runs a command found on PATH (or by path); stdout captured when asked, stderr passed through.
    static func exec(_ argv: [String], captureOutput: Bool) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        let pipe = Pipe()
        process.standardOutput = captureOutput ? pipe : FileHandle.standardError
        try process.run()
        var data = Data()
        if captureOutput { data = pipe.fileHandleForReading.readDataToEndOfFile() }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
