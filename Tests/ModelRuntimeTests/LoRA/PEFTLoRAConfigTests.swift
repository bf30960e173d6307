import Foundation
import ServingCore
import Testing

@testable import ModelRuntime

/// Which modules an adapter config targets, with which rank and scaling, as PEFT decides them.
@Suite("PEFT adapter configs select modules, ranks and scalings as PEFT does")
struct PEFTLoRAConfigTests {
    typealias W = LoRAAdapterWriter

    func info(_ dir: URL) throws -> LoRAAdapterInfo {
        defer { try? FileManager.default.removeItem(at: dir) }
        return try LoRAAdapter.validate(directory: dir.path, shape: W.tinyShape, maxRank: 16)
    }

    @Test("\"all-linear\" targets all seven projections of every layer")
    func allLinear() throws {
        let i = try info(try W.write(modules: LoRAModule.allCases, config: { $0["target_modules"] = "all-linear" }))
        #expect(i.targetModules == LoRAModule.allCases)
        #expect(i.targets.count == 14)
    }

    @Test("a regex string is matched against the whole module key")
    func regexTarget() throws {
        let i = try info(try W.write(modules: [.qProj, .vProj], config: { $0["target_modules"] = #".*\.(q|v)_proj"# }))
        #expect(i.targetModules == [.qProj, .vProj])
        // Not a full match of any key: "q_proj" alone as a regex matches no whole key.
        #expect(throws: LoRALoadError.self) {
            try info(try W.write(config: { $0["target_modules"] = "q_proj" }))
        }
    }

    @Test("scaling is alpha / r, or alpha / √r with rsLoRA")
    func scaling() throws {
        var i = try info(try W.write(r: 4, alpha: 8))
        #expect(i.scaling == 2 && i.targets.allSatisfy { $0.scaling == 2 })
        i = try info(try W.write(r: 4, alpha: 8, config: { $0["use_rslora"] = true }))
        #expect(i.scaling == 4 && i.useRSLoRA)
    }

    @Test("rank_pattern and alpha_pattern set one module's rank and alpha")
    func patterns() throws {
        let dir = try W.write(
            r: 4, alpha: 6, modules: [.qProj],
            config: {
                $0["target_modules"] = ["q_proj", "v_proj"]
                $0["rank_pattern"] = ["v_proj": 2]
                $0["alpha_pattern"] = ["model.layers.1.self_attn.q_proj": 16]
            },
            tensors: { items in
                for l in 0..<2 {
                    items.append(
                        .init(
                            name: W.name(l, .vProj, a: true), shape: [2, 64], values: Array(repeating: 0.1, count: 128))
                    )
                    items.append(
                        .init(
                            name: W.name(l, .vProj, a: false), shape: [32, 2], values: Array(repeating: 0.1, count: 64))
                    )
                }
            })
        let t = Dictionary(
            uniqueKeysWithValues: try info(dir).targets.map { ("\($0.layer).\($0.module.rawValue)", $0) })
        #expect(t["0.q_proj"]?.rank == 4 && t["0.q_proj"]?.scaling == 1.5)
        #expect(t["1.q_proj"]?.rank == 4 && t["1.q_proj"]?.scaling == 4)
        #expect(t["0.v_proj"]?.rank == 2 && t["0.v_proj"]?.scaling == 3)
    }

    @Test("layers_to_transform (with or without layers_pattern) keeps the listed layers only")
    func layersToTransform() throws {
        for pattern: Any in [NSNull(), "layers", ["h", "layers"]] {
            let dir = try W.write(
                config: {
                    $0["layers_to_transform"] = 1
                    $0["layers_pattern"] = pattern
                },
                tensors: { $0.removeAll { $0.name.contains("layers.0.") } })
            #expect(try info(dir).targets.map(\.layer) == [1, 1], "layers_pattern \(pattern)")
        }
    }

    @Test("exclude_modules removes modules the targets name")
    func excludeModules() throws {
        let dir = try W.write(
            modules: [.qProj],
            config: {
                $0["target_modules"] = ["q_proj", "v_proj"]
                $0["exclude_modules"] = ["v_proj"]
            })
        #expect(try info(dir).targetModules == [.qProj])
    }

    @Test("the committed fixtures' infos: ranks, dtypes, modules")
    func fixtures() throws {
        let shape = try ModelConfig.load(directory: Fixtures.path("tiny-llama")).shape
        var i = try LoRAAdapter.validate(
            directory: LoRAFixtures.path("tiny-llama", "r6-all-linear"), shape: shape, maxRank: 16)
        #expect(i.r == 6 && i.maxRank == 6 && i.storedDType == "F32")
        #expect(i.targetModules == [.qProj, .kProj, .vProj, .oProj, .gateProj, .downProj])
        #expect(i.targets.first { $0.module == .kProj }?.rank == 3)
        i = try LoRAAdapter.validate(
            directory: LoRAFixtures.path("tiny-llama", "r2-mlp-bf16"), shape: shape, maxRank: 16)
        #expect(i.storedDType == "BF16" && i.targetModules == [.gateProj, .upProj, .downProj])
        i = try LoRAAdapter.validate(
            directory: LoRAFixtures.path("tiny-llama", "r16-rslora"), shape: shape, maxRank: 16)
        #expect(i.useRSLoRA && i.scaling == 2 && Set(i.targets.map(\.layer)) == [1])
    }
}
