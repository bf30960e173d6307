import Foundation
import Testing
import Wire

@Suite("apus probe against real processes", .serialized)
struct ProbeTests {
    @Test("exit codes: 0 serving, 1 bad arguments, 2 cannot connect, 3 call failed, 4 not serving")
    func exitCodes() async throws {
        let runner = try await ApusProcess(["runner", "--fake", "--port", "0", "--admin-port=-1"], name: "runner")
        defer { runner.stop() }
        // A runner whose KV cache is not initialized yet is alive but not serving.
        #expect(try runApus(["probe", runner.wireAddress]).code == 4)
        #expect(try runApus(["probe", runner.wireAddress, "--service", "no.such.Service"]).code == 3)
        #expect(try runApus(["probe", "not-an-address"]).code == 1)
        let engine = try await ApusProcess(
            ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port=-1",
             "--max-model-len", "256", "--num-gpu-blocks-override", "64"], name: "engine")
        defer { engine.stop() }
        let serving = try runApus(["probe", engine.wireAddress, "--service", "apus.v1.Engine"])
        #expect(serving.code == 0, "\(serving.output)")
        #expect(try runApus(["probe", runner.wireAddress]).code == 0)
        let port = engine.wirePort
        engine.stop()
        #expect(try runApus(["probe", "127.0.0.1:\(port)", "--connect-timeout", "0.5"]).code == 2)
    }
}
