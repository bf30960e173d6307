import ArgumentParser
import Foundation

/// Says plainly that a subcommand is not built yet and exits non-zero; never pretends to work.
func unfinished(_ what: String) -> ExitCode {
    FileHandle.standardError.write(Data("apus \(what): not implemented yet in this build\n".utf8))
    return ExitCode(70)
}
