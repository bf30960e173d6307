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
        // NOTE: not JSONSerialization: on Linux its NSNumber for 0 or 1 also casts to Bool, which refused
        // `{"temperature": 0}` and `{"temperature": 1.0}` as non-numbers.
        guard let object = (try? JSONValue(parsing: json))?.objectValue else {
            throw SamplingDefaultsError("--override-generation-config must be a JSON object, got \(json)")
        }
        var result = self
        for (key, value) in object.pairs {
            let number: Double
            switch value {
            case .int(let i): number = Double(i)
            case .double(let d): number = d
            default: throw SamplingDefaultsError("--override-generation-config: \(key) must be a number")
            }
            switch key {
            case "temperature": result.temperature = Float(number)
            case "top_p": result.topP = Float(number)
            case "top_k":
                guard let k = Int(exactly: number) else {
                    throw SamplingDefaultsError("--override-generation-config: top_k must be an integer")
                }
                result.topK = k
            case "min_p": result.minP = Float(number)
            case "repetition_penalty": result.repetitionPenalty = Float(number)
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
