import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import APIServer

@Suite("HTTP connection guard: the request read deadline and close-after-response")
struct HTTPConnectionGuardTests {
    /// An active embedded channel with the guard (read timeout 10 s) in its pipeline.
    func makeChannel() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: HTTPConnectionGuard(readTimeout: .seconds(10)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, loop)
    }

    let head = HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: "x", path: "/v1/completions"))

    @Test("a connection that never sends a whole request is closed at the deadline, not before")
    func idleConnectionCloses() throws {
        let (channel, loop) = try makeChannel()
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "{\"pro")))
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test("a whole request stops the deadline while it is answered; the answer's end starts it again")
    func answeredRequestIsNotTimedOut() throws {
        let (channel, loop) = try makeChannel()
        try channel.writeInbound(head)
        try channel.writeInbound(HTTPRequestPart.end(nil))
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        loop.advanceTime(by: .seconds(60))  // a long stream
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        loop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)  // idle keep-alive past the timeout
    }

    @Test("a response marked Connection: close closes the connection once written and drops the unread body")
    func closeAfterResponse() throws {
        let (channel, _) = try makeChannel()
        try channel.writeInbound(head)
        #expect(try channel.readInbound(as: HTTPRequestPart.self) != nil)
        var response = HTTPResponse(status: .contentTooLarge)
        response.headerFields[.connection] = "close"
        try channel.writeOutbound(HTTPResponsePart.head(response))
        try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "more of the oversized body")))
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(!channel.isActive)
    }
}
