import CApusProto

extension ApusV1 {
    /// `apus.v1.BlockIDList`: the block ids of one KV cache group. Messages that carry one list per group
    /// expose them as `[[UInt32]]`; this struct exists for completeness and for the conversion helpers.
    public struct BlockIDList: Sendable, Equatable {
        public var blockIDs: [UInt32]
        public init(blockIDs: [UInt32] = []) { self.blockIDs = blockIDs }
    }
}

extension ApusV1.BlockIDList: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__block_idlist__init)

    func fill(_ c: inout Apus__V1__BlockIDList, in arena: CArena) {
        c.n_block_ids = blockIDs.count
        c.block_ids = arena.copy(blockIDs)
    }

    init(c: Apus__V1__BlockIDList) throws(WireDecodingError) {
        self.init(blockIDs: try CDecode.array(c.block_ids, c.n_block_ids, "BlockIDList.block_ids"))
    }

    /// `[[UInt32]]` (one list per KV cache group) as a repeated BlockIDList; each list is one memcpy.
    static func cLists(
        _ lists: [[UInt32]], in arena: CArena
    ) -> UnsafeMutablePointer<UnsafeMutablePointer<Apus__V1__BlockIDList>?>? {
        arena.messages(count: lists.count, descriptor: descriptor) { (c: inout Apus__V1__BlockIDList, i) in
            c.n_block_ids = lists[i].count
            c.block_ids = arena.copy(lists[i])
        }
    }

    /// A repeated BlockIDList as `[[UInt32]]`.
    static func lists(
        _ p: UnsafePointer<UnsafeMutablePointer<Apus__V1__BlockIDList>?>?, _ count: Int, _ field: StaticString
    ) throws(WireDecodingError) -> [[UInt32]] {
        try CDecode.each(p, count, field) { (c) throws(WireDecodingError) in
            try CDecode.array(c.block_ids, c.n_block_ids, field)
        }
    }
}
