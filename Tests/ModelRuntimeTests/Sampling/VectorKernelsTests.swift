import Foundation
import Testing
@testable import ModelRuntime

/// The SIMD kernels under the sampler agree with their scalar definitions.
@Suite("Vector kernels")
struct VectorKernelsTests {
    @Test("FastExp is within 3·10⁻⁷ relative error of exp and gives 0 for −inf")
    func fastExpAccuracy() {
        let xs = stride(from: Float(-86), through: 87, by: 0.0137).map { $0 }
        for x in xs {
            let exact = Foundation.exp(Double(x))
            #expect(abs(Double(FastExp.exp(x)) - exact) / exact < 3e-7, "x = \(x)")
        }
        #expect(FastExp.exp(-Float.infinity) == 0)
        let lanes = FastExp.exp(SIMD8<Float>(-.infinity, -100, -1, 0, 0.5, 1, 10, 80))
        for (j, x) in [-Float.infinity, -100, -1, 0, 0.5, 1, 10, 80].enumerated() {
            #expect(lanes[j] == FastExp.exp(x))
        }
    }

    @Test("the eight-lane uniforms equal the scalar ones and stay inside (0, 1)")
    func uniformLanes() {
        let random = CounterRandom(seed: 99, position: 3)
        for block in 0..<64 {
            let lanes = random.uniform8(from: block * 8)
            for j in 0..<8 {
                #expect(lanes[j] == random.uniform(block * 8 + j))
                #expect(lanes[j] > 0 && lanes[j] < 1)
            }
        }
    }

    @Test("the extreme bit patterns still map strictly inside (0, 1), so every Exp(1) draw is positive")
    func uniformExtremes() {
        let highest = CounterRandom.uniform(bits: .max)
        let lowest = CounterRandom.uniform(bits: 0)
        #expect(highest < 1 && lowest > 0)
        #expect(-Foundation.log(highest) > 0)
        #expect(Double(highest) == 1 - 1.0 / 16_777_216)
    }

    @Test("uniforms average one half with the variance of a uniform")
    func uniformMoments() {
        let random = CounterRandom(seed: 5, position: 0)
        let draws = (0..<100_000).map { Double(random.uniform($0)) }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
        #expect(abs(mean - 0.5) < 0.005)
        #expect(abs(variance - 1.0 / 12) < 0.002)
    }

    @Test("argmax finds the first maximum across block boundaries and in the tail")
    func argmaxFirstOccurrence() {
        var row = [Float](repeating: 0, count: 21)
        row[9] = 2
        row[17] = 2
        row.withUnsafeBufferPointer { #expect(RowScan.argmax($0) == 9) }
        row[20] = 3
        row.withUnsafeBufferPointer { #expect(RowScan.argmax($0) == 20) }
        let masked = [Float](repeating: -.infinity, count: 11)
        masked.withUnsafeBufferPointer { #expect(RowScan.argmax($0) == 0) }
    }

    @Test("count of entries at least a bound covers blocks and tail")
    func countAtLeast() {
        let row = (0..<19).map { Float($0) }
        row.withUnsafeBufferPointer { #expect(RowScan.count($0, minus: 1, atLeast: 10) == 8) }
    }

    @Test("topK over a long row agrees with a full sort and breaks ties by index")
    func topKMatchesSort() {
        var pivots = PivotSequence()
        let row = (0..<1_003).map { _ in Float(pivots.next(in: 0..<300)) }
        let expected = row.indices.sorted { row[$0] > row[$1] || (row[$0] == row[$1] && $0 < $1) }
        row.withUnsafeBufferPointer { buffer in
            for k in [1, 5, 20, 256, 300] {
                #expect(Selection.topK(buffer, k: k) == Array(expected.prefix(k)))
            }
        }
    }
}
