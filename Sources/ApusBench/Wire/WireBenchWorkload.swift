import ServingCore
import Wire

/// The three workloads of `apus bench wire`, defined once so both implementations send the same bytes.
///
/// Benchmarks/GRPCBench (the grpc-swift side) builds the same messages from the same numbers with swift-protobuf;
/// protobuf-c and swift-protobuf encode them byte for byte alike, and both sides report their encoded sizes so a
/// reader can check that.
/// - `unary_small`: a GenerateRequest with `smallPromptTokens` prompt ids → a one-token GenerateOutput.
/// - `unary_4k_tokens`: the same with `largePromptTokens` (4,000) prompt ids.
/// - `stream`: one GenerateRequest → `streamMessages` one-token GenerateOutputs on one server stream.
public enum WireBenchWorkload: String, Sendable, CaseIterable, Codable {
    case unarySmall = "unary_small"
    case unary4kTokens = "unary_4k_tokens"
    case stream = "stream"

    public static let smallPromptTokens = 8
    public static let largePromptTokens = 4_000
    /// Fixed so every message of a workload has the same size (the stream's timestamps grow by one).
    static let timestampBaseUS: UInt64 = 1_764_000_000_000_000
    static let requestID = "bench-0000000001"
    static let engineID = "engine-0"

    /// Deterministic prompt ids spread over a 128K vocabulary (mostly 3-byte varints, like real prompts).
    public static func promptTokenIDs(count: Int) -> [TokenID] {
        (0..<count).map { TokenID(($0 &* 7_919 &+ 13) % 128_000) }
    }

    /// The request of every workload: `promptTokens` ids, max_tokens = `maxTokens`, typical sampling settings.
    public static func request(promptTokens: Int, maxTokens: Int) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.temperature = 0.7
        params.topP = 0.95
        params.maxTokens = maxTokens
        params.ignoreEOS = true
        return ApusV1.GenerateRequest(
            requestID: requestID, promptTokenIDs: promptTokenIDs(count: promptTokens), samplingParams: params,
            eosTokenID: 2)
    }

    /// The unary response: one token, the prompt length as the cached-token count (so the server must decode).
    public static func unaryResponse(to request: ApusV1.GenerateRequest) -> ApusV1.GenerateOutput {
        ApusV1.GenerateOutput(
            requestID: request.requestID, newTokenIDs: [42], numCachedTokens: UInt32(request.promptTokenIDs.count),
            engineTimestampUS: timestampBaseUS, engineID: engineID)
    }

    /// Stream message `index` (0-based) of `count`: one token; the last one carries finish_reason LENGTH.
    public static func streamOutput(index: Int, count: Int) -> ApusV1.GenerateOutput {
        ApusV1.GenerateOutput(
            requestID: requestID, newTokenIDs: [TokenID(index % 32_000)],
            finishReason: index == count - 1 ? .length : nil,
            engineTimestampUS: timestampBaseUS + UInt64(index), engineID: engineID)
    }
}

/// How a wire benchmark run is shaped; the grpc-swift side takes the same numbers on its command line.
public struct WireBenchPlan: Sendable, Equatable {
    /// Unary calls made and discarded before timing (connection set-up, allocator and cache warm-up).
    public var warmup: Int
    /// Timed sequential unary calls per unary workload, one connection, one call in flight.
    public var iterations: Int
    /// Messages on the one timed server stream (after one untimed warm-up stream of `warmup` messages).
    public var streamMessages: Int

    public init(warmup: Int = 2_000, iterations: Int = 20_000, streamMessages: Int = 200_000) {
        self.warmup = warmup
        self.iterations = iterations
        self.streamMessages = streamMessages
    }
}
