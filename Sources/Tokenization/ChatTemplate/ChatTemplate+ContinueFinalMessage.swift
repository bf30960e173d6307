import Foundation

extension ChatTemplate {
    /// The marker transformers appends to the final message to find where its content ends in the render.
    private static let continueTag = "CONTINUE_FINAL_MESSAGE_TAG "

    /// Renders so the prompt ends inside the last message's content, for the model to continue it: transformers'
    /// `continue_final_message=True` (vLLM's `continue_final_message`), which excludes a generation prompt.
    ///
    /// The last message's content gets a marker appended, the conversation is rendered, and the text is cut at
    /// the marker (also dropping trailing whitespace when the template trimmed the content). Throws `.runtime`
    /// when there is no final content, the template never reads `content`, or the content does not survive the
    /// render.
    public func renderContinuingFinalMessage(
        messages: [ChatMessage], bosToken: String?, eosToken: String?, tools: [JSONValue]? = nil,
        extra: [String: JSONValue] = [:], now: Date = Date()
    ) throws -> String {
        guard var last = messages.last else {
            throw ChatTemplateError(.runtime, "continue_final_message is set but the conversation is empty!")
        }
        guard let finalContent = last.content else {
            throw ChatTemplateError(
                .runtime, "continue_final_message is set but the final message has no \"content\" to continue!")
        }
        guard source.contains("content") else {
            throw ChatTemplateError(
                .runtime,
                "continue_final_message is set to \"content\" but this is not an accepted field in the chat_template")
        }
        last.content = finalContent + Self.continueTag
        let rendered = try render(
            messages: messages.dropLast() + [last], addGenerationPrompt: false, bosToken: bosToken,
            eosToken: eosToken, tools: tools, extra: extra, now: now)
        let tag = Array(Self.continueTag.unicodeScalars)
        let strippedTag = Array(PythonString.strip(Self.continueTag, nil, .both).unicodeScalars)
        let text = Array(rendered.unicodeScalars)
        guard PythonString.find(rendered, PythonString.strip(finalContent, nil, .both)) >= 0,
            let tagStart = lastIndex(of: strippedTag, in: text)
        else {
            throw ChatTemplateError(
                .runtime,
                "continue_final_message is set but the final message does not appear in the chat after applying "
                    + "the chat template!")
        }
        let prefix = String(String.UnicodeScalarView(text[..<tagStart]))
        if text[tagStart...].starts(with: tag) { return prefix }
        return PythonString.strip(prefix, nil, .trailing)
    }

    private func lastIndex(of needle: [Unicode.Scalar], in text: [Unicode.Scalar]) -> Int? {
        guard needle.count <= text.count else { return nil }
        for start in stride(from: text.count - needle.count, through: 0, by: -1)
        where text[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
