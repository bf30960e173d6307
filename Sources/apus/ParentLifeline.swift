import Foundation

/// Ends a child of `apus serve` when its parent is gone: the parent holds the write end of the child's stdin,
/// so end-of-file there means the parent exited, however it died. The child then shuts down as on SIGTERM and,
/// should the drain hang, exits non-zero after `deadline`.
enum ParentLifeline {
    /// Set (to "1") in the environment of every child `apus serve` starts.
    static let variable = "APUS_EXIT_WITH_PARENT"

    static func watchIfAsked(deadline: Duration = .seconds(10)) {
        guard ProcessInfo.processInfo.environment[variable] == "1" else { return }
        let thread = Thread {
            var byte: UInt8 = 0
            while read(STDIN_FILENO, &byte, 1) > 0 {}
            FileHandle.standardError.write(Data("apus: the parent process is gone; shutting down\n".utf8))
            kill(getpid(), SIGTERM)
            Thread.sleep(forTimeInterval: Double(deadline.components.seconds))
            FileHandle.standardError.write(Data("apus: shutdown did not finish within \(deadline); exiting\n".utf8))
            exit(1)
        }
        thread.start()
    }
}
