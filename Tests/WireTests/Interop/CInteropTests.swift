import Foundation
import Testing
@testable import Wire

/// A C program built against the committed protoc-c output talks to a Swift server (docs/architecture.md §3.5: a
/// runner in C or C++ for an accelerator can link the same generated code).
@Suite("C interop")
struct CInteropTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Compiles Tests/Fixtures/c-interop/health_check.c with the generated sources; nil if no C compiler.
    static func build() throws -> URL? {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("apus-c-health-\(UUID().uuidString)")
        let proto = repo.appendingPathComponent("Sources/CApusProto")
        let sources = try FileManager.default.contentsOfDirectory(atPath: proto.path).filter { $0.hasSuffix(".c") }
            .map { proto.appendingPathComponent($0).path }
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        cc.arguments = ["cc", "-std=c11", "-Wall", "-Werror", "-I", proto.appendingPathComponent("include").path,
                        repo.appendingPathComponent("Tests/Fixtures/c-interop/health_check.c").path]
            + sources + ["-lprotobuf-c", "-o", out.path]
        try cc.run()
        cc.waitUntilExit()
        return cc.terminationStatus == 0 ? out : nil
    }

    static func run(_ binary: URL, _ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("a C client does the hello and a Health.Check against a Swift server and reads SERVING")
    func cClientReadsServing() async throws {
        let binary = try #require(try Self.build(), "the C interop program must compile (cc + libprotobuf-c-dev)")
        defer { try? FileManager.default.removeItem(at: binary) }
        let health = HealthService(statuses: ["": .serving, "apus.v1.Runner": .notServing])
        try await withTestServer(health.handlers, identity: .init(service: "runner")) { port in
            let (code, output) = try Self.run(binary, ["\(port)"])
            #expect(code == 0, "\(output)")
            #expect(output.contains("server: runner (protocol 1)"))
            #expect(output.contains("status: SERVING"))
            let (notServing, _) = try Self.run(binary, ["\(port)", "apus.v1.Runner"])
            #expect(notServing == 4)
            let (unknown, text) = try Self.run(binary, ["\(port)", "nope"])
            #expect(unknown == 3 && text.contains("status 5"))
        }
    }
}
