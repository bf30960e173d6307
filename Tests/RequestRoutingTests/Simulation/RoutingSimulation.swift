import Foundation
import RequestRouting
import Testing

/// A deterministic discrete-event simulation of one router in front of fake engines.
///
/// Dispatch is instantaneous; KV events reach the router `kvEventLag` after the step that caused them;
/// load reports and router ticks come every `reportInterval`. `nextTurn` turns a finished request into a
/// follow-up (closed-loop conversations). Everything is seeded: the same inputs give the same run.
final class RoutingSimulation {
    enum Event {
        case arrive(SimWorkItem)
        case stepEnd(Int)
        case report
        case kvBatch(Int, KVEventBatch)
    }

    var router: RouterCore
    var engines: [FakeEngine]
    var kvEventLag: UInt64 = 20_000_000
    var reportInterval: UInt64 = 50_000_000
    var nextTurn: ((SimWorkItem, UInt64) -> (SimWorkItem, delay: UInt64)?)?
    /// Called after each routing decision with the item, the chosen engine index and the time.
    var onRouted: ((SimWorkItem, Int, RoutingSimulation) -> Void)?
    private(set) var now: UInt64 = 0
    private(set) var completed = 0
    private(set) var lastCompletion: UInt64 = 0
    private(set) var unroutable = 0
    private(set) var retried = 0
    private(set) var failed = 0
    private(set) var routedCount: [Int]
    private var queue = EventQueue<Event>()
    private var items: [String: SimWorkItem] = [:]
    private var pendingWork = 0

    init(router: RouterCore, engines: [FakeEngine]) {
        self.router = router
        self.engines = engines
        self.routedCount = Array(repeating: 0, count: engines.count)
        for engine in engines {
            _ = try! self.router.addBackend(engine.id, now: 0)
            _ = self.router.handle(.watch(.serving), for: engine.id, now: 0)
        }
    }

    func submit(_ item: SimWorkItem, at time: UInt64) {
        pendingWork += 1
        queue.schedule(.arrive(item), at: time)
    }

    /// Runs until every submitted request (and its follow-ups) is done, or `until` is reached.
    func run(until limit: UInt64 = 600_000_000_000) {
        queue.schedule(.report, at: 0)
        while step(until: limit) {}
    }

    /// `run`, pausing for `pause` after every `batch` events, so a long simulation leaves the test runner's
    /// threads (and a 2-core machine) to the suites whose engines and routers have wall-clock deadlines.
    func runPaced(until limit: UInt64 = 600_000_000_000, batch: Int = 500, pause: Duration = .milliseconds(5)) async {
        queue.schedule(.report, at: 0)
        var events = 0
        while step(until: limit) {
            events += 1
            if events % batch == 0 { try? await Task.sleep(for: pause) }
        }
    }

    /// Handles the next event; false when everything is done or the next event is after `limit`.
    private func step(until limit: UInt64) -> Bool {
        guard pendingWork > 0, let (time, event) = queue.pop(), time <= limit else { return false }
        now = time
        switch event {
        case .arrive(let item): arrive(item)
        case .stepEnd(let index): endStep(index)
        case .report: report()
        case .kvBatch(let index, let batch):
            #expect(router.apply(batch, from: engines[index].id) == .applied)
        }
        return true
    }

    func engineIndex(_ id: EngineID) -> Int {
        engines.firstIndex { $0.id == id }!
    }

    private func arrive(_ item: SimWorkItem) {
        guard let chosen = router.routed(item.routingRequest, now: now) else {
            unroutable += 1
            queue.schedule(.arrive(item), at: now + 10_000_000)
            return
        }
        let index = engineIndex(chosen)
        items[item.id] = item
        routedCount[index] += 1
        onRouted?(item, index, self)
        enqueue(item.simRequest, on: index)
    }

    private func enqueue(_ request: SimRequest, on index: Int) {
        engines[index].waiting.append(request)
        startStepIfIdle(index)
    }

    private func startStepIfIdle(_ index: Int) {
        guard !engines[index].stepping, !engines[index].frozen, engines[index].hasWork else { return }
        engines[index].stepping = true
        queue.schedule(.stepEnd(index), at: now + engines[index].beginStep())
    }

    private func endStep(_ index: Int) {
        engines[index].stepping = false
        guard !engines[index].frozen else { return }
        let (events, firstTokens, finished) = engines[index].endStep()
        if !events.isEmpty {
            let batch = KVEventBatch(firstSequence: engines[index].kvSequence, events: events)
            engines[index].kvSequence += UInt64(events.count)
            queue.schedule(.kvBatch(index, batch), at: now + kvEventLag)
        }
        for id in firstTokens { router.markFirstTokenSent(requestID: id) }
        for id in finished { complete(id) }
        startStepIfIdle(index)
    }

    private func complete(_ id: String) {
        guard let item = items.removeValue(forKey: id) else { return }
        #expect(router.finish(item.routingRequest, outcome: .completed, now: now).decision == .done)
        completed += 1
        lastCompletion = now
        pendingWork -= 1
        if let (next, delay) = nextTurn?(item, now) { submit(next, at: now + delay) }
    }

    private func report() {
        for index in engines.indices where !engines[index].frozen {
            _ = router.updateLoad(engines[index].load, for: engines[index].id, now: now)
        }
        let result = router.tick(now: now)
        for action in result.health where action.action == .eject(.hung) { failOver(engineIndex(action.engine)) }
        queue.schedule(.report, at: now + reportInterval)
    }

    /// Moves the requests of an ejected engine that have not streamed a token to other engines.
    private func failOver(_ index: Int) {
        for id in router.requests(on: engines[index].id) {
            guard let item = items[id] else { continue }
            engines[index].waiting.removeAll { $0.id == id }
            engines[index].running.removeAll { $0.id == id }
            let result = router.finish(item.routingRequest, outcome: .timedOut, now: now)
            if case .retry(let engine, _) = result.decision {
                retried += 1
                enqueue(item.simRequest, on: engineIndex(engine))
            } else {
                items[id] = nil
                failed += 1
                pendingWork -= 1
            }
        }
    }

    /// Largest and mean in-flight count over the engines, from the router's ledger.
    var inFlightSpread: (max: Int, mean: Double) {
        let counts = router.listBackends().map(\.inFlight)
        return (counts.max() ?? 0, Double(counts.reduce(0, +)) / Double(max(counts.count, 1)))
    }
}
