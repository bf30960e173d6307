import ModelRuntime
import CBLAS
import Dispatch
import Foundation

/// Wall-clock seconds of one run.
enum Timing {
    static func of(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

extension RunnerBenchmark {
    /// The machine's compute and memory ceilings on every core, in GFLOP/s and GB/s by wall clock.
    struct Ceilings {
        /// OpenBLAS's sgemm on every core (with the kernels it picks on this CPU under this environment).
        var sgemmBLAS: Double
        /// The runner's packed GEMM on every core (weights packed beforehand, as the runner holds them).
        var sgemmKernel: Double
        var bandwidth: Double

        /// Best of 6 `n³` products each way; best full read of a `bandwidthBytes` array (SIMD sum on every core
        /// in parts taken dynamically, and OpenBLAS's prefetching `sdot`).
        static func measure(sgemmSize n: Int, bandwidthBytes: Int) -> Ceilings {
            let a = FloatBuffer(count: n * n)
            let b = FloatBuffer(count: n * n)
            let c = FloatBuffer(count: n * n)
            for i in 0..<n * n { (a.pointer[i], b.pointer[i]) = (Float(i % 7) * 0.1, Float(i % 5) * 0.1) }
            let flops = 2 * Double(n * n * n) / 1e9
            let runnerThreads = BLASThreads.current
            BLASThreads.set(Kernels.cores)
            var blas = Double.infinity
            for _ in 0..<6 {
                blas = min(
                    blas,
                    Timing.of {
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(n), 1, a.pointer,
                            Int32(n), b.pointer, Int32(n), 0, c.pointer, Int32(n))
                    })
            }
            BLASThreads.set(runnerThreads)
            let packed = PackedMatrix(packing: Tensor(shape: [n, n], storage: b))
            var kernel = Double.infinity
            for _ in 0..<6 {
                kernel = min(
                    kernel, Timing.of { Kernels.linear(a.pointer, rows: n, inDim: n, weight: packed, out: c.pointer) })
            }
            return Ceilings(
                sgemmBLAS: flops / blas, sgemmKernel: flops / kernel, bandwidth: memoryBandwidth(bytes: bandwidthBytes))
        }

        mutating func raise(to other: Ceilings) {
            sgemmBLAS = max(sgemmBLAS, other.sgemmBLAS)
            sgemmKernel = max(sgemmKernel, other.sgemmKernel)
            bandwidth = max(bandwidth, other.bandwidth)
        }

        static func memoryBandwidth(bytes: Int) -> Double {
            let count = bytes / 4
            // NOTE: filled with non-zero data: untouched (or zero-deduplicated) pages would read from a shared
            // zero page in cache and report impossible bandwidth.
            let buffer = FloatBuffer(count: count, zeroed: false)
            for i in 0..<count { buffer.pointer[i] = Float(i & 1023) }
            var wall = Double.infinity
            for _ in 0..<4 { wall = min(wall, readSeconds(buffer.pointer, count: count)) }
            var dot = Double.infinity
            let sum = FloatBuffer(count: 1)
            for _ in 0..<8 {
                dot = min(dot, Timing.of { sum.pointer[0] = cblas_sdot(Int32(count), buffer.pointer, 1, buffer.pointer, 1) })
            }
            return Double(count * 4) / 1e9 / min(wall, dot)
        }

        /// Seconds of one full read of `count` floats on every core, as the batch-1 matmuls read their weights:
        /// eight parts per core taken dynamically from the runner's worker pool (with one part per core, a worker
        /// that wakes late leaves the others idle at the end and the "ceiling" comes out below what the model
        /// itself reads).
        static func readSeconds(_ data: UnsafePointer<Float>, count: Int) -> Double {
            let cores = Kernels.cores
            let parts = cores == 1 ? 1 : 8 * cores
            let chunk = (count / parts) & ~63
            let sums = FloatBuffer(count: parts * 16)
            let (base, out) = (SendablePointer(UnsafeMutablePointer(mutating: data)), SendablePointer(sums.pointer))
            let seconds = Timing.of {
                Parallel.run(parts: parts, threads: cores) { t in
                    out.base[t * 16] = sum(UnsafeRawPointer(base.base + t * chunk), count: chunk)
                }
            }
            return seconds * Double(count) / Double(chunk * parts)
        }

        /// Sums `count` floats (a multiple of 64) with eight independent SIMD accumulators.
        static func sum(_ raw: UnsafeRawPointer, count: Int) -> Float {
            var acc = (
                SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(),
                SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>()
            )
            var offset = 0
            while offset < count * 4 {
                acc.0 = acc.0 + raw.load(fromByteOffset: offset, as: SIMD8<Float>.self)
                acc.1 = acc.1 + raw.load(fromByteOffset: offset + 32, as: SIMD8<Float>.self)
                acc.2 = acc.2 + raw.load(fromByteOffset: offset + 64, as: SIMD8<Float>.self)
                acc.3 = acc.3 + raw.load(fromByteOffset: offset + 96, as: SIMD8<Float>.self)
                acc.4 = acc.4 + raw.load(fromByteOffset: offset + 128, as: SIMD8<Float>.self)
                acc.5 = acc.5 + raw.load(fromByteOffset: offset + 160, as: SIMD8<Float>.self)
                acc.6 = acc.6 + raw.load(fromByteOffset: offset + 192, as: SIMD8<Float>.self)
                acc.7 = acc.7 + raw.load(fromByteOffset: offset + 224, as: SIMD8<Float>.self)
                offset += 256
            }
            return (acc.0 + acc.1 + acc.2 + acc.3 + acc.4 + acc.5 + acc.6 + acc.7).sum()
        }
    }
}
