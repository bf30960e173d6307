import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf
import SwiftProtobuf

// grpc-bench [--warmup W] [--iterations N] [--stream-messages M]
// Prints one JSON object per workload, in the same shape as `apus bench wire --json`. Methodology as in Apus's
// WireRPCBenchmark: server and client in this process on 127.0.0.1, one connection (one HTTP/2 connection; the
// client's default load-balancing picks one subchannel), W untimed then N timed sequential unary calls per unary
// workload, one untimed stream of W messages then one timed stream of M messages.

var warmup = 2_000
var iterations = 20_000
var streamMessages = 200_000
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let flag = arguments.next() {
    guard let value = arguments.next().flatMap({ Int($0) }), value > 0 else {
        fatalError("usage: grpc-bench [--warmup W] [--iterations N] [--stream-messages M]")
    }
    switch flag {
    case "--warmup": warmup = value
    case "--iterations": iterations = value
    case "--stream-messages": streamMessages = value
    default: fatalError("unknown flag \(flag)")
    }
}

let server = GRPCServer(
    transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
    services: [BenchService()])

try await withThrowingDiscardingTaskGroup { group in
    group.addTask { try await server.serve() }
    guard let port = try await server.listeningAddress?.ipv4?.port else { fatalError("server did not bind") }
    try await withGRPCClient(
        transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: port), transportSecurity: .plaintext)
    ) { client in
        let runner = Runner(client: client, warmup: warmup, iterations: iterations)
        for line in [
            try await runner.unary(.unarySmall, promptTokens: Workload.smallPromptTokens),
            try await runner.unary(.unary4kTokens, promptTokens: Workload.largePromptTokens),
            try await runner.stream(messages: streamMessages),
        ] {
            print(line)
        }
    }
    server.beginGracefulShutdown()
}
