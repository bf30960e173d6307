#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Synchronization
import Wire

/// The producers' memory files this consumer has mapped, at most one per producer address, reused across LoadKV
/// calls: a fresh mapping pays a page fault for every 64 KiB it first touches, a cached one none.
///
/// NOTE: a mapping pins the producer's whole cache in memory, even after that producer died or replaced its cache.
/// So an entry goes as soon as the address answers with another file (a restarted producer), and `sweep` (each
/// LoadKV) drops entries idle for `idle` or whose process is gone; what a mapping in use holds stays valid until
/// that copy ends.
final class KVMappings: Sendable {
    private struct Entry {
        var mapping: KVMapping
        var lastUsed: ContinuousClock.Instant
    }

    let idle: Duration
    private let entries = Mutex<[String: Entry]>([:])
    /// Addresses whose memory could not be mapped, and until when they are not offered shared memory again.
    private let refused = Mutex<[String: ContinuousClock.Instant]>([:])

    init(idle: Duration) {
        self.idle = idle
    }

    /// The mapping of `source` for the producer at `address`: the cached one when it names the same file, else a new
    /// one (replacing the old).
    func mapping(
        _ source: ApusV1.KVSharedMemory, address: String, now: ContinuousClock.Instant
    ) throws(KVMapping.Unavailable) -> KVMapping {
        let cached = entries.withLock { entries -> KVMapping? in
            guard let entry = entries[address], entry.mapping.maps(source) else { return nil }
            entries[address]!.lastUsed = now
            return entry.mapping
        }
        if let cached { return cached }
        let mapping = try KVMapping(source)
        entries.withLock { $0[address] = Entry(mapping: mapping, lastUsed: now) }
        return mapping
    }

    /// Whether to offer shared memory to `address`: not within `idle` of its memory failing to map.
    func shouldOffer(_ address: String, now: ContinuousClock.Instant) -> Bool {
        refused.withLock { refused in
            guard let until = refused[address] else { return true }
            if now < until { return false }
            refused[address] = nil
            return true
        }
    }

    func refuse(_ address: String, now: ContinuousClock.Instant) {
        entries.withLock { $0[address] = nil }
        refused.withLock { $0[address] = now + idle }
    }

    /// Drops the mappings idle for `idle` and those of processes that no longer exist.
    func sweep(now: ContinuousClock.Instant) {
        entries.withLock { entries in
            entries = entries.filter { _, entry in
                entry.lastUsed.duration(to: now) < idle
                    && !(kill(pid_t(entry.mapping.source.pid), 0) != 0 && errno == ESRCH)
            }
        }
    }
}
