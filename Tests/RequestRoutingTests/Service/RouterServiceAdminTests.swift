import Testing
import Wire

@testable import RequestRouting

@Suite("Router service: membership, DNS and prefix routing", .serialized)
struct RouterServiceAdminTests {
    @Test("AddBackend, Drain, RemoveBackend and ListBackends change and show the membership")
    func adminCalls() async throws {
        let engines = [try await ScriptedEngine.start("e0"), try await ScriptedEngine.start("e1")]
        let router = try await RouterHarness([engines[0]])
        defer { engines.forEach { $0.stop() } }
        let added = try await router.client.unary(
            RouterService.Method.addBackend, ApusV1.AddBackendRequest(address: engines[1].address),
            as: ApusV1.BackendList.self)
        #expect(added.backends.map(\.address) == engines.map(\.address))
        try await router.waitUntil("e1 is ready") { try await router.state(of: engines[1]) == .ready }
        #expect(try await router.backends().map(\.engineID) == ["e0", "e1"])

        _ = try await router.client.unary(
            RouterService.Method.drain, ApusV1.DrainRequest(address: engines[0].address), as: ApusV1.BackendList.self)
        try await router.waitUntil("the drained engine leaves") { try await router.backends().count == 1 }
        for index in 0..<5 { #expect(await router.generate("d\(index)").outputs.last?.engineID == "e1") }

        _ = try await router.client.unary(
            RouterService.Method.removeBackend, ApusV1.RemoveBackendRequest(address: engines[1].address),
            as: ApusV1.BackendList.self)
        #expect(try await router.backends().isEmpty)
        #expect(await router.generate("none").error?.code == .unavailable)
        await #expect(throws: RPCError.self) {
            try await router.client.unary(
                RouterService.Method.addBackend, ApusV1.AddBackendRequest(address: "no-port"),
                as: ApusV1.BackendList.self)
        }
        await router.stop()
    }

    @Test("an engine added with its client is listed and drained by its name, which cannot be added twice")
    func engineAddedByClient() async throws {
        let engines = [ScriptedEngine.inProcess("e0"), ScriptedEngine.inProcess("e1")]
        let router = try await RouterHarness(engines)
        #expect(try await router.backends().map(\.address) == ["e0", "e1"])
        let duplicate = #expect(throws: RPCError.self) {
            try router.service.addEngine(named: "e0", client: engines[0].client)
        }
        #expect(duplicate?.code == .alreadyExists)
        _ = try await router.client.unary(
            RouterService.Method.drain, ApusV1.DrainRequest(address: "e0"), as: ApusV1.BackendList.self)
        try await router.waitUntil("the drained engine leaves") { try await router.backends().map(\.address) == ["e1"] }
        for index in 0..<3 { #expect(await router.generate("n\(index)").outputs.last?.engineID == "e1") }
        await router.stop()
    }

    @Test("a DNS name resolving to a changed set adds the new addresses and drains the vanished ones")
    func dnsReResolution() async throws {
        let first = try await ScriptedEngine.start("a", host: "127.0.0.1")
        let second = try await ScriptedEngine.start("b", host: "127.0.0.2", port: first.port)
        defer { [first, second].forEach { $0.stop() } }
        let resolver = ScriptedResolver()
        resolver.set("engines.test", ["127.0.0.1"])
        let router = try await RouterHarness([], resolver: resolver)
        try await router.service.addEngine("engines.test:\(first.port)")
        try await router.waitUntil("a is ready") { try await router.state(of: first) == .ready }

        resolver.set("engines.test", ["127.0.0.1", "127.0.0.2"])
        await router.service.refresh(origin: "engines.test:\(first.port)")
        try await router.waitUntil("b is ready") { try await router.state(of: second) == .ready }

        resolver.set("engines.test", ["127.0.0.2"])
        await router.service.refresh(origin: "engines.test:\(first.port)")
        try await router.waitUntil("a drained and left") { try await router.backends().map(\.address) == [second.address] }
        #expect(await router.generate("x").outputs.last?.engineID == "b")
        await router.stop()
    }

    @Test("prefix_aware sends a shared prefix to the engine whose KV events hold it")
    func prefixFollowsKVEvents() async throws {
        let engines = [ScriptedEngine.inProcess("e0"), ScriptedEngine.inProcess("e1"), ScriptedEngine.inProcess("e2")]
        let router = try await RouterHarness(engines, policy: .prefixAware)
        let prefix = (0..<64).map { Int32($0 * 3 + 7) }
        let first = await router.generate("p0", prompt: prefix + [1, 2, 3])
        let holder = try #require(first.outputs.last?.engineID)
        try await router.waitUntil("the holder's KV event is indexed") {
            router.service.core.withCore { core in core.listBackends().contains { $0.indexedBlocks == 4 } }
        }
        for index in 1..<20 {
            let (outputs, _) = await router.generate("p\(index)", prompt: prefix + [Int32(index), 9, 9, 9])
            #expect(outputs.last?.engineID == holder)
        }
        await router.stop()
    }

    @Test("Abort reaches the engine that owns the request; unknown ids are not an error")
    func abortReachesTheOwner() async throws {
        var slow = ScriptedEngine.Script()
        slow.tokens = 1_000
        slow.outputInterval = .milliseconds(5)
        let engines = [ScriptedEngine.inProcess("e0", slow), ScriptedEngine.inProcess("e1", slow)]
        let router = try await RouterHarness(engines, policy: .roundRobin)
        let streams = (0..<2).map { index in Task { await router.generate("a\(index)") } }
        try await router.waitUntil("both stream") { engines.allSatisfy { $0.liveCount == 1 } }
        let reply = try await router.client.unary(
            RouterService.Method.abort, ApusV1.AbortRequest(requestIDs: ["a0", "a1", "unknown"]),
            as: ApusV1.AbortResponse.self)
        #expect(reply.numAborted == 2)
        for stream in streams {
            let (outputs, error) = await stream.value
            #expect(error == nil)
            #expect(outputs.last?.finishReason == .abort)
        }
        #expect(engines.map(\.aborted) == [["a0"], ["a1"]] || engines.map(\.aborted) == [["a1"], ["a0"]])
        await router.stop()
    }

    @Test("GetModelInfo comes from the engines; GetLoad sums their reports")
    func modelInfoAndLoad() async throws {
        let engines = [ScriptedEngine.inProcess("e0"), ScriptedEngine.inProcess("e1")]
        let router = try await RouterHarness(engines)
        let info = try await router.client.unary(
            RouterService.Method.getModelInfo, ApusV1.GetModelInfoRequest(), as: ApusV1.ModelInfo.self)
        #expect(info.model == "fake-model" && info.blockSize == 16)
        try await router.waitUntil("both engines reported load") {
            try await router.backends().allSatisfy { $0.load != nil }
        }
        let load = try await router.client.unary(
            RouterService.Method.getLoad, ApusV1.GetLoadRequest(), as: ApusV1.LoadReport.self)
        #expect(load.numGPUBlocks == 2_000)
        #expect(load.engineID == router.service.config.routerID)
        await router.stop()
    }
}
