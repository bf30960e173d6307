import ArgumentParser

struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sim", abstract: "(not built yet)")

    func run() async throws {
        throw unfinished("sim")
    }
}
