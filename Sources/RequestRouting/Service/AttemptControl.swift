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
/// a kill records the outcome and cancels the attempt's upstream task, and the handler reports that outcome
/// to the core (which decides retry or failure).
final class AttemptControl: Sendable {
    struct Kill: Sendable {
        var outcome: RequestOutcome
        var error: RPCError
    }

    private struct State {
        var engine: EngineID
        var started: UInt64
        var lastOutput: UInt64 = 0
        var gotOutput = false
        var kill: Kill?
        var task: Task<AttemptResult, Never>?
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

    /// Starts an attempt on `engine`; the previous attempt's kill is forgotten.
    func begin(on engine: EngineID, task: Task<AttemptResult, Never>, now: UInt64) {
        state.withLock { s in
            s.engine = engine
            s.started = now
            s.gotOutput = false
            s.kill = nil
            s.task = task
        }
    }

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
            guard s.kill == nil, engine == nil || s.engine == engine, let task = s.task else { return nil }
            s.kill = Kill(outcome: outcome, error: error)
            return task
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
            guard s.task != nil, s.kill == nil else { return (false, s.engine, false) }
            // NOTE: `now` may predate an attempt that began during this tick: never let the difference wrap.
            if s.gotOutput { return (now > s.lastOutput && now - s.lastOutput >= idle, s.engine, false) }
            return (now > s.started && now - s.started >= firstOutput, s.engine, true)
        }
        guard expired else { return }
        let what = waitedForFirst ? "no output within the first-token timeout" : "no output within the idle timeout"
        kill(.timedOut, RPCError(.deadlineExceeded, "engine \(engine): \(what)"), onlyOn: engine)
    }
}

/// Every routed request in flight, by request id (for aborts, timeouts and failing over hung engines).
final class ActiveRequests: Sendable {
    private let table = Mutex<[String: AttemptControl]>([:])

    func insert(_ control: AttemptControl) {
        table.withLock { $0[control.requestID] = control }
    }

    /// Removes `control` (only that object: a new request may already reuse the id).
    func remove(_ control: AttemptControl) {
        table.withLock {
            if $0[control.requestID] === control { $0[control.requestID] = nil }
        }
    }

    subscript(requestID: String) -> AttemptControl? { table.withLock { $0[requestID] } }

    var all: [AttemptControl] { table.withLock { Array($0.values) } }

    var count: Int { table.withLock { $0.count } }
}
