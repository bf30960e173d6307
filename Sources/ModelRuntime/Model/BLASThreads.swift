import CBLAS
import Foundation

/// Pins OpenBLAS's thread count (process-wide). OpenBLAS runs only attention's per-head GEMMs, which the
/// attention code already spreads over the cores; its pthread workers spin after each call, so more threads
/// would only steal time from the attention threads.
public enum BLASThreads {
    public static func set(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }

    /// One fewer than the active cores, at least 1 (1 on the 2-core machines here): leaves a core for the
    /// service's event loop and measured faster than 2 threads while other processes share the machine.
    public static var defaultCount: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }
    public static var current: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS runs on this CPU (`OPENBLAS_CORETYPE` overrides its detection).
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
}
