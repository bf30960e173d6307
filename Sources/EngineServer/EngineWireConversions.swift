import Engine
import Scheduling
import ServingCore
import Wire

/// The engine-core's mapping between the scheduler's values and the wire's (the only place it happens).
extension EngineRequest {
    init(_ m: ApusV1.GenerateRequest) {
        self.init(
            requestID: m.requestID, promptTokenIDs: m.promptTokenIDs, samplingParams: m.samplingParams,
            eosTokenID: m.samplingParams.ignoreEOS ? nil : m.eosTokenID, priority: Int(m.priority),
            loraName: m.loraName.isEmpty ? nil : m.loraName, cacheSalt: m.cacheSalt.isEmpty ? nil : m.cacheSalt)
    }
}

extension ApusV1.GenerateOutput {
    init(_ o: EngineCoreOutput, engineID: String, timestampMicros: UInt64) {
        self.init(
            requestID: o.reqID, newTokenIDs: o.newTokenIDs, newLogprobs: o.newLogprobs ?? [],
            promptLogprobs: o.newPromptLogprobs ?? [], finishReason: o.finishReason, stopReason: o.stopReason,
            numCachedTokens: UInt32(clamping: o.numCachedTokens), engineTimestampUS: timestampMicros,
            engineID: engineID)
    }
}

extension ApusV1.SchedulerOutput {
    /// A step for the runner: new requests in full, cached ones as deltas, resends (runner restarted) in full.
    init(_ step: ExecutorStep) {
        let out = step.output
        var new = out.scheduledNewReqs.map { r in
            ApusV1.NewRequestData(
                reqID: r.reqID, promptTokenIDs: r.promptTokenIDs, samplingParams: r.samplingParams,
                eosTokenID: step.eosTokenIDs[r.reqID], blockIDs: [r.blockIDs.map { UInt32($0) }],
                numComputedTokens: UInt32(r.numComputedTokens),
                numScheduledTokens: UInt32(out.numScheduledTokens[r.reqID] ?? 0), loraName: r.loraName ?? "")
        }
        var cached: [ApusV1.CachedRequestData] = []
        let c = out.scheduledCachedReqs
        cached.reserveCapacity(c.reqIDs.count)
        for (i, id) in c.reqIDs.enumerated() {
            let scheduled = UInt32(out.numScheduledTokens[id] ?? 0)
            if let snap = step.resend[id] {
                new.append(ApusV1.NewRequestData(
                    reqID: id, promptTokenIDs: snap.promptTokenIDs, samplingParams: snap.samplingParams,
                    eosTokenID: snap.eosTokenID, blockIDs: [snap.blockIDs.map { UInt32($0) }],
                    numComputedTokens: UInt32(c.numComputedTokens[i]), numScheduledTokens: scheduled,
                    loraName: snap.loraName ?? "", outputTokenIDs: snap.outputTokenIDs))
                continue
            }
            cached.append(ApusV1.CachedRequestData(
                reqID: id, resumed: c.resumedReqIDs.contains(id), newBlockIDs: [c.newBlockIDs[i].map { UInt32($0) }],
                numComputedTokens: UInt32(c.numComputedTokens[i]), numOutputTokens: UInt32(c.numOutputTokens[i]),
                numScheduledTokens: scheduled, allTokenIDs: c.allTokenIDs[id] ?? []))
        }
        self.init(
            stepID: UInt64(out.stepID), scheduledNewReqs: new, scheduledCachedReqs: cached,
            totalNumScheduledTokens: UInt32(out.totalNumScheduledTokens), finishedReqIDs: Array(out.finishedReqIDs),
            preemptedReqIDs: Array(out.preemptedReqIDs), numCommonPrefixBlocks: [UInt32(out.numCommonPrefixBlocks)])
    }
}

extension ModelRunnerOutput {
    init(_ m: ApusV1.ModelRunnerOutput) {
        var prompt: [String: [PositionLogprobs]]? = nil
        if !m.promptLogprobs.isEmpty {
            prompt = [:]
            for (id, lp) in zip(m.reqIDs, m.promptLogprobs) where !lp.isEmpty { prompt![id] = lp }
        }
        self.init(
            stepID: Int(m.stepID), reqIDs: m.reqIDs, sampledTokenIDs: m.sampledTokenIDs,
            logprobs: m.logprobs.isEmpty ? nil : m.logprobs, promptLogprobs: prompt,
            runnerIncarnation: Incarnation.number(m.incarnationID))
    }
}

/// Runner incarnation ids are 16 hex digits on the wire; the scheduler compares them as numbers.
enum Incarnation {
    static func number(_ s: String) -> UInt64 {
        if let v = UInt64(s, radix: 16) { return v }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

extension Engine.RunnerProfile {
    init(_ d: ApusV1.RunnerDescription, _ p: ApusV1.ProfileResult) {
        let spec = d.kvCacheSpecs.first ?? ApusV1.KVCacheSpec()
        self.init(
            model: d.model, vocabSize: Int(d.vocabSize), maxModelLen: Int(d.maxModelLen),
            numLayers: Int(spec.numLayers), numKVHeads: Int(spec.numKVHeads), headDim: Int(spec.headDim),
            dtypeBytes: Int(spec.dtypeBytes), availableKVBytes: Int(clamping: p.availableKVBytes),
            eosTokenIDs: d.eosTokenIDs, bosTokenID: d.bosTokenID, incarnation: d.incarnationID,
            // NOTE: a runner that reports no layer range (end 0) holds the whole model.
            layers: d.endLayer > d.firstLayer ? Int(d.firstLayer)..<Int(d.endLayer) : nil,
            numLayersTotal: d.numLayersTotal > 0 ? Int(d.numLayersTotal) : nil)
        if p.prefillTokenSeconds > 0 {
            speed = StepSpeed(
                prefillTokenSeconds: p.prefillTokenSeconds, decodeStepSeconds: p.decodeStepSeconds,
                decodeBatch: Int(p.decodeBatch))
        }
    }
}

extension ApusV1.LoadReport {
    init(_ l: EngineState.Load, engineID: String) {
        self.init(
            engineID: engineID, numRunning: UInt32(clamping: l.numRunning), numWaiting: UInt32(clamping: l.numWaiting),
            kvCacheUsage: Float(l.kvCacheUsage), prefixCacheQueries: UInt64(l.prefixCacheQueries),
            prefixCacheHits: UInt64(l.prefixCacheHits), numPreemptions: UInt64(l.numPreemptions),
            stepCounter: UInt64(l.stepCounter), lastStepTimeUS: l.lastStepTimeMicros,
            numGPUBlocks: UInt32(clamping: l.numGPUBlocks), numFreeBlocks: UInt32(clamping: l.numFreeBlocks),
            numStreams: UInt32(clamping: l.numStreams))
    }

    /// The load plus the runners' step timing as of `now` (engine clock, nanoseconds) and their silence.
    init(
        _ l: EngineState.Load, timing: EngineState.StepTiming, now: UInt64, runnerSilence: Duration?, engineID: String
    ) {
        self.init(l, engineID: engineID)
        if let since = timing.inFlightSince {
            stepInFlight = true
            stepElapsedUS = (now >= since ? now - since : 0) / 1_000
            stepNumScheduledTokens = UInt32(clamping: timing.inFlightTokens)
        }
        lastStepDurationUS = timing.lastDuration / 1_000
        lastStepNumScheduledTokens = UInt32(clamping: timing.lastTokens)
        runnerSilenceUS = runnerSilence.map { UInt64(clamping: $0.components.seconds * 1_000_000
            + $0.components.attoseconds / 1_000_000_000_000) }
    }
}

extension ApusV1.KVEvent {
    init(_ e: SequencedKVCacheEvent) {
        switch e.event {
        case .blockStored(let hashes, let parent, _, let blockSize, let lora):
            self.init(
                seq: e.sequenceNumber, kind: .stored, blockHashes: hashes.map(\.bytes),
                parentBlockHash: parent?.bytes ?? [], blockSize: UInt32(blockSize), loraName: lora ?? "")
        case .blockRemoved(let hashes):
            self.init(seq: e.sequenceNumber, kind: .removed, blockHashes: hashes.map(\.bytes))
        case .allBlocksCleared:
            self.init(seq: e.sequenceNumber, kind: .cleared)
        }
    }
}
