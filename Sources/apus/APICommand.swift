import ArgumentParser

struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "(not built yet)")

    func run() async throws {
        throw unfinished("api")
    }
}
