import CBLAS
import Foundation

/// Pins OpenBLAS's thread count (process-wide). The forward pass no longer calls OpenBLAS (every matmul runs the
/// packed GEMM of `CKernels`); `apus bench runner` measures it as a reference ceiling. The runner still pins it
/// low: its pthread workers spin after each call and would steal time from the forward pass's threads.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// One fewer than the active cores, at least 1.
    public static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS runs on this CPU (`OPENBLAS_CORETYPE` overrides its detection).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
