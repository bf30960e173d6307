import Foundation

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
}

/// Builds the `/v1/completions` streaming request and reads its SSE response.
struct BenchServeRequest {
    var host: String
    var port: Int
    var path: String
    var model: String
    var apiKey: String?
    var timeout: Duration

    /// The JSON body: prompt (ids or text), max_tokens, temperature 0, ignore_eos, stream with usage.
    static func body(model: String, prompt: BenchServeDataset.Prompt) -> String {
        var object: [String: Any] = [
            "model": model, "max_tokens": prompt.outputTokens, "temperature": 0.0, "ignore_eos": true,
            "stream": true, "stream_options": ["include_usage": true],
        ]
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
                body: Self.body(model: model, prompt: prompt), timeout: timeout)
            guard response.status == 200 else {
                outcome.error = "HTTP \(response.status): \(response.body.prefix(300))"
                return outcome
            }
            Self.read(events: SSEEvents.split(response.parts), start: start, into: &outcome)
        } catch {
            outcome.error = "\(error)"
        }
        return outcome
    }

    static func read(events: [SSEEvents.Event], start: ContinuousClock.Instant, into outcome: inout BenchServeOutcome) {
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
        } else if chunks == 0 {
            outcome.error = "the stream carried no choices"
        } else {
            outcome.success = true
        }
    }
}

/// Splits a server-sent-event body into events, each stamped with the arrival of the read that completed it.
enum SSEEvents {
    struct Event {
        var at: ContinuousClock.Instant
        /// The event's `data:` lines joined by "\n".
        var data: String
    }

    static func split(_ parts: [BenchHTTPClient.Response.Part]) -> [Event] {
        var events: [Event] = []
        var pending: [UInt8] = []
        for part in parts {
            pending.append(contentsOf: part.bytes.readableBytesView)
            var start = 0
            var i = 0
            while i < pending.count {
                // An event ends at a blank line: "\n\n" (or "\r\n\r\n", whose last 3 bytes are "\n\r\n").
                if pending[i] == UInt8(ascii: "\n"), i + 1 < pending.count,
                   pending[i + 1] == UInt8(ascii: "\n")
                    || (pending[i + 1] == UInt8(ascii: "\r") && i + 2 < pending.count
                        && pending[i + 2] == UInt8(ascii: "\n"))
                {
                    let end = pending[i + 1] == UInt8(ascii: "\n") ? i + 2 : i + 3
                    if let data = Self.data(pending[start..<i]) { events.append(Event(at: part.at, data: data)) }
                    start = end
                    i = end
                    continue
                }
                i += 1
            }
            pending.removeFirst(start)
        }
        if let data = Self.data(pending[...]) { events.append(Event(at: parts.last?.at ?? .now, data: data)) }
        return events
    }

    /// The `data:` payload of one event's lines, nil when it has none (comments, keep-alives).
    static func data(_ bytes: ArraySlice<UInt8>) -> String? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let data = lines.compactMap { line -> Substring? in
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            guard line.hasPrefix("data:") else { return nil }
            let value = line.dropFirst(5)
            return value.hasPrefix(" ") ? value.dropFirst() : value
        }
        return data.isEmpty ? nil : data.joined(separator: "\n")
    }
}
