import ServingCore

/// The runner's side of a draft model (speculative decoding, `draft_model`; docs/architecture.md §5.6).
extension ModelRunner {
    /// Loads the draft model beside the target; called at start-up, before `initializeKVCache` (which sizes the
    /// draft's KV cache too). Refused for a pipeline stage or a draft that does not fit the target.
    public func loadDraft(
        source: ModelSource, name: String, numSpeculativeTokens: Int, dtype: WeightDType = .auto
    ) throws(DraftModelError) {
        precondition(kvCache == nil, "load the draft model before the KV cache is initialized")
        guard stage.isFirst && stage.isLast else { throw .pipelineStage }
        draft = try DraftModel(
            source: source, name: name, numSpeculativeTokens: numSpeculativeTokens, target: config,
            maxModelLen: maxModelLen, dtype: dtype)
    }

    /// The execute hook: after the target's forward and sampling of a step, runs the draft's catch-up over the same
    /// `inputs` (rows in `ids` order) and proposes the next drafts of the rows in `sampledRows`; nil without a draft
    /// model, else `ModelRunnerOutput.draftTokenIDs` (parallel to `ids`, empty where nothing is proposed).
    ///
    /// Call it once the step's tokens are in `requests` (each sampled request's `tokenIDs` end with the token it
    /// emitted last, drafts under verification not included). A request with structured outputs gets no drafts
    /// (the engine-core decodes it without: its next tokens need a mask per position), nor one whose last token
    /// ends it (its EOS or a stop token id).
    func proposeDrafts(ids: [String], inputs: PreparedInputs, sampledRows: [Int]) -> [[TokenID]]? {
        guard let draft else { return nil }
        draft.catchUp(reqIDs: ids, inputs: inputs)
        let rows = sampledRows.filter { r in
            let s = requests[ids[r]]!
            let last = s.tokenIDs.last!
            return s.samplingParams.structuredOutputs == nil && last != s.eosTokenID
                && !s.samplingParams.stopTokenIDs.contains(last)
        }
        let proposed = draft.propose(
            rows.map { r in
                let s = requests[ids[r]]!
                let numOutputTokens = s.numTokens - s.numPromptTokens
                return DraftModel.Request(
                    reqID: ids[r], tokenIDs: s.tokenIDs, blockIDs: s.blockIDs,
                    maxDrafts: s.samplingParams.maxTokens - numOutputTokens - 1)
            })
        var drafts = [[TokenID]](repeating: [], count: ids.count)
        for (j, r) in rows.enumerated() { drafts[r] = proposed[j] }
        return drafts
    }
}
