import ArgumentParser

struct EngineCoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engine-core", abstract: "(not built yet)")

    func run() async throws {
        throw unfinished("engine-core")
    }
}
