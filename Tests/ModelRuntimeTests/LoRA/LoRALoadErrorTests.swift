import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

/// Every kind of bad adapter directory gets its own error, naming the file and the tensor or field, from both
/// `LoRAAdapter.validate` (the api's check) and the runner's full load.
@Suite("Bad LoRA adapters are refused with a specific error")
struct LoRALoadErrorTests {
    typealias W = LoRAAdapterWriter

    /// The error of validating and of loading `dir` (they must agree); nil when both succeed.
    func refusal(_ dir: URL, maxRank: Int = 16) -> LoRALoadError? {
        defer { try? FileManager.default.removeItem(at: dir) }
        var validated: LoRALoadError?
        var loaded: LoRALoadError?
        do { _ = try LoRAAdapter.validate(directory: dir.path, shape: W.tinyShape, maxRank: maxRank) } catch {
            validated = error
        }
        do { _ = try LoRAAdapter(directory: dir.path, shape: W.tinyShape, maxRank: maxRank) } catch { loaded = error }
        #expect(validated == loaded, "validate and load disagree")
        return validated
    }

    func config(_ dir: URL) -> String { dir.appendingPathComponent("adapter_config.json").path }
    func weights(_ dir: URL) -> String { dir.appendingPathComponent("adapter_model.safetensors").path }

    @Test("a valid adapter passes, and the message of every error names its file")
    func validAdapterPasses() throws {
        #expect(refusal(try W.write()) == nil)
        let dir = try W.write(r: 32)
        #expect(refusal(dir)?.description.contains(config(dir)) == true)
    }

    @Test("missing files")
    func missingFiles() throws {
        var dir = try W.write()
        try FileManager.default.removeItem(atPath: config(dir))
        #expect(refusal(dir) == .missingFile(path: config(dir)))
        dir = try W.write()
        try FileManager.default.removeItem(atPath: weights(dir))
        #expect(refusal(dir) == .missingFile(path: weights(dir)))
        dir = try W.write()
        try FileManager.default.moveItem(
            atPath: weights(dir), toPath: dir.appendingPathComponent("adapter_model.bin").path)
        guard case .missingFile(let path, let note) = refusal(dir) else {
            Issue.record("no missingFile")
            return
        }
        #expect(path == weights(dir) && note.contains("adapter_model.bin"))
    }

    @Test("malformed JSON and fields of the wrong type")
    func malformedConfig() throws {
        var dir = try W.write()
        try Data("{\"r\": 4,".utf8).write(to: URL(fileURLWithPath: config(dir)))
        #expect(refusal(dir) == .badConfig(file: config(dir), reason: "not a JSON object"))
        dir = try W.write(config: { $0["r"] = "four" })
        guard case .badConfig(_, let reason) = refusal(dir) else {
            Issue.record("no badConfig")
            return
        }
        #expect(reason.hasPrefix("r must be an integer"))
        dir = try W.write(config: { $0["use_rslora"] = 1 })
        guard case .badConfig(_, let why) = refusal(dir) else {
            Issue.record("no badConfig")
            return
        }
        #expect(why.hasPrefix("use_rslora must be true or false"))
        dir = try W.write(config: { $0["target_modules"] = NSNull() })
        guard case .badConfig = refusal(dir) else {
            Issue.record("no badConfig for missing target_modules")
            return
        }
    }

    @Test("a rank above --max-lora-rank, the module's own rank from rank_pattern included")
    func rankAboveLimit() throws {
        var dir = try W.write(r: 32)
        #expect(
            refusal(dir)
                == .badRank(file: config(dir), module: "model.layers.0.self_attn.q_proj", rank: 32, maxRank: 16))
        dir = try W.write(r: 4, config: { $0["rank_pattern"] = ["v_proj": 20] })
        #expect(
            refusal(dir)
                == .badRank(file: config(dir), module: "model.layers.0.self_attn.v_proj", rank: 20, maxRank: 16))
        dir = try W.write(r: 8)
        #expect(
            refusal(dir, maxRank: 4)
                == .badRank(file: config(dir), module: "model.layers.0.self_attn.q_proj", rank: 8, maxRank: 4))
    }

    @Test(
        "target modules the model lacks or LoRA does not apply to", arguments: ["lm_head", "embed_tokens", "foo_proj"])
    func unsupportedTargets(target: String) throws {
        let dir = try W.write(config: { $0["target_modules"] = ["q_proj", target] })
        guard case .unsupportedTargetModule(let file, let module, _) = refusal(dir) else {
            Issue.record("no unsupportedTargetModule for \(target)")
            return
        }
        #expect(file == config(dir) && module == target)
    }

    @Test("a regex target that reaches the embedding, or matches nothing")
    func regexTargets() throws {
        var dir = try W.write(config: { $0["target_modules"] = ".*" })
        guard case .unsupportedTargetModule(_, "model.embed_tokens", _) = refusal(dir) else {
            Issue.record("'.*' must be refused for reaching embed_tokens")
            return
        }
        dir = try W.write(config: { $0["target_modules"] = #".*\.nothing_proj"# })
        #expect(refusal(dir) == .noTargetModules(file: config(dir)))
    }

    @Test("layer indices past the model's layers")
    func layersOutOfRange() throws {
        var dir = try W.write(config: { $0["layers_to_transform"] = [0, 5] })
        #expect(
            refusal(dir) == .layerOutOfRange(file: config(dir), name: "layers_to_transform", layer: 5, numLayers: 2))
        dir = try W.write(config: { $0["target_modules"] = ["model.layers.3.self_attn.q_proj"] })
        guard case .layerOutOfRange(_, _, 3, 2) = refusal(dir) else {
            Issue.record("no layerOutOfRange")
            return
        }
        let extra = W.name(7, .qProj, a: true)
        dir = try W.write(tensors: {
            $0.append(.init(name: extra, shape: [4, 64], values: Array(repeating: 0, count: 256)))
        })
        #expect(refusal(dir) == .layerOutOfRange(file: weights(dir), name: "tensor '\(extra)'", layer: 7, numLayers: 2))
    }

    @Test("features this runtime does not apply", arguments: ["use_dora", "bias", "modules_to_save", "fan_in_fan_out"])
    func unsupportedFeatures(field: String) throws {
        let values: [String: Any] = [
            "use_dora": true, "bias": "all", "modules_to_save": ["lm_head"], "fan_in_fan_out": true,
        ]
        let dir = try W.write(config: { $0[field] = values[field]! })
        guard case .unsupported(let file, let named, _) = refusal(dir) else {
            Issue.record("no unsupported for \(field)")
            return
        }
        #expect(file == config(dir) && named.hasPrefix(field))
    }

    @Test("a missing, an unexpected, a misshapen and a badly typed tensor, and a truncated file")
    func badTensors() throws {
        let b = W.name(1, .vProj, a: false)
        var dir = try W.write(tensors: { $0.removeAll { $0.name == b } })
        #expect(refusal(dir) == .missingTensor(file: weights(dir), tensor: b))
        let k = W.name(0, .kProj, a: true)
        dir = try W.write(tensors: {
            $0.append(.init(name: k, shape: [4, 64], values: Array(repeating: 0, count: 256)))
        })
        guard case .unexpectedTensor(_, k, let why) = refusal(dir) else {
            Issue.record("no unexpectedTensor")
            return
        }
        #expect(why.contains("not targeted"))
        dir = try W.write(tensors: {
            $0.append(.init(name: "base_model.model.lm_head.lora_A.weight", shape: [1], values: [0]))
        })
        guard case .unexpectedTensor = refusal(dir) else {
            Issue.record("no unexpectedTensor for lm_head")
            return
        }
        let a = W.name(0, .qProj, a: true)
        dir = try W.write(tensors: { items in
            items[items.firstIndex { $0.name == a }!] = .init(
                name: a, shape: [4, 63], values: Array(repeating: 0, count: 252))
        })
        #expect(refusal(dir) == .wrongShape(file: weights(dir), tensor: a, expected: [4, 64], found: [4, 63]))
        dir = try W.write(tensors: { items in items[0].dtype = "I32" })
        guard case .badDType(_, _, "I32") = refusal(dir) else {
            Issue.record("no badDType")
            return
        }
        dir = try W.write()
        let data = try Data(contentsOf: URL(fileURLWithPath: weights(dir)))
        try data.prefix(data.count - 10).write(to: URL(fileURLWithPath: weights(dir)))
        guard case .badSafetensors(let file, _) = refusal(dir) else {
            Issue.record("no badSafetensors")
            return
        }
        #expect(file == weights(dir))
    }

    @Test("two rank_pattern keys that give one module different ranks")
    func ambiguousPattern() throws {
        let dir = try W.write(config: { $0["rank_pattern"] = ["q_proj": 2, "self_attn.q_proj": 4] })
        guard case .badConfig(_, let reason) = refusal(dir) else {
            Issue.record("no badConfig")
            return
        }
        #expect(reason.contains("both match"))
    }
}
