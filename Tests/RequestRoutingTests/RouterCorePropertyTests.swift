import RequestRouting
import ServingCore
import Testing

@Suite("RouterCore in-flight accounting under random events")
struct RouterCorePropertyTests {
    static let outcomes: [RequestOutcome] = [
        .completed, .clientError, .cancelled, .transportError, .timedOut, .unavailable, .engineError,
    ]

    @Test("no count leaks or goes negative, and nothing is retried after its first token", arguments: 0..<12)
    func randomEventsKeepCountsExact(seed: Int) {
        var generator = SplitMix64(seed: 0xC0FFEE &+ UInt64(seed))
        var config = RouterConfig(policy: PolicyKind.allCases[seed % PolicyKind.allCases.count])
        config.maxAttempts = 3
        var router = try! RouterCore(config: config)
        let engines: [EngineID] = (0..<5).map { EngineID("e\($0)") }
        for engine in engines {
            _ = try! router.addBackend(engine, now: 0)
            _ = router.handle(.checkSucceeded, for: engine, now: 0)
        }
        var live: [String: RoutingRequest] = [:]
        var order: [String] = []
        var streamed: Set<String> = []
        var tried: [String: Set<EngineID>] = [:]
        var now: UInt64 = 1
        for step in 0..<2_000 {
            now += 1_000_000
            let roll = generator.next() % 100
            switch roll {
            case 0..<35:
                let request = RoutingRequest(
                    requestID: "r\(step)",
                    blockHashes: SimHashes.chain(SimHashes.contents(generator.next() % 5, count: 4)),
                    sessionKey: "s\(generator.next() % 7)")
                if let engine = router.routed(request, now: now) {
                    live[request.requestID] = request
                    order.append(request.requestID)
                    tried[request.requestID] = [engine]
                }
            case 35..<50:
                if !order.isEmpty {
                    let id = order[Int(generator.next() % UInt64(order.count))]
                    router.markFirstTokenSent(requestID: id)
                    streamed.insert(id)
                }
            case 50..<90:
                guard !order.isEmpty else { break }
                let position = Int(generator.next() % UInt64(order.count))
                let id = order[position]
                let outcome = Self.outcomes[Int(generator.next() % UInt64(Self.outcomes.count))]
                let decision = router.finish(live[id]!, outcome: outcome, now: now).decision
                if case .retry(let engine, _) = decision {
                    #expect(!streamed.contains(id), "retried after the first token")
                    #expect(!tried[id]!.contains(engine), "retried on an engine it already tried")
                    tried[id]!.insert(engine)
                } else {
                    live[id] = nil
                    order.remove(at: position)
                }
            case 90..<94:
                let engine = engines[Int(generator.next() % UInt64(engines.count))]
                _ = router.removeBackend(engine)
                _ = try! router.addBackend(engine, now: now)
                _ = router.handle(.checkSucceeded, for: engine, now: now)
            case 94..<97:
                let engine = engines[Int(generator.next() % UInt64(engines.count))]
                _ = router.handle(
                    generator.next() % 2 == 0 ? .watch(.notServing) : .watch(.serving), for: engine, now: now)
            default:
                _ = router.tick(now: now)
            }
            router.ledger.checkInvariants()
        }
        for (_, request) in live.sorted(by: { $0.key < $1.key }) {
            #expect(router.finish(request, outcome: .cancelled, now: now).decision == .done)
        }
        #expect(router.ledger.count == 0)
        #expect(router.ledger.totalInFlight == 0)
        #expect(router.listBackends().allSatisfy { $0.inFlight == 0 })
    }
}
