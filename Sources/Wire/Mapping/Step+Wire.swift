import ServingCore

// The step protocol's one mapping between the domain values (ServingCore) and their wire mirrors: the
// engine-core encodes with the `ApusV1` initializers, runners decode with the domain ones, and back for the
// output. A value that does not fit its wire field (a negative count, a block id past 2³²) traps: the
// scheduler never produces one. Step ids are the exception: they round-trip bit for bit, so a step id past 2⁶³
// from the wire (negative as an Int) comes back unchanged in the output instead of trapping the runner.

extension ApusV1.SchedulerOutput {
    /// Each request's scheduled token count travels in its entry; `preemptedReqIDs` stays with the engine-core.
    public init(_ step: SchedulerOutput) {
        let scheduled = step.numScheduledTokens
        self.init(
            stepID: UInt64(truncatingIfNeeded: step.stepID),
            scheduledNewReqs: step.scheduledNewReqs.map { r in
                ApusV1.NewRequestData(
                    reqID: r.reqID, promptTokenIDs: r.promptTokenIDs, samplingParams: r.samplingParams,
                    eosTokenID: r.eosTokenID, blockIDs: r.blockIDs.map { UInt32($0) },
                    numComputedTokens: UInt32(r.numComputedTokens),
                    numScheduledTokens: UInt32(scheduled[r.reqID] ?? 0), loraName: r.lora?.name ?? "", loraPath: r.lora?.path ?? "",
                    outputTokenIDs: r.outputTokenIDs, specTokenIDs: step.scheduledSpecDecodeTokens[r.reqID] ?? [])
            },
            scheduledCachedReqs: step.scheduledCachedReqs.map { r in
                ApusV1.CachedRequestData(
                    reqID: r.reqID, resumed: r.resumed, newBlockIDs: r.newBlockIDs.map { UInt32($0) },
                    numComputedTokens: UInt32(r.numComputedTokens), numOutputTokens: UInt32(r.numOutputTokens),
                    numScheduledTokens: UInt32(scheduled[r.reqID] ?? 0), newTokenIDs: r.newTokenIDs,
                    allTokenIDs: r.allTokenIDs ?? [], specTokenIDs: step.scheduledSpecDecodeTokens[r.reqID] ?? [])
            },
            finishedReqIDs: Array(step.finishedReqIDs), intermediateTensors: step.intermediate.map { .init($0) },
            structuredOutputRequestIDs: step.grammar?.requestIDs ?? [], grammarBitmask: step.grammar?.words ?? [])
    }
}

extension SchedulerOutput {
    /// Every entry is scheduled: one with 0 tokens keeps its 0, for the runner to refuse the step.
    public init(_ m: ApusV1.SchedulerOutput) {
        var scheduled: [String: Int] = [:]
        var spec: [String: [TokenID]] = [:]
        let new = m.scheduledNewReqs.map { r in
            scheduled[r.reqID] = Int(r.numScheduledTokens)
            if !r.specTokenIDs.isEmpty { spec[r.reqID] = r.specTokenIDs }
            return NewRequestData(
                reqID: r.reqID, promptTokenIDs: r.promptTokenIDs, samplingParams: r.samplingParams,
                eosTokenID: r.eosTokenID, blockIDs: r.blockIDs.map { Int($0) },
                numComputedTokens: Int(r.numComputedTokens), lora: r.loraName.isEmpty ? nil : LoRARequest(name: r.loraName, path: r.loraPath),
                outputTokenIDs: r.outputTokenIDs)
        }
        let cached = m.scheduledCachedReqs.map { r in
            scheduled[r.reqID] = Int(r.numScheduledTokens)
            if !r.specTokenIDs.isEmpty { spec[r.reqID] = r.specTokenIDs }
            return CachedRequestData(
                reqID: r.reqID, resumed: r.resumed, newBlockIDs: r.newBlockIDs.map { Int($0) },
                numComputedTokens: Int(r.numComputedTokens), numOutputTokens: Int(r.numOutputTokens),
                allTokenIDs: r.allTokenIDs.isEmpty ? nil : r.allTokenIDs, newTokenIDs: r.newTokenIDs)
        }
        self.init(
            stepID: Int(truncatingIfNeeded: m.stepID), scheduledNewReqs: new, scheduledCachedReqs: cached,
            numScheduledTokens: scheduled, finishedReqIDs: Set(m.finishedReqIDs),
            intermediate: m.intermediateTensors.map { .init($0) },
            grammar: m.structuredOutputRequestIDs.isEmpty
                ? nil : GrammarBitmask(requestIDs: m.structuredOutputRequestIDs, words: m.grammarBitmask),
            scheduledSpecDecodeTokens: spec)
    }
}

extension ApusV1.ModelRunnerOutput {
    /// Prompt logprobs go as a list parallel to `reqIDs` (empty entries for requests without), or not at all.
    public init(_ o: ModelRunnerOutput) {
        self.init(
            stepID: UInt64(truncatingIfNeeded: o.stepID), incarnationID: o.runnerIncarnation, reqIDs: o.reqIDs,
            sampledTokenIDs: o.sampledTokenIDs, logprobs: o.logprobs ?? [],
            promptLogprobs: o.promptLogprobs.isEmpty ? [] : o.reqIDs.map { o.promptLogprobs[$0] ?? [] },
            intermediateTensors: o.intermediate.map { .init($0) }, draftTokenIDs: o.draftTokenIDs ?? [])
    }
}

extension ModelRunnerOutput {
    /// Throws when the parallel lists disagree in length (a runner bug or a corrupt message).
    public init(_ m: ApusV1.ModelRunnerOutput) throws(WireDecodingError) {
        let n = m.reqIDs.count
        guard m.sampledTokenIDs.count == n, m.logprobs.isEmpty || m.logprobs.count == n,
            m.promptLogprobs.isEmpty || m.promptLogprobs.count == n, m.draftTokenIDs.isEmpty || m.draftTokenIDs.count == n
        else {
            throw WireDecodingError(
                "ModelRunnerOutput: \(n) request ids, \(m.sampledTokenIDs.count) token lists, "
                    + "\(m.logprobs.count) logprob lists, \(m.promptLogprobs.count) prompt logprob lists, "
                    + "\(m.draftTokenIDs.count) draft lists")
        }
        var prompt: [String: [PositionLogprobs]] = [:]
        for (id, lp) in zip(m.reqIDs, m.promptLogprobs) where !lp.isEmpty { prompt[id] = lp }
        self.init(
            stepID: Int(truncatingIfNeeded: m.stepID), reqIDs: m.reqIDs, sampledTokenIDs: m.sampledTokenIDs,
            logprobs: m.logprobs.isEmpty ? nil : m.logprobs, promptLogprobs: prompt,
            intermediate: m.intermediateTensors.map { .init($0) }, runnerIncarnation: m.incarnationID,
            draftTokenIDs: m.draftTokenIDs.isEmpty ? nil : m.draftTokenIDs)
    }
}

extension ApusV1.IntermediateTensors {
    public init(_ t: IntermediateTensors) {
        self.init(
            reqIDs: t.reqIDs, numTokens: t.numTokens.map { UInt32($0) }, hiddenSize: UInt32(t.hiddenSize),
            values: t.values)
    }
}

extension IntermediateTensors {
    public init(_ m: ApusV1.IntermediateTensors) {
        self.init(
            reqIDs: m.reqIDs, numTokens: m.numTokens.map { Int($0) }, hiddenSize: Int(m.hiddenSize), values: m.values)
    }
}
