// swift-tools-version:6.1
import PackageDescription

// The grpc-swift side of `apus bench wire`: the same three workloads as Apus's RPC benchmark, over grpc-swift-2 with
// HTTP/2 on loopback and swift-protobuf messages generated from Apus's own Protos/apus/v1/engine.proto.
// Kept out of the main package so grpc-swift (and its NIOSSL/HTTP2 graph) never slows the main build;
// `apus bench wire` builds it on demand with `swift build -c release --package-path Benchmarks/GRPCBench`.

let package = Package(
    name: "GRPCBench",
    platforms: [.macOS(.v15)],
    products: [.executable(name: "grpc-bench", targets: ["GRPCBench"])],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "GRPCBench",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        )
    ]
)
