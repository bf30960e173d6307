/// `apus.v1.KVChunk` written and read without moving its K/V bytes through `[UInt8]`s: a producer gathers the blocks
/// from its cache straight into the frame (`write`), a consumer reads the byte ranges out of the received payload
/// (`Fields`) and copies them once into its cache. The encoding is the one protobuf-c writes and reads (field order,
/// proto3 defaults omitted), so either side may also use `ApusV1.KVChunk`.
extension ApusV1.KVChunk {
    /// Field keys: (number << 3) | wire type.
    private static let layerKey: UInt8 = 0x08
    private static let blockOffsetKey: UInt8 = 0x10
    private static let numBlocksKey: UInt8 = 0x18
    private static let keysKey: UInt8 = 0x22
    private static let valuesKey: UInt8 = 0x2A

    /// Bytes of a chunk whose keys and values are `sideBytes` long each.
    public static func encodedSize(layer: UInt32, blockOffset: UInt32, numBlocks: UInt32, sideBytes: Int) -> Int {
        func scalar(_ v: UInt32) -> Int { v == 0 ? 0 : 1 + FrameEncoder.varintSize(UInt64(v)) }
        func bytes(_ n: Int) -> Int { n == 0 ? 0 : 1 + FrameEncoder.varintSize(UInt64(n)) + n }
        return scalar(layer) + scalar(blockOffset) + scalar(numBlocks) + 2 * bytes(sideBytes)
    }

    /// Encodes a chunk into `out`, which must be exactly `encodedSize` long: `keys` is the concatenation of its
    /// segments (one per run of blocks in the cache), `values` likewise; both must add up to the same length.
    public static func write(
        layer: UInt32, blockOffset: UInt32, numBlocks: UInt32, keys: [UnsafeRawBufferPointer],
        values: [UnsafeRawBufferPointer], into out: UnsafeMutableRawBufferPointer
    ) {
        let sideBytes = keys.reduce(0) { $0 + $1.count }
        precondition(values.reduce(0) { $0 + $1.count } == sideBytes, "keys and values differ in length")
        precondition(
            out.count == encodedSize(layer: layer, blockOffset: blockOffset, numBlocks: numBlocks, sideBytes: sideBytes),
            "output region of \(out.count) bytes does not fit the chunk")
        let base = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var n = 0
        func scalar(_ key: UInt8, _ v: UInt32) {
            guard v != 0 else { return }
            base[n] = key
            n += 1 + FrameEncoder.writeVarint(UInt64(v), to: base + n + 1)
        }
        func bytes(_ key: UInt8, _ segments: [UnsafeRawBufferPointer]) {
            guard sideBytes != 0 else { return }
            base[n] = key
            n += 1 + FrameEncoder.writeVarint(UInt64(sideBytes), to: base + n + 1)
            for segment in segments where !segment.isEmpty {
                UnsafeMutableRawPointer(base + n).copyMemory(from: segment.baseAddress!, byteCount: segment.count)
                n += segment.count
            }
        }
        scalar(layerKey, layer)
        scalar(blockOffsetKey, blockOffset)
        scalar(numBlocksKey, numBlocks)
        bytes(keysKey, keys)
        bytes(valuesKey, values)
    }

    /// A chunk's scalar fields and where its keys and values lie in the payload it was read from.
    public struct Fields: Sendable, Equatable {
        public var layer: UInt32 = 0
        public var blockOffset: UInt32 = 0
        public var numBlocks: UInt32 = 0
        public var keys: Range<Int> = 0..<0
        public var values: Range<Int> = 0..<0
        /// Where the encoded `shared_memory` message lies, when the chunk has one.
        public var sharedMemory: Range<Int>?

        /// Reads the fields of an encoded chunk; bounds are checked, unknown fields skipped, and a value out of
        /// uint32 range or of the wrong wire type throws. Nothing is copied.
        public init(parsing raw: UnsafeRawBufferPointer) throws(WireDecodingError) {
            var reader = ProtobufFieldReader(raw)
            func uint32(_ v: UInt64, _ name: String) throws(WireDecodingError) -> UInt32 {
                guard let value = UInt32(exactly: v) else {
                    throw WireDecodingError("KVChunk.\(name) \(v) is out of range")
                }
                return value
            }
            while let (field, type) = try reader.nextField() {
                switch (field, type) {
                case (1, .varint): layer = try uint32(try reader.varint(), "layer")
                case (2, .varint): blockOffset = try uint32(try reader.varint(), "block_offset")
                case (3, .varint): numBlocks = try uint32(try reader.varint(), "num_blocks")
                case (4, .lengthDelimited): keys = try reader.lengthDelimited()
                case (5, .lengthDelimited): values = try reader.lengthDelimited()
                case (6, .lengthDelimited): sharedMemory = try reader.lengthDelimited()
                case (1...6, _): throw WireDecodingError("KVChunk field \(field) has wire type \(type.rawValue)")
                default: try reader.skip(type)
                }
            }
        }
    }
}
