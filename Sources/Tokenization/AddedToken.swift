import ServingCore

/// An entry of tokenizer.json's `added_tokens`.
struct AddedToken: Sendable {
    let id: TokenID
    let content: String
    let singleWord: Bool
    let lstrip: Bool
    let rstrip: Bool
    let normalized: Bool
    let special: Bool

    init(json: HFJSON.Object) throws {
        id = TokenID(try HFJSON.required(HFJSON.int(json, "id"), "added token id"))
        content = try HFJSON.required(HFJSON.string(json, "content"), "added token content")
        singleWord = HFJSON.bool(json, "single_word") ?? false
        lstrip = HFJSON.bool(json, "lstrip") ?? false
        rstrip = HFJSON.bool(json, "rstrip") ?? false
        special = HFJSON.bool(json, "special") ?? false
        normalized = HFJSON.bool(json, "normalized") ?? !special
    }
}
