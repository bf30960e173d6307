import SwiftProtobuf

/// The same three workloads as Apus's `WireBenchWorkload` (Sources/ApusBench/Wire), built with swift-protobuf from the
/// same schema (Protos/apus/v1/engine.proto) and the same numbers, so both sides move identical bytes.
enum Workload: String, CaseIterable {
    case unarySmall = "unary_small"
    case unary4kTokens = "unary_4k_tokens"
    case stream = "stream"

    static let smallPromptTokens = 8
    static let largePromptTokens = 4_000
    static let timestampBaseUS: UInt64 = 1_764_000_000_000_000
    static let requestID = "bench-0000000001"
    static let engineID = "engine-0"

    static func promptTokenIDs(count: Int) -> [Int32] {
        (0..<count).map { Int32(($0 &* 7_919 &+ 13) % 128_000) }
    }

    /// Apus's `SamplingParams()` defaults (n 1, temperature 1, top_p 1, repetition_penalty 1, max_tokens 16,
    /// skip_special_tokens) with temperature 0.7, top_p 0.95, ignore_eos and the given max_tokens.
    static func request(promptTokens: Int, maxTokens: Int) -> Apus_V1_GenerateRequest {
        var params = Apus_V1_SamplingParams()
        params.n = 1
        params.temperature = 0.7
        params.topP = 0.95
        params.repetitionPenalty = 1
        params.maxTokens = UInt32(maxTokens)
        params.ignoreEos = true
        params.skipSpecialTokens = true
        var request = Apus_V1_GenerateRequest()
        request.requestID = requestID
        request.promptTokenIds = promptTokenIDs(count: promptTokens)
        request.samplingParams = params
        request.hasEosTokenID_p = true
        request.eosTokenID = 2
        return request
    }

    static func unaryResponse(to request: Apus_V1_GenerateRequest) -> Apus_V1_GenerateOutput {
        var output = Apus_V1_GenerateOutput()
        output.requestID = request.requestID
        output.newTokenIds = [42]
        output.numCachedTokens = UInt32(request.promptTokenIds.count)
        output.engineTimestampUs = timestampBaseUS
        output.engineID = engineID
        return output
    }

    static func streamOutput(index: Int, count: Int) -> Apus_V1_GenerateOutput {
        var output = Apus_V1_GenerateOutput()
        output.requestID = requestID
        output.newTokenIds = [Int32(index % 32_000)]
        if index == count - 1 { output.finishReason = .length }
        output.engineTimestampUs = timestampBaseUS + UInt64(index)
        output.engineID = engineID
        return output
    }
}
