import CKernels
import Dispatch
import Glibc
import Synchronization
import Testing

@testable import ModelRuntime

/// `Parallel.run` on the CKernels worker pool: every part runs exactly once, loops back to back and loops
/// started by several callers at once (the pool takes one; the others fall back to Dispatch).
@Suite("Parallel loops")
struct ParallelTests {
    /// Runs `loops` loops of `parts` parts and returns how often each part of each loop ran.
    static func counts(loops: Int, parts: Int, threads: Int) -> [Int] {
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: loops * parts)
        defer { hits.deallocate() }
        hits.initialize(repeating: 0)
        let base = SendablePointer(hits.baseAddress!)
        for loop in 0..<loops {
            // Each part writes only its own slot.
            Parallel.run(parts: parts, threads: threads) { part in base.base[loop * parts + part] += 1 }
        }
        return Array(hits)
    }

    @Test("each part of thousands of back-to-back loops runs exactly once", arguments: [1, 2, 3, 17, 64])
    func everyPartOnce(parts: Int) {
        let threads = max(2, Kernels.cores)
        #expect(Self.counts(loops: 2000, parts: parts, threads: threads).allSatisfy { $0 == 1 })
    }

    @Test("more threads than cores: the pool grows and still runs each part once")
    func moreThreadsThanCores() {
        #expect(Self.counts(loops: 200, parts: 40, threads: Kernels.cores + 3).allSatisfy { $0 == 1 })
        // The pool grows when a loop gets it; tests running beside this one hold it for whole loops, which take long
        // on a loaded machine (1,000 back-to-back tries all found it busy at a load average of 11): retry for up to
        // five seconds.
        var ran = false
        for _ in 0..<5000 where !ran {
            ran = apus_parallel_for(Int32(Kernels.cores + 3), 8, { _, _ in }, nil) == 1
            if !ran { usleep(1000) }
        }
        #expect(ran)
        #expect(apus_parallel_workers() >= Kernels.cores + 2)
    }

    @Test("loops started from several threads at once each run every part once")
    func concurrentCallers() {
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let counts = Self.counts(loops: 300, parts: 12, threads: 2)
            if !counts.allSatisfy({ $0 == 1 }) { failures.add(1, ordering: .relaxed) }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test("a loop the pool takes runs parts on its workers, not only on the caller")
    func workersTakeParts() {
        final class Seen: @unchecked Sendable {
            let caller = pthread_self()
            let others = Atomic<Int>(0)
        }
        let seen = Seen()
        var ranOnPool = 0
        for _ in 0..<200 where seen.others.load(ordering: .relaxed) == 0 {
            // The pool is shared with suites running beside this one: it may be busy (0) now and then.
            ranOnPool += Int(
                apus_parallel_for(2, 8, { context, _ in
                    let seen = Unmanaged<Seen>.fromOpaque(context!).takeUnretainedValue()
                    let until = DispatchTime.now().uptimeNanoseconds + 50_000
                    while DispatchTime.now().uptimeNanoseconds < until {}
                    if pthread_equal(pthread_self(), seen.caller) == 0 { seen.others.add(1, ordering: .relaxed) }
                }, Unmanaged.passUnretained(seen).toOpaque()))
        }
        #expect(ranOnPool > 0)
        #expect(seen.others.load(ordering: .relaxed) > 0)
    }

    @Test("the pool wakes its workers after they have gone to sleep", .timeLimit(.minutes(1)))
    func afterSleep() async throws {
        #expect(Self.counts(loops: 5, parts: 16, threads: 2).allSatisfy { $0 == 1 })
        try await Task.sleep(for: .milliseconds(20))  // workers spin 0.2 ms, then sleep
        #expect(Self.counts(loops: 5, parts: 16, threads: 2).allSatisfy { $0 == 1 })
    }
}
