import Foundation
import ServingCore
import Wire

/// One OpenAI generation request, validated and tokenized, ready to fan out into upstream requests.
///
/// Each prompt (a batch has several) gets `n` choices; choice `p·n + i` is the upstream request `"{i}_{id}"` with
/// `n = 1`, `seed + i`, and `max_tokens` clamped to what the model has left (docs/architecture.md §6.1).
struct GenerationPlan: Sendable {
    var requestID: String
    var prompts: [[TokenID]]
    /// The client's parameters; `n` is the fan-out, `maxTokens` is replaced per prompt.
    var params: SamplingParams
    /// nil = the remainder of the context (chat's default).
    var requestedMaxTokens: Int?
    var stream = false
    var includeUsage = false
    /// The request field a too-long or empty prompt is reported under ("prompt" or "messages").
    var promptParam = "prompt"
    /// vLLM's extensions: lower is more urgent (`--scheduling-policy priority`); a per-tenant prefix-cache salt.
    var priority: Int32 = 0
    var cacheSalt = ""
    /// The LoRA adapter the request's `model` names; nil for the base model.
    var lora: LoRARequest?
    var arrival = ContinuousClock.now

    /// One upstream request of the plan.
    struct Child: Sendable {
        var index: Int
        var request: ApusV1.GenerateRequest
    }

    /// Checks the prompts and parameters against the model and builds the upstream requests.
    func children(for model: ServedModel) throws(APIError) -> [Child] {
        guard !prompts.isEmpty else { throw .badRequest("The prompt cannot be empty", param: promptParam) }
        var checked = params
        checked.maxTokens = max(requestedMaxTokens ?? 1, 1)
        do { try checked.validate(vocabSize: model.vocabSize) } catch {
            throw .badRequest(error.message, param: error.parameter)
        }
        let arrivalUS = UInt64(Date().timeIntervalSince1970 * 1e6)
        var out: [Child] = []
        for (p, prompt) in prompts.enumerated() {
            try check(prompt, model)
            let remainder = model.maxModelLen - prompt.count
            let base = prompts.count > 1 ? "\(requestID)-\(p)" : requestID
            for i in 0..<params.n {
                var sp = params
                sp.n = 1
                sp.maxTokens = min(requestedMaxTokens ?? remainder, remainder)
                if let seed = params.seed { sp.seed = seed &+ UInt64(i) }
                if !sp.ignoreEOS {
                    for id in model.eosTokenIDs.dropFirst() where !sp.stopTokenIDs.contains(id) {
                        sp.stopTokenIDs.append(id)
                    }
                }
                do { try sp.validate(vocabSize: model.vocabSize) } catch {
                    throw .badRequest(error.message, param: error.parameter)
                }
                let request = ApusV1.GenerateRequest(
                    requestID: params.n > 1 ? "\(i)_\(base)" : base, promptTokenIDs: prompt, samplingParams: sp,
                    eosTokenID: sp.ignoreEOS ? nil : model.eosTokenIDs.first, priority: priority, cacheSalt: cacheSalt,
                    loraName: lora?.name ?? "", loraPath: lora?.path ?? "", arrivalTimeUS: arrivalUS)
                out.append(Child(index: p * params.n + i, request: request))
            }
        }
        return out
    }

    private func check(_ prompt: [TokenID], _ model: ServedModel) throws(APIError) {
        guard !prompt.isEmpty else { throw .badRequest("The prompt cannot be empty", param: promptParam) }
        guard prompt.count < model.maxModelLen else {
            throw .badRequest(
                "This model's maximum context length is \(model.maxModelLen) tokens. However, your request has "
                    + "\(prompt.count) input tokens, which leaves no room for output tokens. Please reduce the length "
                    + "of the \(promptParam == "messages" ? "messages" : "prompt").",
                param: promptParam)
        }
        if let bad = prompt.first(where: { $0 < 0 || Int($0) >= model.vocabSize }) {
            throw .badRequest("Token id \(bad) is out of vocabulary (size \(model.vocabSize))", param: promptParam)
        }
    }
}
