import Tokenization

/// The request-level fields both endpoints share: `stream`, `stream_options.include_usage`, vLLM's `priority`
/// and `cache_salt`, structured outputs (`StructuredOutputFields`), and the options Apus refuses rather than
/// silently ignores (`best_of` ≠ `n`).
enum StreamFields {
    static func apply(_ f: JSONFields, to plan: inout GenerationPlan) throws(APIError) {
        if let bestOf = try f.int("best_of"), bestOf != plan.params.n {
            throw .badRequest("best_of is not supported (it must equal n)", param: "best_of")
        }
        plan.params.structuredOutputs = try StructuredOutputFields.parse(f)
        if let priority = try f.int("priority") {
            guard let p = Int32(exactly: priority) else {
                throw .badRequest("priority is out of range", param: "priority")
            }
            plan.priority = p
        }
        plan.cacheSalt = try f.string("cache_salt") ?? ""
        plan.stream = try f.bool("stream") ?? false
        if let options = try f.object("stream_options") {
            guard plan.stream else {
                throw .badRequest("stream_options is only allowed when stream is true", param: "stream_options")
            }
            plan.includeUsage = try JSONFields(.object(options)).bool("include_usage") ?? false
        }
    }
}
