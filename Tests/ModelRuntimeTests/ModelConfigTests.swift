import Foundation
import Testing

@testable import ModelRuntime

@Suite("Model config")
struct ModelConfigTests {
    @Test("transformers 5 configs with rope_parameters and dtype load")
    func transformers5Form() throws {
        let llama = try ModelConfig.load(directory: Fixtures.path("tiny-llama"))
        #expect(llama.architecture == .llama)
        #expect(
            llama.ropeScaling
                == .llama3(
                    factor: 8, lowFreqFactor: 1, highFreqFactor: 4,
                    originalMaxPositionEmbeddings: 64))
        #expect(llama.headDim == 16 && llama.numKVHeads == 2 && !llama.attentionBias && !llama.tieWordEmbeddings)
        let qwen = try ModelConfig.load(directory: Fixtures.path("tiny-qwen2-bf16"))
        #expect(qwen.architecture == .qwen2 && qwen.attentionBias && qwen.tieWordEmbeddings)
        #expect(qwen.ropeTheta == 1_000_000 && qwen.ropeScaling == RopeScaling.none)
        #expect(qwen.dtype == "bfloat16")
    }

    @Test("older configs with rope_theta, rope_scaling and torch_dtype load")
    func legacyForm() throws {
        let json: [String: Any] = [
            "architectures": ["MistralForCausalLM"], "vocab_size": 32000, "hidden_size": 4096,
            "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
            "intermediate_size": 14336, "max_position_embeddings": 32768, "rope_theta": 1e6,
            "rope_scaling": ["type": "linear", "factor": 2.0], "rms_norm_eps": 1e-5, "torch_dtype": "bfloat16",
            "sliding_window": 4096, "eos_token_id": [2, 7],
        ]
        let c = try ModelConfig(json: json)
        #expect(c.architecture == .mistral && c.ropeTheta == 1e6 && c.ropeScaling == .linear(factor: 2))
        #expect(c.dtype == "bfloat16" && c.slidingWindow == 4096 && c.eosTokenIDs == [2, 7])
        #expect(c.numHeads / c.numKVHeads == 4)
    }

    @Test("llama3 rope scaling keeps high frequencies, divides low ones and blends the middle")
    func llama3Frequencies() {
        let plain = RotaryEmbedding.inverseFrequencies(headDim: 16, theta: 10_000, scaling: .none)
        let scaled = RotaryEmbedding.inverseFrequencies(
            headDim: 16, theta: 10_000,
            scaling: .llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64))
        #expect(scaled[0] == plain[0])
        #expect(abs(scaled[7] - plain[7] / 8) < 1e-12)
        #expect(scaled[1] < plain[1] && scaled[1] > plain[1] / 8)
    }

    /// GGUF files store Llama 3.1's scaling as `rope_freqs.weight`: each base frequency's divisor (llama.cpp's
    /// converter writes 1 for high frequencies, the factor for low ones, the blend between). Dividing by them gives
    /// the llama3 frequencies.
    @Test("rope_freqs factors reproduce llama3 scaling")
    func frequencyFactors() {
        let llama3 = RopeScaling.llama3(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64)
        let plain = RotaryEmbedding.inverseFrequencies(headDim: 16, theta: 10_000, scaling: .none)
        let scaled = RotaryEmbedding.inverseFrequencies(headDim: 16, theta: 10_000, scaling: llama3)
        let factors = zip(plain, scaled).map { $0 / $1 }
        let fromFactors = RotaryEmbedding.inverseFrequencies(
            headDim: 16, theta: 10_000, scaling: .frequencyFactors(factors))
        #expect(factors.first == 1 && abs(factors.last! - 8) < 1e-5)
        for (a, b) in zip(fromFactors, scaled) { #expect(abs(a - b) <= 1e-6 * b) }
    }

    @Test("bad configs are refused with the field named")
    func badConfigs() {
        #expect(throws: ModelLoadError.unsupportedArchitecture("BertModel", path: "config.json")) {
            try ModelConfig(json: ["architectures": ["BertModel"]])
        }
        let base: [String: Any] = [
            "architectures": ["LlamaForCausalLM"], "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
            "num_attention_heads": 3, "num_key_value_heads": 2, "intermediate_size": 8,
        ]
        #expect(throws: ModelLoadError.self) { try ModelConfig(json: base) }
        var noVocab = base
        noVocab["vocab_size"] = nil
        #expect(throws: ModelLoadError.badConfig(path: "config.json", reason: "missing integer field 'vocab_size'")) {
            try ModelConfig(json: noVocab)
        }
    }

    @Test("the embedded default is the 512-token Llama the tokenizer expects")
    func embeddedDefault() {
        let c = ModelConfig.embeddedDefault
        #expect(c.vocabSize == 512 && c.hiddenSize == 256 && c.numLayers == 4 && c.headDim == 32)
        #expect(c.eosTokenIDs == [0, 2] && c.bosTokenID == 0 && c.maxPositionEmbeddings == 2048)
    }
}
