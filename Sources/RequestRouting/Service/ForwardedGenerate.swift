import ServingCore
import Wire

/// A Generate request as the router forwards it: the bytes the api encoded, passed on untouched to whichever
/// engine-core takes it (retries included), and the few fields routing reads, peeked from them
/// (docs/architecture.md §7). The prompt's token ids are read only for the prefix-aware policy, which hashes
/// them into block keys; the engine-core is the only service that decodes the request.
struct ForwardedRequest: Sendable {
    let bytes: [UInt8]
    private(set) var requestID = ""
    private(set) var sessionKey = ""
    private(set) var cacheSalt = ""
    private(set) var loraName = ""
    /// Empty unless read with `readPrompt`.
    private(set) var promptTokenIDs: [TokenID] = []

    /// Field numbers of `apus.v1.GenerateRequest` (engine.proto).
    private enum Field {
        static let requestID: UInt32 = 1
        static let promptTokenIDs: UInt32 = 2
        static let cacheSalt: UInt32 = 6
        static let loraName: UInt32 = 7
        static let sessionKey: UInt32 = 9
    }

    /// Throws `WireDecodingError` for bytes that are not a well-formed message.
    init(_ bytes: [UInt8], readPrompt: Bool) throws {
        self.bytes = bytes
        try bytes.withUnsafeBytes { raw in
            var reader = ProtobufFieldReader(raw)
            while let (field, type) = try reader.nextField() {
                switch (field, type) {
                case (Field.requestID, .lengthDelimited): requestID = try reader.string("request_id")
                case (Field.sessionKey, .lengthDelimited): sessionKey = try reader.string("session_key")
                case (Field.cacheSalt, .lengthDelimited): cacheSalt = try reader.string("cache_salt")
                case (Field.loraName, .lengthDelimited): loraName = try reader.string("lora_name")
                case (Field.promptTokenIDs, _) where readPrompt: try reader.appendInt32s(type, to: &promptTokenIDs)
                default: try reader.skip(type)
                }
            }
        }
    }
}
