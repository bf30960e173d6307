import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

/// The shrink/expand kernels through `LoRAMapping.apply`: right against a double-precision reference, and each
/// row's update bit-identical whatever other rows, adapters and thread split share the call.
@Suite("LoRA kernels")
struct LoRAKernelTests {
    typealias W = LoRAAdapterWriter

    /// Odd widths, so every kernel tail runs (k % 8, k % 16, columns % 8, % 32, % 128).
    static let shape = ModelShape(numLayers: 1, hiddenSize: 37, intermediateSize: 150, qSize: 40, kvSize: 21)

    static func adapter(r: Int, seed: UInt64) throws -> LoRAAdapter {
        let dir = try W.write(
            shape: shape, r: r, alpha: Double(2 * r), modules: LoRAModule.allCases, seed: seed, scale: 0.5)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try LoRAAdapter(directory: dir.path, shape: shape, maxRank: 16)
    }

    /// Widths of a slot's input and output rows.
    static func widths(_ slot: LoRAModule.Slot) -> (inDim: Int, outDim: Int) {
        let s = shape
        switch slot {
        case .qkv: return (s.hiddenSize, s.qSize + 2 * s.kvSize)
        case .o: return (s.qSize, s.hiddenSize)
        case .gateUp: return (s.hiddenSize, 2 * s.intermediateSize)
        case .down: return (s.intermediateSize, s.hiddenSize)
        }
    }

    static func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1 }
    }

    /// y (rows × outDim) after applying `adapters` row by row to x, in one call over `rows`.
    static func apply(
        _ slot: LoRAModule.Slot, _ adapters: [LoRAAdapter?], x: [Float], y: [Float], rows: Range<Int>? = nil
    ) -> [Float] {
        let (inDim, outDim) = widths(slot)
        let mapping = LoRAMapping(rowAdapters: adapters)
        var out = y
        let range = rows ?? 0..<adapters.count
        x.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { ys in
                mapping.apply(
                    slot, layer: 0, x: xs.baseAddress! + range.lowerBound * inDim, ldx: inDim,
                    y: ys.baseAddress! + range.lowerBound * outDim, ldy: outDim, rows: range)
            }
        }
        return out
    }

    @Test(
        "every slot adds scaling · B · A · x to its columns, within 1e-5 of double precision",
        arguments: LoRAModule.Slot.allCases)
    func matchesReference(slot: LoRAModule.Slot) throws {
        let a = try Self.adapter(r: 5, seed: 3)
        let (inDim, outDim) = Self.widths(slot)
        let rows = 3
        let x = Self.random(rows * inDim, seed: 11)
        let y = Self.random(rows * outDim, seed: 12)
        let got = Self.apply(slot, [a, nil, a], x: x, y: y)
        let dir = try W.write(
            shape: Self.shape, r: 5, alpha: 10, modules: LoRAModule.allCases, seed: 3, scale: 0.5)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try SafetensorsFile(path: dir.appendingPathComponent("adapter_model.safetensors").path)
        var expected = y.map(Double.init)
        for m in LoRAModule.allCases where m.slot == slot {
            var am = [Float](repeating: 0, count: 5 * m.inDim(Self.shape))
            var bm = [Float](repeating: 0, count: m.outDim(Self.shape) * 5)
            try am.withUnsafeMutableBufferPointer { try file.read(W.name(0, m, a: true), into: $0.baseAddress!) }
            try bm.withUnsafeMutableBufferPointer { try file.read(W.name(0, m, a: false), into: $0.baseAddress!) }
            for r in [0, 2] {
                var t = [Double](repeating: 0, count: 5)
                for j in 0..<5 {
                    for q in 0..<inDim { t[j] += Double(x[r * inDim + q]) * Double(am[j * inDim + q]) }
                }
                for o in 0..<m.outDim(Self.shape) {
                    var delta = 0.0
                    for j in 0..<5 { delta += t[j] * Double(bm[o * 5 + j]) }
                    expected[r * outDim + m.column(Self.shape) + o] += 2 * delta
                }
            }
        }
        let error = zip(got, expected).map { abs(Double($0) - $1) }.max()!
        #expect(error < 1e-5, "max error \(error)")
        #expect(Array(got[outDim..<2 * outDim]) == Array(y[outDim..<2 * outDim]), "a base row is untouched")
    }

    @Test(
        "a row's update is bit-identical alone, in a mixed batch, in a chunk, and split over threads",
        arguments: LoRAModule.Slot.allCases)
    func rowIndependence(slot: LoRAModule.Slot) throws {
        let adapters = [
            try Self.adapter(r: 5, seed: 3), try Self.adapter(r: 16, seed: 4), try Self.adapter(r: 3, seed: 5),
        ]
        let (inDim, outDim) = Self.widths(slot)
        // 300 rows: enough work that the call runs on every core.
        let n = 300
        let assignment: [LoRAAdapter?] = (0..<n).map { (r: Int) -> LoRAAdapter? in
            r % 7 == 0 ? nil : adapters[(r * 5 / 3) % 3]
        }
        let x = Self.random(n * inDim, seed: 21)
        let y = Self.random(n * outDim, seed: 22)
        let batch = Self.apply(slot, assignment, x: x, y: y)
        let chunk = Self.apply(slot, assignment, x: x, y: y, rows: 37..<290)
        for r in [0, 1, 2, 3, 50, 151, 299] {
            let alone = Self.apply(
                slot, [assignment[r]], x: Array(x[r * inDim..<(r + 1) * inDim]),
                y: Array(y[r * outDim..<(r + 1) * outDim]))
            #expect(Array(batch[r * outDim..<(r + 1) * outDim]) == alone, "row \(r)")
            if (37..<290).contains(r) { #expect(Array(chunk[r * outDim..<(r + 1) * outDim]) == alone, "row \(r)") }
        }
        #expect(Array(chunk[0..<37 * outDim]) == Array(y[0..<37 * outDim]), "rows outside the chunk are untouched")
    }
}
