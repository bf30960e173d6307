import CKernels
import Foundation
import Testing

/// `apus_attend_decode` (AVX2 path for head sizes that are multiples of 8, plain C otherwise) against a
/// double-precision softmax attention, over shuffled block tables.
@Suite("Decode attention kernel")
struct DecodeAttentionKernelTests {
    @Test(
        "matches a double-precision reference for every group count, head size and key count",
        arguments: [(1, 64), (3, 64), (8, 128), (2, 12), (4, 32)])
    func matchesReference(groups: Int, d: Int) {
        let (blockSize, numKVHeads, kvh) = (4, 3, 1)
        let rowStride = numKVHeads * d
        for keys in [1, 7, 8, 9, 33, 100] {
            let blocks = (keys + blockSize - 1) / blockSize
            let numBlocks = blocks + 5
            let table: [Int32] = (0..<numBlocks).map { Int32($0) }.shuffled().prefix(blocks).map { $0 }
            let k = MatmulKernelTests.values(numBlocks * blockSize * rowStride, seed: keys * 3 + d)
            let v = MatmulKernelTests.values(numBlocks * blockSize * rowStride, seed: keys * 5 + d)
            let q = MatmulKernelTests.values(groups * d, seed: groups + keys)
            let scale = 1 / Float(d).squareRoot()
            var out = [Float](repeating: .nan, count: groups * d)
            var scores = [Float](repeating: 0, count: groups * keys)
            apus_attend_decode(
                Int32(groups), Int32(d), q, k, v, table, Int32(blockSize), rowStride, kvh * d, Int32(keys), scale,
                &out, &scores)
            for g in 0..<groups {
                func row(_ j: Int) -> Int { (Int(table[j / blockSize]) * blockSize + j % blockSize) * rowStride + kvh * d }
                let s = (0..<keys).map { j in (0..<d).reduce(0.0) { $0 + Double(q[g * d + $1]) * Double(k[row(j) + $1]) } * Double(scale) }
                let top = s.max()!
                let w = s.map { exp($0 - top) }
                let total = w.reduce(0, +)
                for i in 0..<d {
                    let want = (0..<keys).reduce(0.0) { $0 + w[$1] * Double(v[row($1) + i]) } / total
                    #expect(abs(Double(out[g * d + i]) - want) < 1e-5, "groups \(groups) d \(d) keys \(keys) g \(g) i \(i)")
                }
            }
        }
    }

    @Test("the causal softmax of prefill scores scales and normalises each row over its visible keys, zeroes the rest",
          arguments: [1, 7, 8, 9, 40])
    func causalSoftmax(width: Int) {
        let rows = 5
        let firstValid = max(1, width - rows + 1)
        let input = MatmulKernelTests.values(rows * width, seed: width).map { $0 * 30 }
        let scale: Float = 0.125
        var got = input
        apus_softmax_causal(&got, Int32(rows), Int32(width), Int32(firstValid), scale)
        for i in 0..<rows {
            let valid = min(width, firstValid + i)
            let row = input[i * width..<i * width + valid].map { Double($0) * Double(scale) }
            let m = row.max()!
            let total = row.reduce(0.0) { $0 + exp($1 - m) }
            for j in 0..<width {
                let want = j < valid ? exp(row[j] - m) / total : 0
                #expect(abs(Double(got[i * width + j]) - want) < 1e-6, "width \(width) row \(i) key \(j)")
            }
        }
    }
}
