#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The calling thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`): unlike wall-clock time it does not grow while other
/// processes hold the cores, so compile times measured on a loaded machine stay comparable.
enum ThreadCPUTime {
    static func nanoseconds() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)
    }
}
