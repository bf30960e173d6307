import Foundation
import ServingCore

/// `apus bench runner`: the BLAS and memory ceilings of this machine, then prefill and decode throughput of a
/// dummy-weight Llama through the real `ModelRunner` (input preparation, paged attention, sampler included).
///
/// Targets (issue 4): batch-32 decode reaches ≥ 60% of the measured sgemm GFLOP/s; batch-1 decode takes
/// ≤ 1.3× the time to stream the matmul weights once at the measured bandwidth. FLOPs count the matmuls
/// (2 · params · tokens, LM head only on sampled rows), not attention. Every figure is the best of several
/// runs by wall clock; with one BLAS thread the work of a decode step stays on the calling thread, so the
/// best by that thread's CPU time is reported too: it is what the code costs when no other process
/// takes the core away (this machine is shared).
public enum RunnerBenchmark {
    public struct Options: Sendable {
        public var config: ModelConfig
        public var batches: [Int]
        public var promptLength: Int
        public var decodeSteps: Int
        public var blasThreads: Int?
        /// Size of the sgemm ceiling (`n³`) and of the array read for the bandwidth ceiling.
        public var sgemmSize: Int
        public var bandwidthBytes: Int

        public init(
            config: ModelConfig = RunnerBenchmark.model100M, batches: [Int] = [1, 8, 32, 128],
            promptLength: Int = 16, decodeSteps: Int = 16, blasThreads: Int? = nil, sgemmSize: Int = 1024,
            bandwidthBytes: Int = 512 << 20
        ) {
            self.config = config
            self.batches = batches
            self.promptLength = promptLength
            self.decodeSteps = decodeSteps
            self.blasThreads = blasThreads
            self.sgemmSize = sgemmSize
            self.bandwidthBytes = bandwidthBytes
        }
    }

    /// One measured phase at one batch size.
    public struct Phase: Sendable, Equatable {
        public var phase: String
        public var batch: Int
        /// Prefill: all prefill steps together; decode: the best step.
        public var stepSeconds: Double
        /// The same by the calling thread's CPU time.
        public var stepCPUSeconds: Double
        public var tokensPerSecond: Double
        public var gflops: Double
    }

    public struct Result: Sendable, Equatable {
        public var sgemmGFLOPS: Double
        public var memoryBandwidthGBs: Double
        /// The ceilings by the calling thread's CPU time (single-threaded sgemm and sdot).
        public var sgemmGFLOPSCPU: Double
        public var memoryBandwidthGBsCPU: Double
        public var blasThreads: Int
        public var sgemmSize: Int
        public var weightsBytes: Int
        /// Bytes of the matrices one decode step streams (all projections and the LM head).
        public var matmulWeightsBytes: Int
        public var phases: [Phase]
    }

    /// The ~100M-parameter Llama of issue 4 (hidden 768, 12 layers, 12 heads, 4 KV heads, vocab 32000).
    public static let model100M = ModelConfig(
        architecture: .llama, vocabSize: 32_000, hiddenSize: 768, numLayers: 12, numHeads: 12, numKVHeads: 4,
        intermediateSize: 2048, maxPositionEmbeddings: 2048, eosTokenIDs: [2])

    /// Human-readable lines, then one JSON object per line.
    public static func run() -> [String] { run(options: Options()) }

    public static func run(options: Options) -> [String] {
        let r = measure(options)
        return humanLines(r) + jsonLines(r)
    }

    /// Runs every measurement (under a minute for the default options in release).
    public static func measure(_ options: Options) -> Result {
        BLASThreads.set(options.blasThreads ?? BLASThreads.defaultCount)
        var ceilings = Ceilings.measure(sgemmSize: options.sgemmSize, bandwidthBytes: options.bandwidthBytes)
        // NOTE: the runner pins the same BLAS thread count.
        let runner = try! ModelRunner(
            source: .dummy(options.config, seed: 0), maxModelLen: 2048, blasThreads: options.blasThreads)
        var phases: [Phase] = []
        for batch in options.batches {
            phases += measureBatch(runner, batch: batch, options: options)
        }
        // NOTE: the ceilings are measured again after the model runs and the higher figures kept, so a burst
        // of load from other processes during one measurement cannot flatter the targets.
        ceilings.raise(to: Ceilings.measure(sgemmSize: options.sgemmSize, bandwidthBytes: options.bandwidthBytes))
        return Result(
            sgemmGFLOPS: ceilings.sgemm.wall, memoryBandwidthGBs: ceilings.bandwidth.wall,
            sgemmGFLOPSCPU: ceilings.sgemm.cpu, memoryBandwidthGBsCPU: ceilings.bandwidth.cpu,
            blasThreads: BLASThreads.current, sgemmSize: options.sgemmSize, weightsBytes: runner.weightsBytes,
            matmulWeightsBytes: options.config.matmulParameters * 4, phases: phases)
    }

    /// Prefills `batch` prompts (at most 2048 tokens per step), then decodes `decodeSteps` steps.
    static func measureBatch(_ runner: ModelRunner, batch: Int, options: Options) -> [Phase] {
        let c = options.config
        let (blockSize, p) = (16, options.promptLength)
        let blocksPer = (p + options.decodeSteps + 1 + blockSize - 1) / blockSize
        runner.initializeKVCache(numBlocks: batch * blocksPer, blockSize: blockSize)
        var params = SamplingParams()
        params.temperature = 0
        params.maxTokens = options.decodeSteps + 1
        let ids = (0..<batch).map { "bench-\($0)" }
        let perStep = max(1, 2048 / p)
        var prefill = Timing(wall: 0, cpu: 0)
        var stepID: UInt64 = 0
        for start in stride(from: 0, to: batch, by: perStep) {
            let group = start..<min(batch, start + perStep)
            let step = RunnerStep(
                stepID: stepID,
                newRequests: group.map { i in
                    NewRequestData(
                        reqID: ids[i], promptTokenIDs: (0..<p).map { TokenID(($0 * 7 + i) % c.vocabSize) },
                        samplingParams: params, blockIDs: Array(i * blocksPer..<(i + 1) * blocksPer))
                },
                numScheduledTokens: Dictionary(uniqueKeysWithValues: group.map { (ids[$0], p) }))
            stepID += 1
            let t = Timing.of { _ = try! runner.execute(step) }
            prefill = Timing(wall: prefill.wall + t.wall, cpu: prefill.cpu + t.cpu)
        }
        var decode = Timing(wall: .infinity, cpu: .infinity)
        for s in 0..<options.decodeSteps {
            let step = RunnerStep(
                stepID: stepID,
                cachedRequests: ids.map {
                    CachedRequestData(reqID: $0, numComputedTokens: p + s, numOutputTokens: s + 1)
                },
                numScheduledTokens: Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            stepID += 1
            decode = decode.best(Timing.of { _ = try! runner.execute(step) })
        }
        let layerFlops = 2.0 * Double(c.matmulParameters - c.vocabSize * c.hiddenSize)
        let headFlops = 2.0 * Double(c.vocabSize * c.hiddenSize)
        let prefillTokens = Double(batch * p)
        let prefillFlops = layerFlops * prefillTokens + headFlops * Double(batch)
        return [
            Phase(
                phase: "prefill", batch: batch, stepSeconds: prefill.wall, stepCPUSeconds: prefill.cpu,
                tokensPerSecond: prefillTokens / prefill.wall, gflops: prefillFlops / prefill.wall / 1e9),
            Phase(
                phase: "decode", batch: batch, stepSeconds: decode.wall, stepCPUSeconds: decode.cpu,
                tokensPerSecond: Double(batch) / decode.wall,
                gflops: (layerFlops + headFlops) * Double(batch) / decode.wall / 1e9),
        ]
    }
}
