import ApusTestSupport
import Scheduling
import ServingCore
import Synchronization
import Testing

@testable import Engine

/// A scripted runner that can be read from (producer) and pulls by recording what it was asked (consumer).
final class TransferExecutor: ModelExecutor {
    let inner: ScriptedExecutor
    let address: String
    /// Each pull: (local blocks, remote blocks, sources).
    let pulls = Mutex<[(local: [Int], remote: [Int], sources: [KVSource])]>([])
    /// Set to make pulls fail, or stall.
    let failure = Mutex<String?>(nil)
    let stall = Mutex<Duration?>(nil)

    init(address: String, script: @escaping ScriptedRunner.Script = { _, i in TokenID(10 + i) }) {
        inner = ScriptedExecutor(runner: ScriptedRunner(script: script), profile: EngineLoopTests.profile)
        self.address = address
    }

    func describe(maxNumBatchedTokens: Int, maxNumSeqs: Int) async throws -> [RunnerProfile] {
        try await inner.describe(maxNumBatchedTokens: maxNumBatchedTokens, maxNumSeqs: maxNumSeqs)
    }
    func initializeCache(numBlocks: Int, blockSize: Int) async throws {}
    func reconnect() async throws {}
    func execute(_ step: SchedulerOutput) async throws -> ModelRunnerOutput { try await inner.execute(step) }

    var kvSources: [KVSource] { [KVSource(address: address, layers: 0..<1, incarnation: inner.runner.incarnation)] }

    func loadKV(
        requestID: String, sources: [KVSource], localBlockIDs: [Int], remoteBlockIDs: [Int], timeout: Duration
    ) async throws -> KVLoadStats {
        if let stall = stall.withLock({ $0 }) {
            try await Task.sleep(for: min(stall, timeout))
            throw ExecutorError.stepFailed("deadline exceeded")
        }
        if let why = failure.withLock({ $0 }) { throw ExecutorError.stepFailed(why) }
        pulls.withLock { $0.append((localBlockIDs, remoteBlockIDs, sources)) }
        return KVLoadStats(bytes: localBlockIDs.count * 128, blocks: localBlockIDs.count, seconds: 0.001)
    }
}

/// Producers by address, reached in process (the wire version is `RPCKVTransferPeers`).
final class InProcessPeers: KVTransferPeers {
    let engines = Mutex<[String: EngineCore]>([:])
    let calls = Mutex<[(String, [String], KVTransferAction)]>([])

    func control(producer address: String, requestIDs: [String], action: KVTransferAction) async throws -> Set<String> {
        calls.withLock { $0.append((address, requestIDs, action)) }
        guard let engine = engines.withLock({ $0[address] }) else {
            throw ExecutorError.runnerLost("no producer at \(address)")
        }
        return Set(engine.kvTransferControl(requestIDs, action))
    }
}

@Suite("Disaggregated prefill/decode through two engine loops: holds, pulls, releases, fallbacks")
struct EngineKVTransferTests {
    static func start(
        _ executor: any ModelExecutor, role: KVTransferConfig.Role, peers: (any KVTransferPeers)? = nil,
        holdTimeout: Duration = .seconds(60), loadTimeout: Duration = .seconds(10)
    ) async throws -> (EngineCore, Task<Void, Never>) {
        var options = EngineBootstrap.Options()
        options.numGPUBlocksOverride = 64
        options.maxNumBatchedTokens = 32
        options.maxNumSeqs = 8
        options.maxModelLen = 256
        options.kvTransfer.role = role
        options.kvTransfer.holdTimeout = holdTimeout
        options.kvTransfer.heartbeatInterval = .milliseconds(50)
        options.kvTransfer.loadTimeout = loadTimeout
        options.kvTransfer.advertisedAddress = "producer-engine:1"
        options.kvPeers = peers
        let started = try await EngineBootstrap.start(executor: executor, options: options)
        let engine = started.engine
        return (engine, Task { await engine.run() })
    }

    static func request(_ id: String, prompt: Int = 40, maxTokens: Int, kv: KVTransferParams? = nil) -> EngineRequest {
        var r = EngineLoopTests.request(id, prompt: prompt, maxTokens: maxTokens)
        r.kvTransfer = kv
        return r
    }

    static func run(_ engine: EngineCore, _ request: EngineRequest) async throws -> OutputLog {
        let log = OutputLog()
        try await engine.generate(request) { log.append($0) }
        return log
    }

    /// A producer, a consumer wired to it in process, and the consumer's executor.
    struct Pair {
        var producer: EngineCore
        var consumer: EngineCore
        var producerExecutor: TransferExecutor
        var consumerExecutor: TransferExecutor
        var peers: InProcessPeers
        var loops: [Task<Void, Never>]
        func stop() { loops.forEach { $0.cancel() } }
    }

    static func pair(holdTimeout: Duration = .seconds(60), loadTimeout: Duration = .seconds(10)) async throws -> Pair {
        let peers = InProcessPeers()
        let pe = TransferExecutor(address: "producer-runner:1")
        let ce = TransferExecutor(address: "consumer-runner:1")
        let (producer, pl) = try await start(pe, role: .producer, holdTimeout: holdTimeout)
        let (consumer, cl) = try await start(ce, role: .consumer, peers: peers, loadTimeout: loadTimeout)
        peers.engines.withLock { $0["producer-engine:1"] = producer }
        return Pair(
            producer: producer, consumer: consumer, producerExecutor: pe, consumerExecutor: ce, peers: peers,
            loops: [pl, cl])
    }

    /// The prefill leg, as the router sends it: max_tokens 1, do_remote_decode.
    static func prefill(_ engine: EngineCore, _ id: String, prompt: Int = 40) async throws -> KVTransferParams? {
        let log = try await run(engine, request(id, prompt: prompt, maxTokens: 1, kv: KVTransferParams(doRemoteDecode: true)))
        return log.all.last?.kvTransferParams
    }

    static func waitFor(_ what: @escaping () -> Bool) async throws {
        // NOTE: up to 15 s: a parallel test run on 2 loaded cores stretched this suite's 1 s tests to 12 s.
        for _ in 0..<1500 where !what() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(what())
    }

    @Test("1P1D: the consumer pulls the producer's blocks, computes the last prompt token and streams the same tokens as one engine")
    func pullAndDecode() async throws {
        let pair = try await Self.pair()
        defer { pair.stop() }
        let params = try #require(try await Self.prefill(pair.producer, "r"))
        #expect(params.doRemotePrefill)
        #expect(params.remoteAddress == "producer-engine:1")
        #expect(params.remoteRunners == pair.producerExecutor.kvSources)
        #expect(params.remoteNumTokens == 40)
        try await Self.waitFor { pair.producer.state.load.kvTransfer.numHeld == 1 }
        let log = try await Self.run(pair.consumer, Self.request("r", maxTokens: 5, kv: params))
        #expect(log.tokens == [10, 11, 12, 13, 14])
        #expect(log.finish == .length)
        let pulls = pair.consumerExecutor.pulls.withLock { $0 }
        #expect(pulls.count == 1)
        #expect(pulls.first?.remote == params.remoteBlockIDs)
        #expect(pulls.first?.sources == params.remoteRunners)
        // The pull kept the hold alive (heartbeats may come first), then released it once: the producer holds nothing.
        let actions = pair.peers.calls.withLock { $0.map(\.2) }
        #expect(actions.count >= 2 && actions.last == .release && actions.dropLast().allSatisfy { $0 == .keepAlive })
        try await Self.waitFor { pair.producer.state.load.kvTransfer.numHeld == 0 }
        try await Self.waitFor { pair.consumer.state.load.kvTransfer.loadsSucceeded == 1 }
        #expect(pair.producer.state.load.kvTransfer.holdsReleased == 1)
    }

    @Test("a failing pull falls back: the consumer computes the prompt itself and the request completes")
    func failedPullFallsBack() async throws {
        let pair = try await Self.pair()
        defer { pair.stop() }
        pair.consumerExecutor.failure.withLock { $0 = "producer runner lost" }
        let params = try #require(try await Self.prefill(pair.producer, "r"))
        let log = try await Self.run(pair.consumer, Self.request("r", maxTokens: 3, kv: params))
        #expect(log.tokens == [10, 11, 12])
        try await Self.waitFor { pair.consumer.state.load.kvTransfer.loadsFailed == 1 }
        // The consumer still released the producer's hold.
        try await Self.waitFor { pair.producer.state.load.kvTransfer.numHeld == 0 }
    }

    @Test("a stalled pull is bounded by the load timeout, then the prompt is computed")
    func stalledPull() async throws {
        let pair = try await Self.pair(loadTimeout: .milliseconds(200))
        defer { pair.stop() }
        pair.consumerExecutor.stall.withLock { $0 = .seconds(30) }
        let params = try #require(try await Self.prefill(pair.producer, "r"))
        let started = ContinuousClock.now
        let log = try await Self.run(pair.consumer, Self.request("r", maxTokens: 2, kv: params))
        #expect(log.tokens == [10, 11])
        #expect(started.duration(to: .now) < .seconds(5))
    }

    @Test("a producer that no longer holds the blocks (released, timed out) makes the consumer compute the prompt")
    func producerNoLongerHolds() async throws {
        let pair = try await Self.pair()
        defer { pair.stop() }
        let params = try #require(try await Self.prefill(pair.producer, "r"))
        #expect(pair.producer.kvTransferControl(["r"], .release) == ["r"])
        let log = try await Self.run(pair.consumer, Self.request("r", maxTokens: 2, kv: params))
        #expect(log.tokens == [10, 11])
        #expect(pair.consumerExecutor.pulls.withLock { $0.isEmpty })
    }

    @Test("a producer frees a hold nobody released after --kv-transfer-timeout; a keep-alive restarts the timeout")
    func holdTimesOut() async throws {
        let pair = try await Self.pair(holdTimeout: .seconds(1))
        defer { pair.stop() }
        _ = try #require(try await Self.prefill(pair.producer, "a"))
        _ = try #require(try await Self.prefill(pair.producer, "b"))
        try await Self.waitFor { pair.producer.state.load.kvTransfer.numHeld == 2 }
        for _ in 0..<5 {
            try await Task.sleep(for: .milliseconds(300))
            #expect(pair.producer.kvTransferControl(["b"], .keepAlive) == ["b"])
        }
        // a expired meanwhile (1.5 s without a keep-alive); b was kept alive.
        #expect(pair.producer.kvTransferControl(["a", "b"], .keepAlive) == ["b"])
        try await Self.waitFor { pair.producer.state.load.kvTransfer.numHeld == 0 }
        #expect(pair.producer.state.load.kvTransfer.holdsTimedOut == 2)
    }

    @Test("roles refuse the other leg; both flags at once are refused; ordinary requests run in every role")
    func roles() async throws {
        let pair = try await Self.pair()
        defer { pair.stop() }
        var prefill = KVTransferParams(doRemoteDecode: true)
        #expect(throws: EngineRequestError.self) {
            try pair.consumer.validate(Self.request("x", maxTokens: 1, kv: prefill))
        }
        #expect(throws: EngineRequestError.self) {
            try pair.producer.validate(Self.request("x", maxTokens: 1, kv: KVTransferParams(doRemotePrefill: true)))
        }
        prefill.doRemotePrefill = true
        #expect(throws: EngineRequestError.self) {
            try pair.producer.validate(Self.request("x", maxTokens: 1, kv: prefill))
        }
        #expect(try await Self.run(pair.producer, Self.request("p", maxTokens: 2)).tokens == [10, 11])
        #expect(try await Self.run(pair.consumer, Self.request("c", maxTokens: 2)).tokens == [10, 11])
    }

    @Test("a consumer request aborted before its pull releases the producer's hold")
    func abortReleases() async throws {
        let pair = try await Self.pair()
        defer { pair.stop() }
        pair.consumerExecutor.stall.withLock { $0 = .milliseconds(300) }
        let params = try #require(try await Self.prefill(pair.producer, "r"))
        let task = Task { try await Self.run(pair.consumer, Self.request("r", maxTokens: 50, kv: params)) }
        try await Task.sleep(for: .milliseconds(100))
        pair.consumer.abort(["r"])
        let log = try await task.value
        #expect(log.finish == .abort)
        try await Self.waitFor { pair.producer.state.load.kvTransfer.numHeld == 0 }
        // The consumer's blocks came back once the pull returned.
        try await Self.waitFor { pair.consumer.state.load.numFreeBlocks == 63 }
    }
}
