import Foundation

/// The fields of `tokenizer_config.json` that serving needs.
///
/// `bos_token` / `eos_token` may be plain strings or AddedToken objects (`{"content": …}`); `chat_template` may be
/// a string or a list of `{name, template}` (the one named "default" is `chatTemplate`, all are in
/// `namedChatTemplates`). Explicit `add_bos_token` / `add_eos_token` override the tokenizer.json post-processor,
/// as transformers does.
public struct TokenizerConfig: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    public var padToken: String?
    public var unkToken: String?
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    public var chatTemplate: String?
    public var namedChatTemplates: [String: String]
    /// `model_max_length`, or nil when absent or the "no limit" sentinel (≥ 1e20).
    public var modelMaxLength: Int?

    public init(
        bosToken: String? = nil, eosToken: String? = nil, padToken: String? = nil, unkToken: String? = nil,
        addBOSToken: Bool? = nil, addEOSToken: Bool? = nil, chatTemplate: String? = nil,
        namedChatTemplates: [String: String] = [:], modelMaxLength: Int? = nil
    ) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.padToken = padToken
        self.unkToken = unkToken
        self.addBOSToken = addBOSToken
        self.addEOSToken = addEOSToken
        self.chatTemplate = chatTemplate
        self.namedChatTemplates = namedChatTemplates
        self.modelMaxLength = modelMaxLength
    }

    /// Parses the contents of a `tokenizer_config.json`.
    public init(json data: Data) throws {
        let object = try HFJSON.parseObject(data, what: "tokenizer_config.json")
        self.init()
        bosToken = Self.tokenContent(object["bos_token"])
        eosToken = Self.tokenContent(object["eos_token"])
        padToken = Self.tokenContent(object["pad_token"])
        unkToken = Self.tokenContent(object["unk_token"])
        addBOSToken = HFJSON.bool(object, "add_bos_token")
        addEOSToken = HFJSON.bool(object, "add_eos_token")
        if let length = HFJSON.double(object, "model_max_length"), length > 0, length < 1e20 {
            modelMaxLength = Int(length)
        }
        switch HFJSON.value(object, "chat_template") {
        case let template as String:
            chatTemplate = template
        case let list as [Any]:
            for case let entry as HFJSON.Object in list {
                guard let name = HFJSON.string(entry, "name"), let template = HFJSON.string(entry, "template") else {
                    throw TokenizerError.invalidJSON("chat_template list entries need a name and a template")
                }
                namedChatTemplates[name] = template
            }
            chatTemplate = namedChatTemplates["default"]
        case nil:
            break
        default:
            throw TokenizerError.invalidJSON("chat_template must be a string or a list of {name, template}")
        }
    }

    /// Reads `tokenizer_config.json` from a model directory; nil when the file does not exist.
    /// Reads `tokenizer_config.json` from a model directory, with the chat template from `chat_template.jinja`
    /// (or `chat_template.json`) when that file exists, as newer transformers versions save it; nil when neither
    /// file exists.
    public init?(directory: URL) throws {
        let url = directory.appendingPathComponent("tokenizer_config.json")
        let template = try Self.chatTemplateFile(in: directory)
        if FileManager.default.fileExists(atPath: url.path) {
            try self.init(json: try Self.read(url))
        } else if template != nil {
            self.init()
        } else {
            return nil
        }
        if let template { chatTemplate = template }
    }

    private static func chatTemplateFile(in directory: URL) throws -> String? {
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            return String(decoding: try read(jinja), as: UTF8.self)
        }
        let json = directory.appendingPathComponent("chat_template.json")
        if FileManager.default.fileExists(atPath: json.path) {
            let object = try HFJSON.parseObject(try read(json), what: "chat_template.json")
            return HFJSON.string(object, "chat_template")
        }
        return nil
    }

    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw TokenizerError.unreadable(path: url.path, reason: "\(error)")
        }
    }

    private static func tokenContent(_ value: Any?) -> String? {
        if let string = value as? String { return string }
        if let object = value as? HFJSON.Object { return HFJSON.string(object, "content") }
        return nil
    }
}
