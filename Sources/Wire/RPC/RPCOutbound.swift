import NIOCore

/// Where a server handler's answer frames go: a connection's `OutboundQueue`, or an in-process call
/// (`InProcessCall`) that hands them straight to its caller.
///
/// Handlers see it only through `RPCStreamWriter`, `RPCWriteBatch` and `RPCHandlers`, so one handler table serves
/// both. Every buffer is one length-prefixed frame, encoded by `FrameEncoder`. A call is live from its start until
/// its finishing frame, its cancellation or its deadline; frames for a call that is no longer live are dropped.
protocol RPCOutbound: AnyObject, Sendable {
    var allocator: ByteBufferAllocator { get }

    func isLive(_ callID: UInt64) -> Bool

    /// Queues a frame for a call; `finishesCall` marks the call's last frame.
    func enqueue(callID: UInt64, _ buffer: ByteBuffer, finishesCall: Bool)

    /// Queues stream messages of several calls at once (one flush for all of them on a connection).
    func enqueue(batch: [(callID: UInt64, buffer: ByteBuffer)])

    /// Returns once at most `maxQueuedBytes` wait to be written, the outbound closed, or the task was cancelled.
    func waitForRoom(maxQueuedBytes: Int) async
}

extension RPCOutbound {
    /// An outbound that hands frames on at once (an in-process call) always has room.
    func waitForRoom(maxQueuedBytes: Int) async {}

    /// Ends the call with an ERROR frame carrying `error` (unless it already ended).
    func fail(callID: UInt64, _ error: RPCError) {
        let frame = Frame(callID: callID, kind: .error, status: error.code, statusMessage: error.message)
        enqueue(callID: callID, FrameEncoder.encode(frame, allocator: allocator), finishesCall: true)
    }
}
