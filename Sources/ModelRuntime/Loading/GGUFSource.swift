import ModelFiles

/// Weights from a GGUF file, addressed by Hugging Face names (mapped onto llama.cpp's `blk.N.attn_q.weight` …).
///
/// Stored tensors are used in place from the mapping, except the q and k projections of `llama`-architecture
/// files: llama.cpp's converter stores their rows permuted for its interleaved RoPE (within each head, rows
/// `0, D/2, 1, D/2+1, …`), so they are copied back into Hugging Face order (and their mapped pages released).
struct GGUFSource: WeightSource {
    let file: GGUFFile
    let config: ModelConfig
    /// True for `llama` files, whose q/k rows are permuted.
    let permutesQK: Bool

    init(file: GGUFFile, config: ModelConfig) {
        self.file = file
        self.config = config
        permutesQK = file.string("general.architecture") == "llama"
    }

    mutating func fill(_ name: String, shape: [Int], role: WeightRole, into out: UnsafeMutablePointer<Float>)
        throws(ModelLoadError)
    {
        let info = try tensor(name, shape: shape)
        let columns = shape.count == 2 ? shape[1] : shape.reduce(1, *)
        let rows = shape.count == 2 ? shape[0] : 1
        let bytes = file.bytes(of: info)
        if info.type == .f32 {
            UnsafeMutableRawPointer(out).copyMemory(from: bytes.baseAddress!, byteCount: info.range.count)
        } else {
            let view = QuantizedMatrix(
                type: info.type, outDim: rows, inDim: columns, bytes: bytes.baseAddress!, owner: file.file)
            for r in 0..<rows { view.dequantizeRow(r, into: out + r * columns) }
        }
        if let heads = permutedHeads(name) {
            // A 1-D bias permutes like a weight whose rows are one value each.
            let rowCount = shape[0]
            let width = shape.count == 2 ? shape[1] : 1
            let copy = Array(UnsafeBufferPointer(start: out, count: rowCount * width))
            for (hfRow, fileRow) in Self.unpermutedRows(count: rowCount, heads: heads).enumerated() {
                for j in 0..<width { out[hfRow * width + j] = copy[fileRow * width + j] }
            }
        }
    }

    mutating func stored(_ name: String, shape: [Int]) throws(ModelLoadError) -> QuantizedMatrix? {
        let info = try tensor(name, shape: shape)
        guard info.type != .f32, shape.count == 2 else { return nil }
        let base = file.bytes(of: info).baseAddress!
        guard let heads = permutedHeads(name) else {
            return QuantizedMatrix(type: info.type, outDim: shape[0], inDim: shape[1], bytes: base, owner: file.file)
        }
        let rowBytes = info.type.rowBytes(count: shape[1])!
        let reordered = UnsafeMutableRawPointer.allocate(byteCount: shape[0] * rowBytes, alignment: 64)
        defer { reordered.deallocate() }
        for (hfRow, fileRow) in Self.unpermutedRows(count: shape[0], heads: heads).enumerated() {
            (reordered + hfRow * rowBytes).copyMemory(from: base + fileRow * rowBytes, byteCount: rowBytes)
        }
        file.file.release(info.range)
        return QuantizedMatrix(type: info.type, outDim: shape[0], inDim: shape[1], copying: reordered)
    }

    /// The file row holding each Hugging Face row of a permuted q or k projection: within a head of D rows, HF row
    /// `s·D/2 + i` (s = 0, 1) is file row `2i + s`.
    static func unpermutedRows(count: Int, heads: Int) -> [Int] {
        let d = count / heads
        let half = d / 2
        return (0..<count).map { row in
            let (h, r) = (row / d, row % d)
            let (s, i) = (r / half, r % half)
            return h * d + 2 * i + s
        }
    }

    /// The heads a q/k projection (weight or bias) of a `llama` file is permuted over, else nil.
    private func permutedHeads(_ name: String) -> Int? {
        guard permutesQK else { return nil }
        if name.hasSuffix("self_attn.q_proj.weight") || name.hasSuffix("self_attn.q_proj.bias") {
            return config.numHeads
        }
        if name.hasSuffix("self_attn.k_proj.weight") || name.hasSuffix("self_attn.k_proj.bias") {
            return config.numKVHeads
        }
        return nil
    }

    /// The info of the tensor for HF name `name`, checked to have `shape` (PyTorch order).
    private func tensor(_ name: String, shape: [Int]) throws(ModelLoadError) -> GGUFTensorInfo {
        guard let ggufName = Self.ggufName(name) else {
            throw .missingTensor(tensor: name, directory: file.path)
        }
        let info = try Self.checked(file, ggufName)
        guard info.shape == shape else {
            throw .wrongShape(file: file.path, tensor: ggufName, expected: shape, found: info.shape)
        }
        return info
    }

    /// `file.tensor(name)` with its error as a `ModelLoadError`.
    static func checked(_ file: GGUFFile, _ name: String) throws(ModelLoadError) -> GGUFTensorInfo {
        do {
            return try file.tensor(name)
        } catch {
            throw .file(error)
        }
    }

    /// The GGUF name of a Hugging Face Llama/Qwen checkpoint tensor name.
    static func ggufName(_ hf: String) -> String? {
        switch hf {
        case "model.embed_tokens.weight": return "token_embd.weight"
        case "model.norm.weight": return "output_norm.weight"
        case "lm_head.weight": return "output.weight"
        default: break
        }
        let prefix = "model.layers."
        guard hf.hasPrefix(prefix) else { return nil }
        let rest = hf.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        let layer = rest[..<dot]
        let suffix = String(rest[rest.index(after: dot)...])
        let names: [String: String] = [
            "input_layernorm.weight": "attn_norm.weight",
            "self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
            "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
            "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.bias": "attn_k.bias",
            "self_attn.v_proj.bias": "attn_v.bias",
            "self_attn.q_norm.weight": "attn_q_norm.weight", "self_attn.k_norm.weight": "attn_k_norm.weight",
            "post_attention_layernorm.weight": "ffn_norm.weight",
            "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
            "mlp.down_proj.weight": "ffn_down.weight",
        ]
        return names[suffix].map { "blk.\(layer).\($0)" }
    }

    /// The type of most weight bytes among 2-D tensors (what a file is called: "Q4_1", "Q4_K" …).
    static func predominantType(_ file: GGUFFile) -> GGMLType? {
        var bytes: [GGMLType: Int] = [:]
        for info in file.tensorInfos where info.dimensions.count == 2 { bytes[info.type, default: 0] += info.range.count }
        return bytes.max { $0.value < $1.value }?.key
    }
}
