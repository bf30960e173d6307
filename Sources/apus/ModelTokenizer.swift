import ArgumentParser
import Foundation
import ModelFiles
import ServingCore
import StructuredOutput
import Tokenization

/// Finding a served model's tokenizer, for the api (tokenizing) and the engine-core (structured outputs).
enum ModelTokenizer {
    /// `override` (a `--tokenizer` path), else the model's own: a GGUF file carries one, a directory has
    /// tokenizer.json; else the embedded tokenizer (the embedded and dummy models).
    static func load(modelPath: String, override: String?) throws -> Tokenizer {
        if let override { return try tokenizer(at: override) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try tokenizer(at: modelPath)  // a GGUF model carries its tokenizer
        }
        if modelPath.hasSuffix(".gguf") {
            // A GGUF file this machine does not have: its tokenizer is in that file.
            throw ValidationError("the model is \(modelPath), which is not on this machine: pass --tokenizer")
        }
        let candidate = URL(fileURLWithPath: modelPath)
        if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("tokenizer.json").path) {
            return try Tokenizer(directory: candidate)
        }
        return Tokenizer.embeddedDefault
    }

    /// The tokenizer of a GGUF file (its metadata) or of a directory (tokenizer.json and its configs).
    static func tokenizer(at path: String) throws -> Tokenizer {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ValidationError("--tokenizer \(path): no such file or directory")
        }
        if isDirectory.boolValue { return try Tokenizer(directory: URL(fileURLWithPath: path)) }
        return try Tokenizer(gguf: try GGUFFile(path: path))
    }

    /// Every token's bytes as a grammar matches them, for a model of `vocabSize` ids; nil when the tokenizer has
    /// no EOS token (a constrained output could never end).
    static func vocabulary(_ tokenizer: Tokenizer, vocabSize: Int) -> TokenVocabulary? {
        guard !tokenizer.eosTokenIDs.isEmpty else { return nil }
        let count = min(tokenizer.vocabSize, vocabSize)
        return TokenVocabulary(
            tokenBytes: (0..<count).map { tokenizer.tokenBytes(TokenID($0)) },
            eosTokenIDs: tokenizer.eosTokenIDs.map(Int.init).filter { $0 < vocabSize },
            specialTokenIDs: Set(tokenizer.specialTokenIDs.map(Int.init)), size: vocabSize)
    }
}
