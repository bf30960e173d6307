import Foundation
import ServingCore
import Testing
import Wire

/// A real runner process started with the LoRA flags, driven over the Runner service.
@Suite("Runner LoRA flags over the wire", .serialized)
struct RunnerLoRAServiceTests {
    static let fixtures = ApusProcess.repositoryRoot.appendingPathComponent("Tests/Fixtures")

    static func newRequest(_ id: String, blocks: [UInt32], lora: String?) -> ApusV1.NewRequestData {
        var params = SamplingParams()
        params.temperature = 0
        let path = lora.map { fixtures.appendingPathComponent("lora/tiny-llama/\($0)").path } ?? ""
        return ApusV1.NewRequestData(
            reqID: id, promptTokenIDs: [11, 40, 99, 7, 12], samplingParams: params, blockIDs: blocks,
            numComputedTokens: 0, numScheduledTokens: 5, loraName: lora ?? "", loraPath: path)
    }

    static func execute(_ c: RPCClient, _ step: ApusV1.SchedulerOutput) async throws -> ApusV1.ModelRunnerOutput {
        try await c.unary("apus.v1.Runner/Execute", step, as: ApusV1.ModelRunnerOutput.self)
    }

    /// Without --enable-lora, Describe reports 0 and adapters are refused.
    @Test("Describe reports --max-lora-rank; a bad adapter is INVALID_ARGUMENT and the runner serves on")
    func loraFlags() async throws {
        let model = Self.fixtures.appendingPathComponent("models/tiny-llama").path
        for enabled in [true, false] {
            let flags = enabled ? ["--enable-lora", "--max-lora-rank", "8", "--max-cpu-loras", "2"] : []
            let runner = try await ApusProcess(
                ["runner", "--model", model, "--port", "0", "--admin-port=-1"] + flags, name: "runner")
            defer { runner.stop() }
            let c = client(runner.wirePort)
            let d = try await c.unary(
                "apus.v1.Runner/Describe", ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
            #expect(d.maxLoraRank == (enabled ? 8 : 0))
            _ = try await c.unary(
                "apus.v1.Runner/InitializeCache", ApusV1.InitializeCacheRequest(numBlocks: 32, blockSize: 16),
                as: ApusV1.InitializeCacheResponse.self)
            func expectRejected(_ step: ApusV1.SchedulerOutput, _ words: [String]) async {
                do {
                    _ = try await Self.execute(c, step)
                    Issue.record("expected INVALID_ARGUMENT for \(words)")
                } catch let e as RPCError {
                    #expect(e.code == .invalidArgument, "\(e)")
                    for w in words { #expect(e.message.contains(w), "\(e.message)") }
                } catch {
                    Issue.record("unexpected \(error)")
                }
            }
            if enabled {
                // r16-rslora has rank 16, above this runner's 8.
                await expectRejected(
                    ApusV1.SchedulerOutput(
                        stepID: 1, scheduledNewReqs: [Self.newRequest("a", blocks: [0], lora: "r16-rslora")]),
                    ["request 'a'", "r16-rslora", "rank 16"])
                let out = try await Self.execute(
                    c,
                    ApusV1.SchedulerOutput(
                        stepID: 2,
                        scheduledNewReqs: [
                            Self.newRequest("b", blocks: [1], lora: "r8-all"),
                            Self.newRequest("c", blocks: [2], lora: nil),
                        ]))
                #expect(out.reqIDs == ["b", "c"] && out.sampledTokenIDs.allSatisfy { $0.count == 1 })
            } else {
                await expectRejected(
                    ApusV1.SchedulerOutput(
                        stepID: 1, scheduledNewReqs: [Self.newRequest("a", blocks: [0], lora: "r8-all")]),
                    ["--enable-lora"])
            }
            await c.close()
        }
    }
}
