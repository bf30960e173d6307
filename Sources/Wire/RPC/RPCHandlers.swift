import NIOCore

/// What a server handler knows about its call.
public struct RPCContext: Sendable {
    public var method: String
    public var metadata: [MetadataEntry]
    /// When the call must be finished by; the server also cancels the handler at this instant.
    public var deadline: ContinuousClock.Instant?
    /// The peer's hello (service name and instance id).
    public var peerService: String
    public var peerInstanceID: String
    public var remoteAddress: String
}

/// Sends the messages of one server-streaming call.
///
/// `send` encodes on the caller's thread and queues the frame on the call's `RPCOutbound` (its connection, or an
/// in-process caller); frames queued before the event loop runs go out with one flush, so all outputs of one engine
/// step to one connection leave together.
public struct RPCStreamWriter<Message: WireMessage>: Sendable {
    let callID: UInt64
    let outbound: any RPCOutbound

    /// Queues one message; throws CANCELLED once the call is over (client cancelled, deadline, connection closed).
    public func send(_ message: Message) throws {
        guard outbound.isLive(callID) else { throw RPCError(.cancelled, "the call is no longer active") }
        var buffer = outbound.allocator.buffer(capacity: 64)
        FrameEncoder.write(Frame(callID: callID, kind: .streamMessage), message: message, into: &buffer)
        outbound.enqueue(callID: callID, buffer, finishesCall: false)
    }

    /// Queues one message that is already encoded (a forwarder passing on what it received): the bytes must be a
    /// valid encoding of `Message`; they are not checked.
    public func sendEncoded(_ payload: [UInt8]) throws {
        guard outbound.isLive(callID) else { throw RPCError(.cancelled, "the call is no longer active") }
        var buffer = outbound.allocator.buffer(capacity: 64 + payload.count)
        FrameEncoder.write(Frame(callID: callID, kind: .streamMessage, payload: payload), into: &buffer)
        outbound.enqueue(callID: callID, buffer, finishesCall: false)
    }

    /// Queues one message whose `payloadSize` encoded bytes `writePayload` writes straight into the frame (a sender
    /// gathering bulk bytes from its own memory copies them once); as `FrameEncoder.write(_:payloadSize:into:…)`.
    public func send(payloadSize: Int, writePayload: (UnsafeMutableRawBufferPointer) -> Void) throws {
        guard outbound.isLive(callID) else { throw RPCError(.cancelled, "the call is no longer active") }
        var buffer = outbound.allocator.buffer(capacity: 64 + payloadSize)
        FrameEncoder.write(
            Frame(callID: callID, kind: .streamMessage), payloadSize: payloadSize, into: &buffer,
            writePayload: writePayload)
        outbound.enqueue(callID: callID, buffer, finishesCall: false)
    }

    /// Suspends while more than `maxQueuedBytes` of this call's connection wait to be written; throws CANCELLED once
    /// the call is over. A bulk sender calls it between messages to go only as fast as its reader reads (`send`
    /// never blocks, and a connection left too far behind is cut off: `OutboundQueue`).
    public func waitForRoom(maxQueuedBytes: Int) async throws {
        await outbound.waitForRoom(maxQueuedBytes: maxQueuedBytes)
        guard outbound.isLive(callID) else { throw RPCError(.cancelled, "the call is no longer active") }
        try Task.checkCancellation()
    }
}

/// The server's method table: unary and server-streaming handlers by full method name ("apus.v1.Health/Check").
public struct RPCHandlers: Sendable {
    typealias Erased = @Sendable (Frame, RPCContext, any RPCOutbound) async -> Void

    struct Entry: Sendable {
        let run: Erased
        /// Runs on the connection's event loop thread (see `serverStreamingEncoded(_:onEventLoop:_:)`).
        let onEventLoop: Bool

        init(onEventLoop: Bool, run: @escaping Erased) {
            self.run = run
            self.onEventLoop = onEventLoop
        }
    }

    var table: [String: Entry] = [:]

    public init() {}

    public var methods: [String] { table.keys.sorted() }

    /// `onEventLoop`: as for `serverStreamingEncoded`.
    public mutating func unary<Request: WireMessage, Response: WireMessage>(
        _ method: String, onEventLoop: Bool = false,
        _ handler: @escaping @Sendable (Request, RPCContext) async throws -> Response
    ) {
        table[method] = Entry(onEventLoop: onEventLoop) { frame, context, outbound in
            let callID = frame.callID
            do {
                let request = try Request(decoding: frame.payload)
                let response = try await handler(request, context)
                var buffer = outbound.allocator.buffer(capacity: 64)
                FrameEncoder.write(Frame(callID: callID, kind: .response), message: response, into: &buffer)
                outbound.enqueue(callID: callID, buffer, finishesCall: true)
            } catch {
                outbound.fail(callID: callID, RPCError.from(error))
            }
        }
    }

    public mutating func serverStreaming<Request: WireMessage, Response: WireMessage>(
        _ method: String,
        _ handler: @escaping @Sendable (Request, RPCContext, RPCStreamWriter<Response>) async throws -> Void
    ) {
        table[method] = Entry(onEventLoop: false) { frame, context, outbound in
            let callID = frame.callID
            do {
                let request = try Request(decoding: frame.payload)
                try await handler(request, context, RPCStreamWriter(callID: callID, outbound: outbound))
                let end = FrameEncoder.encode(Frame(callID: callID, kind: .streamEnd), allocator: outbound.allocator)
                outbound.enqueue(callID: callID, end, finishesCall: true)
            } catch {
                outbound.fail(callID: callID, RPCError.from(error))
            }
        }
    }

    /// A server-streaming handler that gets the request's encoded bytes, for a forwarder that reads a few fields
    /// (`ProtobufFieldReader`) and passes the rest on untouched.
    ///
    /// `onEventLoop` runs the handler's task on its connection's event loop thread instead of the shared pool: a
    /// forwarder whose client connections share that loop then moves a request and its answers without a thread
    /// hop (docs/architecture.md §7.5). Such a handler must never block the thread.
    public mutating func serverStreamingEncoded<Response: WireMessage>(
        _ method: String, onEventLoop: Bool = false,
        _ handler: @escaping @Sendable ([UInt8], RPCContext, RPCStreamWriter<Response>) async throws -> Void
    ) {
        table[method] = Entry(onEventLoop: onEventLoop) { frame, context, outbound in
            let callID = frame.callID
            do {
                try await handler(frame.payload, context, RPCStreamWriter(callID: callID, outbound: outbound))
                let end = FrameEncoder.encode(Frame(callID: callID, kind: .streamEnd), allocator: outbound.allocator)
                outbound.enqueue(callID: callID, end, finishesCall: true)
            } catch {
                outbound.fail(callID: callID, RPCError.from(error))
            }
        }
    }

    /// Adds every handler of `other` (later registrations win).
    public mutating func merge(_ other: RPCHandlers) {
        table.merge(other.table) { _, new in new }
    }
}
