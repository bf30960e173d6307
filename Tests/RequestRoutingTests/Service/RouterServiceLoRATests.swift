import Testing
import Wire

@testable import RequestRouting

@Suite("Router service: LoRA adapter affinity", .serialized)
struct RouterServiceLoRATests {
    @Test("a Generate's lora_name reaches the core: an adapter's requests stay on one engine, counted as hits")
    func adapterRequestsStay() async throws {
        let engines = (0..<3).map { ScriptedEngine.inProcess("e\($0)") }
        let router = try await RouterHarness(engines, policy: .leastLoaded)
        var adapterEngines: Set<String> = []
        for index in 0..<6 {
            let (outputs, error) = await router.generate("l\(index)", loraName: "sql")
            #expect(error == nil)
            adapterEngines.insert(outputs.last?.engineID ?? "none")
            #expect(await router.generate("b\(index)").error == nil)
        }
        #expect(adapterEngines.count == 1, "the adapter went to \(adapterEngines)")
        let stats = router.service.core.withCore { $0.stats }
        #expect(stats.loraAffinityHits == 5 && stats.loraAffinityMisses == 1, "requests without one are not counted")
        try await router.waitUntil("the hits and the miss are exported") {
            let text = router.service.metrics.registry.emitToString()
            return text.contains("apus:router_lora_affinity_hits_total 5")
                && text.contains("apus:router_lora_affinity_misses_total 1")
        }
        await router.stop()
    }
}
