import RequestRouting
import ServingCore
import Testing

@Suite("Retry budget")
struct RetryBudgetTests {
    static func request(_ id: String) -> RoutingRequest { RoutingRequest(requestID: id) }

    @Test("the limit is the larger of the minimum concurrency and the percentage of requests in flight")
    func limit() {
        let budget = RetryBudget()
        #expect(budget.limit(requestsInFlight: 1) == 3)
        #expect(budget.limit(requestsInFlight: 100) == 20)
        #expect(budget.allows(retriesInFlight: 3, requestsInFlight: 3))
        #expect(!budget.allows(retriesInFlight: 4, requestsInFlight: 10))
        #expect(budget.allows(retriesInFlight: 20, requestsInFlight: 100))
        #expect(!budget.allows(retriesInFlight: 21, requestsInFlight: 104), "20.8 is not rounded up")
        #expect(!RetryBudget(retryBudgetPercent: 0, minRetryConcurrency: 0).allows(retriesInFlight: 1, requestsInFlight: 50))
    }

    @Test("out-of-range budgets are refused up front")
    func validation() {
        for budget in [
            RetryBudget(retryBudgetPercent: -1), RetryBudget(retryBudgetPercent: 100.5),
            RetryBudget(retryBudgetPercent: .nan), RetryBudget(minRetryConcurrency: -1),
        ] {
            var config = RouterConfig()
            config.retryBudget = budget
            #expect(throws: RouterConfigError.self) { try RouterCore(config: config) }
        }
    }

    @Test("a single failure among few requests is still retried")
    func singleFailureRetries() {
        var router = RouterCoreTests.router(.roundRobin)
        let request = Self.request("a")
        let first = router.routed(request, now: 0)!
        let result = router.finish(request, outcome: .transportError, now: 1)
        guard case .retry(let next, let previous) = result.decision else {
            Issue.record("expected a retry, got \(result.decision)")
            return
        }
        #expect(next != first && previous == first && !result.retryBudgetExhausted)
        #expect(router.ledger.retriesInFlight == 1)
    }

    @Test("with 100 requests in flight all failing, 20 are retried and the rest fail with their error")
    func budgetCapsAStorm() {
        var router = RouterCoreTests.router(.roundRobin)
        let requests = (0..<100).map { Self.request("r\($0)") }
        for request in requests { _ = router.routed(request, now: 0) }
        var retried = 0
        var refused = 0
        for request in requests {
            let result = router.finish(request, outcome: .unavailable, now: 1)
            switch result.decision {
            case .retry: retried += 1
            case .fail:
                #expect(result.retryBudgetExhausted)
                refused += 1
            case .done: Issue.record("a retryable failure cannot end as done")
            }
        }
        #expect(retried == 20 && refused == 80)
        #expect(router.stats.retriesBudgetExhausted == 80)
        #expect(router.ledger.retriesInFlight == 20)
        router.ledger.checkInvariants()
    }

    @Test("requests whose engine connection was lost all move, whatever the budget says")
    func lostConnectionsAreExempt() {
        var router = RouterCoreTests.router(.roundRobin) {
            $0.retryBudget = RetryBudget(retryBudgetPercent: 0, minRetryConcurrency: 0)
        }
        let requests = (0..<40).map { Self.request("t\($0)") }
        for request in requests { _ = router.routed(request, now: 1) }
        var moved = 0
        for request in requests {
            if case .retry = router.finish(request, outcome: .transportError, now: 2).decision { moved += 1 }
        }
        #expect(moved == 40)
        #expect(router.stats.retriesBudgetExhausted == 0)
        // A timeout is budgeted: with a zero budget it fails.
        let late = Self.request("late")
        _ = router.routed(late, now: 3)
        let result = router.finish(late, outcome: .timedOut, now: 4)
        #expect(result.decision == .fail && result.retryBudgetExhausted)
    }

    @Test("a storm of random failures never takes the retries in flight past the budget", arguments: 0..<8)
    func stormNeverExceedsBudget(seed: Int) {
        var generator = SplitMix64(seed: 0xB0D6E7 &+ UInt64(seed))
        var router = RouterCoreTests.router(PolicyKind.allCases[seed % PolicyKind.allCases.count]) {
            $0.retryBudget = RetryBudget(retryBudgetPercent: Double(10 + seed * 5), minRetryConcurrency: seed % 4)
        }
        let budget = router.config.retryBudget
        let outcomes: [RequestOutcome] = [.transportError, .timedOut, .unavailable, .unavailable, .completed]
        var live: [RoutingRequest] = []
        var (retries, refusals) = (0, 0)
        var now: UInt64 = 1
        for step in 0..<3_000 {
            now += 10_000_000
            if generator.next() % 100 < 45 {
                let request = Self.request("s\(step)")
                if router.routed(request, now: now) != nil { live.append(request) }
            } else if !live.isEmpty {
                let position = Int(generator.next() % UInt64(live.count))
                let outcome = outcomes[Int(generator.next() % UInt64(outcomes.count))]
                let result = router.finish(live[position], outcome: outcome, now: now)
                if case .retry = result.decision {
                    retries += 1
                    // Lost connections move without asking the budget; every other retry must fit it.
                    #expect(
                        outcome == .transportError
                            || Double(router.ledger.retriesInFlight) <= budget.limit(requestsInFlight: router.ledger.count),
                        "\(router.ledger.retriesInFlight) retries with \(router.ledger.count) in flight")
                } else {
                    if result.retryBudgetExhausted { refusals += 1 }
                    live.remove(at: position)
                }
            }
            if step % 50 == 0 { _ = router.tick(now: now) }
            router.ledger.checkInvariants()
        }
        #expect(retries > 0 && refusals > 0, "retries \(retries), refusals \(refusals)")
        #expect(router.stats.retriesBudgetExhausted == refusals)
    }
}
