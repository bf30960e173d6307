import Foundation
import ModelFiles
import ModelRuntime
import ServingCore

/// `apus bench quant`: `Kernels.linear` on weights kept in their stored type, against the f32 packed GEMM of the
/// same shape in the same run.
///
/// Per shape `[outDim, inDim]` and type: decode-shaped batches (1 and 4 rows; the weights come from memory, as in
/// a decode step, by rotating through enough copies to overflow the last-level cache) and a prefill-shaped batch
/// (128 rows). GB/s counts the weight bytes read once per call (the stored bytes; f32: 4 per weight), GFLOP/s
/// 2 · rows · outDim · inDim. Every figure is the best of several calls by wall clock.
public enum QuantBenchmark {
    public struct Options: Sendable {
        public var types: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K, .f16, .bf16]
        public var shapes: [(outDim: Int, inDim: Int)] = [(1536, 576), (2048, 2048)]
        public var batches: [Int] = [1, 4, 128]
        /// Bytes of weight copies rotated through by the decode batches (above a 32 MB L3).
        public var streamBytes = 96 << 20
        /// Seconds spent per measurement at most (and at least 3 calls).
        public var seconds = 0.3

        public init() {}
    }

    public struct Row: Sendable, Equatable {
        /// The ggml type name, or "F32 packed" for the baseline.
        public var type: String
        public var outDim: Int
        public var inDim: Int
        public var batch: Int
        public var seconds: Double
        public var weightBytes: Int

        public var gbPerSecond: Double { Double(weightBytes) / seconds / 1e9 }
        public var gflops: Double { 2 * Double(batch * outDim * inDim) / seconds / 1e9 }
    }

    public static func run(options: Options) -> [Row] {
        var rows: [Row] = []
        for shape in options.shapes {
            for batch in options.batches {
                let x = FloatBuffer(count: batch * shape.inDim)
                var rng = SplitMix64(seed: UInt64(batch))
                for i in 0..<x.count { x.pointer[i] = rng.nextSymmetricUnit() }
                let out = FloatBuffer(count: batch * shape.outDim)
                rows.append(baseline(shape, batch: batch, x: x, out: out, options: options))
                for type in options.types {
                    rows.append(measure(type, shape, batch: batch, x: x, out: out, options: options))
                }
            }
        }
        return rows
    }

    /// How many copies of a weight of `bytes` a batch rotates through: decode-shaped ones enough to stream from
    /// memory, prefill-shaped ones one (they are bound by arithmetic).
    static func copies(bytes: Int, batch: Int, options: Options) -> Int {
        batch > Kernels.quantizedDecodeRows ? 1 : max(1, min(256, options.streamBytes / max(bytes, 1)))
    }

    static func measure(
        _ type: GGMLType, _ shape: (outDim: Int, inDim: Int), batch: Int, x: FloatBuffer, out: FloatBuffer,
        options: Options
    ) -> Row {
        let first = QuantizedMatrix.dummy(type: type, outDim: shape.outDim, inDim: shape.inDim, seed: 1)
        let n = copies(bytes: first.byteCount, batch: batch, options: options)
        let weights = [first] + (1..<n).map {
            QuantizedMatrix.dummy(type: type, outDim: shape.outDim, inDim: shape.inDim, seed: UInt64($0 + 1))
        }
        let seconds = best(options.seconds, count: n) { i in
            Kernels.linear(x.pointer, rows: batch, inDim: shape.inDim, weight: weights[i], out: out.pointer,
                           ldOut: shape.outDim)
        }
        return Row(type: type.description, outDim: shape.outDim, inDim: shape.inDim, batch: batch, seconds: seconds,
                   weightBytes: first.byteCount)
    }

    static func baseline(
        _ shape: (outDim: Int, inDim: Int), batch: Int, x: FloatBuffer, out: FloatBuffer, options: Options
    ) -> Row {
        let bytes = shape.outDim * shape.inDim * 4
        let n = copies(bytes: bytes, batch: batch, options: options)
        let weights = (0..<n).map { i in
            PackedMatrix(packing: QuantizedMatrix.dummy(type: .f32, outDim: shape.outDim, inDim: shape.inDim,
                                                        seed: UInt64(i + 1)).dequantized())
        }
        let seconds = best(options.seconds, count: n) { i in
            Kernels.linear(x.pointer, rows: batch, inDim: shape.inDim, weight: weights[i], out: out.pointer)
        }
        return Row(type: "F32 packed", outDim: shape.outDim, inDim: shape.inDim, batch: batch, seconds: seconds,
                   weightBytes: bytes)
    }

    /// The fastest of the calls `body(i % count)` made within `seconds` (at least 3, after one warm-up pass).
    static func best(_ seconds: Double, count: Int, _ body: (Int) -> Void) -> Double {
        for i in 0..<count { body(i) }
        var (fastest, spent, calls) = (Double.infinity, 0.0, 0)
        while calls < 3 || spent < seconds {
            let t = Timing.of { body(calls % count) }
            fastest = min(fastest, t)
            spent += t
            calls += 1
        }
        return fastest
    }

    public static func humanLines(_ rows: [Row]) -> [String] {
        func f(_ x: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", x) }
        var lines = ["kernels: \(Kernels.GEMMKernel.chosen) (f32 GEMM); quantized decode ≤ "
                     + "\(Kernels.quantizedDecodeRows) rows; \(Kernels.cores) threads"]
        for r in rows {
            let base = rows.first { $0.type == "F32 packed" && $0.outDim == r.outDim && $0.inDim == r.inDim && $0.batch == r.batch }
            let speedup = base.map { " (\(f($0.seconds / r.seconds, 2))× f32)" } ?? ""
            lines.append(
                "\(r.type.padding(toLength: 10, withPad: " ", startingAt: 0)) \(r.outDim)×\(r.inDim) batch \(r.batch): "
                    + "\(f(r.seconds * 1000, 3)) ms, \(f(r.gbPerSecond)) GB/s weights, \(f(r.gflops)) GFLOP/s\(speedup)")
        }
        return lines
    }

    /// `{"type", "out_dim", "in_dim", "batch", "seconds", "weight_bytes", "gb_s", "gflops"}` per row.
    public static func jsonLines(_ rows: [Row]) -> [String] {
        rows.map { r in
            "{\"type\": \"\(r.type)\", \"out_dim\": \(r.outDim), \"in_dim\": \(r.inDim), \"batch\": \(r.batch), "
                + "\"seconds\": \(r.seconds), \"weight_bytes\": \(r.weightBytes), \"gb_s\": \(r.gbPerSecond), "
                + "\"gflops\": \(r.gflops)}"
        }
    }
}
