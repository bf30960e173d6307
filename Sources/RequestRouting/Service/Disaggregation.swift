/// What a PD router keeps beside its decode pool: the prefill pool's service, the PD metrics, and the queue of
/// RELEASE calls for producers (docs/disaggregation.md §4).
///
/// The prefill pool is a `RouterService` of its own (membership, health, load, in-flight accounting, timeouts), run
/// by the decode pool's `run()` and never served on the wire; the decode pool's service serves every call.
final class Disaggregation: Sendable {
    /// A request whose blocks a producer may hold and nobody will pull.
    struct Release: Sendable {
        var requestID: String
        var producer: EngineID
        /// Abort the request on the producer first: its prefill leg may still be running there.
        var abortFirst: Bool
    }

    let prefill: RouterService
    let metrics: PDMetrics
    /// Sent by the decode pool's `run()`; a handler whose client went away cannot make calls itself.
    let releases: AsyncStream<Release>
    private let pending: AsyncStream<Release>.Continuation

    init(prefill: RouterService, metrics: PDMetrics) {
        self.prefill = prefill
        self.metrics = metrics
        (releases, pending) = AsyncStream.makeStream()
    }

    /// Queues `KVTransferControl(RELEASE, [requestID])` to `producer`, best effort, without waiting.
    func release(_ requestID: String, on producer: EngineID, abortFirst: Bool = false) {
        pending.yield(Release(requestID: requestID, producer: producer, abortFirst: abortFirst))
    }
}
