// swift-tools-version:6.1
import PackageDescription

// Apus: an LLM serving cluster (router, engine-core, runner, api) talking length-prefixed protobuf-c over TCP.
// Pure modules (ServingCore, Scheduling, Engine, Tokenization, ModelRuntime) import no networking.

let package = Package(
    name: "apus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "apus", targets: ["apus"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // System libraries and generated code.
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "CApusProto", linkerSettings: [.linkedLibrary("protobuf-c")]),
        // AVX2/FMA matmul kernels for decode-size batches (per-function target attributes, chosen at run time).
        // Optimized in debug builds too (the tests run real models through these kernels; -O0 is ~10× slower).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),

        // Pure modules.
        .target(name: "ServingCore"),
        .target(name: "Scheduling", dependencies: ["ServingCore", "COpenSSL"]),
        .target(name: "Engine", dependencies: ["ServingCore", "Scheduling", "StructuredOutput"]),
        // Model file formats read in place: GGUF (header, metadata, tensors), memory-mapped files, ggml types.
        .target(name: "ModelFiles"),
        .target(name: "Tokenization", dependencies: ["ServingCore", "ModelFiles"]),
        .target(name: "ModelRuntime", dependencies: ["ServingCore", "ModelFiles", "CBLAS", "CKernels"]),
        // Structured outputs: JSON Schema, regex, choice and GBNF compiled to byte automata; token masks per step.
        .target(name: "StructuredOutput"),

        // The wire and the services.
        .target(
            name: "Wire",
            dependencies: [
                "CApusProto", "ServingCore", "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "EngineServer", dependencies: ["Engine", "Scheduling", "Wire"]),
        .target(name: "RunnerServer", dependencies: ["ModelRuntime", "ServingCore", "Wire"]),
        .target(
            name: "RequestRouting",
            dependencies: [
                "Wire", "ServingCore", "Scheduling",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "APIServer",
            dependencies: [
                "Tokenization", "Wire", "ServingCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        // Benchmarks, the trace simulator and its trace format (`apus bench …`, `apus sim`): out of the libraries.
        .target(
            name: "ApusBench",
            dependencies: [
                "Scheduling", "RequestRouting", "ServingCore", "Wire", "CApusProto", "Engine", "EngineServer",
                "ApusTestSupport", "ModelRuntime", "ModelFiles", "Tokenization", "CBLAS", "CKernels", "StructuredOutput",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Fakes shared by the tests and the `--fake` modes: scripted runners and executors (no model).
        .target(name: "ApusTestSupport", dependencies: ["Engine", "RunnerServer", "ServingCore", "Wire"]),
        .executableTarget(
            name: "apus",
            dependencies: [
                "Wire", "EngineServer", "RunnerServer", "RequestRouting", "APIServer", "Scheduling", "Engine",
                "ModelRuntime", "ModelFiles", "Tokenization", "ServingCore", "ApusTestSupport", "ApusBench",
                "StructuredOutput",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Fuzz targets (scripts/fuzz.sh): libFuzzer executables over every decoder of untrusted bytes. A normal build
        // compiles them as stubs that replay input files; scripts/fuzz.sh builds them with -DFUZZING and
        // -sanitize=fuzzer,address.
        .target(name: "FuzzSupport", path: "Sources/Fuzz/Support"),
        .target(
            name: "WireFuzzing", dependencies: ["FuzzSupport", "Wire", "ServingCore"], path: "Sources/Fuzz/WireFuzzing"
        ),
        .executableTarget(
            name: "FuzzFrames",
            dependencies: ["FuzzSupport", "WireFuzzing", "Wire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/Fuzz/Frames"
        ),
        .executableTarget(
            name: "FuzzWireMessages", dependencies: ["FuzzSupport", "WireFuzzing"], path: "Sources/Fuzz/WireMessages"
        ),
        .executableTarget(
            name: "FuzzOpenAIRequests",
            dependencies: [
                "FuzzSupport", "APIServer", "Tokenization", "ServingCore", "Wire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Sources/Fuzz/OpenAIRequests"
        ),
        .executableTarget(
            name: "FuzzTokenizer", dependencies: ["FuzzSupport", "Tokenization", "ServingCore"],
            path: "Sources/Fuzz/Tokenizer"
        ),
        .executableTarget(
            name: "FuzzModelFiles", dependencies: ["FuzzSupport", "ModelFiles", "ModelRuntime", "Tokenization"],
            path: "Sources/Fuzz/ModelFiles"
        ),
        .executableTarget(
            name: "FuzzChatTemplate", dependencies: ["FuzzSupport", "Tokenization"], path: "Sources/Fuzz/ChatTemplate"
        ),
        .executableTarget(
            name: "FuzzStructuredOutput", dependencies: ["FuzzSupport", "StructuredOutput"],
            path: "Sources/Fuzz/StructuredOutput"
        ),

        // Tests mirror Sources.
        .testTarget(name: "ServingCoreTests", dependencies: ["ServingCore"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "ServingCore", "ApusBench"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "Scheduling", "ServingCore", "ApusTestSupport", "StructuredOutput"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles"]),
        .testTarget(name: "TokenizationTests", dependencies: ["Tokenization", "ServingCore", "ModelFiles"]),
        .testTarget(name: "StructuredOutputTests", dependencies: ["StructuredOutput"]),
        .testTarget(name: "ApusBenchTests", dependencies: ["ApusBench", "ModelRuntime", "ServingCore", "Tokenization"]),
        .testTarget(
            name: "ModelRuntimeTests", dependencies: ["ModelRuntime", "ServingCore", "ModelFiles", "CKernels"],
            // Read through #filePath. The sampler's generator lives beside its output; the quantized weights' is
            // scripts/fixtures/gen-quant-fixtures.py.
            exclude: ["Sampling/Fixtures", "Fixtures/Quant"]
        ),
        .testTarget(
            name: "WireTests",
            dependencies: [
                "Wire", "CApusProto", "ServingCore", "ApusBench",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RunnerServerTests",
            dependencies: ["RunnerServer", "ModelRuntime", "ServingCore", "Wire", "ApusTestSupport", "Engine"]
        ),
        .testTarget(name: "RequestRoutingTests", dependencies: ["RequestRouting", "ServingCore", "Scheduling", "Wire"]),
        .testTarget(
            name: "APIServerTests",
            dependencies: [
                "APIServer", "Tokenization", "Wire", "ServingCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Wire", "ServingCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ]
)
