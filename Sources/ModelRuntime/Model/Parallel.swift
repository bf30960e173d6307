import CKernels
import Dispatch
import Foundation

/// The forward pass's parallel loops: on the CKernels worker pool, whose threads spin for the next loop instead of
/// being woken for each (one decode step runs about fifty loops, a few microseconds apart).
package enum Parallel {
    /// `APUS_PARALLEL=dispatch` runs every loop on Dispatch's pool instead (for comparisons).
    static let usesPool = ProcessInfo.processInfo.environment["APUS_PARALLEL"] != "dispatch"

    /// Runs `body(part)` for every part in `0..<parts` on `threads` threads (the caller among them), parts taken
    /// dynamically. When another loop holds the pool (two runners in one process), this one runs on Dispatch.
    package static func run(parts: Int, threads: Int = Kernels.cores, _ body: @Sendable (Int) -> Void) {
        if parts <= 1 || threads <= 1 {
            for part in 0..<parts { body(part) }
            return
        }
        withoutActuallyEscaping(body) { body in
            var context = body
            let ran = !usesPool ? 0 : withUnsafeMutablePointer(to: &context) { pointer in
                apus_parallel_for(Int32(threads), Int32(parts), { context, part in
                    context!.assumingMemoryBound(to: (@Sendable (Int) -> Void).self).pointee(Int(part))
                }, pointer)
            }
            if ran == 0 { DispatchQueue.concurrentPerform(iterations: parts, execute: body) }
        }
    }
}
