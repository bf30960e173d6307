import Foundation
import ModelRuntime
import ServingCore

/// `apus bench lora`: batch decode through the real `ModelRunner` with the base model alone and with distinct
/// random adapters spread over the batch, in one process on one loaded model (docs/lora.md).
///
/// Target (issue 15): with 4 distinct rank-16 adapters on all seven projections over 32 requests, decode reaches at
/// least 80% of the base model's tokens/s. The two modes alternate for `rounds` rounds (a fresh batch each round:
/// prefill, then `decodeSteps` decode steps), so a burst of load from neighbours hits both alike; a mode's
/// figure is its best decode step over all rounds, with the median step beside it.
public enum LoRABenchmark {
    public struct Options: Sendable {
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
        public var options: OptionsSummary
        public var base: Mode
        public var lora: Mode
        /// Seconds to load all adapters from their files once (as the runner loads them), and their f32 bytes.
        public var adapterLoadSeconds: Double
        public var adapterBytes: Int
        public var threads: Int
        public var machine: Machine

        /// LoRA tokens/s over base tokens/s, from the best steps and from the medians.
        public var ratio: Double { base.best / lora.best }
        public var medianRatio: Double { base.median / lora.median }
    }

    public struct OptionsSummary: Sendable, Equatable {
        public var batch: Int
        public var adapters: Int
        public var rank: Int
        public var promptLength: Int
        public var decodeSteps: Int
        public var rounds: Int
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
                    adapterBytes += try LoRAAdapter(directory: l.path, shape: runner.config.shape, maxRank: options.rank).byteCount
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        var base = Mode(name: "base", steps: [])
        var lora = Mode(name: "lora", steps: [])
        for round in 0..<options.rounds {
            base.steps += try decode(runner, options, loras: nil, round: 2 * round)
            lora.steps += try decode(runner, options, loras: loras, round: 2 * round + 1)
        }
        var machine = machineBefore
        machine.loadAverageAfter = Machine.read().loadAverage
        return Result(
            model: RunnerBenchmark.describe(options.source), weightFormat: runner.weightFormat,
            options: OptionsSummary(
                batch: options.batch, adapters: options.adapters, rank: options.rank,
                promptLength: options.promptLength, decodeSteps: options.decodeSteps, rounds: options.rounds),
            base: base, lora: lora, adapterLoadSeconds: loadSeconds, adapterBytes: adapterBytes,
            threads: ProcessInfo.processInfo.activeProcessorCount, machine: machine)
    }

    /// One round: prefills `batch` prompts in one step (request i with adapter i mod count, or none; the runner
    /// loads adapters it does not hold there), then decodes `decodeSteps` steps; returns each decode step's seconds.
    static func decode(
        _ runner: ModelRunner, _ options: Options, loras: [LoRARequest]?, round: Int
    ) throws -> [Double] {
        let (blockSize, p, batch) = (16, options.promptLength, options.batch)
        let blocksPer = (p + options.decodeSteps + 1 + blockSize - 1) / blockSize
        runner.initializeKVCache(numBlocks: batch * blocksPer, blockSize: blockSize)
        var params = SamplingParams()
        params.temperature = 0
        let vocab = runner.config.vocabSize
        let ids = (0..<batch).map { "r\(round)-\($0)" }
        let prefill = SchedulerOutput(
            stepID: 0,
            scheduledNewReqs: (0..<batch).map { i in
                NewRequestData(
                    reqID: ids[i], promptTokenIDs: (0..<p).map { TokenID(($0 * 7 + i + 1) % vocab) },
                    samplingParams: params, blockIDs: Array(i * blocksPer..<(i + 1) * blocksPer),
                    lora: loras.map { $0[i % $0.count] })
            },
            numScheduledTokens: Dictionary(uniqueKeysWithValues: ids.map { ($0, p) }))
        _ = try runner.execute(prefill)
        var failure: Error?
        var steps: [Double] = []
        for s in 0..<options.decodeSteps {
            let step = SchedulerOutput(
                stepID: s + 1,
                scheduledCachedReqs: ids.map { CachedRequestData(reqID: $0, numComputedTokens: p + s, numOutputTokens: s + 1) },
                numScheduledTokens: Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }))
            steps.append(Timing.of {
                do { _ = try runner.execute(step) } catch { failure = error }
            })
            if let failure { throw failure }
        }
        _ = try runner.execute(SchedulerOutput(stepID: options.decodeSteps + 1, finishedReqIDs: Set(ids)))
        return steps
    }
}
