import ServingCore

/// A projection of a decoder layer that a LoRA adapter may target, named as in Hugging Face checkpoints and PEFT.
///
/// The forward pass fuses q/k/v and gate/up into one matmul each (`LlamaLayerWeights`); `slot` is the fused
/// linear layer a module belongs to and `column` where its outputs start in that layer's rows.
public enum LoRAModule: String, Sendable, CaseIterable, Comparable {
    case qProj = "q_proj"
    case kProj = "k_proj"
    case vProj = "v_proj"
    case oProj = "o_proj"
    case gateProj = "gate_proj"
    case upProj = "up_proj"
    case downProj = "down_proj"

    /// The fused linear layers of a decoder layer, in forward order.
    public enum Slot: Int, Sendable, CaseIterable {
        case qkv, o, gateUp, down
    }

    /// "q_proj, k_proj, …, down_proj" for messages.
    static let names = allCases.map(\.rawValue).joined(separator: ", ")

    /// The submodule of the decoder layer that holds it (`self_attn` or `mlp`).
    var parent: String {
        switch self {
        case .qProj, .kProj, .vProj, .oProj: "self_attn"
        case .gateProj, .upProj, .downProj: "mlp"
        }
    }

    /// The PEFT module key of this projection in decoder layer `layer` (`model.layers.3.self_attn.q_proj`).
    func key(layer: Int) -> String { "model.layers.\(layer).\(parent).\(rawValue)" }

    public var slot: Slot {
        switch self {
        case .qProj, .kProj, .vProj: .qkv
        case .oProj: .o
        case .gateProj, .upProj: .gateUp
        case .downProj: .down
        }
    }

    public func inDim(_ s: ModelShape) -> Int {
        switch self {
        case .qProj, .kProj, .vProj, .gateProj, .upProj: s.hiddenSize
        case .oProj: s.qSize
        case .downProj: s.intermediateSize
        }
    }

    public func outDim(_ s: ModelShape) -> Int {
        switch self {
        case .qProj: s.qSize
        case .kProj, .vProj: s.kvSize
        case .oProj, .downProj: s.hiddenSize
        case .gateProj, .upProj: s.intermediateSize
        }
    }

    /// The first output column of this module in its slot's rows (q, k, v and gate, up are stacked in that order).
    public func column(_ s: ModelShape) -> Int {
        switch self {
        case .qProj, .oProj, .gateProj, .downProj: 0
        case .kProj: s.qSize
        case .vProj: s.qSize + s.kvSize
        case .upProj: s.intermediateSize
        }
    }

    public static func < (a: LoRAModule, b: LoRAModule) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}
