import Foundation
import Scheduling
import ServingCore

/// Replays a trace through the real scheduler with a scripted model and no runner (`apus sim`).
///
/// Synchronous scheduling (one step in flight). A request with `arrival_step` k is added just before the
/// k-th `schedule()` (steps from 0), in trace order; its position in the trace is its arrival time (priority
/// ties and priority victims go by it). A request that is still
/// prefilling after a step gets no token; every other scheduled request gets its next scripted token.
/// `min_tokens` is passed on but has no effect here: in vLLM 0.33 only the sampler enforces it.
///
/// Speculative decoding (`num_speculative_tokens` > 0): a request's scripted `draft_token_ids[j]` is proposed after
/// the j-th step that gave it tokens (as vLLM's engine does after each synchronous step); the fake model accepts the
/// longest run of drafts equal to its next scripted tokens and returns them plus one more token. Each line then also
/// has `"spec": {id: [drafts]}` (the verified drafts, −1 for padding) after `"scheduled"`, and
/// `"accepted": {id: n}` before `"kv_usage"`.
///
/// Each step yields one JSON line:
/// `{"step", "scheduled": {id: n}, "new": [ids], "resumed": [ids], "preempted": [ids in order],
/// "finished": {id: "stop"|"length"|"abort"}, "num_cached_tokens": {id: n} (first admissions),
/// "kv_usage", "free_blocks"}`, where `free_blocks` (after the step's update) includes evictable cached
/// blocks and `kv_usage = 1 − free_blocks / (num_gpu_blocks − 1)`. Replay stops once every request finished.
public enum TraceSimulator {
    public static let defaultMaxSteps = 100_000

    /// Decodes the trace JSON and returns the per-step lines.
    public static func run(traceJSON: Data) throws -> [String] {
        let trace = try JSONDecoder().decode(Trace.self, from: traceJSON)
        return try run(trace: trace)
    }

    public static func run(trace: Trace) throws -> [String] {
        let scheduler = try Scheduler(config: trace.config.schedulerConfig)
        let arrivals = trace.requests.enumerated().sorted { a, b in
            (a.element.arrivalStep, a.offset) < (b.element.arrivalStep, b.offset)
        }
        var script: [String: Trace.Request] = [:]
        for r in trace.requests {
            guard script.updateValue(r, forKey: r.requestID) == nil else {
                throw TraceError("duplicate request_id \(r.requestID)")
            }
        }
        var nextArrival = 0
        var lines: [String] = []
        let speculative = (trace.config.numSpeculativeTokens ?? 0) > 0
        var samplingSteps: [String: Int] = [:]
        let maxSteps = trace.maxSteps ?? defaultMaxSteps
        for step in 0..<maxSteps {
            while nextArrival < arrivals.count && arrivals[nextArrival].element.arrivalStep <= step {
                let (position, t) = arrivals[nextArrival]
                try scheduler.addRequest(
                    requestID: t.requestID, promptTokenIDs: t.promptTokenIDs, samplingParams: t.samplingParams,
                    eosTokenID: t.eosTokenID, priority: t.priority ?? 0,
                    lora: t.loraName.map { LoRARequest(name: $0, path: "/adapters/\($0)") }, arrival: position)
                nextArrival += 1
            }
            var finished: [(String, FinishReason)] = []
            let aborts = trace.requests.filter { $0.abortStep == step && scheduler.requests[$0.requestID] != nil }
            for t in aborts { finished.append((t.requestID, .abort)) }
            scheduler.finishRequests(aborts.map(\.requestID), status: .finishedAborted)
            if nextArrival == arrivals.count && scheduler.numUnfinishedRequests == 0 { break }

            let out = scheduler.schedule()
            let order = scheduler.scheduledRequests(stepID: out.stepID)
            var accepted: [(String, Int)] = []
            let sampled: [[TokenID]] = order.map { r in
                guard r.numComputedTokens >= r.numTokens, let t = script[r.requestID] else { return [] }
                let k0 = r.numOutputTokens
                let drafts = out.scheduledSpecDecodeTokens[r.requestID] ?? []
                var n = 0
                while n < drafts.count && drafts[n] == t.scriptedToken(k0 + n) { n += 1 }
                if !drafts.isEmpty { accepted.append((r.requestID, n)) }
                return (0...n).map { t.scriptedToken(k0 + $0) }
            }
            let result = ModelRunnerOutput(
                stepID: out.stepID, reqIDs: order.map(\.requestID), sampledTokenIDs: sampled)
            for o in scheduler.updateFromOutput(out, result) {
                if let reason = o.finishReason { finished.append((o.reqID, reason)) }
            }
            if speculative {
                var drafts: [String: [TokenID]] = [:]
                for (r, tokens) in zip(order, sampled) {
                    guard !tokens.isEmpty else {
                        drafts[r.requestID] = []
                        continue
                    }
                    let j = samplingSteps[r.requestID, default: 0]
                    samplingSteps[r.requestID] = j + 1
                    let script = script[r.requestID]?.draftTokenIDs ?? []
                    drafts[r.requestID] = j < script.count ? script[j] : []
                }
                scheduler.updateDraftTokenIDs(drafts)
            }
            lines.append(
                line(
                    step: step, out: out, order: order, finished: finished, scheduler: scheduler,
                    accepted: speculative ? accepted : nil))
        }
        return lines
    }

    static func line(
        step: Int, out: SchedulerOutput, order: [Request], finished: [(String, FinishReason)], scheduler: Scheduler,
        accepted: [(String, Int)]? = nil
    ) -> String {
        let resumed = out.scheduledCachedReqs.filter(\.resumed).map(\.reqID)
        let free = scheduler.kvCacheManager.numFreeBlocks
        let usage = 1.0 - Double(free) / Double(scheduler.config.numGPUBlocks - 1)
        var s = "{\"step\": \(step), \"scheduled\": "
        s += object(order.map { ($0.requestID, String(out.numScheduledTokens[$0.requestID]!)) })
        if accepted != nil {
            let spec = order.compactMap { r in
                out.scheduledSpecDecodeTokens[r.requestID].map {
                    (r.requestID, "[" + $0.map(String.init).joined(separator: ", ") + "]")
                }
            }
            s += ", \"spec\": " + object(spec)
        }
        s += ", \"new\": " + array(out.scheduledNewReqs.map(\.reqID))
        s += ", \"resumed\": " + array(resumed)
        s += ", \"preempted\": " + array(scheduler.lastPreemptedInOrder)
        s += ", \"finished\": " + object(finished.map { ($0.0, quoted($0.1.rawValue)) })
        s += ", \"num_cached_tokens\": " + object(out.scheduledNewReqs.map { ($0.reqID, String($0.numComputedTokens)) })
        if let accepted { s += ", \"accepted\": " + object(accepted.map { ($0.0, String($0.1)) }) }
        s += ", \"kv_usage\": \(usage), \"free_blocks\": \(free)}"
        return s
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { quoted($0.0) + ": " + $0.1 }.joined(separator: ", ") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }

    /// A JSON string literal.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
