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

    init(
        id: TokenID, content: String, special: Bool, normalized: Bool = false, singleWord: Bool = false,
        lstrip: Bool = false, rstrip: Bool = false
    ) {
        self.id = id
        self.content = content
        self.special = special
        self.normalized = normalized
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
    }

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
