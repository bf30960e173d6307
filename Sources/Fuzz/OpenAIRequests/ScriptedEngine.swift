import ServingCore
import Tokenization
import Wire

/// The upstream the fuzzed api talks to, in process: Generate validates the sampling params as the engine-core
/// does (a bad value is INVALID_ARGUMENT, which the api answers 400), then answers with one output holding the
/// whole scripted text (with logprobs and prompt logprobs when asked) and finishes.
struct ScriptedEngine: Sendable {
    /// Texts the model "writes": plain text, then a tool call in each parser's syntax.
    static let scripts = [
        "Hello world",
        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>",
        "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}",
        "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]",
    ]

    let tokens: [TokenID]

    init(script: Int, tokenizer: Tokenizer) {
        tokens = tokenizer.encode(Self.scripts[script % Self.scripts.count], addSpecialTokens: false)
    }

    var client: any EngineClient {
        RPCEngineClient(InProcessRPCClient(handlers: handlers, identity: .init(service: "engine-core"), service: "api"))
    }

    var handlers: RPCHandlers {
        var h = RPCHandlers()
        h.serverStreaming(RPCMethod.generate) {
            (request: ApusV1.GenerateRequest, _, writer: RPCStreamWriter<ApusV1.GenerateOutput>) in
            try writer.send(try output(request))
        }
        h.unary(RPCMethod.abort) { (request: ApusV1.AbortRequest, _) in
            ApusV1.AbortResponse(numAborted: UInt32(request.requestIDs.count))
        }
        h.unary(RPCMethod.getModelInfo) { (_: ApusV1.GetModelInfoRequest, _) in
            ApusV1.ModelInfo(model: "tiny", servedModelNames: ["tiny"], maxModelLen: 256, vocabSize: 512)
        }
        return h
    }

    func output(_ request: ApusV1.GenerateRequest) throws -> ApusV1.GenerateOutput {
        do {
            try request.samplingParams.validate()
        } catch {
            throw RPCError(.invalidArgument, "\(error)")
        }
        let params = request.samplingParams
        let count = min(tokens.count, params.maxTokens)
        let ids = Array(tokens.prefix(max(count, 1)))
        func logprobs(_ id: TokenID, _ k: Int) -> PositionLogprobs {
            PositionLogprobs(
                tokenIDs: [id] + (0..<k).map { TokenID(3 + $0) },
                logprobs: [-0.5] + (0..<k).map { -1.0 - Float($0) }, sampledRank: 1)
        }
        return ApusV1.GenerateOutput(
            requestID: request.requestID, newTokenIDs: ids,
            newLogprobs: params.logprobs.map { k in ids.map { logprobs($0, k) } } ?? [],
            promptLogprobs: params.promptLogprobs.map { k in
                request.promptTokenIDs.dropFirst().map { logprobs($0, k) }
            } ?? [],
            finishReason: count < tokens.count ? .length : .stop)
    }
}
