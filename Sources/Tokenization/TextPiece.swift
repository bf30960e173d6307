/// A piece of text on its way to the model: its UTF-8 bytes, and whether it begins at offset 0 of the original
/// input (Metaspace's `prepend_scheme: first` only prepends there).
struct TextPiece: Sendable {
    var bytes: [UInt8]
    var atStart: Bool
}
