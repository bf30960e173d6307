import NIOConcurrencyHelpers
import NIOCore

/// The per-connection queue of encoded frames waiting for the event loop.
///
/// Any thread enqueues; the first enqueue after a drain schedules one drain task on the loop, which writes queued
/// frames of still-live calls and flushes once. Liveness of calls is tracked here too, so a frame for a call that
/// was cancelled, timed out or already finished is dropped instead of confusing the client.
///
/// Backpressure: a drain writes only while the channel is writable (NIO's outbound buffer under its high water
/// mark); the rest waits here until the connection handler reports the channel writable again. Producers never
/// block (the engine loop must not wait for one slow reader), so the queue is bounded instead: a peer that
/// leaves more than `maxPendingBytes` unread is cut off — the connection closes, which cancels its calls (for
/// Generate: aborts its requests) and leaves every other connection alone.
public final class OutboundQueue: RPCOutbound {
    struct Item {
        var callID: UInt64
        var buffer: ByteBuffer
        var finishesCall: Bool
    }

    struct State {
        /// A ring, so a long backlog drains in batches without shifting what is left.
        var pending = CircularBuffer<Item>()
        var pendingBytes = 0
        var drainScheduled = false
        var liveCalls: Set<UInt64> = []
        var closed = false
        /// Senders suspended in `waitForRoom` by id, with the backlog they wait to fall to.
        var roomWaiters: [UInt64: (limit: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiterID: UInt64 = 0

        /// Removes the waiters whose limit the backlog now meets (all of them once closed); resume them unlocked.
        mutating func takeRoomWaiters() -> [CheckedContinuation<Void, Never>] {
            guard !roomWaiters.isEmpty else { return [] }
            let ready = roomWaiters.filter { closed || $0.value.limit >= pendingBytes }
            for id in ready.keys { roomWaiters.removeValue(forKey: id) }
            return ready.values.map(\.continuation)
        }
    }

    let channel: any Channel
    let allocator: ByteBufferAllocator
    /// Unwritten bytes (queued here, not yet handed to NIO) beyond which the peer is cut off.
    let maxPendingBytes: Int
    private let state = NIOLockedValueBox(State())
    /// Called on the event loop when a call ends (any path) so the connection can drop its bookkeeping.
    private let onCallEnded: @Sendable (UInt64) -> Void
    /// Called on the event loop once when the peer is cut off for leaving too much unread.
    private let onOverflow: @Sendable (Int) -> Void

    init(
        channel: any Channel, maxPendingBytes: Int = OutboundQueue.defaultMaxPendingBytes,
        onCallEnded: @escaping @Sendable (UInt64) -> Void, onOverflow: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.channel = channel
        self.allocator = channel.allocator
        self.maxPendingBytes = maxPendingBytes
        self.onCallEnded = onCallEnded
        self.onOverflow = onOverflow
    }

    /// 64 MiB, the default frame bound: one maximal frame always fits.
    public static let defaultMaxPendingBytes = 64 << 20


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

    /// Suspends until at most `maxQueuedBytes` wait here, the queue closes, or the task is cancelled.
    func waitForRoom(maxQueuedBytes: Int) async {
        let id = state.withLockedValue { s -> UInt64 in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                // NOTE: the cancellation check is under the lock, so a cancel that ran before this registration
                // (and found nothing to resume) is still seen.
                let ready = state.withLockedValue { s -> Bool in
                    if s.closed || s.pendingBytes <= maxQueuedBytes || Task.isCancelled { return true }
                    s.roomWaiters[id] = (maxQueuedBytes, c)
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            state.withLockedValue { $0.roomWaiters.removeValue(forKey: id)?.continuation }?.resume()
        }
    }

    /// Queues a frame for a call; `finishesCall` marks the call's last frame.
    func enqueue(callID: UInt64, _ buffer: ByteBuffer, finishesCall: Bool) {
        let (accepted, next) = state.withLockedValue { s -> (Bool, AfterEnqueue) in
            guard !s.closed, s.liveCalls.contains(callID) else { return (false, .nothing) }
            if finishesCall { s.liveCalls.remove(callID) }
            s.pending.append(Item(callID: callID, buffer: buffer, finishesCall: finishesCall))
            s.pendingBytes += buffer.readableBytes
            return (true, Self.afterEnqueue(&s, limit: maxPendingBytes))
        }
        run(next)
        if accepted && finishesCall { channel.eventLoop.execute { [onCallEnded] in onCallEnded(callID) } }
    }

    /// Queues several frames at once (one lock, at most one drain → one flush for all of them).
    func enqueue(batch: [(callID: UInt64, buffer: ByteBuffer)]) {
        let next = state.withLockedValue { s -> AfterEnqueue in
            guard !s.closed else { return .nothing }
            for item in batch where s.liveCalls.contains(item.callID) {
                s.pending.append(Item(callID: item.callID, buffer: item.buffer, finishesCall: false))
                s.pendingBytes += item.buffer.readableBytes
            }
            if s.pending.isEmpty { return .nothing }
            return Self.afterEnqueue(&s, limit: maxPendingBytes)
        }
        run(next)
    }

    private enum AfterEnqueue {
        case nothing
        case drain
        case overflow(Int)
    }

    /// Under the lock, after appending: cut the peer off past the limit, else make sure one drain is scheduled.
    private static func afterEnqueue(_ s: inout State, limit: Int) -> AfterEnqueue {
        if s.pendingBytes > limit {
            let bytes = s.pendingBytes
            s.closed = true
            s.pending.removeAll()
            s.pendingBytes = 0
            return .overflow(bytes)
        }
        if s.drainScheduled { return .nothing }
        s.drainScheduled = true
        return .drain
    }

    private func run(_ next: AfterEnqueue) {
        switch next {
        case .nothing: return
        case .drain: channel.eventLoop.execute { self.drain() }
        case .overflow(let bytes):
            for waiter in state.withLockedValue({ $0.takeRoomWaiters() }) { waiter.resume() }
            channel.eventLoop.execute { [onOverflow, channel] in
                onOverflow(bytes)
                channel.close(promise: nil)
            }
        }
    }

    /// The connection handler's report that the channel turned writable again (on the event loop).
    func channelBecameWritable() {
        let schedule = state.withLockedValue { s -> Bool in
            guard !s.pending.isEmpty, !s.drainScheduled else { return false }
            s.drainScheduled = true
            return true
        }
        if schedule { drain() }
    }

    /// Writes a connection-level frame (hello, pong, connection error) outside any call.
    func sendControl(_ frame: Frame, flush: Bool = true) {
        let buffer = FrameEncoder.encode(frame, allocator: allocator)
        if flush { channel.writeAndFlush(buffer, promise: nil) } else { channel.write(buffer, promise: nil) }
    }

    /// Stops accepting frames; every live call is ended.
    func close() -> [UInt64] {
        let (calls, waiters) = state.withLockedValue { s in
            s.closed = true
            s.pending.removeAll()
            s.pendingBytes = 0
            let calls = Array(s.liveCalls)
            s.liveCalls.removeAll()
            return (calls, s.takeRoomWaiters())
        }
        for waiter in waiters { waiter.resume() }
        return calls
    }

    /// Writes queued frames while the channel stays writable, then flushes once. What is left waits for
    /// `channelBecameWritable()`.
    private func drain() {
        var writable = channel.isWritable
        while writable {
            let (items, waiters) = state.withLockedValue { s -> ([Item], [CheckedContinuation<Void, Never>]) in
                // NOTE: a bounded batch per round, so a huge backlog is handed to NIO only as fast as it drains.
                var take: [Item] = []
                take.reserveCapacity(min(s.pending.count, Self.drainBatch))
                while take.count < Self.drainBatch, let item = s.pending.popFirst() {
                    s.pendingBytes -= item.buffer.readableBytes
                    take.append(item)
                }
                if take.isEmpty { s.drainScheduled = false }
                return (take, s.takeRoomWaiters())
            }
            for waiter in waiters { waiter.resume() }
            if items.isEmpty { break }
            for item in items { channel.write(item.buffer, promise: nil) }
            writable = channel.isWritable
        }
        channel.flush()
        guard !writable else { return }
        // Not writable: stop here; `channelBecameWritable()` schedules the next drain. NOTE: the flush itself may
        // have made the channel writable again, and NIO reports that from inside `flush`, while this drain still
        // counted as scheduled, so the report was dropped: look once more, or the backlog waits for the next enqueue.
        let again = state.withLockedValue { s -> Bool in
            s.drainScheduled = !s.pending.isEmpty && channel.isWritable
            return s.drainScheduled
        }
        if again { channel.eventLoop.execute { self.drain() } }
    }

    /// Frames handed to NIO per round of a drain.
    static let drainBatch = 1024
}
