#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Wire

/// A producer runner's KV memory file (`ApusV1.KVSharedMemory`) mapped read-only into this process; unmapped when
/// the last reference goes. The mapping keeps the file's pages alive whatever the producer does meanwhile.
final class KVMapping: @unchecked Sendable {
    // NOTE: @unchecked: an immutable read-only mapping.
    /// Why a producer's memory could not be mapped here: the read falls back to streaming over TCP.
    struct Unavailable: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    let source: ApusV1.KVSharedMemory
    let base: UnsafeRawPointer
    let count: Int

    /// Opens `/proc/<pid>/fd/<fd>` read-only (which needs the right to inspect that process: same user, same
    /// pid namespace), checks it is the file the producer named (inode and size), and maps it whole.
    init(_ source: ApusV1.KVSharedMemory) throws(Unavailable) {
        let path = "/proc/\(source.pid)/fd/\(source.fd)"
        guard source.size > 0, let size = Int(exactly: source.size) else { throw Unavailable("\(path): size 0") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Unavailable("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw Unavailable("cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        // NOTE: the producer may have replaced its cache since it answered, and a new file may hold the same fd.
        guard UInt64(info.st_ino) == source.inode, Int(info.st_size) == size else {
            throw Unavailable(
                "\(path) is inode \(info.st_ino) of \(info.st_size) bytes, not the \(source.inode) of \(size) named")
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw Unavailable("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        self.source = source
        self.base = UnsafeRawPointer(mapped)
        self.count = size
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), count) }

    /// True when `other` names the same file as this mapping (same process, descriptor, inode and size).
    func maps(_ other: ApusV1.KVSharedMemory) -> Bool {
        source.pid == other.pid && source.fd == other.fd && source.inode == other.inode && source.size == other.size
    }
}
