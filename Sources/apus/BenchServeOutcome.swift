/// What one benchmark request measured, with vLLM's definitions: TTFT is send → first chunk with choices; each
/// later such chunk adds an inter-token latency (ITL); latency is send → end of the stream; output tokens come
/// from the final `usage` chunk (stream_options.include_usage), else the number of choice chunks.
struct BenchServeOutcome: Sendable {
    var success = false
    var error = ""
    var promptTokens = 0
    var outputTokens = 0
    /// Seconds.
    var ttft = 0.0
    var latency = 0.0
    var itl: [Double] = []
    /// Chunks with choices received before the request failed: 0 = it failed before its first token.
    var chunksBeforeFailure = 0
}
