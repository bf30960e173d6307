#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last reference goes.
///
/// Weights are used in place from the mapping (never copied), so a loaded model's resident memory is the pages
/// the forward pass touches. Pages of tensors that were copied elsewhere (fused or converted at load) can be
/// handed back with `release(_:)`.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let count: Int
    public let base: UnsafeRawPointer

    /// Maps `path`; throws `.io` naming the file when it cannot be opened or mapped.
    public init(path: String) throws(ModelFileError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        count = Int(info.st_size)
        // An empty file maps nothing (mmap refuses length 0): the readers then report it as too short.
        guard count > 0 else {
            base = UnsafeRawPointer(Self.emptyBytes)
            return
        }
        guard let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw .io(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit { if count > 0 { munmap(UnsafeMutableRawPointer(mutating: base), count) } }

    /// The base of every empty file's (zero-length) view.
    /// NOTE: nonisolated(unsafe): allocated once, never written or freed.
    nonisolated(unsafe) private static let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)

    /// The bytes at `range` (inside the file; callers check).
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "range \(range) outside \(path)")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Drops the resident pages of `range` (they are read again from the file if touched later): for tensors
    /// whose contents were copied at load.
    public func release(_ range: Range<Int>) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }
}
