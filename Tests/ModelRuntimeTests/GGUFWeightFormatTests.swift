import Foundation
import ModelFiles
import Testing

@testable import ModelRuntime

/// Weights stay in the format they are stored in (`--dtype auto`) and `--dtype float32` expands them.
@Suite("GGUF and 16-bit weights keep their stored format")
struct GGUFWeightFormatTests {
    /// Every GGUF fixture but F32 (whose weights are packed f32, with a packed copy of a tied embedding).
    static let storedFiles = Fixtures.ggufFloatFiles.filter { !$0.hasSuffix(".F32") } + Fixtures.ggufQuantizedFiles

    static func type(of stem: String) -> GGMLType { GGMLType(name: String(stem.split(separator: ".").last!))! }

    static func linears(_ w: LlamaWeights) -> [LinearWeight] {
        w.layers.flatMap { [$0.qkv, $0.o, $0.gateUp, $0.down] } + [w.lmHead!]
    }

    @Test("every matmul weight and the embedding stay in the file's type, as many bytes as the file's tensors",
        arguments: storedFiles)
    func storedAsInFile(stem: String) throws {
        let path = Fixtures.ggufPath(stem)
        let type = Self.type(of: stem)
        let w = try ModelSource.gguf(path).loadWeights()
        for linear in Self.linears(w) {
            #expect(linear.parts.allSatisfy { $0.type == type }, "\(linear.parts.map(\.type))")
        }
        guard case .stored(let embedding)? = w.embedTokens else {
            Issue.record("the embedding was expanded")
            return
        }
        #expect(embedding.type == type)
        // The norms are F32 in the file and in memory; a tied LM head is the embedding, counted once.
        let file = try GGUFFile(path: path)
        let fileBytes = file.tensorInfos.reduce(0) { $0 + $1.range.count }
        #expect(abs(w.byteCount - fileBytes) <= fileBytes / 100, "\(w.byteCount) vs \(fileBytes) in the file")
    }

    @Test("--dtype float32 expands every weight, and the logits then match transformers within 1e-4",
        arguments: Fixtures.ggufQuantizedFiles + ["tiny-llama.BF16", "tiny-qwen3.F16"])
    func float32Expands(stem: String) throws {
        let runner = try ModelRunner(source: .gguf(Fixtures.ggufPath(stem)), dtype: .float32)
        let w = runner.model.weights
        #expect(Self.linears(w).allSatisfy { $0.parts.allSatisfy { $0.type == .f32 } && $0.bytesPerWeight == 4 })
        guard case .f32? = w.embedTokens else {
            Issue.record("the embedding stayed stored")
            return
        }
        // Dequantized weights with f32 activations are exactly what the transformers reference computes.
        for c in try Fixtures.ggufGolden(stem).cases {
            let logits = GoldenForwardTests().forwardAllPositions(runner, c.prompt + c.greedy.dropLast())
            for (p, expected) in c.logits.enumerated() {
                #expect(Fixtures.relativeError(logits[p], expected) < GGUFModelTests.floatBound, "position \(p)")
            }
        }
    }

    @Test("bf16 safetensors checkpoints load as 2 bytes per weight with --dtype auto",
        arguments: ["tiny-llama-bf16", "tiny-qwen2-bf16", "tiny-qwen3-bf16"])
    func bf16SafetensorsStaySixteenBit(name: String) throws {
        let w = try ModelSource.directory(Fixtures.path(name)).loadWeights(dtype: .auto)
        for linear in Self.linears(w) {
            #expect(linear.parts.allSatisfy { $0.type == .bf16 } && linear.bytesPerWeight == 2)
        }
        let f32 = try ModelSource.directory(Fixtures.path(name)).loadWeights(dtype: .float32)
        #expect(Self.linears(f32).allSatisfy { $0.bytesPerWeight == 4 })
    }
}
