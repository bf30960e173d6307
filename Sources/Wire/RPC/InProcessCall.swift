import NIOCore
import NIOPosix
import Synchronization

/// One call of an `InProcessRPCClient`: the handler's `RPCOutbound`, feeding the caller's stream of frames.
///
/// Each frame the handler queues is decoded at once with `FrameDecoder` and handed on by kind, as
/// `ClientConnectionHandler` does with frames read from a socket: RESPONSE and STREAM_MESSAGE are yielded,
/// STREAM_END finishes the stream, ERROR finishes it with the frame's status. The call stops being live at its
/// finishing frame or at `cancel` (its consumer left, its deadline passed, the client closed), which also cancels
/// the handler's task; frames queued after that are dropped, as a connection drops frames of a call that ended.
final class InProcessCall: RPCOutbound {
    private struct State {
        var live = true
        var handler: Task<Void, Never>?
        var deadlineTimer: Scheduled<Void>?
    }

    let callID: UInt64
    let allocator = ByteBufferAllocator()
    private let continuation: AsyncThrowingStream<Frame, any Error>.Continuation
    private let maxFrameBytes: Int
    private let state = Mutex(State())
    /// Called once when the call stops being live, for the client's list of calls in flight.
    private let onEnd: @Sendable (UInt64) -> Void

    /// The call feeds `continuation`; the caller reads its stream, and dropping that stream unfinished cancels the
    /// call. (The call must not hold the stream itself, or it could never be dropped.)
    init(
        callID: UInt64, continuation: AsyncThrowingStream<Frame, any Error>.Continuation, maxFrameBytes: Int,
        onEnd: @escaping @Sendable (UInt64) -> Void
    ) {
        self.callID = callID
        self.continuation = continuation
        self.maxFrameBytes = maxFrameBytes
        self.onEnd = onEnd
        continuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination else { return }
            // NOTE: not inline. A consumer task's cancellation runs this while the runtime holds that task's status
            // lock, and `enqueue` holds `state` while it yields to the same stream, which may need that status lock:
            // taking `state` here deadlocked the two (seen once in a full test run). The stream is already
            // terminated, so frames enqueued before the hop are dropped by it.
            MultiThreadedEventLoopGroup.singleton.any().execute {
                self?.cancel(RPCError(.cancelled, "call cancelled by the client"))
            }
        }
    }

    /// Runs `handler` on its own task, as `ServerConnectionHandler` does, and ends the call with DEADLINE_EXCEEDED
    /// when the context's deadline passes first.
    func start(_ handler: @escaping RPCHandlers.Erased, request: Frame, context: RPCContext) {
        let task = Task { await handler(request, context, self) }
        // NOTE: the deadline is an event-loop timer, as on a connection, not a sleeping task: it fires on time even
        // while every thread of the task pool is busy.
        let timer = context.deadline.map { deadline in
            let left = ContinuousClock.now.duration(to: deadline).components
            let nanos = max(0, left.seconds * 1_000_000_000 + left.attoseconds / 1_000_000_000)
            return MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(nanos)) {
                [weak self] () -> Void in self?.cancel(RPCError(.deadlineExceeded, "deadline exceeded"))
            }
        }
        let ended = state.withLock { s -> Bool in
            s.handler = task
            s.deadlineTimer = timer
            return !s.live
        }
        if ended {
            task.cancel()
            timer?.cancel()
        }
    }

    /// Ends the call from the caller's side: the caller's stream ends by throwing `error` and the handler's task is
    /// cancelled; nothing once the call has ended.
    func cancel(_ error: RPCError) {
        let (ended, handler) = state.withLock { s -> (Bool, Task<Void, Never>?) in
            guard s.live else { return (false, nil) }
            s.live = false
            continuation.finish(throwing: error)
            return (true, s.handler)
        }
        guard ended else { return }
        handler?.cancel()
        end()
    }

    func isLive(_ callID: UInt64) -> Bool {
        state.withLock { $0.live }
    }

    func enqueue(callID: UInt64, _ buffer: ByteBuffer, finishesCall: Bool) {
        let ended = state.withLock { s -> Bool in
            guard s.live else { return false }
            // NOTE: delivered under the lock, so frames keep the order of their enqueues and none follows the last.
            let goesOn = deliver(buffer)
            if !goesOn || finishesCall { s.live = false }
            return !s.live
        }
        if ended { end() }
    }

    /// The call stopped being live: its deadline no longer matters, and the client forgets it.
    private func end() {
        state.withLock { $0.deadlineTimer }?.cancel()
        onEnd(callID)
    }

    func enqueue(batch: [(callID: UInt64, buffer: ByteBuffer)]) {
        for item in batch { enqueue(callID: item.callID, item.buffer, finishesCall: false) }
    }

    /// Decodes one queued frame and hands it to the caller; returns whether the call goes on.
    private func deliver(_ buffer: ByteBuffer) -> Bool {
        var buffer = buffer
        let frame: Frame
        do {
            // Every buffer a handler queues is one whole frame from FrameEncoder.
            frame = try FrameDecoder.decodeOne(from: &buffer, maxFrameBytes: maxFrameBytes)!
        } catch {
            // As a connection's client treats a frame it cannot read (one over the size limit).
            let status = (error as? FrameError)?.status ?? .internal
            continuation.finish(throwing: RPCError(status, "\(error)", origin: .transport))
            return false
        }
        switch frame.kind {
        case .streamMessage:
            continuation.yield(frame)
            return true
        case .response:
            continuation.yield(frame)
            continuation.finish()
        case .streamEnd: continuation.finish()
        case .error: continuation.finish(throwing: RPCError(frame.status, frame.statusMessage))
        default: preconditionFailure("a handler queued a \(frame.kind) frame")
        }
        return false
    }
}
