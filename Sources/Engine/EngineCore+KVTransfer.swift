import Foundation
import Scheduling
import ServingCore

/// The engine loop's bookkeeping for disaggregated prefill/decode (docs/disaggregation.md §2). Loop-owned.
struct KVTransferBook {
    /// Consumer: requests whose producer still holds blocks for them, with the producer's address and request id;
    /// an entry goes when the pull starts (the pull releases) or when the request no longer needs the blocks.
    var producers: [String: (address: String, remoteID: String)] = [:]
    /// Consumer: requests whose pull is running.
    var pulls: Set<String> = []
    var lastHeartbeat = ContinuousClock.now
    var stats = KVTransferStats()
}

/// Disaggregated prefill/decode counters since start.
public struct KVTransferStats: Sendable, Equatable {
    /// Producer: prefills whose blocks are held now; holds released by a consumer or router, and timed out.
    public var numHeld = 0
    public var holdsReleased = 0
    public var holdsTimedOut = 0
    /// Consumer: pulls that landed, pulls that failed (their requests computed the prompt themselves), requests
    /// that needed no pull (the local prefix cache covered the producer's blocks), and what the pulls moved.
    public var loadsSucceeded = 0
    public var loadsFailed = 0
    public var loadsSkipped = 0
    public var bytesLoaded = 0
    public var blocksLoaded = 0
    /// Requests waiting for their pull now.
    public var numLoading = 0
    public init() {}
}

extension EngineCore {
    var kvLog: (@Sendable (String) -> Void)? { configuration.kvTransferLog }

    /// Refuses what this engine's role does not take (validate).
    func validateKVTransfer(_ p: KVTransferParams) throws(EngineRequestError) {
        let config = configuration.kvTransfer
        if p.doRemoteDecode && p.doRemotePrefill {
            throw .invalid("kv_transfer_params: do_remote_decode and do_remote_prefill are exclusive")
        }
        if p.doRemoteDecode && !config.producesKV {
            throw .invalid("kv_transfer_params: do_remote_decode needs a producer engine; this one has --kv-role \(config.role.rawValue)")
        }
        if (p.doRemoteDecode || p.doRemotePrefill) && configuration.speculative?.runnerProposes == true {
            throw .invalid("kv_transfer_params: not supported with a draft model (its KV would have to travel too)")
        }
        if p.doRemotePrefill && !config.consumesKV {
            throw .invalid("kv_transfer_params: do_remote_prefill needs a consumer engine; this one has --kv-role \(config.role.rawValue)")
        }
    }

    /// A consumer request was admitted: its producer holds blocks for it until released.
    func trackProducer(of request: EngineRequest) {
        guard let p = request.kvTransfer, p.doRemotePrefill, !p.remoteAddress.isEmpty, !p.remoteRequestID.isEmpty
        else { return }
        kv.producers[request.requestID] = (p.remoteAddress, p.remoteRequestID)
    }

    /// After `schedule()`: starts the pulls it decided, and releases producers of requests that need no pull.
    func startKVLoads() {
        for load in scheduler.takeKVLoadsToStart() {
            kv.pulls.insert(load.requestID)
            // NOTE: the pull itself keeps the producer's hold alive and releases it.
            let control = kv.producers.removeValue(forKey: load.requestID) != nil ? kvPeers : nil
            let timeout = configuration.kvTransfer.loadTimeout
            Task { [executor, inbox] in
                inbox.add(await Self.pull(load, executor: executor, peers: control, timeout: timeout))
            }
        }
        guard !kv.producers.isEmpty else { return }
        for (id, _) in kv.producers where scheduler.requests[id].map({ $0.kvLoad == .done }) ?? true {
            kv.stats.loadsSkipped += scheduler.requests[id] != nil ? 1 : 0
            releaseProducer(of: id)
        }
    }

    /// Releases the producer's hold for a consumer request that no longer needs it (ended, or computed locally).
    func releaseProducer(of id: String) {
        guard let (address, remoteID) = kv.producers.removeValue(forKey: id), let peers = kvPeers else { return }
        Task { _ = try? await peers.control(producer: address, requestIDs: [remoteID], action: .release) }
    }

    /// One pull: keep-alive (the producer must still hold the blocks), the runners' LoadKV, then the release, whose
    /// answer confirms the blocks were held throughout (a producer that lost its runner drops every hold). Without
    /// `peers` (no producer address) only the runners' pull runs.
    static func pull(
        _ load: KVLoad, executor: any ModelExecutor, peers: (any KVTransferPeers)?, timeout: Duration
    ) async -> KVLoadResult {
        let p = load.params
        func failed(_ why: String) -> KVLoadResult {
            KVLoadResult(requestID: load.requestID, success: false, error: why)
        }
        if let peers {
            do {
                let held = try await peers.control(
                    producer: p.remoteAddress, requestIDs: [p.remoteRequestID], action: .keepAlive)
                guard held.contains(p.remoteRequestID) else {
                    return failed("producer \(p.remoteAddress) no longer holds request \(p.remoteRequestID)")
                }
            } catch {
                return failed("producer \(p.remoteAddress) unreachable: \(error)")
            }
        }
        var stats: KVLoadStats?
        var why: String?
        do {
            stats = try await executor.loadKV(
                requestID: load.requestID, sources: p.remoteRunners, localBlockIDs: load.localBlockIDs,
                remoteBlockIDs: load.remoteBlockIDs, timeout: timeout)
        } catch {
            why = "pull from \(p.remoteRunners.map(\.address).joined(separator: ", ")) failed: \(error)"
        }
        if let peers {
            let released = try? await peers.control(
                producer: p.remoteAddress, requestIDs: [p.remoteRequestID], action: .release)
            if stats != nil && released?.contains(p.remoteRequestID) != true {
                why = "producer \(p.remoteAddress) stopped holding request \(p.remoteRequestID) during the pull"
            }
        }
        if let why { return KVLoadResult(requestID: load.requestID, success: false, stats: stats, error: why) }
        return KVLoadResult(requestID: load.requestID, success: true, stats: stats)
    }

    /// Applies returned pulls (on the loop, from `applyInbox`), frees the blocks of released and expired holds, and
    /// sends the keep-alives that are due.
    func applyKVTransfer(_ results: [KVLoadResult]) {
        // NOTE: against what was published, not what this call found: releases change the counts off the loop.
        defer { if kvTransferStats != state.load.kvTransfer { publish() } }
        for r in results {
            kv.pulls.remove(r.requestID)
            scheduler.finishKVLoad(r.requestID, success: r.success)
            if r.success {
                kv.stats.loadsSucceeded += 1
                if let s = r.stats {
                    kv.stats.bytesLoaded += s.bytes
                    kv.stats.blocksLoaded += s.blocks
                    state.recordKVLoad(s)
                }
            } else {
                kv.stats.loadsFailed += 1
                kvLog?("request \(r.requestID): KV pull failed, computing the prompt instead: \(r.error ?? "?")")
            }
        }
        let now = ContinuousClock.now
        if !scheduler.heldForTransfer.isEmpty {
            let (released, expired) = kvHolds.takeFrees(now: now)
            scheduler.releaseHeldTransfers(released + expired)
            if !expired.isEmpty {
                kvLog?("freed the KV blocks of \(expired.count) prefill(s) no consumer pulled within \(configuration.kvTransfer.holdTimeout)")
            }
        }
        if !kv.producers.isEmpty, let peers = kvPeers,
            kv.lastHeartbeat.duration(to: now) >= configuration.kvTransfer.heartbeatInterval
        {
            kv.lastHeartbeat = now
            let byProducer = Dictionary(grouping: kv.producers.values, by: \.address)
            for (address, refs) in byProducer {
                let ids = refs.map(\.remoteID)
                Task { _ = try? await peers.control(producer: address, requestIDs: ids, action: .keepAlive) }
            }
        }
    }

    /// A producer's finished prefill: completes its params (address and runners) and starts the hold's timeout;
    /// without runners a consumer can read (an in-process runner), the blocks are freed and no params go out.
    func completeTransferParams(_ o: inout EngineCoreOutput) {
        guard var p = o.kvTransferParams else { return }
        let sources = executor.kvSources
        guard !sources.isEmpty else {
            scheduler.releaseHeldTransfers([o.reqID])
            o.kvTransferParams = nil
            return
        }
        p.remoteAddress = configuration.kvTransfer.advertisedAddress
        p.remoteRunners = sources
        o.kvTransferParams = p
        kvHolds.add(o.reqID, deadline: .now + configuration.kvTransfer.holdTimeout)
    }

    /// How long the idle loop may sleep: until the next hold expires or keep-alive is due (nil: until work comes).
    var kvWakeInterval: Duration? {
        guard !scheduler.heldForTransfer.isEmpty || !kv.producers.isEmpty else { return nil }
        let c = configuration.kvTransfer
        let tick = min(c.holdTimeout, c.heartbeatInterval) / 4
        return max(.milliseconds(10), min(tick, .seconds(1)))
    }

    /// Sleeps until work arrives (or a KV hold or keep-alive needs the loop).
    func idleWait() async {
        if let t = kvWakeInterval { await inbox.waitForWork(timeout: t) } else { await inbox.waitForWork() }
    }

    /// The counters for load reports.
    var kvTransferStats: KVTransferStats {
        var s = kv.stats
        (s.numHeld, s.holdsReleased, s.holdsTimedOut) = kvHolds.counts
        s.numLoading = kv.pulls.count
        return s
    }
}

extension EngineCore {
    /// A consumer's (or a router's) keep-alive or release of blocks this producer holds; returns the ids that were
    /// held. Answered at once from any thread (`KVHoldTable`); the loop frees released blocks between steps.
    public func kvTransferControl(_ ids: [String], _ action: KVTransferAction) -> [String] {
        switch action {
        case .keepAlive:
            return kvHolds.keepAlive(ids, deadline: .now + configuration.kvTransfer.holdTimeout)
        case .release:
            let released = kvHolds.release(ids)
            if !released.isEmpty { inbox.wake() }
            return released
        }
    }
}
