import Engine
import Scheduling
import ServingCore
import Wire

/// The engine-core's mapping between the scheduler's values and the wire's (the only place it happens).
extension EngineRequest {
    init(_ m: ApusV1.GenerateRequest) throws(WireDecodingError) {
        self.init(
            requestID: m.requestID, promptTokenIDs: m.promptTokenIDs, samplingParams: m.samplingParams,
            eosTokenID: m.samplingParams.ignoreEOS ? nil : m.eosTokenID, priority: Int(m.priority),
            lora: m.loraName.isEmpty ? nil : LoRARequest(name: m.loraName, path: m.loraPath),
            cacheSalt: m.cacheSalt.isEmpty ? nil : m.cacheSalt,
            kvTransfer: try m.kvTransferParams.map { p throws(WireDecodingError) in try KVTransferParams(p) })
    }
}

extension ApusV1.GenerateOutput {
    init(_ o: EngineCoreOutput, engineID: String, timestampMicros: UInt64) {
        self.init(
            requestID: o.reqID, newTokenIDs: o.newTokenIDs, newLogprobs: o.newLogprobs ?? [],
            promptLogprobs: o.newPromptLogprobs ?? [], finishReason: o.finishReason, stopReason: o.stopReason,
            numCachedTokens: UInt32(clamping: o.numCachedTokens), engineTimestampUS: timestampMicros,
            engineID: engineID, errorMessage: o.errorMessage ?? "",
            kvTransferParams: o.kvTransferParams.map { p in
                var m = ApusV1.KVTransferParams(p)
                if m.remoteEngineID.isEmpty { m.remoteEngineID = engineID }
                return m
            })
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
        if !d.draftModel.isEmpty {
            draftModel = d.draftModel
            draftVocabSize = Int(d.draftVocabSize)
        }
        extraKVBytesPerToken = d.kvCacheSpecs.dropFirst().reduce(0) { total, s in
            total + 2 * Int(s.numKVHeads) * Int(s.headDim) * Int(s.dtypeBytes) * Int(s.numLayers)
        }
        shape = ModelShape(d.shape)
        maxLoRARank = Int(d.maxLoraRank)
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
            numStreams: UInt32(clamping: l.numStreams),
            numWaitingForRemoteKvs: UInt32(clamping: l.kvTransfer.numLoading))
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
