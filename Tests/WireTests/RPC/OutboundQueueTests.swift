import NIOCore
import NIOEmbedded
import Testing

@testable import Wire

/// Plays a socket channel whose write buffer passes its high water mark with every round of writes and empties
/// within the flush that follows: NIO reports that writability change from inside `flush`, and the connection
/// handler passes it on to the queue at once.
final class FlushEmptiesBuffer: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer

    let queue: OutboundQueue

    init(queue: OutboundQueue) { self.queue = queue }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        (context.channel as! EmbeddedChannel).isWritable = false
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        (context.channel as! EmbeddedChannel).isWritable = true
        queue.channelBecameWritable()
    }
}

@Suite("OutboundQueue")
struct OutboundQueueTests {
    @Test("writability that comes back inside the flush is not lost: a backlog of several drain rounds all goes out")
    func writableAgainDuringFlush() throws {
        let channel = EmbeddedChannel()
        let queue = OutboundQueue(channel: channel, onCallEnded: { _ in })
        try channel.pipeline.syncOperations.addHandler(FlushEmptiesBuffer(queue: queue))
        queue.open(callID: 1)
        let frames = OutboundQueue.drainBatch * 2 + 1
        for i in 0..<frames {
            let frame = Frame(callID: 1, kind: .streamMessage, payload: [UInt8(i % 256)])
            queue.enqueue(callID: 1, FrameEncoder.encode(frame), finishesCall: false)
        }
        channel.embeddedEventLoop.run()
        var written = 0
        while try channel.readOutbound(as: ByteBuffer.self) != nil { written += 1 }
        #expect(written == frames)
    }
}
