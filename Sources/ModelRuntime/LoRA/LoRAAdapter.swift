import ServingCore

/// A PEFT LoRA adapter loaded for one model (or one pipeline stage of it): for each of its decoder layers, the
/// update of each adapted fused linear layer (`LoRALinear`), in f32 whatever the file stores (docs/lora.md).
///
/// Immutable once loaded, so a runner may share it across steps and threads.
public final class LoRAAdapter: @unchecked Sendable {
    public let info: LoRAAdapterInfo
    /// The decoder layers held (a pipeline stage's range); `linear(layer:slot:)` takes indices relative to it.
    public let layers: Range<Int>
    /// `[layer - layers.lowerBound][slot.rawValue]`, nil where the adapter leaves the layer as it is.
    private let linears: [[LoRALinear?]]

    /// Checks an adapter directory against a model without reading its weights: the config, the safetensors
    /// header, every tensor's name, dtype and shape, and every rank against `maxRank` (the runners'
    /// `--max-lora-rank`). The runner's load runs the same checks, so an adapter that passes here loads there.
    public static func validate(
        directory: String, shape: ModelShape, maxRank: Int
    ) throws(LoRALoadError) -> LoRAAdapterInfo {
        try LoRAAdapterFiles(directory: directory, shape: shape, maxRank: maxRank).info
    }

    /// Loads the adapter in `directory` for decoder layers `layers` (default: all of `shape`'s), after the checks of
    /// `validate`; tensors of other layers are checked but not read.
    public init(
        directory: String, shape: ModelShape, maxRank: Int, layers: Range<Int>? = nil
    ) throws(LoRALoadError) {
        let files = try LoRAAdapterFiles(directory: directory, shape: shape, maxRank: maxRank)
        let held = layers ?? 0..<shape.numLayers
        precondition(held.lowerBound >= 0 && held.upperBound <= shape.numLayers, "layers \(held) outside the model")
        typealias Part = (target: LoRAAdapterInfo.Target, a: [Float], b: [Float])
        var parts = Array(
            repeating: Array(repeating: [Part](), count: LoRAModule.Slot.allCases.count), count: held.count)
        for (t, names) in zip(files.info.targets, files.tensorNames) where held.contains(t.layer) {
            let a = try Self.read(files.weights, names.a, count: t.rank * t.module.inDim(shape))
            let b = try Self.read(files.weights, names.b, count: t.module.outDim(shape) * t.rank)
            parts[t.layer - held.lowerBound][t.module.slot.rawValue].append((t, a, b))
        }
        info = files.info
        self.layers = held
        linears = parts.map { slots in
            slots.map {
                $0.isEmpty ? nil : LoRALinear(parts: $0.sorted { $0.target.module < $1.target.module }, shape: shape)
            }
        }
    }

    /// The update of `slot` in layer `layer` (relative to `layers`), nil when the adapter does not change it.
    func linear(layer: Int, slot: LoRAModule.Slot) -> LoRALinear? { linears[layer][slot.rawValue] }

    /// Bytes of f32 weights held.
    public var byteCount: Int { linears.joined().reduce(0) { $0 + ($1?.byteCount ?? 0) } }

    private static func read(_ file: SafetensorsFile, _ name: String, count: Int) throws(LoRALoadError) -> [Float] {
        var values = [Float](repeating: 0, count: count)
        do {
            try values.withUnsafeMutableBufferPointer { buffer throws(ModelLoadError) in
                try file.read(name, into: buffer.baseAddress!)
            }
        } catch {
            throw .badSafetensors(file: file.path, reason: error.description)
        }
        return values
    }
}
