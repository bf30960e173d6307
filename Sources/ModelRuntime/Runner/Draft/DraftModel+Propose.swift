import ServingCore

extension DraftModel {
    /// One request to draft for: its known tokens (prompt ++ outputs, ending with the token this step emitted, at
    /// position `p = tokenIDs.count − 1`), its block table, lookahead slots included, and how many drafts it can
    /// still use (the engine-core drops drafts past its max_tokens).
    public struct Request: Sendable {
        public var reqID: String
        public var tokenIDs: [TokenID]
        public var blockIDs: [Int]
        public var maxDrafts: Int

        public init(reqID: String, tokenIDs: [TokenID], blockIDs: [Int], maxDrafts: Int = .max) {
            self.reqID = reqID
            self.tokenIDs = tokenIDs
            self.blockIDs = blockIDs
            self.maxDrafts = maxDrafts
        }
    }

    /// Runs the draft over the target's inputs of this step (the same token ids, positions, slots and block tables,
    /// drafts under verification included), so its KV covers every position the target computed. No logits.
    ///
    /// Called by `ModelRunner.execute` once per step right after the target's forward, with `reqIDs` in the rows'
    /// order; it replaces what the previous catch-up recorded.
    public func catchUp(reqIDs: [String], inputs: PreparedInputs) {
        guard let cache = kvCache else { preconditionFailure("catchUp before the draft's KV cache exists") }
        precondition(reqIDs.count + 1 == inputs.queryStartLoc.count, "one request id per input row")
        fed.removeAll(keepingCapacity: true)
        guard !inputs.inputIDs.isEmpty else { return }
        _ = model.forwardLayers(
            inputIDs: inputs.inputIDs, positions: inputs.positions, metadata: inputs.attentionMetadata,
            kvCache: cache, logitsIndices: [])
        for (r, id) in reqIDs.enumerated() {
            let rows = Int(inputs.queryStartLoc[r])..<Int(inputs.queryStartLoc[r + 1])
            guard !rows.isEmpty else { continue }
            fed[id] = (Int(inputs.positions[rows.lowerBound]), inputs.inputIDs[rows])
        }
    }

    /// Proposes up to `numSpeculativeTokens` drafts for each request, greedily: the token at `p` → argmax → that
    /// token at `p+1` → … , batched over the requests (k forwards), writing the draft's KV at `p…p+k−1` (the
    /// engine-core's lookahead slots). Returns the drafts in `requests`' order.
    ///
    /// The first forward starts at the first position whose KV is stale: the latest catch-up fed the request's
    /// tokens up to `p` exclusive unless some of them were rejected drafts (then the emitted tokens from there are
    /// fed again, a short prefill), and a request the catch-up did not see is recomputed from position 0. A request
    /// gets fewer drafts where its `maxDrafts`, block table or max_model_len ends first (none when `p` is the last
    /// position).
    ///
    /// Greedy drafts suit every sampling mode: the target's rejection sampler treats the proposal as one-hot.
    public func propose(_ requests: [Request]) -> [[TokenID]] {
        guard let cache = kvCache else { preconditionFailure("propose before the draft's KV cache exists") }
        var tokens = requests.map(\.tokenIDs)
        let counts = requests.map { r in
            let p = r.tokenIDs.count - 1
            return max(
                0, min(numSpeculativeTokens, r.maxDrafts, maxModelLen - 1 - p, r.blockIDs.count * cache.blockSize - p))
        }
        var drafts = [[TokenID]](repeating: [], count: requests.count)
        for step in 0..<numSpeculativeTokens {
            let active = requests.indices.filter { counts[$0] > step }
            guard !active.isEmpty else { break }
            // NOTE: the rows live only for the call, so the appends below do not copy the token arrays.
            let next = greedyForward(
                active.map { i in
                    let p = requests[i].tokenIDs.count - 1
                    let start = step == 0 ? staleStart(requests[i]) : p + step
                    return InputRow(
                        numComputedTokens: start, numScheduledTokens: p + step - start + 1,
                        blockIDs: requests[i].blockIDs, tokenIDs: tokens[i])
                }, cache: cache)
            for (j, i) in active.enumerated() {
                tokens[i].append(next[j])
                drafts[i].append(next[j])
            }
        }
        for r in requests { fed[r.reqID] = nil }
        return drafts
    }

    /// The first position of `request` whose draft KV does not hold its real token: where the latest catch-up's
    /// tokens first differ from the request's, at most `p` (whose token is fed in any case); 0 without a record.
    func staleStart(_ request: Request) -> Int {
        let p = request.tokenIDs.count - 1
        guard let (start, tokens) = fed[request.reqID], start <= p else { return 0 }
        var q = start
        for token in tokens {
            guard q < p, request.tokenIDs[q] == token else { break }
            q += 1
        }
        return q
    }

    /// One forward of `rows` through the draft; the argmax of each row's last token.
    private func greedyForward(_ rows: [InputRow], cache: KVCache) -> [TokenID] {
        let inputs = InputPreparation.prepare(rows: rows, blockSize: cache.blockSize)
        _ = model.forwardLayers(
            inputIDs: inputs.inputIDs, positions: inputs.positions, metadata: inputs.attentionMetadata,
            kvCache: cache, logitsIndices: inputs.logitsIndices)
        let vocab = config.vocabSize
        var next: [TokenID] = []
        next.reserveCapacity(rows.count)
        for start in stride(from: 0, to: rows.count, by: model.logitsChunkRows) {
            let end = min(start + model.logitsChunkRows, rows.count)
            let logits = model.logits(rows: start..<end)
            for i in 0..<(end - start) {
                next.append(TokenID(RowScan.argmax(UnsafeBufferPointer(start: logits + i * vocab, count: vocab))))
            }
        }
        return next
    }
}
