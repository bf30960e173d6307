import Foundation
import ServingCore
@testable import ModelRuntime

/// Shared helpers for the sampler suites: one-row sampling over hand-written logits.
enum SamplerTestSupport {
    /// Logits whose softmax is exactly `probs` (0 becomes −inf).
    static func logits(fromProbs probs: [Float]) -> [Float] {
        probs.map { $0 > 0 ? Float(log(Double($0))) : -.infinity }
    }

    static func row(
        _ params: SamplingParams = SamplingParams(), prompt: [TokenID] = [], output: [TokenID] = [], eos: TokenID? = nil
    ) -> SamplerRow {
        SamplerRow(params: params, promptTokenIDs: prompt, outputTokenIDs: output, eosTokenID: eos)
    }

    /// Samples one row and returns the token and the logits as the sampler left them.
    static func sampleOne(
        _ logits: [Float], _ row: SamplerRow, sampler: inout Sampler
    ) -> (token: SampledToken, logits: [Float]) {
        var buffer = logits
        let tokens = buffer.withUnsafeMutableBufferPointer { sampler.sample(logits: $0.baseAddress!, rows: [row]) }
        return (tokens[0], buffer)
    }

    static func sampleOne(_ logits: [Float], _ row: SamplerRow, seed: UInt64 = 0) -> (token: SampledToken, logits: [Float]) {
        var sampler = Sampler(vocabSize: logits.count, seed: seed)
        return sampleOne(logits, row, sampler: &sampler)
    }

    /// Samples a batch of rows laid out one after another.
    static func sampleBatch(_ logits: [[Float]], _ rows: [SamplerRow], sampler: inout Sampler) -> [TokenID] {
        var flat = logits.flatMap { $0 }
        return flat.withUnsafeMutableBufferPointer { sampler.sample(logits: $0.baseAddress!, rows: rows) }
            .map(\.tokenID)
    }

    /// How often each token wins over `draws` independent one-row samples from one sampler.
    static func frequencies(_ logits: [Float], _ params: SamplingParams, draws: Int, seed: UInt64 = 7) -> [Double] {
        var sampler = Sampler(vocabSize: logits.count, seed: seed)
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<draws {
            counts[Int(sampleOne(logits, row(params), sampler: &sampler).token.tokenID)] += 1
        }
        return counts.map { Double($0) / Double(draws) }
    }

    static func params(_ configure: (inout SamplingParams) -> Void) -> SamplingParams {
        var p = SamplingParams()
        configure(&p)
        return p
    }

    static func isClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in x == y || abs(x - y) <= tolerance }
    }
}
