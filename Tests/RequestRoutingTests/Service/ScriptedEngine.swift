import Scheduling
import ServingCore
import Synchronization
import Wire

/// A scripted engine-core serving Generate, Abort, Health, WatchLoad, SubscribeKVEvents and GetModelInfo from a
/// script, recording what it received: in process (`inProcess`, reached through `client`), or a real RPCServer on
/// 127.0.0.x (`start`) for the tests of connections: engines that die or restart, DNS, admin calls by address.
///
/// `freeze()` plays a SIGSTOPped engine whose connections stay open: streams stall and load reports stop (so
/// the step counter stands still while it has work), but Health still answers. `stop()` plays a dead one (on a
/// socket).
final class ScriptedEngine: Sendable {
    struct Script: Sendable {
        /// Outputs per request, one token each; the last carries finish reason `length`.
        var tokens = 3
        var firstOutputDelay: Duration = .milliseconds(1)
        var outputInterval: Duration = .milliseconds(1)
        /// Every n-th request (by arrival, from 0) fails before output with `failure`; 0 = never.
        var failEvery = 0
        var failure = RPCError(.unavailable, "no runner available: scripted")
        /// Every n-th request fails with INTERNAL after two outputs; 0 = never.
        var breakMidStreamEvery = 0
        /// A PD producer: a request with `do_remote_decode` gets one token and `producedParams(for:)` in its final
        /// output; false plays an engine-core without the producer role (it ignores the params).
        var producer = false
    }

    private struct State {
        var script: Script
        var received: [String] = []
        var requests: [ApusV1.GenerateRequest] = []
        var released: [String] = []
        var aborted: Set<String> = []
        var live: Set<String> = []
        var frozen = false
        var steps: UInt64 = 0
        var kvEvents: [ApusV1.KVEvent] = []
        var server: (RPCServer, Task<Void, any Error>)?
        var port = 0
    }

    let name: String
    let host: String
    let health = HealthService(statuses: ["": .serving, "apus.v1.Engine": .serving])
    let identity = RPCServer.Identity(service: "engine-core")
    /// Whether it is served in process: then its address is its name, and the router reaches it through `client`.
    let isInProcess: Bool
    private let state: Mutex<State>
    static let hasher = BlockHasher(blockSize: 16, seed: 0)

    private init(name: String, host: String, script: Script, inProcess: Bool) {
        self.name = name
        self.host = host
        self.isInProcess = inProcess
        self.state = Mutex(State(script: script))
    }

    /// A fake engine in this process, named `name` (also its address in the router).
    static func inProcess(_ name: String, _ script: Script = Script()) -> ScriptedEngine {
        ScriptedEngine(name: name, host: "", script: script, inProcess: true)
    }

    /// A new client of the in-process engine, as the router would hold it.
    var client: any EngineClient {
        RPCEngineClient(InProcessRPCClient(handlers: allHandlers, identity: identity, service: "router"))
    }

    /// A call path to the in-process engine, for what `EngineClient` does not carry (KVTransferControl).
    var caller: any RPCCaller {
        InProcessRPCClient(handlers: allHandlers, identity: identity, service: "router")
    }

    /// Starts a fake engine listening on `host:port` (0 = any free port).
    static func start(_ name: String, _ script: Script = Script(), host: String = "127.0.0.1", port: Int = 0)
        async throws -> ScriptedEngine
    {
        let engine = ScriptedEngine(name: name, host: host, script: script, inProcess: false)
        let server = RPCServer(host: host, port: port, identity: engine.identity, handlers: engine.allHandlers)
        let task = Task { try await server.run() }
        let bound = try await server.boundAddress().port!
        engine.state.withLock {
            $0.server = (server, task)
            $0.port = bound
        }
        return engine
    }

    var port: Int { state.withLock { $0.port } }
    var address: String { isInProcess ? name : "\(host):\(port)" }
    var received: [String] { state.withLock { $0.received } }
    var aborted: Set<String> { state.withLock { $0.aborted } }
    var liveCount: Int { state.withLock { $0.live.count } }
    /// Every Generate request as it arrived.
    var requests: [ApusV1.GenerateRequest] { state.withLock { $0.requests } }
    /// The ids of every `KVTransferControl(RELEASE)`, in arrival order.
    var released: [String] { state.withLock { $0.released } }

    /// The params a producer hands back for `request`: its own idea of its address (0.0.0.0) included.
    func producedParams(for request: ApusV1.GenerateRequest) -> ApusV1.KVTransferParams {
        ApusV1.KVTransferParams(
            doRemotePrefill: true, remoteEngineID: name, remoteRequestID: request.requestID,
            remoteBlockIDs: (0..<UInt32(request.promptTokenIDs.count / 16)).map { $0 + 100 }, remoteHost: "0.0.0.0",
            remotePort: 9, remoteRunners: [ApusV1.KVSource(address: "0.0.0.0:7", firstLayer: 0, endLayer: 2)],
            remoteBlockSize: 16, remoteNumTokens: UInt32(request.promptTokenIDs.count))
    }

    /// The engine dies: the listener and every connection close.
    func stop() { state.withLock { $0.server?.1 }?.cancel() }

    /// Changes the script for the requests that arrive from now on.
    func update(_ change: (inout Script) -> Void) { state.withLock { change(&$0.script) } }

    func freeze() { state.withLock { $0.frozen = true } }
    func thaw() { state.withLock { $0.frozen = false } }

    private func waitWhileFrozen() async throws {
        while state.withLock({ $0.frozen }) { try await Task.sleep(for: .milliseconds(5)) }
    }

    private var allHandlers: RPCHandlers {
        var h = handlers
        h.merge(health.handlers)
        return h
    }

    private var handlers: RPCHandlers {
        var h = RPCHandlers()
        h.serverStreaming("apus.v1.Engine/Generate") {
            [self] (request: ApusV1.GenerateRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            try await generate(request, writer)
        }
        h.unary("apus.v1.Engine/Abort") { [self] (request: ApusV1.AbortRequest, _) in
            let live = state.withLock { s in
                s.aborted.formUnion(request.requestIDs)
                return request.requestIDs.filter { s.live.contains($0) }.count
            }
            return ApusV1.AbortResponse(numAborted: UInt32(live))
        }
        h.unary("apus.v1.Engine/KVTransferControl") { [self] (request: ApusV1.KVTransferControlRequest, _) in
            state.withLock { s in
                if request.action == .release { s.released += request.requestIDs }
            }
            return ApusV1.KVTransferControlResponse()
        }
        h.unary("apus.v1.Engine/GetModelInfo") { [self] (_: ApusV1.GetModelInfoRequest, _) in
            ApusV1.ModelInfo(model: "fake-model", maxModelLen: 4096, blockSize: 16, engineID: name, blockHashSeed: "0")
        }
        h.unary("apus.v1.Engine/GetLoad") { [self] (_: ApusV1.GetLoadRequest, _) in report() }
        h.serverStreaming("apus.v1.Engine/WatchLoad") {
            [self] (_: ApusV1.WatchLoadRequest, _, writer: RPCStreamWriter<ApusV1.LoadReport>) in
            while true {
                if !state.withLock({ $0.frozen }) { try writer.send(report()) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        h.serverStreaming("apus.v1.Engine/SubscribeKVEvents") {
            [self] (request: ApusV1.SubscribeKVEventsRequest, _, writer: RPCStreamWriter<ApusV1.KVEventBatch>) in
            var position = request.fromSeq
            while true {
                let events = state.withLock { $0.kvEvents.filter { $0.seq > position } }
                if !events.isEmpty {
                    try writer.send(ApusV1.KVEventBatch(engineID: name, events: events))
                    position = events.last!.seq
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        return h
    }

    /// A load report; the step counter advances with every report while requests are live.
    private func report() -> ApusV1.LoadReport {
        state.withLock { s in
            if !s.live.isEmpty { s.steps += 1 }
            return ApusV1.LoadReport(
                engineID: name, numRunning: UInt32(s.live.count), stepCounter: s.steps, numGPUBlocks: 1000,
                numFreeBlocks: 1000)
        }
    }

    private func generate(_ request: ApusV1.GenerateRequest, _ writer: RPCStreamWriter<ApusV1.GenerateOutput>)
        async throws
    {
        let id = request.requestID
        let keys = Self.hasher.blockHashes(tokenIDs: request.promptTokenIDs).map(\.bytes)
        let (script, index) = state.withLock { s in
            s.received.append(id)
            s.requests.append(request)
            if !keys.isEmpty {
                s.kvEvents.append(ApusV1.KVEvent(seq: UInt64(s.kvEvents.count + 1), kind: .stored, blockHashes: keys))
            }
            return (s.script, s.received.count - 1)
        }
        if script.failEvery > 0, index % script.failEvery == 0 { throw script.failure }
        state.withLock { _ = $0.live.insert(id) }
        defer { state.withLock { _ = $0.live.remove(id) } }
        try await Task.sleep(for: script.firstOutputDelay)
        let prefillLeg = request.kvTransferParams?.doRemoteDecode == true
        let tokens = prefillLeg ? 1 : script.tokens
        for position in 0..<tokens {
            try await waitWhileFrozen()
            if state.withLock({ $0.aborted.contains(id) }) {
                try writer.send(ApusV1.GenerateOutput(requestID: id, finishReason: .abort, engineID: name))
                return
            }
            if script.breakMidStreamEvery > 0, index % script.breakMidStreamEvery == 0, position == 2 {
                throw RPCError(.internal, "scripted failure mid-stream")
            }
            let last = position == tokens - 1
            try writer.send(
                ApusV1.GenerateOutput(
                    requestID: id, newTokenIDs: [TokenID(position)], finishReason: last ? .length : nil, engineID: name,
                    kvTransferParams: last && prefillLeg && script.producer ? producedParams(for: request) : nil))
            if !last { try await Task.sleep(for: script.outputInterval) }
        }
    }
}
