import ServingCore
import Synchronization
import Testing
import Wire

@testable import RequestRouting

/// The router in PD mode against scripted producers and consumers (docs/disaggregation.md §4).
@Suite("Router service: disaggregated prefill and decode", .serialized)
struct RouterServicePDTests {
    static func producer(_ name: String, _ change: (inout ScriptedEngine.Script) -> Void = { _ in }) -> ScriptedEngine {
        var script = ScriptedEngine.Script()
        script.producer = true
        change(&script)
        return ScriptedEngine.inProcess(name, script)
    }

    static func consumer(_ name: String, _ change: (inout ScriptedEngine.Script) -> Void = { _ in }) -> ScriptedEngine {
        var script = ScriptedEngine.Script()
        change(&script)
        return ScriptedEngine.inProcess(name, script)
    }

    /// A request whose sampling params the prefill leg must change and the decode leg must keep.
    static func request(_ id: String, promptLogprobs: Int? = nil) -> ApusV1.GenerateRequest {
        var params = SamplingParams()
        params.maxTokens = 50
        params.minTokens = 5
        params.logprobs = 2
        params.temperature = 0.7
        params.promptLogprobs = promptLogprobs
        return ApusV1.GenerateRequest(
            requestID: id, promptTokenIDs: (0..<40).map { TokenID($0 + 7) }, samplingParams: params)
    }

    /// Waits until neither pool has anything in flight and no request is live in the router.
    static func expectDrained(_ router: RouterHarness) async throws {
        try await router.waitUntil("no request left in flight in either pool") {
            try await router.backends().allSatisfy { $0.inFlight == 0 } && router.service.active.count == 0
                && router.service.pd?.prefill.active.count == 0
        }
    }

    @Test("the producer gets a one-token prefill leg; the consumer the client's request with the producer's params")
    func legs() async throws {
        let (p0, d0) = (Self.producer("p0"), Self.consumer("d0"))
        let router = try await RouterHarness([d0], prefill: [p0])
        let original = Self.request("r1")
        let (outputs, error) = await router.generate(original)
        #expect(error == nil)
        #expect(outputs.map(\.engineID) == ["d0", "d0", "d0"], "the producer's token never reaches the client")
        #expect(outputs.last?.finishReason == .length)

        let leg = try #require(p0.requests.first)
        #expect(p0.requests.count == 1)
        #expect(leg.promptTokenIDs == original.promptTokenIDs)
        #expect(leg.samplingParams.maxTokens == 1)
        #expect(leg.samplingParams.minTokens == 0)
        #expect(leg.samplingParams.logprobs == nil)
        #expect(leg.samplingParams.n == 1)
        #expect(leg.samplingParams.temperature == 0.7)
        #expect(leg.kvTransferParams == ApusV1.KVTransferParams(doRemoteDecode: true))

        let decode = try #require(d0.requests.first)
        #expect(decode.samplingParams == original.samplingParams)
        #expect(decode.promptTokenIDs == original.promptTokenIDs)
        // An in-process producer has no address: its params pass unchanged.
        #expect(decode.kvTransferParams == p0.producedParams(for: leg))
        #expect(decode.kvTransferParams?.remoteRequestID == "r1")

        try await Self.expectDrained(router)
        try await Task.sleep(for: .milliseconds(50))
        #expect(p0.released.isEmpty, "a completed decode leg needs no release from the router")
        #expect(router.metric("apus:router_pd_requests_total") == 1)
        #expect(router.metric(#"apus:router_requests_total{pool="prefill"}"#) == 1)
        #expect(router.metric(#"apus:router_requests_total{pool="decode"}"#) == 1)
        #expect(router.metric("apus:router_pd_prefill_leg_seconds_count") == 1)
        await router.stop()
    }

    @Test("the decode leg gets the producer's address as the router dialed it, not the producer's own idea")
    func addressRewritten() async throws {
        var script = ScriptedEngine.Script()
        script.producer = true
        let p0 = try await ScriptedEngine.start("p0", script)
        defer { p0.stop() }
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        let (_, error) = await router.generate(Self.request("r1"))
        #expect(error == nil)
        let params = try #require(d0.requests.first?.kvTransferParams)
        #expect(params.remoteHost == "127.0.0.1")
        #expect(params.remotePort == UInt32(p0.port))
        #expect(params.remoteRunners == [ApusV1.KVSource(address: "0.0.0.0:7", firstLayer: 0, endLayer: 2)])
        #expect(params.remoteBlockIDs == p0.producedParams(for: Self.request("r1")).remoteBlockIDs)
        await router.stop()
    }

    @Test("prompt logprobs skip the prefill leg: the consumer computes the prompt")
    func promptLogprobsGoDecodeOnly() async throws {
        let (p0, d0) = (Self.producer("p0"), Self.consumer("d0"))
        let router = try await RouterHarness([d0], prefill: [p0])
        let (outputs, error) = await router.generate(Self.request("r1", promptLogprobs: 1))
        #expect(error == nil)
        #expect(outputs.last?.finishReason == .length)
        #expect(p0.requests.isEmpty)
        #expect(d0.requests.first?.kvTransferParams == nil)
        #expect(d0.requests.first?.samplingParams.promptLogprobs == 1)
        #expect(router.metric(#"apus:router_pd_decode_only_total{reason="prompt_logprobs"}"#) == 1)
        await router.stop()
    }

    @Test("a producer that refuses the leg (no producer role): the request completes decode-only")
    func refusedPrefillFallsBack() async throws {
        let p0 = Self.producer("p0") {
            $0.failEvery = 1
            $0.failure = RPCError(.invalidArgument, "kv_transfer_params need --kv-role producer")
        }
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        let (outputs, error) = await router.generate(Self.request("r1"))
        #expect(error == nil)
        #expect(outputs.map(\.engineID) == ["d0", "d0", "d0"])
        #expect(p0.received == ["r1"])
        #expect(d0.requests.first?.kvTransferParams == nil)
        #expect(router.metric(#"apus:router_pd_decode_only_total{reason="prefill_failed"}"#) == 1)
        try await Self.expectDrained(router)
        #expect(try await router.backends().allSatisfy { $0.state == .ready }, "a refusal is no engine failure")
        await router.stop()
    }

    @Test("a prefill leg that ends without kv_transfer_params: the request completes decode-only")
    func missingParamsFallBack() async throws {
        let p0 = Self.producer("p0") { $0.producer = false }
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        let (outputs, error) = await router.generate(Self.request("r1"))
        #expect(error == nil)
        #expect(outputs.last?.finishReason == .length)
        #expect(p0.received == ["r1"])
        #expect(d0.requests.first?.kvTransferParams == nil)
        #expect(router.metric(#"apus:router_pd_decode_only_total{reason="no_kv_params"}"#) == 1)
        await router.stop()
    }

    @Test("a producer that dies during the leg: the request completes decode-only; with none left, no leg is tried")
    func deadProducerFallsBack() async throws {
        var script = ScriptedEngine.Script()
        script.producer = true
        script.firstOutputDelay = .seconds(30)
        let p0 = try await ScriptedEngine.start("p0", script)
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        let request = Task { await router.generate(Self.request("r0")) }
        try await router.waitUntil("the producer holds the leg") { p0.liveCount == 1 }
        p0.stop()
        let (outputs, error) = await request.value
        #expect(error == nil)
        #expect(outputs.map(\.engineID) == ["d0", "d0", "d0"])
        #expect(d0.requests.first?.kvTransferParams == nil)
        #expect(router.metric(#"apus:router_pd_decode_only_total{reason="prefill_failed"}"#) == 1)
        try await router.waitUntil("no producer can take a leg, not even in panic mode") {
            router.service.pd?.prefill.core.withCore { $0.canDispatch } == false
        }
        let (_, lateError) = await router.generate(Self.request("late"))
        #expect(lateError == nil)
        #expect(d0.requests.last?.kvTransferParams == nil)
        #expect(router.metric(#"apus:router_pd_decode_only_total{reason="no_prefill_engine"}"#) == 1)
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("a prefill leg past the first-token timeout: aborted and released on the producer, decode-only for the client")
    func prefillTimeout() async throws {
        let p0 = Self.producer("p0") { $0.firstOutputDelay = .seconds(30) }
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0]) { $0.firstTokenTimeout = .milliseconds(300) }
        let (outputs, error) = await router.generate(Self.request("slow"))
        #expect(error == nil)
        #expect(outputs.last?.finishReason == .length)
        #expect(d0.requests.first?.kvTransferParams == nil)
        try await router.waitUntil("the producer got the abort and the release") {
            p0.aborted.contains("slow") && p0.released == ["slow"]
        }
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("a decode leg failing before output is retried on another consumer with the same params")
    func decodeRetries() async throws {
        let p0 = Self.producer("p0")
        let failing = Self.consumer("d0") { $0.failEvery = 1 }
        let fine = Self.consumer("d1")
        let router = try await RouterHarness([failing, fine], prefill: [p0], policy: .roundRobin)
        for index in 0..<4 {
            let (outputs, error) = await router.generate(Self.request("r\(index)"))
            #expect(error == nil)
            #expect(outputs.allSatisfy { $0.engineID == "d1" })
        }
        #expect(!failing.requests.isEmpty)
        for request in failing.requests {
            let retried = try #require(fine.requests.first { $0.requestID == request.requestID })
            #expect(retried.kvTransferParams == request.kvTransferParams)
            #expect(retried.kvTransferParams?.doRemotePrefill == true)
        }
        #expect(p0.requests.count == 4, "a retry reuses the producer's blocks: no second prefill leg")
        #expect(router.metric(#"apus:router_retries_total{pool="decode"}"#) == Double(failing.requests.count))
        try await Self.expectDrained(router)
        #expect(p0.released.isEmpty)
        await router.stop()
    }

    @Test("when every decode attempt fails the client gets UNAVAILABLE and the producer a RELEASE")
    func allDecodeAttemptsFail() async throws {
        let p0 = Self.producer("p0")
        let consumers = [Self.consumer("d0") { $0.failEvery = 1 }, Self.consumer("d1") { $0.failEvery = 1 }]
        let router = try await RouterHarness(consumers, prefill: [p0], policy: .roundRobin)
        let (outputs, error) = await router.generate(Self.request("doomed"))
        #expect(outputs.isEmpty)
        #expect(error?.code == .unavailable)
        try await router.waitUntil("the producer got the release") { p0.released == ["doomed"] }
        #expect(router.metric("apus:router_pd_releases_total") == 1)
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("a decode leg failing after output ends with an ERROR output and a RELEASE to the producer")
    func decodeFailsMidStream() async throws {
        let p0 = Self.producer("p0")
        let d0 = Self.consumer("d0") {
            $0.breakMidStreamEvery = 1
            $0.tokens = 6
        }
        let router = try await RouterHarness([d0], prefill: [p0])
        let (outputs, error) = await router.generate(Self.request("broken"))
        #expect(error == nil)
        #expect(outputs.count >= 2)
        #expect(outputs.last?.finishReason == .error)
        try await router.waitUntil("the producer got the release") { p0.released == ["broken"] }
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("no consumer ready: the client gets UNAVAILABLE and the producer a RELEASE")
    func noConsumer() async throws {
        let p0 = Self.producer("p0")
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        _ = try await router.client.unary(
            RouterService.Method.drain, ApusV1.DrainRequest(address: "decode=d0"), as: ApusV1.BackendList.self)
        let (_, error) = await router.generate(Self.request("nowhere"))
        #expect(error?.code == .unavailable)
        try await router.waitUntil("the producer got the release") { p0.released == ["nowhere"] }
        await router.stop()
    }

    @Test("a client that cancels during the decode leg: the consumer gets an Abort, the producer a RELEASE")
    func cancelDuringDecode() async throws {
        let p0 = Self.producer("p0")
        let d0 = Self.consumer("d0") {
            $0.tokens = 1_000
            $0.outputInterval = .milliseconds(20)
        }
        let router = try await RouterHarness([d0], prefill: [p0])
        let outputs = Mutex(0)
        let client = Task {
            let stream = try await router.client.serverStream(
                RouterService.Method.generate, Self.request("gone"), as: ApusV1.GenerateOutput.self)
            for try await _ in stream { outputs.withLock { $0 += 1 } }
        }
        try await router.waitUntil("outputs stream") { outputs.withLock { $0 } >= 2 }
        client.cancel()
        try await router.waitUntil("the consumer got the abort") { d0.aborted.contains("gone") }
        try await router.waitUntil("the producer got the release") { p0.released == ["gone"] }
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("an Abort from the api during the decode leg: ABORT to the client, a RELEASE to the producer")
    func abortDuringDecode() async throws {
        let p0 = Self.producer("p0")
        let d0 = Self.consumer("d0") {
            $0.tokens = 1_000
            $0.outputInterval = .milliseconds(20)
        }
        let router = try await RouterHarness([d0], prefill: [p0])
        let request = Task { await router.generate(Self.request("stop")) }
        try await router.waitUntil("the consumer streams") { d0.liveCount == 1 }
        _ = try await router.client.unary(
            RouterService.Method.abort, ApusV1.AbortRequest(requestIDs: ["stop"]), as: ApusV1.AbortResponse.self)
        let (outputs, error) = await request.value
        #expect(error == nil)
        #expect(outputs.last?.finishReason == .abort)
        try await router.waitUntil("the producer got the release") { p0.released == ["stop"] }
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("a client that cancels during the prefill leg: the producer gets an Abort, the consumer nothing")
    func cancelDuringPrefill() async throws {
        let p0 = Self.producer("p0") { $0.firstOutputDelay = .seconds(30) }
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        let client = Task { await router.generate(Self.request("early")) }
        try await router.waitUntil("the producer holds the leg") { p0.liveCount == 1 }
        client.cancel()
        try await router.waitUntil("the producer got the abort") { p0.aborted.contains("early") }
        try await Self.expectDrained(router)
        #expect(d0.received.isEmpty)
        await router.stop()
    }

    @Test("an Abort from the api during the prefill leg: the leg is aborted, the client gets ABORT, no decode leg")
    func abortDuringPrefill() async throws {
        let p0 = Self.producer("p0") { $0.firstOutputDelay = .milliseconds(400) }
        let d0 = Self.consumer("d0")
        let router = try await RouterHarness([d0], prefill: [p0])
        let request = Task { await router.generate(Self.request("stop")) }
        try await router.waitUntil("the producer holds the leg") { p0.liveCount == 1 }
        let answer = try await router.client.unary(
            RouterService.Method.abort, ApusV1.AbortRequest(requestIDs: ["stop"]), as: ApusV1.AbortResponse.self)
        #expect(answer.numAborted == 1)
        let (outputs, error) = await request.value
        #expect(error == nil)
        #expect(outputs.map(\.finishReason) == [.abort])
        #expect(p0.aborted.contains("stop"))
        #expect(d0.received.isEmpty)
        #expect(router.metric(#"apus:router_pd_decode_only_total{reason="no_kv_params"}"#) == 0)
        try await Self.expectDrained(router)
        await router.stop()
    }

    @Test("ListBackends shows both pools; admin calls name the pool, removal finds the address in either")
    func adminPools() async throws {
        let (p0, d0) = (Self.producer("p0"), Self.consumer("d0"))
        let router = try await RouterHarness([d0], prefill: [p0])
        #expect(try await router.backends().map(\.address) == ["p0", "d0"])
        let extra = try await ScriptedEngine.start("p1", ScriptedEngine.Script())
        defer { extra.stop() }
        await #expect(throws: RPCError.self) {
            _ = try await router.client.unary(
                RouterService.Method.addBackend, ApusV1.AddBackendRequest(address: extra.address),
                as: ApusV1.BackendList.self)
        }
        let list = try await router.client.unary(
            RouterService.Method.addBackend, ApusV1.AddBackendRequest(address: "prefill=\(extra.address)"),
            as: ApusV1.BackendList.self)
        #expect(list.backends.map(\.address) == ["p0", extra.address, "d0"])
        #expect(router.service.pd?.prefill.core.withCore { $0.backends.contains(EngineID(extra.address)) } == true)
        _ = try await router.client.unary(
            RouterService.Method.removeBackend, ApusV1.RemoveBackendRequest(address: extra.address),
            as: ApusV1.BackendList.self)
        #expect(try await router.backends().map(\.address) == ["p0", "d0"])
        await router.stop()
    }

    @Test("no in-flight count leaks in either pool after cancels, aborts, and failures of both legs")
    func noLeaks() async throws {
        let producers = [
            Self.producer("p0") { $0.failEvery = 3 },
            Self.producer("p1") { $0.producer = false },
            Self.producer("p2") { $0.firstOutputDelay = .milliseconds(5) },
        ]
        let consumers = [
            Self.consumer("d0") { $0.failEvery = 4 },
            Self.consumer("d1") {
                $0.breakMidStreamEvery = 3
                $0.tokens = 6
            },
            Self.consumer("d2") {
                $0.tokens = 6
                $0.outputInterval = .milliseconds(3)
            },
        ]
        let router = try await RouterHarness(
            consumers, prefill: producers, policy: .powerOfTwo, prefillPolicy: .roundRobin)
        var generator = SystemRandomNumberGenerator()
        let ends = await withTaskGroup(of: FinishReason?.self) { group in
            for index in 0..<120 {
                let cancelAfter = Int.random(in: 0..<30, using: &generator)
                let cancels = index % 3 == 0
                group.addTask {
                    let request = Task { await router.generate(Self.request("n\(index)")) }
                    if cancels {
                        try? await Task.sleep(for: .milliseconds(cancelAfter))
                        request.cancel()
                    }
                    return await request.value.outputs.last?.finishReason
                }
            }
            return await group.reduce(into: [FinishReason?]()) { $0.append($1) }
        }
        #expect(ends.filter { $0 == .length }.count >= 40, "\(ends)")
        try await Self.expectDrained(router)
        await router.stop()
    }
}
