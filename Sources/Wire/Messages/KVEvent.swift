import CApusProto

extension ApusV1 {
    /// `apus.v1.KVEvent`: blocks stored in or removed from an engine's prefix cache, or the cache cleared.
    public struct KVEvent: Sendable, Equatable {
        public var seq: UInt64
        public var kind: KVEventKind
        /// 32-byte SHA-256 chained block hashes.
        public var blockHashes: [[UInt8]]
        /// STORED: the hash of the block before the first one here (empty for block 0).
        public var parentBlockHash: [UInt8]
        public var blockSize: UInt32
        public var loraName: String

        public init(
            seq: UInt64 = 0, kind: KVEventKind = .unspecified, blockHashes: [[UInt8]] = [],
            parentBlockHash: [UInt8] = [], blockSize: UInt32 = 0, loraName: String = ""
        ) {
            self.seq = seq
            self.kind = kind
            self.blockHashes = blockHashes
            self.parentBlockHash = parentBlockHash
            self.blockSize = blockSize
            self.loraName = loraName
        }
    }

    /// `apus.v1.KVEventBatch`: one message of the `SubscribeKVEvents` stream.
    public struct KVEventBatch: Sendable, Equatable {
        public var engineID: String
        public var events: [KVEvent]

        public init(engineID: String = "", events: [KVEvent] = []) {
            self.engineID = engineID
            self.events = events
        }
    }
}

extension ApusV1.KVEvent: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__kvevent__init)

    func fill(_ c: inout Apus__V1__KVEvent, in arena: CArena) {
        c.seq = seq
        c.kind = kind.cEnum()
        c.n_block_hashes = blockHashes.count
        c.block_hashes = arena.binaries(blockHashes)
        c.parent_block_hash = arena.binary(parentBlockHash)
        c.block_size = blockSize
        c.lora_name = arena.cString(loraName)
    }

    init(c: Apus__V1__KVEvent) throws(WireDecodingError) {
        self.init(
            seq: c.seq, kind: ApusV1.KVEventKind(cEnum: c.kind),
            blockHashes: try CDecode.bytesList(c.block_hashes, c.n_block_hashes, "KVEvent.block_hashes"),
            parentBlockHash: CDecode.bytes(c.parent_block_hash), blockSize: c.block_size,
            loraName: try CDecode.string(c.lora_name, "KVEvent.lora_name"))
    }
}

extension ApusV1.KVEventBatch: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__kvevent_batch__init)

    func fill(_ c: inout Apus__V1__KVEventBatch, in arena: CArena) {
        c.engine_id = arena.cString(engineID)
        c.n_events = events.count
        c.events = arena.messages(events)
    }

    init(c: Apus__V1__KVEventBatch) throws(WireDecodingError) {
        self.init(
            engineID: try CDecode.string(c.engine_id, "KVEventBatch.engine_id"),
            events: try CDecode.messages(c.events, c.n_events, "KVEventBatch.events"))
    }
}
