import ArgumentParser

struct RunnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runner", abstract: "(not built yet)")

    func run() async throws {
        throw unfinished("runner")
    }
}
