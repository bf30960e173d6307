import NIOConcurrencyHelpers
import NIOCore

/// The per-connection queue of encoded frames waiting for the event loop.
///
/// Any thread enqueues; the first enqueue after a drain schedules one drain task on the loop, which writes every
/// queued frame of a still-live call and flushes once. Liveness of calls is tracked here too, so a frame for a
/// call that was cancelled, timed out or already finished is dropped instead of confusing the client.
public final class OutboundQueue: Sendable {
    struct Item {
        var callID: UInt64
        var buffer: ByteBuffer
        var finishesCall: Bool
    }

    struct State {
        var pending: [Item] = []
        var drainScheduled = false
        var liveCalls: Set<UInt64> = []
        var closed = false
    }

    let channel: any Channel
    let allocator: ByteBufferAllocator
    private let state = NIOLockedValueBox(State())
    /// Called on the event loop when a call ends (any path) so the connection can drop its bookkeeping.
    private let onCallEnded: @Sendable (UInt64) -> Void

    init(channel: any Channel, onCallEnded: @escaping @Sendable (UInt64) -> Void) {
        self.channel = channel
        self.allocator = channel.allocator
        self.onCallEnded = onCallEnded
    }

    func open(callID: UInt64) {
        state.withLockedValue { _ = $0.liveCalls.insert(callID) }
    }

    func isLive(_ callID: UInt64) -> Bool {
        state.withLockedValue { !$0.closed && $0.liveCalls.contains(callID) }
    }

    /// Ends the call now without a frame of its own (the client cancelled it).
    func retire(callID: UInt64) {
        let wasLive = state.withLockedValue { $0.liveCalls.remove(callID) != nil }
        if wasLive { onCallEnded(callID) }
    }

    /// Ends the call with an ERROR frame carrying `error` (unless it already ended).
    func fail(callID: UInt64, _ error: RPCError) {
        let frame = Frame(callID: callID, kind: .error, status: error.code, statusMessage: error.message)
        enqueue(callID: callID, FrameEncoder.encode(frame, allocator: allocator), finishesCall: true)
    }

    /// Queues a frame for a call; `finishesCall` marks the call's last frame.
    func enqueue(callID: UInt64, _ buffer: ByteBuffer, finishesCall: Bool) {
        let (accepted, schedule) = state.withLockedValue { s -> (Bool, Bool) in
            guard !s.closed, s.liveCalls.contains(callID) else { return (false, false) }
            if finishesCall { s.liveCalls.remove(callID) }
            s.pending.append(Item(callID: callID, buffer: buffer, finishesCall: finishesCall))
            if s.drainScheduled { return (true, false) }
            s.drainScheduled = true
            return (true, true)
        }
        if schedule { channel.eventLoop.execute { self.drain() } }
        if accepted && finishesCall { channel.eventLoop.execute { [onCallEnded] in onCallEnded(callID) } }
    }

    /// Queues several frames at once (one lock, at most one drain → one flush for all of them).
    func enqueue(batch: [(callID: UInt64, buffer: ByteBuffer)]) {
        let schedule = state.withLockedValue { s -> Bool in
            guard !s.closed else { return false }
            for item in batch where s.liveCalls.contains(item.callID) {
                s.pending.append(Item(callID: item.callID, buffer: item.buffer, finishesCall: false))
            }
            if s.drainScheduled || s.pending.isEmpty { return false }
            s.drainScheduled = true
            return true
        }
        if schedule { channel.eventLoop.execute { self.drain() } }
    }

    /// Writes a connection-level frame (hello, pong, connection error) outside any call.
    func sendControl(_ frame: Frame, flush: Bool = true) {
        let buffer = FrameEncoder.encode(frame, allocator: allocator)
        if flush { channel.writeAndFlush(buffer, promise: nil) } else { channel.write(buffer, promise: nil) }
    }

    /// Stops accepting frames; every live call is ended.
    func close() -> [UInt64] {
        state.withLockedValue { s in
            s.closed = true
            s.pending.removeAll()
            let calls = Array(s.liveCalls)
            s.liveCalls.removeAll()
            return calls
        }
    }

    private func drain() {
        let items = state.withLockedValue { s -> [Item] in
            s.drainScheduled = false
            let items = s.pending
            s.pending.removeAll(keepingCapacity: true)
            return items
        }
        guard !items.isEmpty else { return }
        for item in items { channel.write(item.buffer, promise: nil) }
        channel.flush()
    }
}
