import Testing

@testable import StructuredOutput

@Suite("CodepointSet")
struct CodepointSetTests {
    /// Every scalar in a range is encoded by exactly one of the split byte sequences, and nothing else is.
    @Test("UTF-8 splitting covers exactly the scalars of random ranges (seeded)")
    func utf8SplitIsExact() {
        var random = SplitMix64(state: 7)
        let edges: [UInt32] = [0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF, 0xD7FF, 0xE000]
        for _ in 0..<60 {
            let a =
                Bool.random(using: &random)
                ? edges.randomElement(using: &random)! : UInt32.random(in: 0...0x10FFFF, using: &random)
            let b = UInt32.random(in: a...min(a + 3000, 0x10FFFF), using: &random)
            let sequences = CodepointSet(ranges: [a...b]).utf8Sequences()
            let probes = [a, b, a &+ (b - a) / 2, a > 0 ? a - 1 : b + 1, b + 1]
            for scalar in probes where scalar <= 0x10FFFF && !(0xD800...0xDFFF).contains(scalar) {
                let bytes = Array(String(Character(Unicode.Scalar(scalar)!)).utf8)
                let hits = sequences.filter { $0.count == bytes.count && zip($0, bytes).allSatisfy { $0.contains($1) } }
                #expect(hits.count == ((a...b).contains(scalar) ? 1 : 0), "scalar \(scalar) in \(a)...\(b)")
            }
        }
    }

    @Test("a class over multi-byte characters accepts their UTF-8 and rejects a lone continuation byte")
    func multiByteClass() throws {
        let matcher = try CompiledGrammar(.regex("[\u{e9}\u{4e2d}]+"), vocabulary: TestSupport.bytes).makeMatcher()
        #expect(matcher.accept(bytes: Array("\u{e9}\u{4e2d}".utf8)))
        #expect(matcher.canEnd)
        #expect(!matcher.accept(bytes: [0xA9]))
        #expect(matcher.accept(bytes: [0xC3]))
        #expect(!matcher.canEnd)
    }
}
