import Synchronization
import Wire

/// Consumer side of a KV transfer (LoadKV): reads the named blocks from each producer runner with ReadKV and writes
/// them into this runner's cache (docs/disaggregation.md §3).
///
/// One long-lived `RPCClient` per producer address, made on first use; sources are read concurrently. With
/// `sharedMemory`, each read offers to map the producer's memory: a producer on this host whose cache is in a memory
/// file answers where it is, and the blocks are copied from a mapping of it (`KVMappings`, `KVSharedCopy`); when
/// the file cannot be mapped here, the read is sent again without the offer and streams over TCP.
public final class KVLoader: Sendable {
    public struct Options: Sendable {
        /// How this runner dials producers: its service's auth token and TLS client settings.
        public var client: RPCClient.Configuration
        /// The chunk size asked of producers; 0 leaves it to them.
        public var maxChunkBytes: Int = 0
        /// The time a LoadKV call gets when it came without a deadline: a stalled producer never hangs it forever.
        public var defaultTimeout: Duration = .seconds(60)
        /// Offer producers on this host to copy from their memory file (`--kv-transfer-shared-memory auto`).
        public var sharedMemory = true
        /// A producer's mapping unused this long is dropped; one whose memory failed to map is not offered again
        /// for as long.
        public var sharedMemoryIdle: Duration = .seconds(60)

        public init(client: RPCClient.Configuration = Options.defaultClient) {
            self.client = client
        }

        /// A runner's client settings: fast reconnects, as the engine-core's to its runners.
        public static var defaultClient: RPCClient.Configuration {
            var c = RPCClient.Configuration(service: "runner")
            c.initialBackoff = .milliseconds(50)
            c.maxBackoff = .milliseconds(500)
            return c
        }
    }

    public let options: Options
    private let clients = Mutex<[String: RPCClient]>([:])
    let mappings: KVMappings

    public init(options: Options = Options()) {
        self.options = options
        mappings = KVMappings(idle: options.sharedMemoryIdle)
    }

    private func client(_ read: KVLoadPlan.Read) -> RPCClient {
        clients.withLock { clients in
            if let c = clients[read.address] { return c }
            let c = RPCClient(host: read.host, port: read.port, configuration: options.client)
            clients[read.address] = c
            return c
        }
    }

    /// Pulls every source's blocks into `pages`; answers once all bytes are written. Statuses: INVALID_ARGUMENT for
    /// a request that cannot be served (nothing written), UNAVAILABLE for a producer unreachable or lost, the
    /// producer's own status for its refusal, DATA_LOSS for a stream that breaks the contract, DEADLINE_EXCEEDED.
    public func load(
        _ request: ApusV1.LoadKVRequest, pages: KVPages, deadline: ContinuousClock.Instant?
    ) async throws -> ApusV1.LoadKVResult {
        let start = ContinuousClock.now
        let plan = try KVLoadPlan(request, pages: pages, maxChunkBytes: options.maxChunkBytes)
        let deadline = deadline ?? start + options.defaultTimeout
        // NOTE: the reads end a little before the call's own deadline, so the caller learns which producer stalled
        // instead of the bare DEADLINE_EXCEEDED the RPC layer answers at the deadline itself.
        let readDeadline = deadline - min(.milliseconds(100), start.duration(to: deadline) / 10)
        mappings.sweep(now: start)
        let pulled = try await withThrowingTaskGroup(of: (bytes: Int, shared: Bool).self) { group in
            for read in plan.reads {
                group.addTask { try await self.pull(read, into: pages, localBlockIDs: plan.localBlockIDs, readDeadline) }
            }
            return try await group.reduce(into: [(bytes: Int, shared: Bool)]()) { $0.append($1) }
        }
        let elapsed = start.duration(to: .now).components
        return ApusV1.LoadKVResult(
            bytes: UInt64(pulled.reduce(0) { $0 + $1.bytes }), numBlocks: UInt32(plan.localBlockIDs.count),
            elapsedUS: UInt64(elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000),
            sharedMemorySources: UInt32(pulled.count { $0.shared }))
    }

    /// One source's blocks: through shared memory when offered, answered and mappable, else streamed.
    private func pull(
        _ read: KVLoadPlan.Read, into pages: KVPages, localBlockIDs: [Int], _ deadline: ContinuousClock.Instant
    ) async throws -> (bytes: Int, shared: Bool) {
        var read = read
        if options.sharedMemory, pages.cache != nil, let host = ApusV1.KVHostIdentity.current,
           mappings.shouldOffer(read.address, now: .now) {
            read.request.readerHost = host
        }
        do {
            let sink = try await stream(read, into: pages, localBlockIDs: localBlockIDs, deadline)
            guard let source = sink.sharedMemory else { return (sink.bytes, false) }
            do {
                let mapping = try mappings.mapping(source, address: read.address, now: .now)
                let bytes = try KVSharedCopy.copy(
                    mapping, layers: read.layers, remoteBlockIDs: read.request.blockIDs.map(Int.init),
                    localBlockIDs: localBlockIDs, pages: pages)
                return (bytes, true)
            } catch is KVMapping.Unavailable {
                // NOTE: another user, another container's /proc, a file replaced meanwhile: TCP always works.
                mappings.refuse(read.address, now: .now)
                read.request.readerHost = nil
                return (try await stream(read, into: pages, localBlockIDs: localBlockIDs, deadline).bytes, false)
            }
        } catch {
            throw Self.status(of: error, reading: read.address)
        }
    }

    /// Reads one ReadKV stream to its end into a sink: the bytes written, or the shared-memory answer.
    private func stream(
        _ read: KVLoadPlan.Read, into pages: KVPages, localBlockIDs: [Int], _ deadline: ContinuousClock.Instant
    ) async throws -> KVChunkSink {
        let timeout = ContinuousClock.now.duration(to: deadline)
        guard timeout > .zero else {
            throw RPCError(.deadlineExceeded, "deadline exceeded before reading from producer runner \(read.address)")
        }
        var sink = KVChunkSink(
            layers: read.layers, localBlockIDs: localBlockIDs, pages: pages,
            offeredSharedMemory: read.request.readerHost != nil)
        var stream: RPCEncodedResponseStream?
        do {
            stream = try await client(read).serverStreamEncoded(
                RPCMethod.readKV, read.request.encoded(), timeout: timeout)
            for try await payload in stream! {
                // NOTE: a cancelled LoadKV (its deadline, its caller gone) stops before the next chunk's copy.
                try Task.checkCancellation()
                try payload.withUnsafeBytes { try sink.write($0) }
            }
            try sink.finish()
        } catch {
            stream?.cancel(RPCError(.cancelled, "LoadKV stopped reading"))
            throw error
        }
        return sink
    }

    /// The status LoadKV answers for a failed read from the producer at `address`.
    static func status(of error: any Error, reading address: String) -> RPCError {
        let producer = "producer runner \(address)"
        switch error {
        case let e as KVChunkSink.Invalid: return RPCError(.dataLoss, "\(producer): \(e.message)")
        case is CancellationError: return RPCError(.cancelled, "LoadKV cancelled while reading from \(producer)")
        case let e as RPCError where e.code == .deadlineExceeded:
            return RPCError(.deadlineExceeded, "\(producer): \(e.message)")
        case let e as RPCError where e.origin == .transport: return RPCError(.unavailable, "\(producer): \(e.message)")
        case let e as RPCError: return RPCError(e.code, "\(producer): \(e.message)")
        default: return RPCError(.internal, "\(producer): \(error)")
        }
    }
}
