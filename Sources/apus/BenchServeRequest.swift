import Foundation

/// Builds the `/v1/completions` streaming request and reads its SSE response.
struct BenchServeRequest {
    var host: String
    var port: Int
    var path: String
    var model: String
    var apiKey: String?
    var timeout: Duration
    /// A JSON object whose fields are merged into every body (`--extra-body`), e.g. a `response_format`.
    var extraBody: String?

    /// The JSON body: prompt (ids or text), max_tokens, temperature 0, ignore_eos, stream with usage, and the
    /// fields of `extra` (a JSON object's text).
    static func body(model: String, prompt: BenchServeDataset.Prompt, extra: String? = nil) -> String {
        let extra = extra.flatMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] } ?? [:]
        var object: [String: Any] = [
            "model": model, "max_tokens": prompt.outputTokens, "temperature": 0.0, "ignore_eos": true,
            "stream": true, "stream_options": ["include_usage": true],
        ]
        object.merge(extra) { _, new in new }
        if let ids = prompt.tokenIDs { object["prompt"] = ids.map { Int($0) } } else { object["prompt"] = prompt.text ?? "" }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    func run(_ prompt: BenchServeDataset.Prompt) async -> BenchServeOutcome {
        var outcome = BenchServeOutcome()
        outcome.promptTokens = prompt.inputTokens
        var headers = [("Content-Type", "application/json"), ("Accept", "text/event-stream")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        let start = ContinuousClock.now
        do {
            let response = try await BenchHTTPClient.send(
                host: host, port: port, method: .POST, path: path, headers: headers,
                body: Self.body(model: model, prompt: prompt, extra: extraBody), timeout: timeout)
            guard response.status == 200 else {
                outcome.error = "HTTP \(response.status): \(response.body.prefix(300))"
                return outcome
            }
            Self.read(events: BenchSSEEvents.split(response.parts), start: start, into: &outcome)
        } catch {
            outcome.error = "\(error)"
        }
        return outcome
    }

    static func read(events: [BenchSSEEvents.Event], start: ContinuousClock.Instant, into outcome: inout BenchServeOutcome) {
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var last: ContinuousClock.Instant?
        var chunks = 0
        var usageTokens: Int?
        var done = false
        for event in events {
            if event.data == "[DONE]" {
                done = true
                continue
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any]
            else { continue }
            if let error = object["error"] {
                outcome.error = "error event: \(error)"
                outcome.chunksBeforeFailure = chunks
                return
            }
            if let choices = object["choices"] as? [Any], !choices.isEmpty {
                if let previous = last {
                    outcome.itl.append(seconds(event.at - previous))
                } else {
                    outcome.ttft = seconds(event.at - start)
                }
                last = event.at
                chunks += 1
            }
            if let usage = object["usage"] as? [String: Any], let tokens = usage["completion_tokens"] as? Int {
                usageTokens = tokens
            }
        }
        outcome.latency = seconds((events.last?.at ?? start) - start)
        outcome.outputTokens = usageTokens ?? chunks
        if !done {
            outcome.error = "the stream ended without data: [DONE]"
            outcome.chunksBeforeFailure = chunks
        } else if chunks == 0 {
            outcome.error = "the stream carried no choices"
        } else {
            outcome.success = true
        }
    }
}
