import Testing
@testable import ModelRuntime

/// The quickselects behind top-k and top-p.
@Suite("Selection without a full sort")
struct SelectionTests {
    @Test("kthLargest agrees with sorting on shuffled values with duplicates")
    func kthLargestMatchesSort() {
        var pivots = PivotSequence()
        let values = (0..<1_000).map { _ in Float(pivots.next(in: 0..<200)) }
        let sorted = values.sorted(by: >)
        for k in [1, 2, 17, 500, 999, 1_000] {
            var work = values
            let kth = work.withUnsafeMutableBufferPointer { Selection.kthLargest($0, k: k) }
            #expect(kth == sorted[k - 1])
        }
    }

    @Test("kthLargest handles −inf entries")
    func kthLargestWithInfinity() {
        var work: [Float] = [-.infinity, 1, -.infinity, 2]
        #expect(work.withUnsafeMutableBufferPointer { Selection.kthLargest($0, k: 3) } == -.infinity)
    }

    @Test("topMassPrefix keeps the fewest heaviest entries that reach the mass")
    func topMassPrefix() {
        var weights: [Float] = [0.1, 0.4, 0.2, 0.3]
        var indices: [Int32] = [0, 1, 2, 3]
        let kept = weights.withUnsafeMutableBufferPointer { w in
            indices.withUnsafeMutableBufferPointer { Selection.topMassPrefix(indices: $0, weights: w.baseAddress!, mass: 0.65) }
        }
        #expect(kept == 2)
        #expect(Set(indices.prefix(kept)) == [1, 3])
    }

    @Test("topMassPrefix on many equal weights keeps just enough of them")
    func topMassPrefixTies() {
        var weights = [Float](repeating: 1, count: 100)
        var indices = (0..<100).map { Int32($0) }
        let kept = weights.withUnsafeMutableBufferPointer { w in
            indices.withUnsafeMutableBufferPointer { Selection.topMassPrefix(indices: $0, weights: w.baseAddress!, mass: 30.5) }
        }
        #expect(kept == 31)
    }
}
