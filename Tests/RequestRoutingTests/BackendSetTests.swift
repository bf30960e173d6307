import RequestRouting
import Testing

@Suite("BackendSet: max ejection percent and ejection jitter")
struct BackendSetTests {
    static let second: UInt64 = 1_000_000_000

    /// A set of `count` ready engines e0, e1, … configured by `configure`.
    static func ready(_ count: Int, seed: UInt64 = 0, _ configure: (inout HealthConfig) -> Void = { _ in })
        -> BackendSet
    {
        var config = HealthConfig()
        configure(&config)
        var set = BackendSet(healthConfig: config, seed: seed)
        for index in 0..<count {
            let id = EngineID("e\(index)")
            #expect(try! set.add(id, now: 0))
            #expect(set.handle(.checkSucceeded, for: id, now: 0) == [.admit])
        }
        return set
    }

    /// Five transport errors on `id` at `now`; the actions of the fifth.
    static func fail(_ set: inout BackendSet, _ id: EngineID, now: UInt64) -> [HealthAction] {
        for _ in 0..<4 { #expect(set.handle(.transportError, for: id, now: now) == []) }
        return set.handle(.transportError, for: id, now: now)
    }

    @Test("at most maxEjectionPercent of the engines are passively ejected at once; later ones are skipped")
    func maxEjectionPercent() {
        var set = Self.ready(4) { $0.ejectionJitterPercent = 0 }
        #expect(Self.fail(&set, "e0", now: 1).first == .eject(.transportErrors))
        #expect(Self.fail(&set, "e1", now: 2).first == .eject(.transportErrors))
        #expect(Self.fail(&set, "e2", now: 3) == [.ejectionSkipped], "a third of four would pass 50%")
        #expect(set["e2"]!.health.isDispatchable)
        let end = 1 + 30 * Self.second
        #expect(!set.ejectionAllowed(now: end - 1))
        #expect(set.ejectionAllowed(now: end), "an ejection whose time ran out no longer counts")
        #expect(Self.fail(&set, "e2", now: end).first == .eject(.transportErrors))
    }

    @Test("one engine may always be ejected, whatever the percentage")
    func atLeastOne() {
        var set = Self.ready(4) { $0.maxEjectionPercent = 0 }
        #expect(Self.fail(&set, "e3", now: 1).first == .eject(.transportErrors))
        #expect(Self.fail(&set, "e0", now: 2) == [.ejectionSkipped])
        var two = Self.ready(2) { $0.maxEjectionPercent = 10 }
        #expect(Self.fail(&two, "e1", now: 1).first == .eject(.transportErrors))
        #expect(Self.fail(&two, "e0", now: 1) == [.ejectionSkipped], "the last ready engine stays")
    }

    @Test("draining engines are not members for the percentage")
    func drainingNotCounted() {
        var set = Self.ready(4)
        _ = set.drain("e2", now: 0)
        _ = set.drain("e3", now: 0)
        #expect(Self.fail(&set, "e0", now: 1).first == .eject(.transportErrors))
        #expect(Self.fail(&set, "e1", now: 1) == [.ejectionSkipped], "two of two live engines would be 100%")
    }

    @Test("engines ejected together come back at different times, within the jitter, the same for one seed")
    func jitterSpreadsReturns() {
        func ends(seed: UInt64) -> [UInt64] {
            var set = Self.ready(8, seed: seed) { $0.maxEjectionPercent = 100 }
            for index in 0..<8 { _ = Self.fail(&set, EngineID("e\(index)"), now: 0) }
            return (0..<8).map { set[EngineID("e\($0)")]!.health.ejectedUntil! }
        }
        let first = ends(seed: 7)
        #expect(Set(first).count == 8, "\(first)")
        #expect(first.allSatisfy { (30 * Self.second)..<(33 * Self.second) ~= $0 }, "\(first)")
        #expect(ends(seed: 7) == first, "deterministic for a seed")
        #expect(ends(seed: 8) != first)
    }
}
