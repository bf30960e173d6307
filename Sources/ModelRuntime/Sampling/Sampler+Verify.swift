import ServingCore

extension Sampler {
    /// Verifies each request's drafts (`RejectionSampler`) and returns, per row, its accepted drafts followed by one
    /// more token (the recovered token at the first rejection, or the bonus token), each with its logprobs when the
    /// request asked for them. `logits` holds `draftTokenIDs.count + 1` rows per row, row after row (modified in
    /// place).
    ///
    /// Random numbers as in `sample`: a seeded row draws position j from its counter stream at output position
    /// `outputTokenIDs.count + j`, so its tokens depend only on its own logits, drafts and seed; an unseeded row takes
    /// one stream per position from the sampler's generator, in row order.
    public mutating func verify(logits: UnsafeMutablePointer<Float>, rows: [SpecDecodeRow]) -> [[SampledToken]] {
        guard !rows.isEmpty else { return [] }
        let streams = rows.map { spec -> [CounterRandom]? in
            let params = spec.row.params
            if params.isGreedy { return nil }
            let first = spec.row.outputTokenIDs.count
            return (0...spec.draftTokenIDs.count).map { j in
                if let seed = params.seed { return CounterRandom(seed: seed, position: first + j) }
                return generator.nextStream()
            }
        }
        let widths = rows.map { $0.draftTokenIDs.count + 1 }
        let offsets = widths.reduce(into: [0]) { $0.append($0.last! + $1) }
        let threads = threadCount(rows: rows.count, logitsRows: offsets.last!)
        let scratches = ownedScratches(count: threads)
        let vocab = vocabSize
        let input = RowsPointer(base: logits)
        let results = UnsafeMutablePointer<[SampledToken]>.allocate(capacity: rows.count)
        results.initialize(repeating: [], count: rows.count)
        defer { results.deinitialize(count: rows.count).deallocate() }
        let output = RowsPointer(base: results)
        // Worker w takes rows w, w + threads, …: disjoint logits rows and result slots.
        Parallel.run(parts: threads, threads: threads) { worker in
            for r in stride(from: worker, to: rows.count, by: threads) {
                output.base[r] = RejectionSampler.verify(
                    input.base + offsets[r] * vocab, rows[r], random: streams[r], scratch: scratches[worker])
            }
        }
        return Array(UnsafeBufferPointer(start: results, count: rows.count))
    }
}
