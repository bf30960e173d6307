import Foundation
import ServingCore

/// The fields of `generation_config.json` that serving uses: extra EOS ids and default sampling values.
///
/// `eos_token_id` may be one integer or a list; every field is optional.
public struct GenerationConfig: Sendable, Equatable {
    public var bosTokenID: TokenID?
    public var eosTokenIDs: [TokenID]
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    public var repetitionPenalty: Double?
    public var maxNewTokens: Int?

    public init(
        bosTokenID: TokenID? = nil, eosTokenIDs: [TokenID] = [], temperature: Double? = nil, topP: Double? = nil,
        topK: Int? = nil, repetitionPenalty: Double? = nil, maxNewTokens: Int? = nil
    ) {
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.repetitionPenalty = repetitionPenalty
        self.maxNewTokens = maxNewTokens
    }

    /// Parses the contents of a `generation_config.json`.
    public init(json data: Data) throws {
        let object = try HFJSON.parseObject(data, what: "generation_config.json")
        self.init()
        bosTokenID = HFJSON.int(object, "bos_token_id").map { TokenID($0) }
        switch HFJSON.value(object, "eos_token_id") {
        case let list as [Any]:
            eosTokenIDs = try list.map {
                TokenID(try HFJSON.required(HFJSON.int($0), "generation_config eos_token_id entry"))
            }
        case let single?:
            eosTokenIDs = [TokenID(try HFJSON.required(HFJSON.int(single), "generation_config eos_token_id"))]
        case nil:
            break
        }
        temperature = HFJSON.double(object, "temperature")
        topP = HFJSON.double(object, "top_p")
        topK = HFJSON.int(object, "top_k")
        repetitionPenalty = HFJSON.double(object, "repetition_penalty")
        maxNewTokens = HFJSON.int(object, "max_new_tokens")
    }

    /// Reads `generation_config.json` from a model directory; nil when the file does not exist.
    public init?(directory: URL) throws {
        let url = directory.appendingPathComponent("generation_config.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        try self.init(json: try TokenizerConfig.read(url))
    }
}
