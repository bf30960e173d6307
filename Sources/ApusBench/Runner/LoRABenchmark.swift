import Foundation
import ModelRuntime
import ServingCore

/// `apus bench lora`: batch decode through the real `ModelRunner` with the base model alone and with distinct
/// random adapters spread over the batch, in one process on one loaded model (docs/lora.md).
///
/// Target (issue 15): with 4 distinct rank-16 adapters on all seven projections over 32 requests, decode reaches at
/// least 80% of the base model's tokens/s. Each round holds two batches in one KV cache, the base batch and the LoRA
/// batch, prefills both and then decodes them in alternating steps (base, LoRA, base, …), so load from other
/// processes on a shared machine falls on both alike. A mode's figure is its best decode step over all rounds, with
/// the median beside it; the paired ratio is the median over steps of base step time / the next LoRA step's.
public enum LoRABenchmark {
    public struct Options: Sendable, Equatable {
        public var source: ModelSource
        public var dtype: WeightDType
        public var batch: Int
        public var adapters: Int
        public var rank: Int
        public var promptLength: Int
        public var decodeSteps: Int
        public var rounds: Int

        public init(
            source: ModelSource, dtype: WeightDType = .auto, batch: Int = 32, adapters: Int = 4, rank: Int = 16,
            promptLength: Int = 16, decodeSteps: Int = 16, rounds: Int = 3
        ) {
            self.source = source
            self.dtype = dtype
            self.batch = batch
            self.adapters = adapters
            self.rank = rank
            self.promptLength = promptLength
            self.decodeSteps = decodeSteps
            self.rounds = rounds
        }
    }

    /// One mode's decode steps over all rounds, in seconds.
    public struct Mode: Sendable, Equatable {
        public var name: String
        public var steps: [Double]
        public var best: Double { steps.min() ?? .nan }
        public var median: Double { steps.isEmpty ? .nan : steps.sorted()[steps.count / 2] }
    }

    public struct Result: Sendable, Equatable {
        public var model: String
        public var weightFormat: String
        public var options: Options
        public var base: Mode
        public var lora: Mode
        /// Seconds to load all adapters from their files once (as the runner loads them), and their f32 bytes.
        public var adapterLoadSeconds: Double
        public var adapterBytes: Int
        public var threads: Int
        public var machine: Machine

        /// LoRA tokens/s over base tokens/s, from the best steps, from the medians, and the median of the ratios
        /// of each base step and the LoRA step right after it.
        public var ratio: Double { base.best / lora.best }
        public var medianRatio: Double { base.median / lora.median }
        public var pairedRatio: Double {
            let ratios = zip(base.steps, lora.steps).map { $0 / $1 }.sorted()
            return ratios.isEmpty ? .nan : ratios[ratios.count / 2]
        }
    }

    /// Runs the benchmark; throws when the model cannot be loaded (adapter files are made here and must load).
    public static func measure(_ options: Options) throws -> Result {
        let machineBefore = Machine.read()
        let runner = try ModelRunner(source: options.source, maxModelLen: 2048, dtype: options.dtype)
        let directory = try LoRABenchmarkAdapters.write(
            count: options.adapters, rank: options.rank, shape: runner.config.shape)
        defer { try? FileManager.default.removeItem(at: directory) }
        runner.enableLoRA(LoRAConfig(maxLoRARank: options.rank, maxCPULoRAs: options.adapters))
        let loras = (0..<options.adapters).map {
            LoRARequest(name: "bench-\($0)", path: directory.appendingPathComponent("adapter-\($0)").path)
        }
        // The adapters loaded once as the runner loads them, for their size and load time.
        var adapterBytes = 0
        var failure: Error?
        let loadSeconds = Timing.of {
            do {
                for l in loras {
                    adapterBytes += try LoRAAdapter(
                        directory: l.path, shape: runner.config.shape, maxRank: options.rank
                    ).byteCount
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        var base = Mode(name: "base", steps: [])
        var lora = Mode(name: "lora", steps: [])
        for r in 0..<options.rounds {
            let (b, l) = try round(runner, options, loras: loras, index: r)
            base.steps += b
            lora.steps += l
        }
        var machine = machineBefore
        machine.loadAverageAfter = Machine.read().loadAverage
        return Result(
            model: RunnerBenchmark.describe(options.source), weightFormat: runner.weightFormat,
            options: options,
            base: base, lora: lora, adapterLoadSeconds: loadSeconds, adapterBytes: adapterBytes,
            threads: ProcessInfo.processInfo.activeProcessorCount, machine: machine)
    }

    /// One round: the base batch (requests `b<round>-i`) and the LoRA batch (`l<round>-i`, on adapter i mod count;
    /// the runner loads adapters it does not hold in its prefill) prefilled, then `decodeSteps` steps of each,
    /// alternating. Returns each mode's decode step seconds, step s of one beside step s of the other.
    static func round(
        _ runner: ModelRunner, _ options: Options, loras: [LoRARequest], index: Int
    ) throws -> (base: [Double], lora: [Double]) {
        let (blockSize, p, batch) = (16, options.promptLength, options.batch)
        let blocksPer = (p + options.decodeSteps + 1 + blockSize - 1) / blockSize
        runner.initializeKVCache(numBlocks: 2 * batch * blocksPer, blockSize: blockSize)
        var params = SamplingParams()
        params.temperature = 0
        let vocab = runner.config.vocabSize
        let modes: [(ids: [String], loras: [LoRARequest]?)] = [
            ((0..<batch).map { "b\(index)-\($0)" }, nil), ((0..<batch).map { "l\(index)-\($0)" }, loras),
        ]
        var stepID = 0
        for (m, (ids, loras)) in modes.enumerated() {
            _ = try runner.execute(
                SchedulerOutput(
                    stepID: stepID,
                    scheduledNewReqs: (0..<batch).map { i in
                        let first = (m * batch + i) * blocksPer
                        return NewRequestData(
                            reqID: ids[i], promptTokenIDs: (0..<p).map { TokenID(($0 * 7 + i + 1) % vocab) },
                            samplingParams: params, blockIDs: Array(first..<first + blocksPer),
                            lora: loras.map { $0[i % $0.count] })
                    },
                    numScheduledTokens: Dictionary(uniqueKeysWithValues: ids.map { ($0, p) })))
            stepID += 1
        }
        var seconds: [[Double]] = [[], []]
        var failure: Error?
        for s in 0..<options.decodeSteps {
            for (m, (ids, _)) in modes.enumerated() {
                let step = SchedulerOutput(
                    stepID: stepID,
                    scheduledCachedReqs: ids.map {
                        CachedRequestData(reqID: $0, numComputedTokens: p + s, numOutputTokens: s + 1)
                    },
                    numScheduledTokens: Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
                stepID += 1
                seconds[m].append(
                    Timing.of {
                        do { _ = try runner.execute(step) } catch { failure = error }
                    })
                if let failure { throw failure }
            }
        }
        _ = try runner.execute(SchedulerOutput(stepID: stepID, finishedReqIDs: Set(modes.flatMap(\.ids))))
        return (seconds[0], seconds[1])
    }
}
