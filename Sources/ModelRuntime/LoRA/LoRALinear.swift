import CKernels
import ServingCore

/// One adapter's update of one fused linear layer of one decoder layer (q/k/v, o, gate/up or down), laid out for
/// the shrink and expand kernels as vLLM's punica stacks its slices.
///
/// `a` stacks the lora_A of every adapted part row-wise (`rank` rows of `inDim`), so the shrink reads the layer's
/// input once for all of them. Each slice holds its part's lora_B transposed, multiplied by the part's scaling and
/// packed in panels of 32 columns (`apus_lora_pack`, so the expand streams it sequentially), with the rows of the
/// shrink output it reads (`rankOffset`) and the columns of the fused output it adds to (`column`).
final class LoRALinear: @unchecked Sendable {
    struct Slice {
        var module: LoRAModule
        var rankOffset: Int
        var rank: Int
        var column: Int
        var outDim: Int
        var bt: FloatBuffer
    }

    let inDim: Int
    /// Σ rank of the slices.
    let rank: Int
    let a: FloatBuffer
    let slices: [Slice]

    /// `parts`: the adapted modules of one slot with their f32 A `[rank, in]` and B `[out, rank]` and scaling.
    init(parts: [(target: LoRAAdapterInfo.Target, a: [Float], b: [Float])], shape: ModelShape) {
        precondition(!parts.isEmpty, "a LoRA linear layer adapts at least one module")
        let inDim = parts[0].target.module.inDim(shape)
        let rank = parts.reduce(0) { $0 + $1.target.rank }
        let a = FloatBuffer(count: rank * inDim)
        var slices: [Slice] = []
        var offset = 0
        for (t, aValues, bValues) in parts {
            precondition(t.module.inDim(shape) == inDim, "the parts of one slot share their input")
            let out = t.module.outDim(shape)
            precondition(aValues.count == t.rank * inDim && bValues.count == out * t.rank, "A or B of the wrong size")
            (a.pointer + offset * inDim).update(from: aValues, count: aValues.count)
            let bt = FloatBuffer(count: apus_lora_packed_count(Int32(t.rank), Int32(out)))
            apus_lora_pack(Int32(t.rank), Int32(out), bValues, Float(t.scaling), bt.pointer)
            slices.append(
                Slice(
                    module: t.module, rankOffset: offset, rank: t.rank, column: t.module.column(shape), outDim: out,
                    bt: bt))
            offset += t.rank
        }
        self.inDim = inDim
        self.rank = rank
        self.a = a
        self.slices = slices
    }

    /// Σ out columns of the slices: the expand's work per row and rank.
    var outColumns: Int { slices.reduce(0) { $0 + $1.outDim } }

    var byteCount: Int { a.byteCount + slices.reduce(0) { $0 + $1.bt.byteCount } }
}
