import Foundation

/// The repository's test fixtures (`Tests/Fixtures`), for targets that fuzz against fixed tokenizers or templates.
public enum FuzzFixtures {
    /// `APUS_FIXTURES` when set (scripts/fuzz.sh sets it), else the checkout this file was compiled from.
    public static let root: String =
        ProcessInfo.processInfo.environment["APUS_FIXTURES"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../Tests/Fixtures")
        .standardized.path

    /// The contents of `relative` under the fixtures; stops the process naming the file when it is missing.
    public static func data(_ relative: String) -> Data {
        let url = URL(fileURLWithPath: root).appendingPathComponent(relative)
        guard let data = try? Data(contentsOf: url) else {
            fatalError("missing fixture \(url.path); set APUS_FIXTURES to the repository's Tests/Fixtures")
        }
        return data
    }
}
