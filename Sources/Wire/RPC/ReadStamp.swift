import NIOCore
import Synchronization

/// When a client last read a frame from its server, for `RPCClient.timeSinceLastRead`.
///
/// The connection handler stamps it on the event loop for every frame (keepalive pongs included); any thread reads
/// it. One per client, shared by its successive connections.
final class ReadStamp: Sendable {
    /// `NIODeadline` uptime nanoseconds of the last read; 0 before the first.
    private let uptimeNanos = Atomic<UInt64>(0)

    func stamp() { uptimeNanos.store(NIODeadline.now().uptimeNanoseconds, ordering: .relaxed) }

    /// Time since the last read; nil before the first.
    var age: Duration? {
        let last = uptimeNanos.load(ordering: .relaxed)
        guard last > 0 else { return nil }
        let now = NIODeadline.now().uptimeNanoseconds
        return .nanoseconds(Int64(clamping: now >= last ? now - last : 0))
    }
}
