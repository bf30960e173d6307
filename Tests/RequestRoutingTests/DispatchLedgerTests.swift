import RequestRouting
import ServingCore
import Testing

@Suite("DispatchLedger")
struct DispatchLedgerTests {
    @Test("a dispatch counts once on its engine and a finish takes it away once")
    func dispatchAndFinish() {
        var ledger = DispatchLedger()
        ledger.dispatch("a", to: "e1", slot: 1)
        ledger.dispatch("b", to: "e1", slot: 1)
        #expect(ledger.inFlight(on: "e1") == 2)
        #expect(ledger.finish("a")?.engine == "e1")
        #expect(ledger.finish("a") == nil, "a second finish changes nothing")
        #expect(ledger.inFlight(on: "e1") == 1)
        ledger.checkInvariants()
    }

    @Test("a retry moves the count to the new engine and never goes back to a tried one")
    func retryMoves() {
        var ledger = DispatchLedger(maxAttempts: 3)
        ledger.dispatch("a", to: "e1", slot: 1)
        ledger.retry("a", on: "e2", slot: 2)
        #expect(ledger.inFlight(on: "e1") == 0)
        #expect(ledger.inFlight(on: "e2") == 1)
        #expect(ledger.entry(for: "a")?.triedEngines == ["e1", "e2"])
        ledger.retry("a", on: "e3", slot: 3)
        #expect(!ledger.canRetry("a"), "three attempts are the limit")
        ledger.checkInvariants()
    }

    @Test("after the first token reached the client a request is never retried")
    func noRetryAfterFirstToken() {
        var ledger = DispatchLedger()
        ledger.dispatch("a", to: "e1", slot: 1)
        #expect(ledger.canRetry("a"))
        ledger.markFirstTokenSent("a")
        #expect(!ledger.canRetry("a"))
    }

    @Test("removing an engine detaches its requests: the count drops now and their finish does not drop it again")
    func detachOnRemoval() {
        var ledger = DispatchLedger()
        ledger.dispatch("a", to: "e1", slot: 1)
        ledger.dispatch("b", to: "e2", slot: 2)
        ledger.dispatch("c", to: "e1", slot: 1)
        #expect(ledger.detachAll(from: "e1") == ["a", "c"])
        #expect(ledger.inFlight(on: "e1") == 0)
        ledger.retry("a", on: "e2", slot: 2)
        #expect(ledger.inFlight(on: "e2") == 2)
        #expect(ledger.finish("c")?.engine == nil)
        #expect(ledger.totalInFlight == 2)
        ledger.checkInvariants()
    }

    @Test(
        "random dispatches, first tokens, completions, errors, cancels, retries and removals never leak a count",
        arguments: 0..<20)
    func randomSequencesNeverLeak(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) &* 0x9E37_79B9)
        var ledger = DispatchLedger(maxAttempts: 3)
        let engines: [EngineID] = ["e0", "e1", "e2", "e3"]
        var live: [String] = []
        for step in 0..<2_000 {
            let roll = generator.next() % 100
            if roll < 30 || live.isEmpty {
                let id = "r\(step)"
                let slot = Int(generator.next() % 4)
                ledger.dispatch(id, to: engines[slot], slot: slot)
                live.append(id)
            } else {
                let position = Int(generator.next() % UInt64(live.count))
                let id = live[position]
                switch roll {
                case 30..<45: ledger.markFirstTokenSent(id)
                case 45..<70:
                    let untried = engines.filter { !(ledger.entry(for: id)?.triedEngines.contains($0) ?? true) }
                    if ledger.canRetry(id), let next = untried.first {
                        let before = ledger.entry(for: id)!
                        #expect(!before.firstTokenSent)
                        ledger.retry(id, on: next, slot: engines.firstIndex(of: next)!)
                    } else {
                        ledger.finish(id)
                        live.remove(at: position)
                    }
                case 70..<75: _ = ledger.detachAll(from: engines[Int(generator.next() % 4)])
                default:
                    ledger.finish(id)
                    live.remove(at: position)
                }
            }
            ledger.checkInvariants()
        }
        for id in live { ledger.finish(id) }
        #expect(ledger.count == 0)
        #expect(ledger.totalInFlight == 0)
        for engine in engines { #expect(ledger.inFlight(on: engine) == 0) }
    }
}

@Suite("DispatchLedger retry count")
struct DispatchLedgerRetryCountTests {
    @Test("a request counts as one retry in flight from its first retry until it finishes")
    func retriesInFlight() {
        var ledger = DispatchLedger(maxAttempts: 3)
        ledger.dispatch("a", to: "e0", slot: 0)
        ledger.dispatch("b", to: "e1", slot: 1)
        #expect(ledger.retriesInFlight == 0)
        ledger.retry("a", on: "e1", slot: 1)
        ledger.retry("a", on: "e2", slot: 2)
        #expect(ledger.retriesInFlight == 1)
        _ = ledger.detachAll(from: "e2")
        #expect(ledger.retriesInFlight == 1, "a detached retry is still in flight")
        ledger.checkInvariants()
        ledger.finish("a")
        ledger.finish("b")
        #expect(ledger.retriesInFlight == 0)
        ledger.checkInvariants()
    }
}
