import Dispatch
import Wire

/// The `Runner` RPC service: Describe, Profile, InitializeCache, Execute, Reset, over a `RunnerBackend`, and the
/// runner-to-runner KV transfer (ReadKV, LoadKV).
///
/// Every backend call runs on one serial dispatch queue — off the event loops and off Swift's cooperative pool,
/// which a forward pass would otherwise starve. Readiness (Health "" and "apus.v1.Runner") turns SERVING once the
/// KV cache is initialized; the weights are loaded before the service exists.
///
/// NOTE: KV transfers do not take that queue. A producer serves reads while it computes other prefills, and a
/// consumer's writes must not wait behind a decode step, so ReadKV and LoadKV copy on their own tasks, straight
/// between the frames and the cache buffers. That is safe because the engine-cores own the block ids: a producer
/// holds the blocks being read unchanged until the consumer is done, and a consumer writes only blocks no scheduled
/// request references, so no forward pass touches the same bytes. What a transfer does share with the queue is the
/// cache object, which `initializeCache` may replace: each transfer takes `backend.kvPages()` (a lock inside the
/// backend) and keeps that strong reference to the `KVCache` until it ends, so a replaced cache is freed only after
/// the last transfer using it (its writes then land in memory nobody reads). `reset` keeps the cache.
public final class RunnerService: Sendable {
    public let backend: any RunnerBackend
    public let health = HealthService(statuses: ["": .notServing, "apus.v1.Runner": .notServing])
    public let kvLoader: KVLoader
    private let queue = DispatchQueue(label: "apus.runner.backend")

    /// `kvLoader` dials producer runners for LoadKV (give it the service's auth token and TLS client settings).
    public init(backend: any RunnerBackend, kvLoader: KVLoader = KVLoader()) {
        self.backend = backend
        self.kvLoader = kvLoader
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

    private static func pages(_ backend: any RunnerBackend) throws -> KVPages {
        guard let pages = backend.kvPages() else {
            throw RPCError(.failedPrecondition, "the KV cache is not initialized (call InitializeCache first)")
        }
        return pages
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
        h.serverStreaming(RPCMethod.readKV) {
            (request: ApusV1.ReadKVRequest, _, writer: RPCStreamWriter<ApusV1.KVChunk>) in
            try await KVReader.stream(request, pages: try Self.pages(backend), to: writer)
        }
        h.unary(RPCMethod.loadKV) { [kvLoader] (request: ApusV1.LoadKVRequest, context) in
            try await kvLoader.load(request, pages: try Self.pages(backend), deadline: context.deadline)
        }
        h.merge(health.handlers)
        return h
    }
}
