import Foundation
import ServingCore

@testable import ModelRuntime

/// Writes synthetic PEFT adapter directories for tests: a valid adapter by default, which a test then breaks in
/// one way through `config` (the adapter_config.json dictionary) or `tensors` (the safetensors items).
enum LoRAAdapterWriter {
    /// The tiny fixture models' shape (hidden 64, intermediate 128, 4 heads and 2 KV heads of 16, 2 layers).
    static let tinyShape = ModelShape(numLayers: 2, hiddenSize: 64, intermediateSize: 128, qSize: 64, kvSize: 32)

    /// PEFT's tensor name of `module` in `layer`.
    static func name(_ layer: Int, _ module: LoRAModule, a: Bool) -> String {
        "base_model.model.\(module.key(layer: layer)).lora_\(a ? "A" : "B").weight"
    }

    /// Writes an adapter of rank `r` on `modules` of every layer of `shape` to a new temporary directory and
    /// returns it; values uniform in ±`scale`, drawn from `seed`.
    static func write(
        shape: ModelShape = tinyShape, r: Int = 4, alpha: Double = 8, modules: [LoRAModule] = [.qProj, .vProj],
        dtype: String = "F32", seed: UInt64 = 1, scale: Float = 0.1,
        config edit: (inout [String: Any]) -> Void = { _ in },
        tensors editTensors: (inout [SafetensorsWriter.Item]) -> Void = { _ in }
    ) throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        var config: [String: Any] = [
            "peft_type": "LORA", "r": r, "lora_alpha": alpha, "target_modules": modules.map(\.rawValue),
            "bias": "none", "use_dora": false, "use_rslora": false, "fan_in_fan_out": false,
            "modules_to_save": NSNull(), "layers_to_transform": NSNull(), "rank_pattern": [String: Any](),
            "alpha_pattern": [String: Any](), "lora_dropout": 0.0, "task_type": "CAUSAL_LM",
        ]
        edit(&config)
        let json = try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        try json.write(to: dir.appendingPathComponent("adapter_config.json"))
        var rng = SplitMix64(seed: seed)
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
        }
        var items: [SafetensorsWriter.Item] = []
        for layer in 0..<shape.numLayers {
            for m in modules {
                items.append(
                    .init(
                        name: name(layer, m, a: true), shape: [r, m.inDim(shape)], values: values(r * m.inDim(shape)),
                        dtype: dtype))
                items.append(
                    .init(
                        name: name(layer, m, a: false), shape: [m.outDim(shape), r],
                        values: values(r * m.outDim(shape)), dtype: dtype))
            }
        }
        editTensors(&items)
        try SafetensorsWriter.write(items, to: dir.appendingPathComponent("adapter_model.safetensors"))
        return dir
    }
}
