import Hummingbird
import NIOCore

/// The request context of the api: Hummingbird's core context plus the connection, so a handler can notice a
/// client that hangs up while its request waits upstream.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
