import ServingCore

/// One pull of a producer's KV blocks into this engine's blocks, decided by `schedule()` and run by the engine
/// (docs/disaggregation.md §2): the block at each position of `remoteBlockIDs` lands in the block at the same
/// position of `localBlockIDs`.
public struct KVLoad: Sendable, Hashable {
    public var requestID: String
    public var params: KVTransferParams
    public var localBlockIDs: [Int]
    public var remoteBlockIDs: [Int]
    /// Prompt tokens the request will have computed once the pull lands (local prefix hits included).
    public var numTokens: Int
    /// Of those, tokens the local prefix cache already had.
    public var numLocalHitTokens: Int
}

extension Scheduler {
    // MARK: Producer

    /// A producer keeps the blocks of a prefill it finished normally (stop or length) for its consumer; an aborted
    /// or failed request frees them (vLLM's NIXL connector keeps them only for a length-capped finish; a stop on the
    /// first token is kept too here, so the consumer still skips the prompt).
    func holdsForTransfer(_ r: Request) -> Bool {
        guard let p = r.kvTransfer, p.doRemoteDecode, !r.blockIDs.isEmpty else { return false }
        return r.status == .finishedLengthCapped || r.status == .finishedStopped
    }

    /// What a consumer needs to pull a held request's blocks (the engine adds its id, address and runners).
    public func transferParams(forHeld id: String) -> KVTransferParams? {
        guard let r = heldForTransfer[id] else { return nil }
        var p = KVTransferParams(doRemotePrefill: true)
        p.remoteRequestID = id
        let numBlocks = min(r.blockIDs.count, (r.numPromptTokens + config.blockSize - 1) / config.blockSize)
        p.remoteBlockIDs = Array(r.blockIDs.prefix(numBlocks))
        p.remoteBlockSize = config.blockSize
        p.remoteNumTokens = min(r.numPromptTokens, numBlocks * config.blockSize)
        return p
    }

    /// Frees the blocks held for these ids (the consumer pulled them or gave up, or the hold timed out); returns
    /// the ids that were held. Unknown ids are ignored.
    @discardableResult
    public func releaseHeldTransfers(_ ids: some Sequence<String>) -> [String] {
        var released: [String] = []
        for id in ids {
            guard let r = heldForTransfer.removeValue(forKey: id) else { continue }
            kvCacheManager.free(r)
            released.append(id)
        }
        return released
    }

    // MARK: Consumer

    /// The pulls `schedule()` decided since the last call; the engine runs each and reports it with
    /// `finishKVLoad`.
    public func takeKVLoadsToStart() -> [KVLoad] {
        defer { kvLoadsToStart.removeAll() }
        return kvLoadsToStart
    }

    /// A pull returned: with `success` its request computes only what the blocks do not cover; otherwise it computes
    /// the prompt itself (docs/disaggregation.md §5). Applied by the next `schedule()`. A request that ended while
    /// the pull ran gets its blocks freed now.
    public func finishKVLoad(_ id: String, success: Bool) {
        if let r = endedDuringKVLoad.removeValue(forKey: id) {
            r.kvLoad = .done
            kvCacheManager.free(r)
            return
        }
        guard let r = requests[id], case .loading = r.kvLoad else { return }
        finishedKVLoads[id] = success
    }

    /// What admission does with a waiting request that has (or had) a pull.
    enum RemotePrefillAdmission {
        /// On to the ordinary admission (no pull needed, or none any more).
        case proceed
        /// On to the ordinary admission, whose prefix-cache lookup was already counted when the pull was decided.
        case proceedCounted
        /// Stays in the queue this pass: its pull was just decided or is still running.
        case stay
        /// The pull's blocks do not fit: admission stops here, as for any request.
        case noBlocks
    }

    /// Admission of a waiting request that has (or had) a pull, before the ordinary admission (vLLM's
    /// `_update_waiting_for_remote_kv` and the connector's `get_num_new_matched_tokens`): a fresh request's
    /// prefix-cache hits are looked up, and if the producer's blocks cover more, blocks are allocated for the rest of
    /// the covered tokens and the request waits (`waitingForRemoteKVs`) while the engine pulls them. A landed pull
    /// makes it computed up to the covered tokens; a failed one frees its blocks and it computes everything.
    func admitRemotePrefill(_ r: Request) -> RemotePrefillAdmission {
        if r.status == .waitingForRemoteKVs {
            guard let success = finishedKVLoads.removeValue(forKey: r.requestID) else { return .stay }
            guard case .loading(let numTokens) = r.kvLoad else { preconditionFailure("waiting for KVs without a pull") }
            r.kvLoad = .done
            r.status = .waiting
            guard success else {
                kvCacheManager.free(r)
                return .proceedCounted
            }
            r.setNumComputedTokens(numTokens)
            if r.numCachedTokens < 0 { r.numCachedTokens = numTokens }
            return .proceedCounted
        }
        guard r.kvLoad == .none, r.status == .waiting, r.numComputedTokens == 0,
            let p = r.kvTransfer, p.doRemotePrefill
        else { return .proceed }
        let (hitBlocks, hit) = kvCacheManager.getComputedBlocks(r)
        // NOTE: never the last prompt token: its logits are needed, so the consumer computes it (vLLM does too).
        let covered = min(p.remoteNumTokens, r.numPromptTokens - 1, p.remoteBlockIDs.count * config.blockSize)
        guard p.remoteBlockSize == config.blockSize, !p.remoteRunners.isEmpty, covered > hit else {
            r.kvLoad = .done
            return .proceed
        }
        guard
            kvCacheManager.allocateSlots(
                r, numNewTokens: covered - hit, numNewComputedTokens: hit, newComputedBlocks: hitBlocks,
                fullSequenceMustFit: config.reserveFullSequence, delayCaching: true) != nil
        else { return .noBlocks }
        kvCacheManager.recordPrefixCacheStats(r, numHits: hit)
        let first = hit / config.blockSize
        let end = (covered + config.blockSize - 1) / config.blockSize
        r.kvLoad = .loading(numTokens: covered)
        r.status = .waitingForRemoteKVs
        kvLoadsToStart.append(
            KVLoad(
                requestID: r.requestID, params: p, localBlockIDs: Array(r.blockIDs[first..<end]),
                remoteBlockIDs: Array(p.remoteBlockIDs[first..<end]), numTokens: covered, numLocalHitTokens: hit))
        return .stay
    }

    /// Runner loss (`preemptAllRunning`): held blocks hold nothing any more, and pulls in flight write into a
    /// cache that is gone. Releases every hold and sends every waiting pull's request back to compute its prompt.
    func dropTransfersForRunnerLoss() {
        releaseHeldTransfers(Array(heldForTransfer.keys))
        for r in requests.values where r.status == .waitingForRemoteKVs {
            kvCacheManager.free(r)
            r.kvLoad = .done
            r.status = .waiting
            finishedKVLoads[r.requestID] = nil
        }
        for r in endedDuringKVLoad.values {
            r.kvLoad = .done
            kvCacheManager.free(r)
        }
        endedDuringKVLoad.removeAll()
    }
}
