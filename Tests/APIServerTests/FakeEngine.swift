import APIServer
import Foundation
import Hummingbird
import HummingbirdTesting
import ServingCore
import Synchronization
import Tokenization
import Wire

/// A scripted `Engine` upstream whose Generate plays a script of steps: its handler table served in process
/// (`client`), or by a real RPCServer on 127.0.0.1 for the tests of the connection itself.
///
/// It records every request, every Abort, and every Generate that ended by cancellation. With `holdOpen` a
/// request never finishes on its own: after the script it keeps producing token 67 ("a") until cancelled. The
/// first output carries `promptLogprobs(request)` when the request asks for prompt logprobs.
final class FakeEngine: Sendable {
    struct Step: Sendable {
        var tokens: [TokenID]
        var finish: FinishReason? = nil
        var stopReason: StopReason? = nil
        var error = ""
        var cached: UInt32 = 0
    }

    typealias Script = @Sendable (ApusV1.GenerateRequest) -> [Step]

    let script: Script
    let holdOpen: Bool
    let stepDelay: Duration
    let failure: RPCError?
    private let state = Mutex(Recorded())

    struct Recorded {
        var requests: [ApusV1.GenerateRequest] = []
        var aborts: [String] = []
        var cancelled: [String] = []
    }

    init(
        holdOpen: Bool = false, stepDelay: Duration = .milliseconds(1), failure: RPCError? = nil,
        script: @escaping Script = FakeEngine.text("Hello world")
    ) {
        self.script = script
        self.holdOpen = holdOpen
        self.stepDelay = stepDelay
        self.failure = failure
    }

    var requests: [ApusV1.GenerateRequest] { state.withLock { $0.requests } }
    var aborts: [String] { state.withLock { $0.aborts } }
    var cancelled: [String] { state.withLock { $0.cancelled } }

    static let tokenizer = Tokenizer.embeddedDefault

    /// One step per token of `text`, then a finish (`.length` by default).
    static func text(_ text: String, finish: FinishReason = .length, stopReason: StopReason? = nil) -> Script {
        { _ in
            let ids = tokenizer.encode(text, addSpecialTokens: false)
            var steps = ids.map { Step(tokens: [$0]) }
            steps[steps.count - 1].finish = finish
            steps[steps.count - 1].stopReason = stopReason
            steps[0].cached = 3
            return steps
        }
    }

    /// One step per piece (all of the piece's tokens at once): text split where a test wants it. It ends with EOS
    /// (token 2, finish "stop"), or with `.length` on the last piece.
    static func pieces(_ pieces: [String], finish: FinishReason = .stop) -> Script {
        { _ in
            var steps = pieces.map { Step(tokens: tokenizer.encode($0, addSpecialTokens: false)) }
            if finish == .stop {
                steps.append(Step(tokens: [2], finish: .stop))
            } else {
                steps[steps.count - 1].finish = finish
            }
            return steps
        }
    }

    /// Polls until `condition` holds or `timeout` passes.
    func wait(timeout: Duration = .seconds(2), until condition: (FakeEngine) -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return condition(self)
    }

    /// A client of this engine in this process, as the api's upstream.
    var client: any EngineClient {
        RPCEngineClient(InProcessRPCClient(handlers: handlers, identity: .init(service: "engine-core"), service: "api"))
    }

    var handlers: RPCHandlers {
        var h = RPCHandlers()
        h.serverStreaming(RPCMethod.generate) {
            (request: ApusV1.GenerateRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            try await self.generate(request, writer)
        }
        h.unary(RPCMethod.abort) { (request: ApusV1.AbortRequest, _) in
            self.state.withLock { $0.aborts += request.requestIDs }
            return ApusV1.AbortResponse(numAborted: UInt32(request.requestIDs.count))
        }
        h.unary(RPCMethod.getModelInfo) { (_: ApusV1.GetModelInfoRequest, _) in
            ApusV1.ModelInfo(
                model: "tiny", servedModelNames: ["tiny"], maxModelLen: 64, vocabSize: 512, eosTokenIDs: [2, 0])
        }
        return h
    }

    private func generate(
        _ request: ApusV1.GenerateRequest, _ writer: RPCStreamWriter<ApusV1.GenerateOutput>
    ) async throws {
        state.withLock { $0.requests.append(request) }
        if let failure { throw failure }
        do {
            for (i, step) in script(request).enumerated() {
                var out = output(request, step)
                if i == 0 { out.promptLogprobs = Self.promptLogprobs(request) }
                try writer.send(out)
                try await Task.sleep(for: stepDelay)
            }
            while holdOpen {
                try writer.send(output(request, Step(tokens: [67])))
                try await Task.sleep(for: .milliseconds(2))
            }
        } catch {
            state.withLock { $0.cancelled.append(request.requestID) }
            throw error
        }
    }

    private func output(_ request: ApusV1.GenerateRequest, _ step: Step) -> ApusV1.GenerateOutput {
        var logprobs: [PositionLogprobs] = []
        if let k = request.samplingParams.logprobs {
            logprobs = step.tokens.map { id in
                PositionLogprobs(
                    tokenIDs: [id] + (0..<k).map { TokenID(3 + $0) },
                    logprobs: [-0.5] + (0..<k).map { -1.0 - Float($0) }, sampledRank: 1)
            }
        }
        return ApusV1.GenerateOutput(
            requestID: request.requestID, newTokenIDs: step.tokens, newLogprobs: logprobs,
            finishReason: step.finish, stopReason: step.stopReason, numCachedTokens: step.cached,
            errorMessage: step.error)
    }
}

/// Runs `body` against an api whose upstream is `engine`, in process; neither side uses a socket.
/// `chatTemplate` replaces the embedded tokenizer's template (which ignores tools).
func withAPI(
    _ engine: FakeEngine = FakeEngine(), apiKey: String? = nil, toolCalling: ToolCallingOptions = .init(),
    chatTemplate: String? = nil, maxModelLen: Int = 64, limits: HTTPLimits = .init(),
    loras: LoRAAdapters = LoRAAdapters(validate: nil), allowRuntimeLoRAUpdating: Bool = false,
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await withAPI(
        upstream: EngineUpstream(engine: engine.client), apiKey: apiKey, toolCalling: toolCalling,
        chatTemplate: chatTemplate, maxModelLen: maxModelLen, limits: limits, loras: loras,
        allowRuntimeLoRAUpdating: allowRuntimeLoRAUpdating, body)
}

/// Runs `body` against an api whose upstream is an `Engine` server on 127.0.0.1:`port` (tests of the connection).
/// A lost connection is retried for `retryWindow` before a request fails (short by default, so a test of a down
/// upstream gets its 503 quickly).
func withAPI(
    upstreamPort port: Int, retryWindow: Duration = .milliseconds(300),
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    try await withAPI(upstream: EngineUpstream(host: "127.0.0.1", port: port, retryWindow: retryWindow), body)
}

func withAPI(
    upstream: EngineUpstream, apiKey: String? = nil, toolCalling: ToolCallingOptions = .init(),
    chatTemplate: String? = nil, maxModelLen: Int = 64, limits: HTTPLimits = .init(),
    loras: LoRAAdapters = LoRAAdapters(validate: nil), allowRuntimeLoRAUpdating: Bool = false,
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let tokenizer = Tokenizer.embeddedDefault
    let model = ServedModel(
        names: ["tiny"], maxModelLen: maxModelLen, vocabSize: tokenizer.vocabSize, eosTokenIDs: [2, 0],
        tokenizer: tokenizer, chatTemplate: try ChatTemplate(chatTemplate ?? tokenizer.chatTemplate!))
    let server = APIServer(
        model: model, upstream: upstream, metrics: APIMetrics(modelName: "tiny"), apiKey: apiKey,
        toolCalling: toolCalling, limits: limits, loras: loras, allowRuntimeLoRAUpdating: allowRuntimeLoRAUpdating)
    try await Application(router: server.makeRouter()).test(.router, body)
    await upstream.engine.close()
}

extension TestClientProtocol {
    /// POSTs a JSON body and returns the status and the parsed body (or the raw text for event streams).
    func post(
        _ uri: String, _ json: String, headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, JSONValue, String) {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json)) { response in
            let text = String(buffer: response.body)
            return (response.status, (try? JSONValue(parsing: text)) ?? .null, text)
        }
    }
}

/// The JSON events of an SSE body, and whether it ended with `data: [DONE]`.
func events(_ text: String) -> (events: [JSONValue], done: Bool) {
    var events: [JSONValue] = []
    var done = false
    for block in text.components(separatedBy: "\n\n") where block.hasPrefix("data: ") {
        let payload = String(block.dropFirst(6))
        if payload == "[DONE]" {
            done = true
        } else if let value = try? JSONValue(parsing: payload) {
            events.append(value)
        }
    }
    return (events, done)
}

extension JSONValue {
    var int: Int? { if case .int(let i) = self { i } else { nil } }
    var double: Double? {
        switch self {
        case .double(let d): d
        case .int(let i): Double(i)
        default: nil
        }
    }
    subscript(index: Int) -> JSONValue? { arrayValue.flatMap { index < $0.count ? $0[index] : nil } }
}
