import RequestRouting
import ServingCore

/// Measures the cost of routing decisions, per policy, against a realistic prefix index.
///
/// Standard scenario (every policy): 8 ready engines, an index of 100,000 confirmed blocks (1,000 documents
/// of 100 blocks, each cached on one or two engines), requests that are a random document prefix of
/// 20–100 blocks plus 4 unique blocks, 64 requests in flight. Large scenario (`prefix_aware`): 64 engines,
/// 50 documents of 2,048 blocks (32K-token prompts of 1,024–2,048 cached blocks), 512 in flight.
/// One decision = `route` + the matching `finish`; a `tick` runs every 1,000 decisions, time advances
/// 1 µs per decision. Run it in release (`RouterBenchmark.run()` from a bench command or target).
public enum RouterBenchmark {
    struct Scenario {
        var engines: Int
        var documents: Int
        var blocksPerDocument: Int
        var promptBlocks: ClosedRange<Int>
        var inFlight: Int

        static let standard = Scenario(
            engines: 8, documents: 1_000, blocksPerDocument: 100, promptBlocks: 20...100, inFlight: 64)
        static let large = Scenario(
            engines: 64, documents: 50, blocksPerDocument: 2_048, promptBlocks: 1_024...2_048, inFlight: 512)
    }

    public static func run(iterations: Int = 200_000) -> [String] {
        var lines: [String] = []
        for policy in PolicyKind.allCases {
            lines.append(measure(policy, .standard, iterations: iterations))
        }
        lines.append(measure(.prefixAware, .large, iterations: iterations / 10))
        return lines
    }

    static func measure(_ policy: PolicyKind, _ scenario: Scenario, iterations: Int) -> String {
        var config = RouterConfig(policy: policy)
        config.seed = 42
        var router = try! RouterCore(config: config)
        let engines = (0..<scenario.engines).map { EngineID("10.0.\($0 / 200).\($0 % 200 + 1):8000") }
        for (index, engine) in engines.enumerated() {
            _ = try! router.addBackend(engine, now: 0)
            _ = router.handle(.watch(.serving), for: engine, now: 0)
            _ = router.updateLoad(EngineLoad(waiting: index % 3, running: 8, kvUsage: 0.4), for: engine, now: 0)
        }
        let documents = (0..<scenario.documents).map {
            chain(count: scenario.blocksPerDocument, seed: UInt64($0) << 20)
        }
        var sequence = [UInt64](repeating: 1, count: engines.count)
        for (document, blocks) in documents.enumerated() {
            let holders = [document % engines.count, (document * 7 + 3) % engines.count].prefix(document % 2 + 1)
            for engine in holders {
                let batch = KVEventBatch(firstSequence: sequence[engine], events: [.blocksStored(blocks)])
                precondition(router.apply(batch, from: engines[engine]) == .applied)
                sequence[engine] += 1
            }
        }
        let indexed = router.prefixIndex.count
        let requests = makeRequests(documents: documents, promptBlocks: scenario.promptBlocks, count: 1_024)
        let micros = time(&router, requests: requests, window: scenario.inFlight, iterations: iterations)
        let formatted = String(Int(micros * 100 + 0.5)).paddedMicros
        return "\(policy.rawValue): \(formatted) µs per decision (route + finish), \(scenario.engines) engines, "
            + "\(indexed) indexed blocks, prompts of \(scenario.promptBlocks) cached blocks + 4, "
            + "\(scenario.inFlight) in flight, \(iterations) decisions"
    }

    private static func time(
        _ router: inout RouterCore, requests: [RoutingRequest], window: Int, iterations: Int
    ) -> Double {
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

    private static func makeRequests(
        documents: [[BlockHashKey]], promptBlocks: ClosedRange<Int>, count: Int
    ) -> [RoutingRequest] {
        var generator = SplitMix64(seed: 7)
        return (0..<count).map { index in
            let document = documents[Int(generator.next() % UInt64(documents.count))]
            let length = promptBlocks.lowerBound + Int(generator.next() % UInt64(promptBlocks.count))
            let prefix = Array(document.prefix(length))
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
