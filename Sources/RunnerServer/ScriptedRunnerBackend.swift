import Engine
import Scheduling
import ServingCore
import Wire

/// `apus runner --fake`: no model; every sampled token comes from a script (default: token 7 forever).
///
/// Keeps the same soft state a real runner keeps, so engine-core behaviour (chunking, preemption, runner loss)
/// can be tested at scale and fast.
public final class ScriptedRunnerBackend: RunnerBackend, @unchecked Sendable {
    // NOTE: @unchecked: mutable fields are touched only from RunnerService's serial queue.
    let runner: ScriptedRunner
    let profile: Engine.RunnerProfile
    let incarnation: String
    let stepDelay: Duration?
    /// Added to `stepDelay` per scheduled token, so steps take time in proportion to their work (a long prefill).
    let tokenDelay: Duration?
    private var cacheInitialized = false

    public init(profile: Engine.RunnerProfile, incarnation: String, stepDelay: Duration? = nil,
                tokenDelay: Duration? = nil, script: @escaping ScriptedRunner.Script = { _, _ in 7 }) {
        self.profile = profile
        self.incarnation = incarnation
        self.stepDelay = stepDelay
        self.tokenDelay = tokenDelay
        self.runner = ScriptedRunner(incarnation: UInt64(incarnation, radix: 16) ?? 1, script: script)
    }

    public var isCacheInitialized: Bool { cacheInitialized }

    public func describe() -> ApusV1.RunnerDescription {
        ApusV1.RunnerDescription(
            model: profile.model, architecture: "Scripted", vocabSize: UInt32(profile.vocabSize),
            maxModelLen: UInt32(profile.maxModelLen),
            kvCacheSpecs: [ApusV1.KVCacheSpec(
                numLayers: UInt32(profile.numLayers), numKVHeads: UInt32(profile.numKVHeads),
                headDim: UInt32(profile.headDim), dtypeBytes: UInt32(profile.dtypeBytes))],
            endLayer: UInt32(profile.numLayers), numLayersTotal: UInt32(profile.numLayers), device: "scripted",
            incarnationID: incarnation, eosTokenIDs: profile.eosTokenIDs)
    }

    public func profile(_ request: ApusV1.ProfileRequest) -> ApusV1.ProfileResult {
        ApusV1.ProfileResult(availableKVBytes: UInt64(profile.availableKVBytes), totalBytes: UInt64(profile.availableKVBytes))
    }

    public func initializeCache(numBlocks: Int, blockSize: Int) throws -> UInt64 {
        cacheInitialized = true
        return UInt64(numBlocks * profile.bytesPerBlock(blockSize: blockSize))
    }

    public func execute(_ m: ApusV1.SchedulerOutput) throws -> ApusV1.ModelRunnerOutput {
        let delay = (stepDelay ?? .zero) + (tokenDelay ?? .zero) * Int(m.totalNumScheduledTokens)
        if delay > .zero {
            let c = delay.components
            Thread.sleep(forTimeInterval: Double(c.seconds) + Double(c.attoseconds) / 1e18)
        }
        let out = try runner.execute(ExecutorStep(wire: m))
        return ApusV1.ModelRunnerOutput(
            stepID: UInt64(out.stepID), incarnationID: incarnation, reqIDs: out.reqIDs,
            sampledTokenIDs: out.sampledTokenIDs)
    }

    public func reset() {}
}

import Foundation

extension ExecutorStep {
    /// Wire → the scheduler's step shape (what the scripted runner consumes).
    init(wire m: ApusV1.SchedulerOutput) {
        var scheduled: [String: Int] = [:]
        var resend: [String: RequestSnapshot] = [:]
        var new: [Scheduling.NewRequestData] = []
        for r in m.scheduledNewReqs {
            scheduled[r.reqID] = Int(r.numScheduledTokens)
            let blocks = (r.blockIDs.first ?? []).map { Int($0) }
            if r.outputTokenIDs.isEmpty {
                new.append(Scheduling.NewRequestData(
                    reqID: r.reqID, promptTokenIDs: r.promptTokenIDs, samplingParams: r.samplingParams,
                    blockIDs: blocks, numComputedTokens: Int(r.numComputedTokens)))
            } else {
                resend[r.reqID] = RequestSnapshot(
                    reqID: r.reqID, promptTokenIDs: r.promptTokenIDs, outputTokenIDs: r.outputTokenIDs,
                    samplingParams: r.samplingParams, eosTokenID: r.eosTokenID, blockIDs: blocks, loraName: nil)
            }
        }
        var cached = Scheduling.CachedRequestData()
        for r in m.scheduledCachedReqs {
            scheduled[r.reqID] = Int(r.numScheduledTokens)
            cached.reqIDs.append(r.reqID)
            if r.resumed { cached.resumedReqIDs.insert(r.reqID) }
            cached.newBlockIDs.append((r.newBlockIDs.first ?? []).map { Int($0) })
            cached.numComputedTokens.append(Int(r.numComputedTokens))
            cached.numOutputTokens.append(Int(r.numOutputTokens))
            if !r.allTokenIDs.isEmpty { cached.allTokenIDs[r.reqID] = r.allTokenIDs }
        }
        // Resent requests are scheduled like cached ones (their progress counts from the snapshot).
        for (id, snap) in resend {
            cached.reqIDs.append(id)
            cached.newBlockIDs.append(snap.blockIDs)
            let r = m.scheduledNewReqs.first { $0.reqID == id }!
            cached.numComputedTokens.append(Int(r.numComputedTokens))
            cached.numOutputTokens.append(snap.outputTokenIDs.count)
        }
        let output = SchedulerOutput(
            stepID: Int(m.stepID), scheduledNewReqs: new, scheduledCachedReqs: cached, numScheduledTokens: scheduled,
            totalNumScheduledTokens: Int(m.totalNumScheduledTokens), finishedReqIDs: Set(m.finishedReqIDs),
            preemptedReqIDs: Set(m.preemptedReqIDs), numCommonPrefixBlocks: Int(m.numCommonPrefixBlocks.first ?? 0))
        self.init(output: output, resend: resend)
    }
}
