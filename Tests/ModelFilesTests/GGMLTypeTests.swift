import Testing

@testable import ModelFiles

@Suite struct GGMLTypeTests {
    @Test func blockLayoutsMatchGGML() {
        // ggml's block structs: bytes per block of each type, weights per block.
        let expected: [GGMLType: (Int, Int)] = [
            .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22),
            .q5_1: (32, 24), .q8_0: (32, 34), .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210),
        ]
        for type in GGMLType.allCases {
            #expect(type.blockSize == expected[type]!.0, "\(type)")
            #expect(type.blockBytes == expected[type]!.1, "\(type)")
        }
    }

    @Test func rowBytesNeedWholeBlocks() {
        #expect(GGMLType.q4_1.rowBytes(count: 576) == 18 * 20)
        #expect(GGMLType.q4_K.rowBytes(count: 576) == nil)
        #expect(GGMLType.bf16.rowBytes(count: 3) == 6)
    }

    @Test func namesRoundTrip() {
        for type in GGMLType.allCases { #expect(GGMLType(name: type.description) == type) }
        #expect(GGMLType(name: "q4_k") == .q4_K)
        #expect(GGMLType(name: "Q2_K") == nil)
    }
}
