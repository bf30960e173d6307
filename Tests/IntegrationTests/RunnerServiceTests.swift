import Foundation
import ServingCore
import Testing
import Wire

/// The real runner process (embedded model) driven directly over the Runner service.
@Suite("Runner service over the wire", .serialized)
struct RunnerServiceTests {
    static func newRequest(_ id: String, prompt: [TokenID], blocks: [UInt32]) -> ApusV1.NewRequestData {
        var params = SamplingParams()
        params.temperature = 0
        return ApusV1.NewRequestData(
            reqID: id, promptTokenIDs: prompt, samplingParams: params, blockIDs: blocks, numComputedTokens: 0,
            numScheduledTokens: UInt32(prompt.count))
    }

    static func execute(_ c: RPCClient, _ step: ApusV1.SchedulerOutput) async throws -> ApusV1.ModelRunnerOutput {
        try await c.unary("apus.v1.Runner/Execute", step, as: ApusV1.ModelRunnerOutput.self)
    }

    @Test("Describe, InitializeCache, a prefill and decodes; bad steps get INVALID_ARGUMENT and the runner keeps serving")
    func badStepsNeverCrash() async throws {
        let runner = try await ApusProcess(["runner", "--model", "embedded", "--port", "0", "--admin-port=-1"], name: "runner")
        defer { runner.stop() }
        let c = client(runner.wirePort)
        let d = try await c.unary("apus.v1.Runner/Describe", ApusV1.DescribeRequest(), as: ApusV1.RunnerDescription.self)
        #expect(d.vocabSize == 512 && d.kvCacheSpecs.first?.numLayers == 4)
        #expect(try runApus(["probe", runner.wireAddress]).code == 4, "not ready before InitializeCache")
        _ = try await c.unary(
            "apus.v1.Runner/InitializeCache", ApusV1.InitializeCacheRequest(numBlocks: 64, blockSize: 16),
            as: ApusV1.InitializeCacheResponse.self)
        #expect(try runApus(["probe", runner.wireAddress]).code == 0)

        let prompt: [TokenID] = [5, 6, 7, 8, 9, 10]
        let first = try await Self.execute(c, ApusV1.SchedulerOutput(
            stepID: 1, scheduledNewReqs: [Self.newRequest("a", prompt: prompt, blocks: [3])]))
        #expect(first.reqIDs == ["a"] && first.sampledTokenIDs[0].count == 1)
        #expect(!first.incarnationID.isEmpty)

        func expectRejected(_ step: ApusV1.SchedulerOutput, _ words: String) async {
            do {
                _ = try await Self.execute(c, step)
                Issue.record("expected INVALID_ARGUMENT for \(words)")
            } catch let e as RPCError {
                #expect(e.code == .invalidArgument, "\(e)")
                #expect(e.message.contains(words), "\(e.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        await expectRejected(ApusV1.SchedulerOutput(
            stepID: 2, scheduledCachedReqs: [ApusV1.CachedRequestData(
                reqID: "ghost", numComputedTokens: 6, numOutputTokens: 1, numScheduledTokens: 1)]), "ghost")
        await expectRejected(ApusV1.SchedulerOutput(
            stepID: 3, scheduledNewReqs: [Self.newRequest("b", prompt: prompt, blocks: [9999])]), "9999")
        await expectRejected(ApusV1.SchedulerOutput(
            stepID: 4, scheduledNewReqs: [Self.newRequest("c", prompt: [5, 70000], blocks: [4])]), "70000")

        // The runner is still healthy and its request "a" still decodes.
        let next = try await Self.execute(c, ApusV1.SchedulerOutput(
            stepID: 5, scheduledCachedReqs: [ApusV1.CachedRequestData(
                reqID: "a", numComputedTokens: 6, numOutputTokens: 1, numScheduledTokens: 1)]))
        #expect(next.sampledTokenIDs.first?.count == 1)
        #expect(try runApus(["probe", runner.wireAddress]).code == 0)
        await c.close()
    }
}
