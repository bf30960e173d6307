import ApusBench
import ArgumentParser
import Wire

/// `apus bench messages`: protobuf-c conversion + packing cost of the hot wire messages.
struct BenchMessagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages", abstract: "Encode/decode ns per hot wire message (protobuf-c).")

    @OptionGroup var output: BenchOutputOptions

    func run() throws {
        let lines = WireMessageBenchmark.run()
        if output.json {
            lines.forEach { print($0.hasPrefix("{") ? $0 : jsonObject(["line": $0])) }
        } else {
            lines.forEach { print($0) }
        }
    }
}
