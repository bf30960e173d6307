import Dispatch
import Wire

/// The `Runner` RPC service: Describe, Profile, InitializeCache, Execute, Reset, over a `RunnerBackend`.
///
/// Every backend call runs on one serial dispatch queue — off the event loops and off Swift's cooperative pool,
/// which a forward pass would otherwise starve. Readiness (Health "" and "apus.v1.Runner") turns SERVING once the
/// KV cache is initialized; the weights are loaded before the service exists.
public final class RunnerService: Sendable {
    public let backend: any RunnerBackend
    public let health = HealthService(statuses: ["": .notServing, "apus.v1.Runner": .notServing])
    private let queue = DispatchQueue(label: "apus.runner.backend")

    public init(backend: any RunnerBackend) {
        self.backend = backend
        if backend.isCacheInitialized { markReady() }
    }

    private func markReady() {
        health.setStatus(.serving)
        health.setStatus(.serving, for: "apus.v1.Runner")
    }

    /// Runs `body` on the backend queue and resumes the caller with its result.
    private func onQueue<R: Sendable>(_ body: @escaping @Sendable () throws -> R) async throws -> R {
        try await withCheckedThrowingContinuation { c in
            queue.async { c.resume(with: Result { try body() }) }
        }
    }

    public var handlers: RPCHandlers {
        var h = RPCHandlers()
        let backend = self.backend
        h.unary(RPCMethod.describe) { [self] (_: ApusV1.DescribeRequest, _) in
            try await onQueue { backend.describe() }
        }
        h.unary(RPCMethod.profile) { [self] (request: ApusV1.ProfileRequest, _) in
            guard request.maxNumBatchedTokens > 0 else {
                throw RPCError(.invalidArgument, "max_num_batched_tokens must be positive")
            }
            return try await onQueue { backend.profile(request) }
        }
        h.unary(RPCMethod.initializeCache) { [self] (request: ApusV1.InitializeCacheRequest, _) in
            guard request.numBlocks > 1, request.blockSize > 0 else {
                throw RPCError(.invalidArgument, "num_blocks must be > 1 and block_size > 0, got \(request.numBlocks) and \(request.blockSize)")
            }
            let bytes = try await onQueue {
                try backend.initializeCache(numBlocks: Int(request.numBlocks), blockSize: Int(request.blockSize))
            }
            markReady()
            return ApusV1.InitializeCacheResponse(kvCacheBytes: bytes)
        }
        h.unary(RPCMethod.execute) { [self] (step: ApusV1.SchedulerOutput, _) in
            do {
                return try await onQueue {
                    // NOTE: UNAVAILABLE, not a refused step: a runner without a cache is a fresh process (the
                    // old one crashed between steps); the engine-core must recover, not fail the requests.
                    guard backend.isCacheInitialized else {
                        throw RPCError(.unavailable, "the KV cache is not initialized (a restarted runner?)")
                    }
                    return try backend.execute(step)
                }
            } catch let error as RPCError {
                throw error
            } catch {
                throw RPCError(.invalidArgument, "step \(step.stepID) rejected: \(error)")
            }
        }
        h.unary(RPCMethod.reset) { [self] (_: ApusV1.ResetRequest, _) in
            try await onQueue { backend.reset() }
            return ApusV1.ResetResponse()
        }
        h.merge(health.handlers)
        return h
    }
}
