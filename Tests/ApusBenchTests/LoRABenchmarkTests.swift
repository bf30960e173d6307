import Foundation
import Testing

@testable import ApusBench
@testable import ModelRuntime

@Suite("LoRA benchmark")
struct LoRABenchmarkTests {
    @Test("a miniature run decodes both modes with every step timed and reports text and JSON lines")
    func miniatureRun() throws {
        let options = LoRABenchmark.Options(
            source: .embeddedDefault, batch: 6, adapters: 3, rank: 4, promptLength: 3, decodeSteps: 2, rounds: 2)
        let r = try LoRABenchmark.measure(options)
        #expect(r.base.steps.count == 4 && r.lora.steps.count == 4)
        #expect(r.ratio > 0 && r.pairedRatio > 0)
        // Rank 4 on all seven projections of the embedded model's 4 layers, three times, in f32.
        let s = ModelConfig.embeddedDefault.shape
        let perLayer =
            4
            * (5 * s.hiddenSize + s.qSize + s.intermediateSize + s.qSize + 2 * s.kvSize + s.hiddenSize
                + 2 * s.intermediateSize + s.hiddenSize)
        #expect(r.adapterBytes == 3 * 4 * s.numLayers * perLayer)
        let text = LoRABenchmark.humanLines(r)
        #expect(text.first?.hasPrefix("machine: ") == true && text.last?.hasPrefix("LoRA / base tokens/s: ") == true)
        let json = LoRABenchmark.jsonLines(r)
        #expect(json.count == 3 && json[0].hasPrefix("{\"mode\": \"base\", ") && json[2].hasPrefix("{\"ratio\": "))
        #expect(json.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil })
    }
}
