import CApusProto
import ServingCore
import Testing

@testable import Wire

/// Swift → C (in an arena) → bytes (libprotobuf-c pack) → C (libprotobuf-c unpack) → Swift, checking on the way
/// that `encoded()` and `encodedSize()` agree with the packed bytes and that re-encoding is stable.
func roundTrip<M: WireMessage>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws -> M {
    let arena = CArena()
    let bytes = M.packed(message.cMessage(in: arena))
    #expect(bytes == message.encoded(), sourceLocation: sourceLocation)
    #expect(bytes.count == message.encodedSize(), sourceLocation: sourceLocation)
    let decoded = try M(decoding: bytes)
    #expect(decoded.encoded() == bytes, "re-encoding is byte-identical", sourceLocation: sourceLocation)
    return decoded
}

/// Expects every value to survive `roundTrip` unchanged.
func expectRoundTrips<M: WireMessage & Equatable>(
    _ messages: [M], sourceLocation: SourceLocation = #_sourceLocation
) throws {
    for message in messages {
        #expect(try roundTrip(message, sourceLocation: sourceLocation) == message, sourceLocation: sourceLocation)
    }
}

/// Values that stress a field: unicode text without NULs, the extremes of each scalar type, big arrays.
enum MessageSamples {
    static let unicode = "héllo wörld 👋🏽 世界 ｶﾀｶﾅ e\u{0301}\u{0323} 🇯🇵 Ωμέγα עברית 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{FEFF}\u{10FFFF}"
    static let unicode2 = "日本語のテキスト 🧑‍🚀 — “quotes” ∑∫√"
    static let longString = String(repeating: "长文本🙂", count: 20_000)
    static let manyTokens: [TokenID] = (0..<100_000).map { TokenID(truncatingIfNeeded: $0 &* 2_654_435_761) }
    static let extremeTokens: [TokenID] = [Int32.max, Int32.min, 0, -1, 1]
    static let manyBlocks: [UInt32] = (0..<100_000).map { UInt32(truncatingIfNeeded: $0 &* 40_503) } + [.max, 0]
    static let hash32: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) }
    static let allBytes: [UInt8] = (0..<256).map { UInt8($0) }

    static func logprobs(_ i: Int, topK: Int = 20) -> PositionLogprobs {
        PositionLogprobs(
            tokenIDs: (0...topK).map { TokenID($0 &* 1000 &+ i) },
            logprobs: (0...topK).map { -Float($0) * 0.25 - Float(i) },
            sampledRank: i % (topK + 1) + 1)
    }

    static let maximalLogprobs = PositionLogprobs(
        tokenIDs: [Int32.max, Int32.min, 0], logprobs: [-.greatestFiniteMagnitude, -.infinity, 0],
        sampledRank: Int(UInt32.max))

    static var maximalSamplingParams: SamplingParams {
        var p = SamplingParams()
        p.n = Int(UInt32.max)
        p.temperature = .greatestFiniteMagnitude
        p.topP = .leastNonzeroMagnitude
        p.topK = Int(Int32.min)
        p.minP = -.infinity
        p.presencePenalty = .infinity
        p.frequencyPenalty = -2
        p.repetitionPenalty = 1e-30
        p.seed = .max
        p.maxTokens = Int(UInt32.max)
        p.minTokens = Int(UInt32.max)
        p.stopTokenIDs = extremeTokens + Array(manyTokens.prefix(1_000))
        p.ignoreEOS = true
        p.logprobs = Int(UInt32.max)
        p.promptLogprobs = 0
        p.logitBias = Dictionary(uniqueKeysWithValues: (0..<2_000).map { (TokenID($0 * 3 - 3_000), Float($0) - 1000) })
        p.logitBias[Int32.max] = .greatestFiniteMagnitude
        p.logitBias[Int32.min] = -.greatestFiniteMagnitude
        p.allowedTokenIDs = manyTokens
        p.badWords = (0..<500).map { i in (0..<(i % 7 + 1)).map { TokenID(i * 10 + $0) } } + [[Int32.max, Int32.min]]
        p.stop = [unicode, unicode2, "\n\n", longString]
        p.includeStopStrInOutput = true
        p.skipSpecialTokens = false
        var constraint = StructuredOutputsParams(kind: .choice, spec: longString, choice: [unicode, "", unicode2])
        constraint.disableAnyWhitespace = true
        constraint.disableAdditionalProperties = true
        constraint.whitespacePattern = "[ \n]{0,3}" + unicode
        p.structuredOutputs = constraint
        return p
    }

    static var unicodeSamplingParams: SamplingParams {
        var p = SamplingParams()
        p.stop = [unicode, unicode2, "🛑", "終わり"]
        p.seed = 42
        p.logprobs = 5
        p.allowedTokenIDs = []
        return p
    }
}
