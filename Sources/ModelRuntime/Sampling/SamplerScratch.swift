/// Vocabulary-sized work buffers, allocated once per `Sampler` and reused by every row.
///
/// Keeps the per-row cost free of allocations (vocabularies reach 152k). Invariant between rows:
/// `presence` and `counts` are all zero; whoever sets entries clears them again.
/// `@unchecked Sendable` because `Sampler.sample` replaces a shared instance before writing
/// (copy on write), so no two owners ever write one.
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
