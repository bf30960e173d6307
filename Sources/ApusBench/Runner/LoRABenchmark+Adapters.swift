import Foundation
import ServingCore

/// Random PEFT adapters for the LoRA benchmark: rank `rank` on all seven projections of every layer, f32, values
/// uniform with the std of PEFT's kaiming-uniform A (so the updates are of a realistic size; their values do not
/// change the work).
enum LoRABenchmarkAdapters {
    static let modules: [(parent: String, name: String)] = [
        ("self_attn", "q_proj"), ("self_attn", "k_proj"), ("self_attn", "v_proj"), ("self_attn", "o_proj"),
        ("mlp", "gate_proj"), ("mlp", "up_proj"), ("mlp", "down_proj"),
    ]

    /// Writes `count` adapters into `adapter-0` … of a new temporary directory, which the caller removes.
    static func write(count: Int, rank: Int, shape: ModelShape) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("apus-bench-lora-\(UUID().uuidString)")
        for i in 0..<count {
            let dir = root.appendingPathComponent("adapter-\(i)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let config = """
                {"peft_type": "LORA", "r": \(rank), "lora_alpha": \(2 * rank), "target_modules": \
                ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], "bias": "none", \
                "use_rslora": false, "use_dora": false, "fan_in_fan_out": false, "task_type": "CAUSAL_LM"}
                """
            try Data(config.utf8).write(to: dir.appendingPathComponent("adapter_config.json"))
            var rng = SplitMix64(seed: UInt64(i + 1))
            var tensors: [(name: String, shape: [Int])] = []
            for layer in 0..<shape.numLayers {
                for (parent, name) in modules {
                    let key = "base_model.model.model.layers.\(layer).\(parent).\(name)"
                    let (inDim, outDim) = dims(name, shape)
                    tensors.append((key + ".lora_A.weight", [rank, inDim]))
                    tensors.append((key + ".lora_B.weight", [outDim, rank]))
                }
            }
            try writeSafetensors(tensors, to: dir.appendingPathComponent("adapter_model.safetensors"), rng: &rng)
        }
        return root
    }

    static func dims(_ module: String, _ s: ModelShape) -> (inDim: Int, outDim: Int) {
        switch module {
        case "q_proj": (s.hiddenSize, s.qSize)
        case "k_proj", "v_proj": (s.hiddenSize, s.kvSize)
        case "o_proj": (s.qSize, s.hiddenSize)
        case "gate_proj", "up_proj": (s.hiddenSize, s.intermediateSize)
        default: (s.intermediateSize, s.hiddenSize)
        }
    }

    /// F32 tensors of uniform values with std 1/√in (A) and 1/√rank (B).
    static func writeSafetensors(_ tensors: [(name: String, shape: [Int])], to url: URL, rng: inout SplitMix64) throws {
        var header: [String] = []
        var data = Data()
        for (name, shape) in tensors {
            let count = shape.reduce(1, *)
            let bound = Float(3).squareRoot() / Float(shape[1]).squareRoot()
            let values = (0..<count).map { _ in (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1) * bound }
            let begin = data.count
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            header.append(
                "\"\(name)\": {\"dtype\": \"F32\", \"shape\": [\(shape[0]), \(shape[1])], "
                    + "\"data_offsets\": [\(begin), \(data.count)]}")
        }
        let json = Data(("{" + header.joined(separator: ", ") + "}").utf8)
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(data)
        try out.write(to: url)
    }
}
