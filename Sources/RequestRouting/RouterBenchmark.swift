/// Measures the cost of routing decisions, per policy, with 8 ready engines and a realistic prefix index.
///
/// The index holds 100,000 confirmed blocks (1,000 documents of 100 blocks, each cached on one or two
/// engines); requests are a random document prefix of 20–100 blocks plus 4 unique blocks; 64 requests stay
/// in flight. One decision = `route` + the matching `finish`; a `tick` runs every 1,000 decisions.
/// Run it in release (`RouterBenchmark.run()` from `apus bench router` or a bench target).
public enum RouterBenchmark {
    public static func run(iterations: Int = 200_000) -> [String] {
        var lines: [String] = []
        let engines = (0..<8).map { EngineID("10.0.0.\($0 + 1):8000") }
        let documents = (0..<1_000).map { document in chain(count: 100, seed: UInt64(document) << 20) }
        let requests = makeRequests(documents: documents, count: 1_024)
        for policy in PolicyKind.allCases {
            var config = RouterConfig(policy: policy)
            config.seed = 42
            var router = try! RouterCore(config: config)
            for (index, engine) in engines.enumerated() {
                _ = try! router.addBackend(engine, now: 0)
                _ = router.handle(.watch(.serving), for: engine, now: 0)
                _ = router.updateLoad(EngineLoad(waiting: index % 3, running: 8, kvUsage: 0.4), for: engine, now: 0)
            }
            var sequence = [UInt64](repeating: 1, count: engines.count)
            for (document, blocks) in documents.enumerated() {
                for engine in [document % 8, (document * 7 + 3) % 8].prefix(document % 2 + 1) {
                    let batch = KVEventBatch(firstSequence: sequence[engine], events: [.blocksStored(blocks)])
                    precondition(router.apply(batch, from: engines[engine]) == .applied)
                    sequence[engine] += 1
                }
            }
            let indexed = router.prefixIndex.count
            let micros = measure(&router, requests: requests, iterations: iterations)
            let formatted = String(Int(micros * 100 + 0.5)).paddedMicros
            lines.append(
                "\(policy.rawValue): \(formatted) µs per decision (route + finish), 8 engines, "
                    + "\(indexed) indexed blocks, 64 in flight, \(iterations) decisions")
        }
        return lines
    }

    private static func measure(_ router: inout RouterCore, requests: [RoutingRequest], iterations: Int) -> Double {
        let window = 64
        let clock = ContinuousClock()
        var now: UInt64 = 1_000_000_000
        let start = clock.now
        for iteration in 0..<(iterations + window) {
            if iteration < iterations {
                _ = try? router.route(requests[iteration % requests.count], now: now)
            }
            if iteration >= window {
                _ = router.finish(requests[(iteration - window) % requests.count], outcome: .completed, now: now)
            }
            now &+= 1_000
            if iteration % 1_000 == 0 { _ = router.tick(now: now) }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        return seconds * 1e6 / Double(iterations)
    }

    private static func makeRequests(documents: [[BlockHashKey]], count: Int) -> [RoutingRequest] {
        var generator = SplitMix64(seed: 7)
        return (0..<count).map { index in
            let document = documents[Int(generator.next() % UInt64(documents.count))]
            let prefix = Array(document.prefix(20 + Int(generator.next() % 81)))
            let tail = chain(count: 4, seed: (1 << 40) | UInt64(index) << 8, parent: prefix.last!)
            return RoutingRequest(
                requestID: "bench-\(index)", blockHashes: prefix + tail, sessionKey: "user-\(index % 97)")
        }
    }

    private static func chain(count: Int, seed: UInt64, parent: BlockHashKey? = nil) -> [BlockHashKey] {
        var previous = parent?.w0 ?? 0
        return (0..<count).map { index in
            var generator = SplitMix64(seed: previous ^ StableHash.mix(seed &+ UInt64(index)))
            let key = BlockHashKey(
                w0: generator.next(), w1: generator.next(), w2: generator.next(), w3: generator.next())
            previous = key.w0
            return key
        }
    }
}

extension String {
    /// "123" (hundredths) → "1.23".
    fileprivate var paddedMicros: String {
        let digits = count < 3 ? String(repeating: "0", count: 3 - count) + self : self
        return String(digits.dropLast(2)) + "." + String(digits.suffix(2))
    }
}
