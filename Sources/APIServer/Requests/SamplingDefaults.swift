import Foundation
import ServingCore
import Tokenization

/// The sampling parameters a request gets when it does not set them: the model's `generation_config.json`
/// (`temperature`, `top_p`, `top_k`, `min_p`, `repetition_penalty`), then `--override-generation-config`, as vLLM's
/// `--generation-config auto` does. Empty (OpenAI's defaults: temperature 1, top_p 1) with `--generation-config vllm`
/// or when the model has none (GGUF files carry no generation config).
public struct SamplingDefaults: Sendable, Equatable {
    public var temperature: Float?
    public var topP: Float?
    public var topK: Int?
    public var minP: Float?
    public var repetitionPenalty: Float?

    public init(
        temperature: Float? = nil, topP: Float? = nil, topK: Int? = nil, minP: Float? = nil,
        repetitionPenalty: Float? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
    }

    /// The sampling fields of a model's generation config.
    public init(_ config: GenerationConfig?) {
        self.init(
            temperature: config?.temperature.map(Float.init), topP: config?.topP.map(Float.init), topK: config?.topK,
            repetitionPenalty: config?.repetitionPenalty.map(Float.init))
    }

    /// These defaults with the keys of `json` (`--override-generation-config`, a JSON object with any of
    /// `temperature`, `top_p`, `top_k`, `min_p`, `repetition_penalty`) replacing them; another key or a non-number is
    /// an error naming it (ranges are checked per request, like a request's own values).
    public func overridden(byJSON json: String) throws -> SamplingDefaults {
        guard let data = json.data(using: .utf8),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw SamplingDefaultsError("--override-generation-config must be a JSON object, got \(json)") }
        var result = self
        for (key, value) in object {
            guard let number = value as? NSNumber, !(value is Bool) else {
                throw SamplingDefaultsError("--override-generation-config: \(key) must be a number")
            }
            switch key {
            case "temperature": result.temperature = number.floatValue
            case "top_p": result.topP = number.floatValue
            case "top_k": result.topK = number.intValue
            case "min_p": result.minP = number.floatValue
            case "repetition_penalty": result.repetitionPenalty = number.floatValue
            default:
                throw SamplingDefaultsError(
                    "--override-generation-config: unknown key \(key) (temperature, top_p, top_k, min_p, "
                        + "repetition_penalty)")
            }
        }
        return result
    }

    /// `params` with every field these defaults set (before the request's own fields are read).
    func applied(to params: SamplingParams) -> SamplingParams {
        var p = params
        if let v = temperature { p.temperature = v }
        if let v = topP { p.topP = v }
        if let v = topK { p.topK = v }
        if let v = minP { p.minP = v }
        if let v = repetitionPenalty { p.repetitionPenalty = v }
        return p
    }
}

public struct SamplingDefaultsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
