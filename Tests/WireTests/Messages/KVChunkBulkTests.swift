import Testing

@testable import Wire

@Suite("KVChunk written from segments and read in place")
struct KVChunkBulkTests {
    static func write(layer: UInt32, offset: UInt32, blocks: UInt32, keys: [[UInt8]], values: [[UInt8]]) -> [UInt8] {
        let side = keys.reduce(0) { $0 + $1.count }
        let size = ApusV1.KVChunk.encodedSize(layer: layer, blockOffset: offset, numBlocks: blocks, sideBytes: side)
        // Segments as raw pointers into arrays kept alive for the write.
        let (k, v) = (keys.map(copy), values.map(copy))
        defer { (k + v).forEach { $0.deallocate() } }
        return [UInt8](unsafeUninitializedCapacity: size) { out, count in
            ApusV1.KVChunk.write(
                layer: layer, blockOffset: offset, numBlocks: blocks, keys: k, values: v,
                into: UnsafeMutableRawBufferPointer(out))
            count = size
        }
    }

    @Test("what write produces, protobuf-c decodes to the same chunk, and equals protobuf-c's own encoding")
    func writeMatchesProtobufC() throws {
        let keys: [[UInt8]] = [[1, 2, 3], [4, 5], Array(repeating: 9, count: 300)]
        let values: [[UInt8]] = [Array(repeating: 8, count: 305)]
        for (layer, offset, blocks) in [(0, 0, 1), (3, 200, 7), (UInt32.max, UInt32.max, UInt32.max)] as [(UInt32, UInt32, UInt32)] {
            let bytes = Self.write(layer: layer, offset: offset, blocks: blocks, keys: keys, values: values)
            let expected = ApusV1.KVChunk(
                layer: layer, blockOffset: offset, numBlocks: blocks, keys: keys.flatMap { $0 }, values: values[0])
            #expect(try ApusV1.KVChunk(decoding: bytes) == expected)
            #expect(bytes == expected.encoded())
        }
    }

    @Test("Fields finds the scalars and byte ranges of protobuf-c's encoding, and refuses malformed input")
    func fieldsReadInPlace() throws {
        let chunk = ApusV1.KVChunk(layer: 2, blockOffset: 5, numBlocks: 3, keys: [1, 2, 3, 4], values: [5, 6, 7, 8])
        let bytes = chunk.encoded() + [0x38, 0x01]  // an unknown field 7 is skipped
        let fields = try bytes.withUnsafeBytes { try ApusV1.KVChunk.Fields(parsing: $0) }
        #expect(fields.layer == 2 && fields.blockOffset == 5 && fields.numBlocks == 3 && fields.sharedMemory == nil)
        #expect(Array(bytes[fields.keys]) == [1, 2, 3, 4] && Array(bytes[fields.values]) == [5, 6, 7, 8])
        // A shared-memory answer: its message's range, decodable on its own.
        let shared = ApusV1.KVSharedMemory(pid: 7, fd: 12, inode: 99, size: 1 << 40, keyOffsets: [0, 64], valueOffsets: [128, 192])
        let answer = ApusV1.KVChunk(sharedMemory: shared).encoded()
        let range = try #require(try answer.withUnsafeBytes { try ApusV1.KVChunk.Fields(parsing: $0) }.sharedMemory)
        #expect(try ApusV1.KVSharedMemory(decoding: Array(answer[range])) == shared)
        for bad: [UInt8] in [[0x22, 0x05, 0x01], [0x08], [0x0A, 0x00], [0x18, 0x80, 0x80, 0x80, 0x80, 0x10], [0x00], [0x30, 0x01]] {
            #expect(throws: WireDecodingError.self, "\(bad)") { try bad.withUnsafeBytes { try ApusV1.KVChunk.Fields(parsing: $0) } }
        }
    }
}

/// A segment of memory outside any array, as the KV cache is; deallocate it after use.
private func copy(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
    let p = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
    p.copyBytes(from: bytes)
    return UnsafeRawBufferPointer(p)
}
