import Foundation
import ModelFiles
import Testing
@testable import ModelRuntime

/// Dequantization of every stored weight type, bit for bit against the `gguf` Python package's reference
/// (`scripts/fixtures/gen-quant-fixtures.py` wrote the blocks and gguf-py's f32 under `Fixtures/Quant`).
///
/// NOTE: an inDim that is not a whole number of blocks is refused by a precondition in both initialisers (the
/// GGUF loader checks first and throws, naming the tensor); it is not tested here, as that would crash the run.
@Suite("Quantized matrix")
struct QuantizedMatrixTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Quant")

    static let storedTypes: [GGMLType] = [.f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// The fixture blocks of `type` as one row, and gguf-py's f32 of them.
    static func fixture(_ type: GGMLType) throws -> (blocks: [UInt8], expected: [Float]) {
        let name = type.description.lowercased()
        let blocks = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("\(name).blocks")))
        let raw = try Data(contentsOf: fixtures.appendingPathComponent("\(name).f32"))
        let expected = raw.withUnsafeBytes { bytes in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
        return (blocks, expected)
    }

    static let kernels = Kernels.GEMMKernel.allCases.filter { $0 <= .best }

    @Test("dequantizes every type bit for bit as gguf-py, with every kernel", arguments: storedTypes)
    func matchesReference(type: GGMLType) throws {
        let (blocks, expected) = try Self.fixture(type)
        #expect(type.rowBytes(count: expected.count) == blocks.count)
        let m = blocks.withUnsafeBytes {
            QuantizedMatrix(type: type, outDim: 1, inDim: expected.count, copying: $0.baseAddress!)
        }
        for kernel in Self.kernels {
            let got = m.dequantized(kernel: kernel).toArray()
            let mismatches = zip(got, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
            #expect(mismatches.isEmpty, "\(kernel): \(mismatches.count) of \(expected.count) differ, first at \(mismatches.first?.offset ?? -1)")
        }
    }

    @Test("dequantizeRow gives the rows of dequantized()", arguments: GGMLType.allCases)
    func rowsMatchWhole(type: GGMLType) {
        let (outDim, inDim) = (5, 512)
        let m = QuantizedMatrix.dummy(type: type, outDim: outDim, inDim: inDim, seed: 7)
        let whole = m.dequantized().toArray()
        var row = [Float](repeating: .nan, count: inDim)
        for r in 0..<outDim {
            row.withUnsafeMutableBufferPointer { m.dequantizeRow(r, into: $0.baseAddress!) }
            #expect(row.map(\.bitPattern) == whole[r * inDim..<(r + 1) * inDim].map(\.bitPattern), "row \(r)")
        }
    }

    @Test("the in-place and the copied matrix read the same bytes; sizes follow the type")
    func inPlaceAndCopy() {
        let (outDim, inDim) = (3, 256)
        let source = QuantizedMatrix.dummy(type: .q4_K, outDim: outDim, inDim: inDim, seed: 3)
        let owner = AlignedBytes(count: source.byteCount + 1)
        // At an odd address, as a tensor inside a file may be.
        (owner.pointer + 1).copyMemory(from: source.row(0), byteCount: source.byteCount)
        let inPlace = QuantizedMatrix(type: .q4_K, outDim: outDim, inDim: inDim, bytes: owner.pointer + 1, owner: owner)
        let copy = QuantizedMatrix(type: .q4_K, outDim: outDim, inDim: inDim, copying: owner.pointer + 1)
        #expect(inPlace.rowBytes == 144 && inPlace.byteCount == 3 * 144)
        #expect(inPlace.row(2) == UnsafeRawPointer(owner.pointer + 1 + 2 * 144))
        #expect(Int(bitPattern: copy.row(0)) % 64 == 0)
        #expect(inPlace.dequantized().toArray() == copy.dequantized().toArray())
    }

    @Test("F32 is plain row-major floats")
    func f32Rows() {
        let values: [Float] = (0..<12).map { Float($0) - 5.5 }
        let m = values.withUnsafeBytes { QuantizedMatrix(type: .f32, outDim: 3, inDim: 4, copying: $0.baseAddress!) }
        #expect(m.dequantized().toArray() == values)
        #expect(m.dequantized().shape == [3, 4])
    }
}
