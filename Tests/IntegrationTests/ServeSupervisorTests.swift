import Foundation
import Testing

@Suite("apus serve supervises its children")
struct ServeSupervisorTests {
    /// `pid`'s child processes by subcommand (runner, engine-core, router, api), read from /proc.
    static func children(of pid: Int32) -> [String: Int32] {
        var found: [String: Int32] = [:]
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            let list = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            for child in list.split(separator: " ").compactMap({ Int32($0) }) {
                let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(child)/cmdline"))) ?? Data()
                let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                if args.count > 1 { found[args[1]] = child }
            }
        }
        return found
    }

    /// One completion through the api at `port`; true when it answers 200 within 10 s.
    static func completes(port: Int) -> Bool {
        guard let connection = try? OpenAIRawConnection(port: port) else { return false }
        defer { connection.close() }
        connection.setReceiveTimeout(seconds: 10)
        connection.post(
            "/v1/completions", json: #"{"model":"embedded","prompt":"Hi","max_tokens":2}"#,
            headers: ["Authorization": "Bearer \(OpenAICluster.apiKey)"])
        return connection.readResponse().status.contains(" 200 ")
    }

    static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    @Test("each child killed with SIGKILL comes back on its ports and the cluster serves within 10 s; SIGINT ends all")
    func restartsAndStops() async throws {
        let serve = try await ApusProcess.serve(apiKey: OpenAICluster.apiKey)
        let pid = serve.process.processIdentifier
        let port = try #require(Int(serve.baseURL.split(separator: ":").last?.split(separator: "/").first ?? ""))
        #expect(Self.completes(port: port), "\(serve.stderrTail())")
        for name in ["runner", "engine-core", "router", "api"] {
            let victim = try #require(Self.children(of: pid)[name], "no \(name) child")
            kill(victim, SIGKILL)
            let killed = ContinuousClock.now
            var back: Duration?
            while back == nil && killed.duration(to: .now) < .seconds(10) {
                let replacement = Self.children(of: pid)[name]
                if let replacement, replacement != victim, Self.completes(port: port) { back = killed.duration(to: .now) }
                try await Task.sleep(for: .milliseconds(50))
            }
            let after = try #require(back, "the cluster did not serve within 10 s of killing its \(name)")
            #expect(after < .seconds(10), "\(name): \(after)")
        }
        let children = Array(Self.children(of: pid).values)
        #expect(children.count == 4)
        let interrupted = ContinuousClock.now
        kill(pid, SIGINT)
        while serve.process.isRunning && interrupted.duration(to: .now) < .seconds(15) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!serve.process.isRunning, "serve still runs 15 s after SIGINT")
        #expect(interrupted.duration(to: .now) < .seconds(5))
        #expect(children.filter(Self.isAlive).isEmpty, "children left behind: \(children.filter(Self.isAlive))")
    }

    @Test("a request sent right after the router is killed waits for its restart and succeeds")
    func requestsSurviveARouterRestart() async throws {
        let serve = try await ApusProcess.serve(apiKey: OpenAICluster.apiKey)
        defer { serve.stop() }
        let pid = serve.process.processIdentifier
        let port = try #require(Int(serve.baseURL.split(separator: ":").last?.split(separator: "/").first ?? ""))
        #expect(Self.completes(port: port), "\(serve.stderrTail())")
        let router = try #require(Self.children(of: pid)["router"])
        kill(router, SIGKILL)
        #expect(Self.completes(port: port), "\(serve.stderrTail())")
        #expect(Self.children(of: pid)["router"] != router)
    }

    @Test("SIGKILL of serve itself takes its children with it")
    func childrenFollowTheirParent() async throws {
        let serve = try await ApusProcess.serve(apiKey: OpenAICluster.apiKey)
        let children = Array(Self.children(of: serve.process.processIdentifier).values)
        #expect(children.count == 4)
        serve.kill9()
        let killed = ContinuousClock.now
        while !children.filter(Self.isAlive).isEmpty && killed.duration(to: .now) < .seconds(15) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(children.filter(Self.isAlive).isEmpty, "children left behind: \(children.filter(Self.isAlive))")
    }
}
