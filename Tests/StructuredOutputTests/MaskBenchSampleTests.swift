import Testing

@testable import StructuredOutput

#if canImport(Foundation)
    import Foundation

    @Suite("MaskBench sample")
    struct MaskBenchSampleTests {
        static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/maskbench")

        static let files = [
            "Github_easy---o21847.json", "Github_easy---o40224.json", "Github_easy---o13140.json",
            "Synthesized---draft2019_09_nonvalid_patternProperties_id9_subschema1_not_2.json",
            "Synthesized---draft2019_09_nonvalid_ref_id1_subschema1_not_2.json",
        ]

        @Test("each sample schema accepts exactly its valid instances", arguments: files)
        func sample(file: String) throws {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(file), encoding: .utf8)
            let document = try JSONParser.parse(text)
            guard let schema = document["schema"], let tests = document["tests"]?.arrayValue else {
                Issue.record("malformed fixture \(file)")
                return
            }
            let matcher = try CompiledGrammar(.jsonSchema(schema.canonicalText), vocabulary: TestSupport.bytes)
                .makeMatcher()
            #expect(!tests.isEmpty)
            for (index, test) in tests.enumerated() {
                matcher.reset()
                let instance = test["data"]!.canonicalText
                let accepted = matcher.accept(bytes: Array(instance.utf8)) && matcher.canEnd
                #expect(accepted == (test["valid"] == .bool(true)), "\(file) test #\(index): \(instance)")
            }
        }
    }
#endif
