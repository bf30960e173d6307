import Foundation

/// Progress notes on stderr, so stdout stays the benchmark's result.
enum BenchLog {
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
    }
}
