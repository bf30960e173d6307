import Dispatch
import ServingCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a batch of logits rows into one token per row, following vLLM V1's sampler order
/// (docs/architecture.md §5.3, see `SamplingPipeline`).
///
/// The model runner owns one and calls `sample` once per step. Seeded requests draw from a
/// counter-based stream keyed by `(seed, output position)`, so their tokens do not depend on batch
/// composition, chunking or preemption; unseeded rows draw from the sampler's own generator, one
/// stream per row in row order. Rows run on up to `maxThreads` threads; results never depend on it.
/// Work buffers are allocated once per thread (vocabulary-sized), so a step allocates only its results.
public struct Sampler: Sendable {
    public let vocabSize: Int
    /// Upper bound on threads per `sample` call; small batches stay on the calling thread.
    public var maxThreads: Int
    var generator: SplitMix64
    var workspace: SamplerWorkspace

    /// Below this many logits per call, threads cost more than they save.
    static let minimumLogitsPerThread = 1 << 17

    public init(vocabSize: Int, seed: UInt64 = 0) {
        precondition(vocabSize > 0, "vocabSize must be positive")
        self.vocabSize = vocabSize
        self.maxThreads = Self.processorCount
        self.generator = SplitMix64(seed: seed)
        self.workspace = SamplerWorkspace(vocabSize: vocabSize)
    }

    /// Samples one token per row. `logits` is `rows.count × vocabSize`, row-major, and is modified in
    /// place (after the call a greedy row holds its penalised logits, a random row its truncated ones).
    public mutating func sample(logits: UnsafeMutablePointer<Float>, rows: [SamplerRow]) -> [SampledToken] {
        guard !rows.isEmpty else { return [] }
        // Streams are handed out in row order before any thread starts.
        let streams = rows.map { row -> CounterRandom? in
            if row.params.isGreedy { return nil }
            if let seed = row.params.seed { return CounterRandom(seed: seed, position: row.outputTokenIDs.count) }
            return generator.nextStream()
        }
        let threads = threadCount(rows: rows.count, logitsRows: rows.count)
        let scratches = ownedScratches(count: threads)
        let vocab = vocabSize
        let input = RowsPointer(base: logits)
        return [SampledToken](unsafeUninitializedCapacity: rows.count) { out, initialized in
            let output = RowsPointer(base: out.baseAddress!)
            // Worker w takes rows w, w + threads, …: disjoint logits rows and result slots.
            let sampleRows = { @Sendable (worker: Int) in
                for r in stride(from: worker, to: rows.count, by: threads) {
                    let row = UnsafeMutableBufferPointer(start: input.base + r * vocab, count: vocab)
                    (output.base + r).initialize(
                        to: SamplingPipeline.sample(row, rows[r], random: streams[r], scratch: scratches[worker]))
                }
            }
            Parallel.run(parts: threads, threads: threads, sampleRows)
            initialized = rows.count
        }
    }

    /// For each target i, the logprob and rank of `targets[i]` under row i of `logits` plus the
    /// `topK` best tokens of that row (raw log-softmax; −1 = the whole vocabulary). Used for prompt logprobs.
    public static func promptLogprobs(
        logits: UnsafePointer<Float>, vocabSize: Int, targets: [TokenID], topK: Int
    ) -> [PositionLogprobs] {
        precondition(vocabSize > 0, "vocabSize must be positive")
        return targets.enumerated().map { i, target in
            let row = UnsafeBufferPointer(start: logits + i * vocabSize, count: vocabSize)
            return LogprobsComputation.positionLogprobs(row, token: Int(target), topK: topK)
        }
    }

    /// Threads for `rows` independent rows holding `logitsRows` rows of logits.
    func threadCount(rows: Int, logitsRows: Int) -> Int {
        max(1, min(maxThreads, rows, logitsRows * vocabSize / Self.minimumLogitsPerThread))
    }

    /// `count` scratches of a workspace this sampler alone holds (copied first if a copy of the sampler shares it).
    mutating func ownedScratches(count: Int) -> [SamplerScratch] {
        if !isKnownUniquelyReferenced(&workspace) {
            workspace = SamplerWorkspace(vocabSize: vocabSize)
        }
        return workspace.scratches(count: count)
    }

    static var processorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// A pointer handed to sampling threads that each touch a disjoint set of its rows.
struct RowsPointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
