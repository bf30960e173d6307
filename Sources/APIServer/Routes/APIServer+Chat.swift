import Foundation
import Hummingbird
import ServingCore
import Tokenization

extension APIServer {
    /// `POST /v1/chat/completions`.
    func chatCompletions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let ids = requestIDs(request, prefix: "chatcmpl")
        var parsed = try ChatCompletionRequest.parse(
            try await jsonBody(request), model: model, requestID: ids.upstream, toolCalling: toolCalling)
        parsed.plan.lora = try resolve(model: parsed.model)
        let plan = parsed.plan
        // NOTE: a non-streaming request starts and collects inside one disconnect watch: between two watches a
        // client that hangs up would go unnoticed and its request would run to the end for nobody.
        let (generation, collected) = try await ClientDisconnect.cancellingOnClose(context.channel) {
            [model, upstream, metrics] in
            let generation = try await Generation.start(plan, model: model, upstream: upstream, metrics: metrics)
            return (generation, plan.stream ? nil : try await ChoiceResult.collect(generation))
        }
        let tokens = LogprobsFormat(tokenizer: model.tokenizer)
        let format = ChatFormat(
            id: "chatcmpl-\(ids.client)", model: plan.lora?.name ?? model.name,
            created: Int(Date.now.timeIntervalSince1970),
            logprobs: parsed.logprobs ? tokens : nil, promptLogprobs: parsed.returnsPromptLogprobs ? tokens : nil,
            toolParser: parsed.toolParser)
        let headers: HTTPFields = [HTTPFields.requestIDName: ids.client]
        if let results = collected {
            let usage = ChoiceResult.usage(results, promptTokens: generation.promptTokens)
            return JSONResponse.make(format.response(results, usage: usage), headers: headers)
        }
        let includeUsage = parsed.plan.includeUsage
        let numChoices = generation.children.count
        let toolParser = parsed.toolParser
        return ServerSentEvents.response(headers: headers, channel: context.channel) { send in
            for index in 0..<numChoices { try await send(format.roleChunk(index: index)) }
            var usage = Usage(promptTokens: generation.promptTokens)
            var streamers: [Int: ToolCallStreamer] = [:]
            try await generation.forEach { delta in
                try ServerSentEvents.check(delta)
                usage.add(delta)
                guard let toolParser else {
                    guard !delta.text.isEmpty || !delta.logprobs.isEmpty || delta.finishReason != nil else { return }
                    return try await send(format.chunk(delta))
                }
                var streamer = streamers[delta.index] ?? ToolCallStreamer(parser: toolParser)
                var tools = streamer.add(delta.text)
                if delta.finishReason != nil { tools += streamer.finish() }
                streamers[delta.index] = streamer
                guard !tools.isEmpty || !delta.logprobs.isEmpty || delta.finishReason != nil else { return }
                try await send(format.chunk(delta, tools: tools, toolsCalled: streamer.toolsCalled))
            }
            if includeUsage { try await send(format.usageChunk(usage)) }
        }
    }
}
