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

/// How a routed request's stream to the client ended, when it ended with outputs rather than an RPC error.
enum StreamEnd: Sendable, Equatable {
    /// The engine's stream ended with a finish reason other than ERROR.
    case completed
    /// The client aborted it between attempts; it got a final ABORT output.
    case aborted
    /// It failed after output was streamed, or the engine ended it with ERROR; it got a final ERROR output.
    case failed
}

/// The finish reason of a completed stream, reduced to what the router needs.
enum ServingFinish: Sendable, Equatable {
    case normal
    case error
}

/// The live state of one routed request, shared by its Generate handler and the tick loop.
///
/// The tick loop enforces first-output and idle timeouts and kills attempts on engines that hang or leave. Every
/// attempt runs in the handler's own task; a kill records the outcome and cancels the attempt's upstream call (its
/// stream then ends with the kill's error), and the handler reports that outcome to the core, which decides retry
/// or failure. The handler's task is never cancelled by the router: its cancellation means the client left.
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
        var running = false
        var kill: Kill?
        /// Cancels the running attempt's upstream call (nil until the call is made).
        var cancelCall: (@Sendable (RPCError) -> Void)?
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
    func begin(on engine: EngineID, now: UInt64) {
        state.withLock { s in
            s.engine = engine
            s.started = now
            s.gotOutput = false
            s.running = true
            s.kill = nil
            s.cancelCall = nil
        }
    }

    /// The attempt's upstream call is made: a kill cancels it from now on (at once when one came while it was
    /// being made).
    func attach(cancel: @escaping @Sendable (RPCError) -> Void) {
        let pending = state.withLock { s -> RPCError? in
            guard s.running else { return nil }
            s.cancelCall = cancel
            return s.kill?.error
        }
        if let pending { cancel(pending) }
    }

    /// The attempt is over: kills no longer reach it.
    func end() {
        state.withLock { s in
            s.running = false
            s.cancelCall = nil
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
        let cancel = state.withLock { s -> (@Sendable (RPCError) -> Void)? in
            guard s.running, s.kill == nil, engine == nil || s.engine == engine else { return nil }
            s.kill = Kill(outcome: outcome, error: error)
            return s.cancelCall
        }
        cancel?(error)
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
