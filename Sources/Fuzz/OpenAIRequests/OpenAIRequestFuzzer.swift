import APIServer
import Dispatch
import FuzzSupport
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOEmbedded
import Synchronization

/// Fuzzes the OpenAI request bodies through the api's own router, in process (no socket; the way Hummingbird's
/// router tests drive it): `POST /v1/completions`, `/v1/chat/completions` (messages, tools, tool_choice,
/// response_format, structured_outputs, logprobs, stream…), `/tokenize` and `/detokenize`, against a scripted
/// upstream (`ScriptedEngine`).
///
/// Byte 0 picks the route (bits 0–1), the scripted output (bits 2–3) and the server's tool-call parser (bits 4–5:
/// none, hermes, llama3_json, mistral); the rest is the body. Any response is fine except a 5xx (or an
/// InternalServerError event inside a stream): malformed input must be a client error.
@main
enum OpenAIRequestFuzzer {
    static func main() {
        let chat = Array(#"{"messages": [{"role": "user", "content": "Hi"}]}"#.utf8)
        let warmUp = (0..<16).map { [UInt8($0 << 2 | 1)] + chat } + [
            [0] + Array(#"{"prompt": "Hi"}"#.utf8), [2] + Array(#"{"prompt": "Hi"}"#.utf8),
            [3] + Array(#"{"tokens": [1, 2]}"#.utf8),
        ]
        LibFuzzer.run(warmUp: warmUp, fuzzOne)
    }

    static let routes = ["/v1/completions", "/v1/chat/completions", "/tokenize", "/detokenize"]

    static func fuzzOne(_ raw: UnsafeRawBufferPointer) {
        var input = FuzzInput(raw)
        let choice = Int(input.byte())
        let route = routes[choice & 3]
        let responder = FuzzedAPI.responders[(choice >> 4 & 3) * ScriptedEngine.scripts.count + (choice >> 2 & 3)]
        let body = Array(input.rest())
        let (status, text) = send(route, body, to: responder)
        guard status < 500, !text.contains("InternalServerError") else {
            fuzzFailure("\(route) answered \(status): \(text)")
        }
    }

    /// Runs one request to completion on the concurrency pool while the fuzzer's thread waits.
    static func send(
        _ route: String, _ body: [UInt8], to responder: RouterResponder<APIRequestContext>
    ) -> (Int, String) {
        let result = Mutex<(Int, String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let answer = await FuzzedAPI.respond(responder, route: route, body: body)
            result.withLock { $0 = answer }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}
