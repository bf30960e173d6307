import NIOConcurrencyHelpers
import NIOCore

/// Collects stream messages for many calls (on many connections) and hands them to each connection in one piece,
/// so everything one engine step produces for one connection leaves with a single flush.
///
/// `add` encodes at once on the caller's thread; `flush` queues per connection. Used by the engine-core, which
/// adds every output of a step and then flushes once.
public final class RPCWriteBatch: Sendable {
    private let pending = NIOLockedValueBox(
        [ObjectIdentifier: (any RPCOutbound, [(callID: UInt64, buffer: ByteBuffer)])]())

    public init() {}

    public func add<Message: WireMessage>(_ message: Message, to writer: RPCStreamWriter<Message>) {
        let outbound = writer.outbound
        guard outbound.isLive(writer.callID) else { return }
        var buffer = outbound.allocator.buffer(capacity: 64)
        FrameEncoder.write(Frame(callID: writer.callID, kind: .streamMessage), message: message, into: &buffer)
        pending.withLockedValue { p in
            let key = ObjectIdentifier(outbound)
            p[key, default: (outbound, [])].1.append((writer.callID, buffer))
        }
    }

    /// Queues everything added since the last flush: one drain (one flush) per connection.
    public func flush() {
        let batches = pending.withLockedValue { p in
            defer { p.removeAll(keepingCapacity: true) }
            return Array(p.values)
        }
        for (outbound, items) in batches { outbound.enqueue(batch: items) }
    }
}
