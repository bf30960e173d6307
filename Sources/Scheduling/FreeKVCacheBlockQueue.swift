/// The intrusive doubly-linked list of free blocks, in eviction order: the head is evicted first.
///
/// We implement this instead of using a deque to remove a block from the middle in O(1) (a prefix-cache hit
/// on an evictable block) with no allocation: `prev`/`next` are indexed by block id, with two sentinel ids
/// past the real blocks. Starts as every non-null block in id order.
public struct FreeKVCacheBlockQueue: Sendable {
    private var next: [Int32]
    private var prev: [Int32]
    private let headSentinel: Int32
    private let tailSentinel: Int32
    /// Always equals the list length.
    public private(set) var numFreeBlocks: Int = 0

    /// A queue over ids `0..<numBlocks` holding `initialBlocks` in that order.
    public init(numBlocks: Int, initialBlocks: some Sequence<Int>) {
        next = Array(repeating: -1, count: numBlocks + 2)
        prev = Array(repeating: -1, count: numBlocks + 2)
        headSentinel = Int32(numBlocks)
        tailSentinel = Int32(numBlocks + 1)
        next[Int(headSentinel)] = tailSentinel
        prev[Int(tailSentinel)] = headSentinel
        for b in initialBlocks { append(b) }
    }

    public var isEmpty: Bool { numFreeBlocks == 0 }

    /// The block that would be evicted next.
    public var first: Int? { isEmpty ? nil : Int(next[Int(headSentinel)]) }

    /// Removes and returns the head.
    public mutating func popFirst() -> Int {
        precondition(numFreeBlocks > 0, "no free blocks")
        let b = Int(next[Int(headSentinel)])
        remove(b)
        return b
    }

    /// Removes and returns the first `n` blocks, head first.
    public mutating func popFirst(_ n: Int) -> [Int] {
        precondition(n <= numFreeBlocks, "asked for \(n) free blocks, have \(numFreeBlocks)")
        var out: [Int] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(popFirst()) }
        return out
    }

    /// Unlinks a block from anywhere in the list.
    public mutating func remove(_ block: Int) {
        let p = prev[block]
        let n = next[block]
        precondition(p >= 0 && n >= 0, "block \(block) is not in the free queue")
        next[Int(p)] = n
        prev[Int(n)] = p
        prev[block] = -1
        next[block] = -1
        numFreeBlocks -= 1
    }

    /// Links a block at the tail (evicted last).
    public mutating func append(_ block: Int) {
        precondition(prev[block] < 0 && next[block] < 0, "block \(block) is already free")
        let last = prev[Int(tailSentinel)]
        link(block, after: last, before: tailSentinel)
    }

    /// Links blocks at the head so that `blocks[0]` becomes the new head (reused first).
    public mutating func prepend(_ blocks: some Collection<Int>) {
        var after = headSentinel
        let before = next[Int(headSentinel)]
        for b in blocks {
            precondition(prev[b] < 0 && next[b] < 0, "block \(b) is already free")
            link(b, after: after, before: before)
            after = Int32(b)
        }
    }

    /// True when the block is linked in the list.
    public func contains(_ block: Int) -> Bool { prev[block] >= 0 }

    /// The block ids from head to tail (allocates; for tests and invariant checks).
    public var blockIDs: [Int] {
        var out: [Int] = []
        var b = next[Int(headSentinel)]
        while b != tailSentinel {
            out.append(Int(b))
            b = next[Int(b)]
        }
        return out
    }

    /// The ids from tail to head, to check the back links.
    var blockIDsBackwards: [Int] {
        var out: [Int] = []
        var b = prev[Int(tailSentinel)]
        while b != headSentinel {
            out.append(Int(b))
            b = prev[Int(b)]
        }
        return out
    }

    private mutating func link(_ block: Int, after p: Int32, before n: Int32) {
        let b = Int32(block)
        next[Int(p)] = b
        prev[block] = p
        next[block] = n
        prev[Int(n)] = b
        numFreeBlocks += 1
    }
}
