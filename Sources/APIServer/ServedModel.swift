import Foundation
import ServingCore
import Tokenization
import Wire

/// What the api knows about the model behind its upstream: names, limits, EOS ids, and the text side
/// (tokenizer, chat template) that the engine never sees.
public struct ServedModel: Sendable {
    /// Names clients may send as `model`; the first is reported by `/v1/models` and in responses.
    public var names: [String]
    public var maxModelLen: Int
    public var vocabSize: Int
    /// The model's EOS ids; the first goes in `GenerateRequest.eosTokenID`, the rest become stop token ids.
    public var eosTokenIDs: [TokenID]
    public var tokenizer: Tokenizer
    public var chatTemplate: ChatTemplate?
    /// What a request's unset sampling fields default to (the model's generation config; vLLM's
    /// `--generation-config auto`).
    public var samplingDefaults: SamplingDefaults
    /// Unix seconds, reported as `created`.
    public var created: Int

    public init(
        names: [String], maxModelLen: Int, vocabSize: Int, eosTokenIDs: [TokenID], tokenizer: Tokenizer,
        chatTemplate: ChatTemplate?, samplingDefaults: SamplingDefaults = .init(),
        created: Int = Int(Date().timeIntervalSince1970)
    ) {
        self.names = names
        self.maxModelLen = maxModelLen
        self.vocabSize = vocabSize
        self.eosTokenIDs = eosTokenIDs
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.samplingDefaults = samplingDefaults
        self.created = created
    }

    /// Builds the model from the upstream's `GetModelInfo` and a tokenizer; `servedModelNames`, when not empty,
    /// replace the upstream's names; `samplingDefaults` default to the tokenizer's generation config. Throws when the
    /// tokenizer's chat template does not compile (naming the construct).
    public init(
        info: ApusV1.ModelInfo, tokenizer: Tokenizer, servedModelNames: [String] = [],
        samplingDefaults: SamplingDefaults? = nil
    ) throws {
        var names = info.servedModelNames.isEmpty ? [info.model] : info.servedModelNames
        if !servedModelNames.isEmpty { names = servedModelNames }
        try self.init(
            names: names, maxModelLen: Int(info.maxModelLen),
            vocabSize: info.vocabSize > 0 ? Int(info.vocabSize) : tokenizer.vocabSize,
            eosTokenIDs: info.eosTokenIDs.isEmpty ? tokenizer.eosTokenIDs : info.eosTokenIDs, tokenizer: tokenizer,
            chatTemplate: tokenizer.chatTemplate.map { try ChatTemplate($0) },
            samplingDefaults: samplingDefaults ?? SamplingDefaults(tokenizer.generationConfig))
    }

    public var name: String { names.first ?? "" }
}
