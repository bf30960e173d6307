import Wire

/// The seam between the `Runner` RPC service and what computes: the real model runner or a scripted fake.
///
/// Calls arrive one at a time on the service's worker thread (never on an event loop), so implementations need
/// no locking of their own.
public protocol RunnerBackend: AnyObject, Sendable {
    func describe() -> ApusV1.RunnerDescription
    func profile(_ request: ApusV1.ProfileRequest) -> ApusV1.ProfileResult
    /// Returns the bytes allocated for the KV cache.
    func initializeCache(numBlocks: Int, blockSize: Int) throws -> UInt64
    /// One step; a step the backend cannot apply throws (RPC status INVALID_ARGUMENT) and leaves it usable.
    func execute(_ step: ApusV1.SchedulerOutput) throws -> ApusV1.ModelRunnerOutput
    /// Drops every request and the KV cache contents.
    func reset()
    /// True once the KV cache exists (readiness).
    var isCacheInitialized: Bool { get }
    /// The KV memory transfers read and write (ReadKV, LoadKV); nil until the cache exists.
    ///
    /// Unlike every other requirement, called from any thread while queue calls run: implementations keep the
    /// value behind a lock and replace it in `initializeCache`.
    func kvPages() -> KVPages?
}
