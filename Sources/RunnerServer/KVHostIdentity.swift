#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import Wire

extension ApusV1.KVHostIdentity {
    /// This process's identity: the kernel's boot id and the inodes of its pid and network namespaces; nil where
    /// /proc does not tell them (then no shared-memory transfer is offered or answered).
    ///
    /// NOTE: equal identities mean a pid the producer sends names the producer in the reader's /proc. A different
    /// network namespace counts as another host although the memory could be shared: it is the usual mark of a
    /// container boundary, and such runners reach each other only through the network the operator chose (the
    /// netns integration test keeps exercising TCP that way).
    public static let current: ApusV1.KVHostIdentity? = {
        guard let bootID = readFirstLine("/proc/sys/kernel/random/boot_id"), !bootID.isEmpty,
              let pid = inode("/proc/self/ns/pid"), let net = inode("/proc/self/ns/net")
        else { return nil }
        return ApusV1.KVHostIdentity(bootID: bootID, pidNamespace: pid, netNamespace: net)
    }()

    private static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    private static func readFirstLine(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
