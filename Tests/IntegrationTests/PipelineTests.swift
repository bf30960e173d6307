import Foundation
import ServingCore
import Testing
import Wire

/// One model replica split over several runner processes (pipeline stages), driven by one engine-core.
@Suite("Pipeline stages over runner processes", .serialized)
struct PipelineTests {
    /// Runners for `stages` pipeline stages of the embedded model, then an engine-core over them in order.
    static func startReplica(stages: Int, engineArguments: [String] = []) async throws -> [ApusProcess] {
        var runners: [ApusProcess] = []
        for i in 0..<stages {
            runners.append(
                try await ApusProcess(
                    ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1", "--pipeline-stage", "\(i)/\(stages)"],
                    name: "runner\(i)of\(stages)", timeout: .seconds(120)))
        }
        let engine = try await ApusProcess(
            ["engine-core", "--port", "0", "--admin-port=-1", "--max-model-len", "512", "--num-gpu-blocks-override", "256",
             "--max-num-batched-tokens", "48", "--max-num-seqs", "8"] + runners.flatMap { ["--runner", $0.wireAddress] } + engineArguments,
            name: "engine\(stages)", timeout: .seconds(120))
        return runners + [engine]
    }

    /// Greedy and seeded requests with prompts long enough to be chunked under a 48-token budget.
    static func requests() -> [ApusV1.GenerateRequest] {
        (0..<6).map { i in
            var params = SamplingParams()
            params.maxTokens = 12
            if i % 2 == 0 {
                params.temperature = 0
            } else {
                params.temperature = 1
                params.seed = UInt64(40 + i)
            }
            let prompt = (0..<(20 + 17 * i)).map { TokenID(($0 * 31 + i * 7) % 500 + 3) }
            return ApusV1.GenerateRequest(requestID: "p\(i)", promptTokenIDs: prompt, samplingParams: params)
        }
    }

    /// Every request's token ids, generated concurrently.
    static func tokens(_ engine: ApusProcess) async throws -> [String: [TokenID]] {
        let c = client(engine.wirePort)
        defer { Task { await c.close() } }
        return try await withThrowingTaskGroup(of: (String, [TokenID]).self) { group in
            for r in requests() {
                group.addTask {
                    var ids: [TokenID] = []
                    for try await o in try await c.serverStream(
                        "apus.v1.Engine/Generate", r, as: ApusV1.GenerateOutput.self)
                    {
                        ids += o.newTokenIDs
                    }
                    return (r.requestID, ids)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
    }

    @Test("a model split over two and over three runner processes generates exactly what one runner does")
    func stagesMatchOneRunner() async throws {
        var reference: [String: [TokenID]] = [:]
        for stages in [1, 2, 3] {
            let processes = try await Self.startReplica(stages: stages)
            defer { processes.reversed().forEach { $0.stop() } }
            let got = try await Self.tokens(processes.last!)
            #expect(got.values.allSatisfy { $0.count == 12 }, "\(stages) stages: \(got)")
            if stages == 1 { reference = got } else { #expect(got == reference, "\(stages) stages") }
        }
    }

    @Test("runners that do not cover the model's layers in order stop the engine-core with a message that says so")
    func badStageOrder() async throws {
        let second = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1", "--pipeline-stage", "1/2"], name: "stage1")
        defer { second.stop() }
        let (code, output) = try runApus(
            ["engine-core", "--port", "0", "--admin-port=-1", "--runner", second.wireAddress])
        #expect(code != 0)
        #expect(output.contains("must start at layer 0"), "\(output)")
    }

    @Test("a runner that restarts while the engine-core is idle is re-initialized, and the next request succeeds")
    func idleRunnerRestart() async throws {
        let runner = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "0", "--admin-port=-1"], name: "runner")
        let port = runner.wirePort
        let engine = try await ApusProcess(
            ["engine-core", "--port", "0", "--admin-port=-1", "--runner", runner.wireAddress, "--max-model-len", "512",
             "--num-gpu-blocks-override", "256"], name: "engine")
        defer { engine.stop() }
        let before = try await Self.tokens(engine)
        runner.kill9()
        let again = try await ApusProcess(
            ["runner", "--model", "embedded", "--port", "\(port)", "--admin-port=-1"], name: "runner-again")
        defer { again.stop() }
        let after = try await Self.tokens(engine)
        #expect(after == before)
    }
}
