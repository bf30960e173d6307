import ModelRuntime
import Foundation
import ServingCore

/// `apus bench runner`: the compute and memory ceilings of this machine, measured with every core as the runner
/// uses them, then prefill and decode throughput of a dummy-weight Llama through the real `ModelRunner` (input
/// preparation, paged attention, sampler included).
///
/// Targets: prefill of one 128- and one 1,024-token prompt at ≥ 70% of the best sgemm, batch-32 decode at
/// ≥ 60% of it, batch-1 decode within 1.3× the time to stream the matmul weights once at the measured bandwidth.
/// The sgemm ceiling is the better of OpenBLAS (on every core, with the kernels it picks here) and the runner's
/// own packed GEMM (on every core, with the ISA it picks). FLOPs count the matmuls (2 · params · tokens, LM head
/// only on sampled rows), not attention. Every figure is the best of several runs by wall clock.
public enum RunnerBenchmark {
    public struct Options: Sendable {
        /// The model measured (`--model`; default: dummy weights of `model100M`) and the format its weights are
        /// kept in (`--dtype`).
        public var source: ModelSource
        public var dtype: WeightDType
        public var batches: [Int]
        public var promptLength: Int
        public var decodeSteps: Int
        /// Single prompts whose prefill (one step each) is measured.
        public var prefillLengths: [Int]
        public var blasThreads: Int?
        /// Size of the sgemm ceiling (`n³`) and of the array read for the bandwidth ceiling.
        public var sgemmSize: Int
        public var bandwidthBytes: Int

        public init(
            source: ModelSource = .dummy(RunnerBenchmark.model100M, seed: 0), dtype: WeightDType = .auto,
            batches: [Int] = [1, 8, 32, 128],
            promptLength: Int = 16, decodeSteps: Int = 16, prefillLengths: [Int] = [128, 1024],
            blasThreads: Int? = nil, sgemmSize: Int = 1024, bandwidthBytes: Int = 512 << 20
        ) {
            self.source = source
            self.dtype = dtype
            self.batches = batches
            self.promptLength = promptLength
            self.decodeSteps = decodeSteps
            self.prefillLengths = prefillLengths
            self.blasThreads = blasThreads
            self.sgemmSize = sgemmSize
            self.bandwidthBytes = bandwidthBytes
        }
    }

    /// One measured phase at one batch size.
    public struct Phase: Sendable, Equatable {
        /// "prompt" (one prompt of `promptTokens` in one step), "prefill" (`batch` short prompts) or "decode".
        public var phase: String
        public var batch: Int
        public var promptTokens: Int
        /// Prefill: all prefill steps together; decode and prompt: the best step.
        public var stepSeconds: Double
        public var tokensPerSecond: Double
        public var gflops: Double
        /// Batch-1 decode: the best full read of the matmul weights' bytes timed between its steps (the same
        /// threads and parts as the bandwidth ceiling), so the step and its floor see the same machine.
        public var weightReadSeconds: Double? = nil
    }

    public struct Result: Sendable, Equatable {
        /// The better of the two sgemm figures: the ceiling the targets are measured against.
        public var sgemmGFLOPS: Double { max(sgemmBLASGFLOPS, sgemmKernelGFLOPS) }
        public var sgemmBLASGFLOPS: Double
        public var sgemmKernelGFLOPS: Double
        public var memoryBandwidthGBs: Double
        /// Threads of the ceilings and of the runner's matmuls (every core).
        public var threads: Int
        /// The runner's GEMM kernel and OpenBLAS's kernel family.
        public var gemmKernel: String
        public var blasCore: String
        public var sgemmSize: Int
        public var weightsBytes: Int
        /// Bytes of the matrices one decode step streams (all projections and the LM head), as stored.
        public var matmulWeightsBytes: Int
        /// The model's name (path or "dummy …") and its weight format.
        public var model: String
        public var weightFormat: String
        /// Resident set of the process before the model loads (after the ceilings, free heap pages returned).
        public var residentBytesBeforeLoad: Int
        /// Resident set of the process right after the model loaded (before any step).
        public var residentBytesAfterLoad: Int
        /// Resident set after the last phase (free heap pages returned), and the KV cache the runner held then
        /// (weights touched by the steps, the workspace and that cache make up the difference).
        public var residentBytesAfterRun: Int
        public var kvCacheBytes: Int
        public var phases: [Phase]
    }

    /// The ~100M-parameter Llama (hidden 768, 12 layers, 12 heads, 4 KV heads, vocab 32000).
    public static let model100M = ModelConfig(
        architecture: .llama, vocabSize: 32_000, hiddenSize: 768, numLayers: 12, numHeads: 12, numKVHeads: 4,
        intermediateSize: 2048, maxPositionEmbeddings: 2048, eosTokenIDs: [2])

    /// Human-readable lines, then one JSON object per line.
    public static func run() throws(ModelLoadError) -> [String] { try run(options: Options()) }

    /// Throws when `options.source` cannot be loaded (a missing or broken model file).
    public static func run(options: Options) throws(ModelLoadError) -> [String] {
        let r = try measure(options)
        return humanLines(r) + jsonLines(r)
    }

    /// Runs every measurement (about a minute for the default options in release).
    public static func measure(_ options: Options) throws(ModelLoadError) -> Result {
        var ceilings = Ceilings.measure(sgemmSize: options.sgemmSize, bandwidthBytes: options.bandwidthBytes)
        ModelRunner.releaseFreedMemory()
        let residentBeforeLoad = residentBytes()
        // NOTE: the runner pins OpenBLAS's threads; the ceilings above set and restore their own.
        let runner = try ModelRunner(
            source: options.source, maxModelLen: 2048, blasThreads: options.blasThreads, dtype: options.dtype)
        let resident = residentBytes()
        var phases: [Phase] = []
        for length in options.prefillLengths {
            phases.append(measurePrompt(runner, length: length, config: runner.config))
        }
        for batch in options.batches {
            phases += measureBatch(runner, batch: batch, options: options)
        }
        // NOTE: the ceilings are measured again after the model runs and the higher figures kept, so a burst
        // of load from other processes during one measurement cannot flatter the targets.
        ModelRunner.releaseFreedMemory()
        let residentAfterRun = residentBytes()
        ceilings.raise(to: Ceilings.measure(sgemmSize: options.sgemmSize, bandwidthBytes: options.bandwidthBytes))
        return Result(
            sgemmBLASGFLOPS: ceilings.sgemmBLAS, sgemmKernelGFLOPS: ceilings.sgemmKernel,
            memoryBandwidthGBs: ceilings.bandwidth, threads: Kernels.cores,
            gemmKernel: Kernels.GEMMKernel.chosen.description, blasCore: BLASThreads.coreName,
            sgemmSize: options.sgemmSize, weightsBytes: runner.weightsBytes,
            matmulWeightsBytes: runner.matmulWeightsBytes, model: describe(options.source),
            weightFormat: runner.weightFormat, residentBytesBeforeLoad: residentBeforeLoad,
            residentBytesAfterLoad: resident, residentBytesAfterRun: residentAfterRun, kvCacheBytes: runner.kvCache?.byteCount ?? 0, phases: phases)
    }

    static func describe(_ source: ModelSource) -> String {
        switch source {
        case .embeddedDefault: "embedded"
        case .dummy(let c, _): "dummy \(c.architecture.rawValue) hidden \(c.hiddenSize) × \(c.numLayers) layers"
        case .directory(let path), .gguf(let path): path
        }
    }

    /// VmRSS of this process (0 where /proc is missing).
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kB = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kB * 1024
    }

    static func flops(_ c: ModelConfig) -> (layer: Double, head: Double) {
        (2.0 * Double(c.matmulParameters - c.vocabSize * c.hiddenSize), 2.0 * Double(c.vocabSize * c.hiddenSize))
    }

    /// One prompt of `length` tokens prefilled in one step; the best of five.
    ///
    /// NOTE: five, not three: on a shared VM a second of neighbours' load slows one attempt by 10–15%, and the
    /// sgemm ceiling it is compared with is the best of twelve short runs.
    static func measurePrompt(_ runner: ModelRunner, length: Int, config c: ModelConfig) -> Phase {
        let blockSize = 16
        let blocks = (length + 1 + blockSize - 1) / blockSize
        runner.initializeKVCache(numBlocks: blocks, blockSize: blockSize)
        var params = SamplingParams()
        params.temperature = 0
        params.maxTokens = 1
        var best = Double.infinity
        for attempt in 0..<5 {
            let id = "prompt-\(length)-\(attempt)"
            let step = SchedulerOutput(
                stepID: attempt,
                scheduledNewReqs: [
                    NewRequestData(
                        reqID: id, promptTokenIDs: (0..<length).map { TokenID(($0 * 7 + attempt) % c.vocabSize) },
                        samplingParams: params, blockIDs: Array(0..<blocks))
                ],
                numScheduledTokens: [id: length])
            best = min(best, Timing.of { _ = try! runner.execute(step) })
            _ = try! runner.execute(SchedulerOutput(stepID: attempt + 100, finishedReqIDs: [id]))
        }
        let (layer, head) = flops(c)
        return Phase(
            phase: "prompt", batch: 1, promptTokens: length, stepSeconds: best,
            tokensPerSecond: Double(length) / best, gflops: (layer * Double(length) + head) / best / 1e9)
    }

    /// Prefills `batch` prompts (at most 2048 tokens per step), then decodes `decodeSteps` steps.
    static func measureBatch(_ runner: ModelRunner, batch: Int, options: Options) -> [Phase] {
        let c = runner.config
        let (blockSize, p) = (16, options.promptLength)
        let blocksPer = (p + options.decodeSteps + 1 + blockSize - 1) / blockSize
        runner.initializeKVCache(numBlocks: batch * blocksPer, blockSize: blockSize)
        var params = SamplingParams()
        params.temperature = 0
        params.maxTokens = options.decodeSteps + 1
        let ids = (0..<batch).map { "bench-\($0)" }
        let perStep = max(1, 2048 / p)
        var prefill = 0.0
        var stepID = 1000
        for start in stride(from: 0, to: batch, by: perStep) {
            let group = start..<min(batch, start + perStep)
            let step = SchedulerOutput(
                stepID: stepID,
                scheduledNewReqs: group.map { i in
                    NewRequestData(
                        reqID: ids[i], promptTokenIDs: (0..<p).map { TokenID(($0 * 7 + i) % c.vocabSize) },
                        samplingParams: params, blockIDs: Array(i * blocksPer..<(i + 1) * blocksPer))
                },
                numScheduledTokens: Dictionary(uniqueKeysWithValues: group.map { (ids[$0], p) }))
            stepID += 1
            prefill += Timing.of { _ = try! runner.execute(step) }
        }
        var decode = Double.infinity
        // NOTE: the memory bandwidth of a shared VM moves with its neighbours' load from one second to the next
        // (32 to 60 GB/s measured on one host), so batch 1's floor is read between its own steps.
        // The floor reads as many bytes as the step's weights take as stored (f32, 16-bit or quantized).
        let weightsCopy = batch == 1 ? FloatBuffer(count: runner.matmulWeightsBytes / 4, zeroed: false) : nil
        if let w = weightsCopy { for i in 0..<w.count { w.pointer[i] = Float(i & 1023) } }
        var weightRead = Double.infinity
        for s in 0..<options.decodeSteps {
            let step = SchedulerOutput(
                stepID: stepID,
                scheduledCachedReqs: ids.map {
                    CachedRequestData(reqID: $0, numComputedTokens: p + s, numOutputTokens: s + 1)
                },
                numScheduledTokens: Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            stepID += 1
            decode = min(decode, Timing.of { _ = try! runner.execute(step) })
            if let w = weightsCopy { weightRead = min(weightRead, Ceilings.readSeconds(w.pointer, count: w.count)) }
        }
        _ = try! runner.execute(SchedulerOutput(stepID: stepID, finishedReqIDs: Set(ids)))
        let (layerFlops, headFlops) = flops(c)
        let prefillTokens = Double(batch * p)
        let prefillFlops = layerFlops * prefillTokens + headFlops * Double(batch)
        return [
            Phase(
                phase: "prefill", batch: batch, promptTokens: p, stepSeconds: prefill,
                tokensPerSecond: prefillTokens / prefill, gflops: prefillFlops / prefill / 1e9),
            Phase(
                phase: "decode", batch: batch, promptTokens: p, stepSeconds: decode,
                tokensPerSecond: Double(batch) / decode, gflops: (layerFlops + headFlops) * Double(batch) / decode / 1e9,
                weightReadSeconds: weightsCopy == nil ? nil : weightRead),
        ]
    }
}
