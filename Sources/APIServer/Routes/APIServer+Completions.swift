import Foundation
import Hummingbird
import ServingCore
import Tokenization

extension APIServer {
    /// `POST /v1/completions`.
    func completions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let ids = requestIDs(request, prefix: "cmpl")
        var parsed = try CompletionRequest.parse(try await jsonBody(request), model: model, requestID: ids.upstream)
        parsed.plan.lora = try resolve(model: parsed.model)
        let plan = parsed.plan
        // NOTE: a non-streaming request starts and collects inside one disconnect watch: between two watches a
        // client that hangs up would go unnoticed and its request would run to the end for nobody.
        let (generation, collected) = try await ClientDisconnect.cancellingOnClose(context.channel) {
            [model, upstream, metrics] in
            let generation = try await Generation.start(plan, model: model, upstream: upstream, metrics: metrics)
            return (generation, plan.stream ? nil : try await ChoiceResult.collect(generation))
        }
        let format = CompletionFormat(
            id: "cmpl-\(ids.client)", model: plan.lora?.name ?? model.name,
            created: Int(Date.now.timeIntervalSince1970),
            tokens: LogprobsFormat(tokenizer: model.tokenizer), logprobs: parsed.plan.params.logprobs,
            echo: parsed.echo, promptLogprobs: parsed.returnsPromptLogprobs,
            tokenIDs: parsed.returnsTokenIDs
                ? .init(prompts: plan.prompts, choicesPerPrompt: plan.params.n) : nil)
        let headers: HTTPFields = [HTTPFields.requestIDName: ids.client]
        if let results = collected {
            let usage = ChoiceResult.usage(results, promptTokens: generation.promptTokens)
            return JSONResponse.make(format.response(results, usage: usage), headers: headers)
        }
        let includeUsage = parsed.plan.includeUsage
        return ServerSentEvents.response(headers: headers, channel: context.channel) { send in
            var offsets: [Int: Int] = [:]
            var started: Set<Int> = []
            var usage = Usage(promptTokens: generation.promptTokens)
            try await generation.forEach { delta in
                try ServerSentEvents.check(delta)
                usage.add(delta)
                let first = started.insert(delta.index).inserted
                guard let chunk = format.chunk(delta, first: first, offset: &offsets[delta.index, default: 0]) else {
                    return
                }
                try await send(chunk)
            }
            if includeUsage { try await send(format.usageChunk(usage)) }
        }
    }
}
