import Engine
import Foundation
import Scheduling
import ServingCore
import Wire

/// The `Engine` RPC service of an engine-core: Generate streams, Abort, load reports, KV events, model info.
///
/// Thin: every call is translated and handed to the `EngineCore`; outputs are encoded on the engine loop and
/// queued on the caller's connection, so one step's outputs to one connection leave with one flush.
public final class EngineService: Sendable {
    public let engine: EngineCore
    public let engineID: String
    public let modelInfo: ApusV1.ModelInfo
    /// Outputs of one step, flushed once per connection when the engine says the step is delivered.
    let batch: RPCWriteBatch?

    /// Pass the batch whose `flush()` the engine calls after each step (`EngineBootstrap.start(onStepDelivered:)`);
    /// without one every output is queued on its own.
    public init(engine: EngineCore, engineID: String, modelInfo: ApusV1.ModelInfo, batch: RPCWriteBatch? = nil) {
        self.engine = engine
        self.engineID = engineID
        self.modelInfo = modelInfo
        self.batch = batch
    }

    public var handlers: RPCHandlers {
        var h = RPCHandlers()
        h.serverStreaming(RPCMethod.generate) { [self] (request: ApusV1.GenerateRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            try await generate(request, writer)
        }
        h.unary(RPCMethod.abort) { [self] (request: ApusV1.AbortRequest, _) in
            let live = engine.state.liveCount(of: request.requestIDs)
            engine.abort(request.requestIDs)
            return ApusV1.AbortResponse(numAborted: UInt32(live))
        }
        h.unary(RPCMethod.getLoad) { [self] (_: ApusV1.GetLoadRequest, _) in loadReport() }
        h.serverStreaming(RPCMethod.watchLoad) { [self] (request: ApusV1.WatchLoadRequest, _, writer: RPCStreamWriter<ApusV1.LoadReport>) in
            try await watchLoad(request, writer)
        }
        h.serverStreaming(RPCMethod.subscribeKVEvents) { [self] (request: ApusV1.SubscribeKVEventsRequest, _, writer: RPCStreamWriter<ApusV1.KVEventBatch>) in
            try await streamKVEvents(from: request.fromSeq, writer)
        }
        h.unary(RPCMethod.getModelInfo) { [self] (_: ApusV1.GetModelInfoRequest, _) in modelInfo }
        h.unary(RPCMethod.kvTransferControl) { [self] (request: ApusV1.KVTransferControlRequest, _) in
            let action: KVTransferAction
            switch request.action {
            case .keepAlive: action = .keepAlive
            case .release: action = .release
            default: throw RPCError(.invalidArgument, "KVTransferControl: action must be KEEP_ALIVE or RELEASE")
            }
            return ApusV1.KVTransferControlResponse(heldRequestIDs: engine.kvTransferControl(request.requestIDs, action))
        }
        return h
    }

    /// The load as of now, with the step in flight timed to this moment.
    func loadReport() -> ApusV1.LoadReport {
        ApusV1.LoadReport(
            engine.state.load, timing: engine.state.stepTiming, now: engine.clock(),
            runnerSilence: engine.runnerSilence, engineID: engineID)
    }

    /// A report at once, then one after each step (at most one per interval), and one per heartbeat while nothing
    /// changes, so a long step still shows the engine alive and a silent stream means a stopped process.
    private func watchLoad(_ request: ApusV1.WatchLoadRequest, _ writer: RPCStreamWriter<ApusV1.LoadReport>)
        async throws
    {
        let interval = Duration.microseconds(Int64(clamping: max(request.intervalUS, 10_000)))
        let heartbeat = Duration.microseconds(
            Int64(clamping: request.heartbeatUS == 0 ? 500_000 : max(request.heartbeatUS, 10_000)))
        var seen = engine.state.publishCount
        var lastSent = ContinuousClock.now
        try writer.send(loadReport())
        while true {
            // NOTE: polled rather than woken by step ticks, so one wait serves both the steps and the heartbeat.
            try await Task.sleep(for: min(interval, heartbeat))
            let count = engine.state.publishCount
            guard count != seen || lastSent.duration(to: .now) >= heartbeat else { continue }
            seen = count
            lastSent = .now
            try writer.send(loadReport())
        }
    }

    private func generate(_ request: ApusV1.GenerateRequest, _ writer: RPCStreamWriter<ApusV1.GenerateOutput>) async throws {
        let engineID = self.engineID
        let batch = self.batch
        do {
            let converted: EngineRequest
            do {
                converted = try EngineRequest(request)
            } catch {
                throw RPCError(.invalidArgument, error.message)
            }
            try await engine.generate(converted) { output in
                let now = UInt64(Date().timeIntervalSince1970 * 1_000_000)
                let message = ApusV1.GenerateOutput(output, engineID: engineID, timestampMicros: now)
                if let batch {
                    batch.add(message, to: writer)
                } else {
                    // A send fails only when the call is already over (client gone): the engine aborts it then.
                    try? writer.send(message)
                }
            }
        } catch let error as EngineRequestError {
            switch error {
            case .invalid(let why): throw RPCError(.invalidArgument, why)
            case .duplicate: throw RPCError(.alreadyExists, error.description)
            case .runnerUnavailable, .shuttingDown: throw RPCError(.unavailable, error.description)
            case .full: throw RPCError(.resourceExhausted, error.description)
            }
        }
    }

    /// Buffered events after `from`, then new ones after every step. A subscriber whose position was dropped
    /// gets a CLEARED event carrying every block hash the cache holds at that sequence number (a snapshot),
    /// then the events after it. Snapshots over `maxSnapshotHashes` go without the hashes (the frame limit).
    /// About 34 MiB of hashes in one frame, half the default frame limit.
    static let maxSnapshotHashes = 1 << 20

    private func streamKVEvents(from: UInt64, _ writer: RPCStreamWriter<ApusV1.KVEventBatch>) async throws {
        var position = from
        let ticks = engine.state.stepTicks()
        var first = true
        for await _ in ticks {
            let events: [SequencedKVCacheEvent]
            if let buffered = engine.state.kvEvents(after: position) {
                events = buffered
            } else {
                let (latest, hashes) = engine.state.kvSnapshot()
                let snapshot = hashes.count <= Self.maxSnapshotHashes ? hashes.map(\.bytes) : []
                try writer.send(
                    ApusV1.KVEventBatch(
                        engineID: engineID, events: [ApusV1.KVEvent(seq: latest, kind: .cleared, blockHashes: snapshot)]))
                position = latest
                continue
            }
            if !events.isEmpty || first {
                try writer.send(ApusV1.KVEventBatch(engineID: engineID, events: events.map(ApusV1.KVEvent.init)))
                position = events.last?.sequenceNumber ?? position
            }
            first = false
        }
    }
}
