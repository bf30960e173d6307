import Foundation
import Testing

@testable import ModelRuntime

/// Broken checkpoints are refused with an error that names the file and the tensor.
@Suite("Broken checkpoints")
struct CheckpointErrorTests {
    /// A copy of the tiny Llama fixture in a scratch directory, for corrupting.
    func copyOfTinyLlama() throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        for file in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(
                atPath: Fixtures.path("tiny-llama/" + file),
                toPath: dir.appendingPathComponent(file).path)
        }
        return dir
    }

    func loadError(_ dir: URL) -> ModelLoadError? {
        do {
            _ = try ModelSource.directory(dir.path).loadWeights()
            return nil
        } catch {
            return error
        }
    }

    @Test("a truncated file names a tensor whose data is past the end")
    func truncatedFile() throws {
        let dir = try copyOfTinyLlama()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: file)
        try data.prefix(data.count - 1000).write(to: file)
        let error = try #require(loadError(dir))
        guard case .badTensor(let path, _, let reason) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(path.hasSuffix("model.safetensors"))
        #expect(reason.contains("past the end"))
    }

    @Test("a file cut inside its header says the header does not fit")
    func truncatedHeader() throws {
        let dir = try copyOfTinyLlama()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.safetensors")
        try Data(contentsOf: file).prefix(100).write(to: file)
        let error = try #require(loadError(dir))
        guard case .badHeader = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(error.description.contains("model.safetensors"))
    }

    @Test("an empty or 5-byte file is shorter than the 8-byte header length", arguments: [0, 5])
    func tooShortForTheLength(bytes: Int) throws {
        let dir = try copyOfTinyLlama()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.safetensors")
        try Data(contentsOf: file).prefix(bytes).write(to: file)
        let error = try #require(loadError(dir))
        guard case .badHeader(_, let reason) = error else {
            Issue.record("got \(error)")
            return
        }
        #expect(reason.contains("shorter than the 8-byte length"))
    }

    @Test("header offsets past the end of the data are refused naming the tensor")
    func offsetsPastEnd() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.safetensors")
        try SafetensorsWriter.write([.init(name: "w", shape: [2], values: [1, 2])], to: url) { header in
            header["w"] = ["dtype": "F32", "shape": [2], "data_offsets": [0, 4096]]
        }
        #expect(
            throws: ModelLoadError.badTensor(
                file: url.path, tensor: "w",
                reason: "data_offsets end 4096 is past the end of the data (8 bytes; file truncated?)")
        ) {
            try SafetensorsFile(path: url.path)
        }
    }

    @Test("a shape that disagrees with the byte range, or an unknown dtype, is refused")
    func inconsistentEntries() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("x.safetensors")
        try SafetensorsWriter.write([.init(name: "w", shape: [2], values: [1, 2])], to: url) { header in
            header["w"] = ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]
        }
        #expect(throws: ModelLoadError.self) { try SafetensorsFile(path: url.path) }
        try SafetensorsWriter.write([.init(name: "w", shape: [2], values: [1, 2])], to: url) { header in
            header["w"] = ["dtype": "Q4", "shape": [2], "data_offsets": [0, 8]]
        }
        #expect(throws: ModelLoadError.badTensor(file: url.path, tensor: "w", reason: "unknown dtype 'Q4'")) {
            try SafetensorsFile(path: url.path)
        }
    }

    @Test("an unknown architecture lists the supported ones")
    func unknownArchitecture() throws {
        let dir = try copyOfTinyLlama()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: "LlamaForCausalLM", with: "GPT2LMHeadModel")
            .write(to: config, atomically: true, encoding: .utf8)
        #expect(loadError(dir) == .unsupportedArchitecture("GPT2LMHeadModel", path: dir.appendingPathComponent("config.json").path))
        #expect(loadError(dir)?.description.contains("Qwen2ForCausalLM") == true)
    }

    @Test("a missing tensor and a wrong shape are named")
    func missingAndWrongShape() throws {
        let dir = try copyOfTinyLlama()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.safetensors")
        let original = try SafetensorsFile(path: file.path)
        var items: [SafetensorsWriter.Item] = []
        for (name, entry) in original.entries.sorted(by: { $0.key < $1.key }) where name != "model.norm.weight" {
            var values = [Float](repeating: 0, count: entry.shape.reduce(1, *))
            try values.withUnsafeMutableBufferPointer { try original.read(name, into: $0.baseAddress!) }
            items.append(.init(name: name, shape: entry.shape, values: values))
        }
        try SafetensorsWriter.write(items, to: file)
        #expect(loadError(dir) == .missingTensor(tensor: "model.norm.weight", directory: dir.path))

        let i = items.firstIndex { $0.name == "lm_head.weight" }!
        items[i] = .init(name: "lm_head.weight", shape: [64, 128], values: items[i].values)
        items.append(.init(name: "model.norm.weight", shape: [64], values: [Float](repeating: 1, count: 64)))
        try SafetensorsWriter.write(items, to: file)
        #expect(
            loadError(dir)
                == .wrongShape(
                    file: file.path, tensor: "lm_head.weight", expected: [128, 64],
                    found: [64, 128]))
    }

    @Test("shards listed in model.safetensors.index.json load like one file")
    func shardedCheckpoint() throws {
        let dir = try copyOfTinyLlama()
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = try SafetensorsFile(path: dir.appendingPathComponent("model.safetensors").path)
        var shards: [[SafetensorsWriter.Item]] = [[], []]
        var map: [String: String] = [:]
        for (k, (name, entry)) in single.entries.sorted(by: { $0.key < $1.key }).enumerated() {
            var values = [Float](repeating: 0, count: entry.shape.reduce(1, *))
            try values.withUnsafeMutableBufferPointer { try single.read(name, into: $0.baseAddress!) }
            shards[k % 2].append(.init(name: name, shape: entry.shape, values: values))
            map[name] = "model-0000\(k % 2 + 1)-of-00002.safetensors"
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        for s in 0..<2 {
            try SafetensorsWriter.write(
                shards[s], to: dir.appendingPathComponent("model-0000\(s + 1)-of-00002.safetensors"))
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:], "weight_map": map])
        try index.write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let sharded = try ModelSource.directory(dir.path).loadWeights()
        let reference = try ModelSource.directory(Fixtures.path("tiny-llama")).loadWeights()
        #expect(sharded.layers[1].gateUp.toArray() == reference.layers[1].gateUp.toArray())
        #expect(sharded.lmHead?.toArray() == reference.lmHead?.toArray())
    }
}
