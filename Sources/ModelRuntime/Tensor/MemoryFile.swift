#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import CKernels

/// Zero-filled memory held in an anonymous memory file (Linux `memfd_create`) and mapped shared, so another
/// process on the host may map the same pages read-only through `/proc/<pid>/fd/<fd>` (docs/disaggregation.md §3).
///
/// The file's size is sealed: nobody can shrink it, so no mapping of it ever faults past its end. It is never on
/// a file system, so a crash leaks nothing (unlike a /dev/shm file): the pages are freed when the last descriptor
/// and mapping go. Unmapped and closed on deinit.
public final class MemoryFile: @unchecked Sendable {
    public let fd: Int32
    public let count: Int
    public let base: UnsafeMutableRawPointer
    /// The file's inode number: with the pid and fd it names this file and no later one.
    public let inode: UInt64

    /// A file of `count` bytes (rounded up to whole pages), every page written once; nil where memory files do not
    /// exist or the kernel refuses (the caller falls back to ordinary memory).
    public init?(name: String, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let size = max(page, (count + page - 1) / page * page)
        let fd = apus_memfd_create(name, size)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0,
              let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), mapped != MAP_FAILED
        else {
            close(fd)
            return nil
        }
        // NOTE: written, not only sized: a fresh memory file has no pages, so this commits them now, as
        // `FloatBuffer(count:)` does for ordinary memory (a node short of memory fails at start, not mid-request).
        memset(mapped, 0, size)
        self.fd = fd
        self.count = size
        self.base = mapped
        self.inode = UInt64(info.st_ino)
    }

    deinit {
        munmap(base, count)
        close(fd)
    }
}
