import Foundation
import Synchronization
import ServingCore
import Testing
import Wire

/// The router cluster with every service in its own network namespace, joined by veth pairs on a bridge the
/// test makes itself (issue 6 item 5): nothing may assume localhost. Skips, saying why, where namespaces
/// cannot be created (not root, no iproute2).
@Suite("Router cluster across network namespaces", .serialized)
struct RouterNetnsTests {
    @Test(
        "runners, engine-cores and the router in separate namespaces: spread, then kill -9 of an engine-core under load",
        .enabled(if: Netns.available, "network namespaces cannot be created here (needs root and iproute2 `ip netns`)"))
    func clusterAcrossNamespaces() async throws {
        let network = try Netns(count: 5)
        defer { network.tearDown() }
        var processes: [ApusProcess] = []
        defer { processes.reversed().forEach { $0.stop() } }
        var engines: [ApusProcess] = []
        for index in 0..<2 {
            let runner = try await network.start(
                index * 2,
                ["runner", "--fake", "--port", "0", "--admin-port=-1", "--fake-step-delay-ms", "10"], name: "runner\(index)")
            processes.append(runner)
            let engine = try await network.start(
                index * 2 + 1,
                ["engine-core", "--runner", runner.wireAddress, "--port", "0", "--admin-port=-1", "--max-model-len", "1024",
                 "--num-gpu-blocks-override", "2048", "--engine-id", "ec\(index)", "--max-num-seqs", "4"],
                name: "engine\(index)")
            processes.append(engine)
            engines.append(engine)
        }
        let router = try await network.start(
            4, ["router", "--port", "0", "--admin-port", "0"] + engines.flatMap { ["--engine", $0.wireAddress] },
            name: "router")
        processes.append(router)
        #expect(!router.wireAddress.hasPrefix("127."))
        let c = RPCClient(host: network.address(4), port: router.wirePort, configuration: .init(service: "test"))
        defer { Task { await c.close() } }
        try await waitUntilReady(c, engines: 2, router: router)

        let warm = await withTaskGroup(of: ([ApusV1.GenerateOutput], RPCError?).self) { group in
            for index in 0..<16 {
                group.addTask { await RouterTests.generate(c, RouterTests.request("w\(index)", maxTokens: 5)) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(warm.allSatisfy { $0.1 == nil && $0.0.last?.finishReason == .length })
        #expect(Set(warm.compactMap { $0.0.last?.engineID }) == ["ec0", "ec1"])

        let requests = (0..<24).map { index in
            Task { await RouterTests.generate(c, RouterTests.request("k\(index)", maxTokens: 40)) }
        }
        try await Task.sleep(for: .milliseconds(250))
        engines[0].kill9()
        var completed = 0
        var midStreamErrors = 0
        for request in requests {
            let (outputs, error) = try await withTimeout(.seconds(30)) { await request.value }
            #expect(error == nil, "\(String(describing: error))")
            if outputs.last?.finishReason == .length { completed += 1 }
            if outputs.last?.finishReason == .error {
                midStreamErrors += 1
                #expect(outputs.last?.errorMessage.contains(engines[0].wireAddress) == true)
            }
        }
        #expect(completed + midStreamErrors == 24)
        #expect(midStreamErrors <= 4)
        for index in 0..<3 {
            let (outputs, error) = await RouterTests.generate(c, RouterTests.request("after\(index)", maxTokens: 3))
            #expect(error == nil)
            #expect(outputs.last?.engineID == "ec1")
        }
    }

    @Test(
        "disaggregated prefill/decode across namespaces: the consumer pulls the producer's KV from another host",
        .enabled(if: Netns.available, "network namespaces cannot be created here (needs root and iproute2 `ip netns`)"))
    func pdAcrossNamespaces() async throws {
        let network = try Netns(count: 5)
        defer { network.tearDown() }
        var processes: [ApusProcess] = []
        defer { processes.reversed().forEach { $0.stop() } }
        let engineFlags = ["--port", "0", "--admin-port=-1", "--max-model-len", "1024", "--max-num-seqs", "8"]
        let producerRunner = try await network.start(0, ["runner", "--port", "0", "--admin-port=-1"], name: "p-runner")
        processes.append(producerRunner)
        let producer = try await network.start(
            1, ["engine-core", "--runner", producerRunner.wireAddress, "--kv-role", "producer", "--engine-id", "prefill"]
                + engineFlags, name: "producer")
        processes.append(producer)
        let consumerRunner = try await network.start(2, ["runner", "--port", "0", "--admin-port=-1"], name: "d-runner")
        processes.append(consumerRunner)
        let consumer = try await network.start(
            3, ["engine-core", "--runner", consumerRunner.wireAddress, "--kv-role", "consumer", "--engine-id", "decode"]
                + engineFlags, name: "consumer")
        processes.append(consumer)
        let router = try await network.start(
            4, ["router", "--port", "0", "--admin-port", "0", "--pd-disaggregation", "--prefill", producer.wireAddress,
                "--decode", consumer.wireAddress], name: "pd-router")
        processes.append(router)
        #expect(!producerRunner.wireAddress.hasPrefix("127."))
        let c = RPCClient(host: network.address(4), port: router.wirePort, configuration: .init(service: "test"))
        defer { Task { await c.close() } }
        try await waitUntilReady(c, engines: 2, router: router)
        let prompts = DisaggregationTests.prompts(6, seed: 9)
        let results = await withTaskGroup(of: (Int, [ApusV1.GenerateOutput], RPCError?).self) { group in
            for (index, prompt) in prompts.enumerated() {
                group.addTask {
                    let (outputs, error) = await RouterTests.generate(
                        c, DisaggregationTests.request("n\(index)", prompt, maxTokens: 8, seed: nil))
                    return (index, outputs, error)
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for (index, outputs, error) in results {
            #expect(error == nil, "\(String(describing: error))")
            #expect(outputs.last?.finishReason == .length)
            #expect(outputs.last?.engineID == "decode")
            // Every prompt token but the last came from the producer's runner, over the bridge.
            #expect(outputs.first?.numCachedTokens == UInt32(prompts[index].count - 1))
        }
    }

    private func waitUntilReady(_ c: RPCClient, engines: Int, router: ApusProcess) async throws {
        let end = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < end {
            let list = try? await c.unary(
                "apus.v1.Router/ListBackends", ApusV1.ListBackendsRequest(), as: ApusV1.BackendList.self)
            if let list, list.backends.count == engines, list.backends.allSatisfy({ $0.state == .ready }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessError("the router's engines did not become ready; router stderr:\n\(router.stderrTail())")
    }
}

/// Network namespaces `0..<count` on one bridge in the root namespace, subnet 10.X.Y.0/24 unique to this process.
final class Netns: Sendable {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Whether this process can create a namespace (tries one).
    static let available: Bool = {
        guard ip != nil else { return false }
        let probe = "apusprobe\(getpid())"
        guard (try? run(["netns", "add", probe])) != nil else { return false }
        _ = try? run(["netns", "del", probe])
        return true
    }()

    let names: [String]
    let hostLinks: [String]
    let bridge: String
    let prefix: String
    /// Instances made by this process so far: each gets names and a subnet of its own, since the kernel tears a
    /// deleted namespace's links down asynchronously and the next test's identical names could still exist.
    private static let instances = Mutex(0)

    init(count: Int) throws {
        let pid = Int(getpid())
        let instance = Self.instances.withLock { n in
            defer { n += 1 }
            return n
        }
        let tag = "\(pid % 100_000)i\(instance % 100)"
        bridge = "apbr\(tag)"
        prefix = "10.\(200 + pid % 50).\((pid / 50 + instance) % 250)"
        names = (0..<count).map { "apus\(pid)i\(instance)n\($0)" }
        hostLinks = (0..<count).map { "va\(tag)n\($0)" }
        do {
            try Self.run(["link", "add", bridge, "type", "bridge"])
            try Self.run(["addr", "add", "\(prefix).1/24", "dev", bridge])
            try Self.run(["link", "set", bridge, "up"])
            for (index, name) in names.enumerated() {
                let host = hostLinks[index]
                try Self.run(["netns", "add", name])
                try Self.run(["link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", name])
                try Self.run(["link", "set", host, "master", bridge, "up"])
                try Self.run(["-n", name, "addr", "add", "\(address(index))/24", "dev", "eth0"])
                try Self.run(["-n", name, "link", "set", "eth0", "up"])
                try Self.run(["-n", name, "link", "set", "lo", "up"])
            }
        } catch {
            // Leave nothing behind when the set-up fails halfway.
            tearDown()
            throw error
        }
    }

    func address(_ index: Int) -> String { "\(prefix).\(10 + index)" }

    /// `apus <arguments> --host <address>` inside namespace `index`, listening on that namespace's address.
    func start(_ index: Int, _ arguments: [String], name: String) async throws -> ApusProcess {
        try await ApusProcess(
            arguments + ["--host", address(index)], name: "ns-\(name)",
            launcher: [Self.ip ?? "/usr/sbin/ip", "netns", "exec", names[index]])
    }

    func tearDown() {
        // NOTE: deleting a veth's host end removes the pair at once; a deleted namespace's links go asynchronously.
        for link in hostLinks { _ = try? Self.run(["link", "del", link]) }
        for name in names { _ = try? Self.run(["netns", "del", name]) }
        _ = try? Self.run(["link", "del", bridge])
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        guard let ip else { throw ProcessError("no `ip` command") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ip)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw ProcessError("ip \(arguments.joined(separator: " ")): \(output)") }
        return output
    }
}
