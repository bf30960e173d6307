import ArgumentParser

struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "router", abstract: "(not built yet)")

    func run() async throws {
        throw unfinished("router")
    }
}
