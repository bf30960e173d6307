import Foundation
import ServingCore
import Synchronization

/// The LoRA adapters the api serves by name (vLLM's `OpenAIServingModels.lora_requests`; docs/lora.md).
///
/// A request whose `model` is an adapter's name runs with that adapter: the api puts the adapter's name and path in
/// the upstream request, and the runners load it from the path (they keep no registry of their own). Adapters come
/// from `--lora-modules` at start and from `POST /v1/load_lora_adapter` when runtime updating is allowed. Each load
/// is checked by `validate` (the adapter's files against the model's shapes and the rank limit) before the name is
/// served, so a bad adapter is refused at load, not when the first request reaches a runner.
public final class LoRAAdapters: Sendable {
    /// One served adapter.
    public struct Adapter: Sendable, Equatable {
        public var name: String
        public var path: String
        /// The base model name `/v1/models` lists as its parent.
        public var parent: String
        public var created: Int
    }

    /// Checks an adapter directory; throws a message for the client on a bad adapter.
    public typealias Validator = @Sendable (_ path: String) throws -> Void

    /// nil when the engine has LoRA off: every load is refused, naming the flag.
    private let validate: Validator?
    private let state = Mutex<[String: Adapter]>([:])

    public init(validate: Validator?) {
        self.validate = validate
    }

    /// Whether the engine behind the api serves adapters at all.
    public var isEnabled: Bool { validate != nil }

    /// The adapter served as `name`, if any.
    public func adapter(named name: String) -> Adapter? { state.withLock { $0[name] } }

    /// Every served adapter, by name.
    public var all: [Adapter] { state.withLock { $0.values.sorted { $0.name < $1.name } } }

    /// Serves the adapter at `path` as `name` after validating it. `replace` (vLLM's `load_inplace`) allows a name
    /// that is already served; its prefix-cache blocks stay keyed by the name, as in vLLM.
    public func load(name: String, path: String, parent: String, replace: Bool = false) throws(LoRALoadFailure) {
        guard let validate else { throw .notEnabled }
        if !replace, adapter(named: name) != nil { throw .alreadyLoaded(name) }
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(name: name, path: path) }
        // NOTE: runners resolve the path in their own working directory; an absolute one means the same file.
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        do {
            try validate(path)
        } catch {
            throw .invalid(name: name, reason: String(describing: error))
        }
        let adapter = Adapter(name: name, path: path, parent: parent, created: Int(Date().timeIntervalSince1970))
        // NOTE: checked again under the lock: two loads of one name may both have passed the check above.
        let inserted = state.withLock { adapters in
            guard replace || adapters[name] == nil else { return false }
            adapters[name] = adapter
            return true
        }
        guard inserted else { throw .alreadyLoaded(name) }
    }

    /// Stops serving `name`; requests already running with it finish. Returns false when it was not served.
    public func unload(name: String) -> Bool { state.withLock { $0.removeValue(forKey: name) != nil } }
}

/// Why an adapter was not loaded.
public enum LoRALoadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case notEnabled
    case alreadyLoaded(String)
    case notFound(name: String, path: String)
    case invalid(name: String, reason: String)

    public var description: String {
        switch self {
        case .notEnabled:
            "LoRA is not enabled: start the engine-core and its runners with --enable-lora"
        case .alreadyLoaded(let name):
            "The lora adapter '\(name)' has already been loaded. If you want to load the adapter in place, set "
                + "'load_inplace' to True."
        case .notFound(let name, let path): "Loading lora \(name) failed: No adapter found for \(path)"
        case .invalid(let name, let reason): "Loading lora \(name) failed: \(reason)"
        }
    }

    /// The client-facing error: a missing adapter directory is 404 (vLLM's `LoRAAdapterNotFoundError`), the rest 400.
    var apiError: APIError {
        if case .notFound = self { return .notFound(description) }
        return .badRequest(description)
    }
}
