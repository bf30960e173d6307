import Foundation
import ServingCore

@testable import ModelRuntime

/// Paths to the committed fixture checkpoints and their transformers goldens.
enum Fixtures {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/models")

    static func path(_ name: String) -> String { models.appendingPathComponent(name).path }

    /// One prompt's golden: the greedy continuation and the logits of every position of
    /// prompt ++ greedy[..<last].
    struct Case: Decodable {
        let prompt: [TokenID]
        let greedy: [TokenID]
        let logits: [[Float]]
    }

    struct Golden: Decodable {
        let smallest_gap: Double
        let cases: [Case]
    }

    static func golden(_ name: String) throws -> Golden {
        let data = try Data(
            contentsOf: models.appendingPathComponent(name).appendingPathComponent("golden/golden.json"))
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    /// max |a − b| / max |b|: the relative error the goldens are held to.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / max(scale, 1e-6)
    }

    /// A scratch directory removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("apus-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
