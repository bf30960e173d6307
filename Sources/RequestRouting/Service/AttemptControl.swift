import Synchronization
import Wire

/// How one upstream attempt of a routed Generate ended.
enum AttemptResult: Sendable {
    /// The engine's stream ended with a finish reason (every output was forwarded).
    case finished(ServingFinish)
    /// The upstream call failed; `outcome` is how it counts for retries and health.
    case failed(RequestOutcome, RPCError)
    /// The client went away (its call was cancelled, or a send to it failed).
    case clientGone
}

/// The finish reason of a completed stream, reduced to what the router needs.
enum ServingFinish: Sendable, Equatable {
    case normal
    case error
}

/// The live state of one routed request, shared by its Generate handler and the tick loop.
///
/// The tick loop enforces first-output and idle timeouts and kills attempts on engines that hang or leave;
/// a kill records the outcome and cancels the task running the attempt, and the handler reports that outcome
/// to the core (which decides retry or failure). The first attempt runs inline in the handler's own task (no
/// task hop on the request path); a kill cancels that task for good, so later attempts run in tasks of their own.
final class AttemptControl: Sendable {
    struct Kill: Sendable {
        var outcome: RequestOutcome
        var error: RPCError
    }

    /// The handler's task while it runs an attempt inline.
    /// NOTE: @unchecked: only `cancel()` is used from other threads (safe per `UnsafeCurrentTask`), always under the
    /// lock and only between `beginInline` and `end`, while the task certainly runs.
    private struct Handler: @unchecked Sendable {
        let task: UnsafeCurrentTask
    }

    private struct State {
        var engine: EngineID
        var started: UInt64
        var lastOutput: UInt64 = 0
        var gotOutput = false
        var running = false
        var kill: Kill?
        var task: Task<AttemptResult, Never>?
        var handler: Handler?
        var handlerCancelled = false
        var clientAborted = false
        var forwarded = false
    }

    let requestID: String
    private let state: Mutex<State>

    init(requestID: String, engine: EngineID, now: UInt64) {
        self.requestID = requestID
        self.state = Mutex(State(engine: engine, started: now))
    }

    var engine: EngineID { state.withLock { $0.engine } }

    /// Starts an attempt on `engine` run by `task`; the previous attempt's kill is forgotten.
    func begin(on engine: EngineID, task: Task<AttemptResult, Never>, now: UInt64) {
        start(on: engine, now: now, task: task, handler: nil)
    }

    /// Starts an attempt on `engine` run inline by the calling task (which a kill will cancel).
    func beginInline(on engine: EngineID, now: UInt64) {
        let handler = withUnsafeCurrentTask { $0.map(Handler.init) }
        start(on: engine, now: now, task: nil, handler: handler)
    }

    private func start(on engine: EngineID, now: UInt64, task: Task<AttemptResult, Never>?, handler: Handler?) {
        state.withLock { s in
            s.engine = engine
            s.started = now
            s.gotOutput = false
            s.running = true
            s.kill = nil
            s.task = task
            s.handler = handler
        }
    }

    /// The attempt is over: kills no longer reach it.
    func end() {
        state.withLock { s in
            s.running = false
            s.task = nil
            s.handler = nil
        }
    }

    /// Whether a kill cancelled the handler's own task (then its cancellation does not mean the client left).
    var handlerCancelled: Bool { state.withLock { $0.handlerCancelled } }

    /// An output arrived from the engine at `now`; returns true for the request's first output ever.
    func touch(now: UInt64) -> Bool {
        state.withLock { s in
            s.lastOutput = now
            s.gotOutput = true
            defer { s.forwarded = true }
            return !s.forwarded
        }
    }

    /// Whether any output of this request was forwarded to the client (then it is never retried).
    var forwarded: Bool { state.withLock { $0.forwarded } }

    /// Ends the current attempt with `outcome` when it still runs on `engine` (nil: any engine).
    func kill(_ outcome: RequestOutcome, _ error: RPCError, onlyOn engine: EngineID? = nil) {
        let task = state.withLock { s -> Task<AttemptResult, Never>? in
            guard s.running, s.kill == nil, engine == nil || s.engine == engine else { return nil }
            s.kill = Kill(outcome: outcome, error: error)
            if let handler = s.handler {
                s.handlerCancelled = true
                handler.task.cancel()
            }
            return s.task
        }
        task?.cancel()
    }

    /// The kill that ended the current attempt, if any.
    var killed: Kill? { state.withLock { $0.kill } }

    /// The client (api) aborted this request: never retry it.
    func markClientAborted() { state.withLock { $0.clientAborted = true } }
    var clientAborted: Bool { state.withLock { $0.clientAborted } }

    /// Kills the attempt when it has waited too long for its first output or between outputs.
    func enforceTimeouts(now: UInt64, firstOutput: UInt64, idle: UInt64) {
        let (expired, engine, waitedForFirst) = state.withLock { s -> (Bool, EngineID, Bool) in
            guard s.running, s.kill == nil else { return (false, s.engine, false) }
            // NOTE: `now` may predate an attempt that began during this tick: never let the difference wrap.
            if s.gotOutput { return (now > s.lastOutput && now - s.lastOutput >= idle, s.engine, false) }
            return (now > s.started && now - s.started >= firstOutput, s.engine, true)
        }
        guard expired else { return }
        let what = waitedForFirst ? "no output within the first-token timeout" : "no output within the idle timeout"
        kill(.timedOut, RPCError(.deadlineExceeded, "engine \(engine): \(what)"), onlyOn: engine)
    }
}
