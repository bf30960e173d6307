import Engine
import Foundation
import RunnerServer
import ServingCore
import Synchronization
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
    /// Layout and block count for KV transfers, without memory: reads stream zeros, writes are checked and dropped.
    private let pages = Mutex<KVPages?>(nil)

    public init(profile: Engine.RunnerProfile, incarnation: String, stepDelay: Duration? = nil,
                tokenDelay: Duration? = nil, script: @escaping ScriptedRunner.Script = { _, _ in 7 }) {
        self.profile = profile
        self.incarnation = incarnation
        self.stepDelay = stepDelay
        self.tokenDelay = tokenDelay
        self.runner = ScriptedRunner(incarnation: incarnation, script: script)
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

    public func kvPages() -> KVPages? { pages.withLock { $0 } }

    public func initializeCache(numBlocks: Int, blockSize: Int) throws -> UInt64 {
        cacheInitialized = true
        let layout = ApusV1.KVLayout(
            model: profile.model, blockSize: UInt32(blockSize), numKVHeads: UInt32(profile.numKVHeads),
            headDim: UInt32(profile.headDim), dtypeBytes: UInt32(profile.dtypeBytes),
            numLayersTotal: UInt32(profile.numLayers))
        let made = KVPages(
            layout: layout, layers: 0..<profile.numLayers, numBlocks: numBlocks, incarnationID: incarnation, cache: nil)
        pages.withLock { $0 = made }
        return UInt64(numBlocks * profile.bytesPerBlock(blockSize: blockSize))
    }

    public func execute(_ m: ApusV1.SchedulerOutput) throws -> ApusV1.ModelRunnerOutput {
        let step = SchedulerOutput(m)
        let delay = (stepDelay ?? .zero) + (tokenDelay ?? .zero) * step.totalNumScheduledTokens
        if delay > .zero {
            let c = delay.components
            Thread.sleep(forTimeInterval: Double(c.seconds) + Double(c.attoseconds) / 1e18)
        }
        return ApusV1.ModelRunnerOutput(try runner.execute(step))
    }

    public func reset() {}
}
