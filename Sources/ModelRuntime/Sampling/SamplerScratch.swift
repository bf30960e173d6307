/// Vocabulary-sized work buffers of one sampling thread, allocated once and reused by every row.
///
/// Keeps the per-row cost free of allocations (vocabularies reach 152k). Invariant between rows:
/// `presence` and `counts` are all zero; whoever sets entries clears them again.
/// `@unchecked Sendable` because one thread at a time uses it (see `SamplerWorkspace`).
final class SamplerScratch: @unchecked Sendable {
    let vocabSize: Int
    /// A copy of the raw logits of the row being sampled, for its logprobs.
    let raw: UnsafeMutablePointer<Float>
    /// Work space for selection (top-k threshold, top-p mass partition).
    let values: UnsafeMutablePointer<Float>
    let indices: UnsafeMutablePointer<Int32>
    /// Per-token flags and counts for the penalties.
    let presence: UnsafeMutablePointer<UInt8>
    let counts: UnsafeMutablePointer<Int32>

    init(vocabSize: Int) {
        precondition(vocabSize > 0, "vocabSize must be positive")
        self.vocabSize = vocabSize
        raw = .allocate(capacity: vocabSize)
        values = .allocate(capacity: vocabSize)
        indices = .allocate(capacity: vocabSize)
        presence = .allocate(capacity: vocabSize)
        presence.initialize(repeating: 0, count: vocabSize)
        counts = .allocate(capacity: vocabSize)
        counts.initialize(repeating: 0, count: vocabSize)
    }

    deinit {
        raw.deallocate()
        values.deallocate()
        indices.deallocate()
        presence.deallocate()
        counts.deallocate()
    }
}

/// The per-thread scratches of one `Sampler`, grown on demand.
///
/// `@unchecked Sendable` because `Sampler.sample` replaces a workspace it shares with a copy of itself
/// before using it (copy on write), and hands each of its threads a different scratch.
final class SamplerWorkspace: @unchecked Sendable {
    let vocabSize: Int
    private var all: [SamplerScratch] = []

    init(vocabSize: Int) {
        self.vocabSize = vocabSize
    }

    /// At least `count` scratches, the first `count` of which the caller may use, one per thread.
    func scratches(count: Int) -> [SamplerScratch] {
        while all.count < count { all.append(SamplerScratch(vocabSize: vocabSize)) }
        return all
    }
}
