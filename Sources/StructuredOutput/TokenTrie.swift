/// The vocabulary's tokens as a byte trie in depth-first preorder, so a walk is one forward loop over arrays and a
/// dead subtree is skipped with one jump (`subtreeEnd`).
struct TokenTrie: Sendable {
    /// Node 0 is the root (no byte); every other node is one byte deeper than its parent.
    private(set) var byte: [UInt8] = [0]
    private(set) var depth: [UInt16] = [0]
    /// One past the last node of this node's subtree.
    private(set) var subtreeEnd: [Int32] = [1]
    /// Tokens ending at a node: `tokenIDs[tokenStart[n] ..< tokenStart[n + 1]]`.
    private(set) var tokenStart: [Int32] = [0]
    private(set) var tokenIDs: [Int32] = []
    private(set) var maxDepth = 0
    /// The bytes of every node below this one (not its own), for accepting a whole subtree in one step.
    private(set) var descendantBytes: [ByteSet] = []
    /// For nodes whose subtree holds at least `denseSubtreeTokens` tokens: the index of their subtree's token mask in
    /// `denseMasks` (else -1), so accepting a big subtree is a word-wise OR instead of one store per token.
    private(set) var denseIndex: [Int32] = []
    private(set) var denseMasks: [[UInt32]] = []
    static let denseSubtreeTokens = 1024
    /// How many bytes the longest path below this node has.
    private(set) var height: [UInt16] = []

    var nodeCount: Int { byte.count }

    init(tokens: [(id: Int, bytes: [UInt8])]) {
        let sorted = tokens.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        var path: [Int] = [0]  // node index per depth along the current branch
        var pathBytes: [UInt8] = []
        for (id, token) in sorted {
            var common = 0
            while common < pathBytes.count, common < token.count, pathBytes[common] == token[common] { common += 1 }
            closeNodes(path: &path, pathBytes: &pathBytes, keeping: common)
            for index in common..<token.count {
                byte.append(token[index])
                depth.append(UInt16(index + 1))
                subtreeEnd.append(0)
                tokenStart.append(Int32(tokenIDs.count))
                path.append(byte.count - 1)
                pathBytes.append(token[index])
            }
            maxDepth = max(maxDepth, token.count)
            tokenIDs.append(Int32(id))
        }
        closeNodes(path: &path, pathBytes: &pathBytes, keeping: 0)
        subtreeEnd[0] = Int32(byte.count)
        tokenStart.append(Int32(tokenIDs.count))
        descendantBytes = Array(repeating: ByteSet(), count: byte.count)
        height = Array(repeating: 0, count: byte.count)
        // Children follow their parent in preorder, so a backwards pass sees every child before its parent.
        var parentAt = Array(repeating: 0, count: maxDepth + 1)
        var parent = Array(repeating: 0, count: byte.count)
        for node in 1..<byte.count {
            parentAt[Int(depth[node])] = node
            parent[node] = parentAt[Int(depth[node]) - 1]
        }
        denseIndex = Array(repeating: -1, count: byte.count)
        let words = ((tokens.map(\.id).max() ?? 0) + 32) / 32
        for node in 0..<byte.count {
            let range = Int(tokenStart[node])..<Int(tokenStart[Int(subtreeEnd[node])])
            guard range.count >= Self.denseSubtreeTokens else { continue }
            var mask = [UInt32](repeating: 0, count: words)
            for index in range { mask[Int(tokenIDs[index]) >> 5] |= 1 << UInt32(tokenIDs[index] & 31) }
            denseIndex[node] = Int32(denseMasks.count)
            denseMasks.append(mask)
        }
        for node in stride(from: byte.count - 1, through: 1, by: -1) {
            var set = descendantBytes[node]
            set.insert(byte[node])
            descendantBytes[parent[node]] = descendantBytes[parent[node]].union(set)
            height[parent[node]] = max(height[parent[node]], height[node] + 1)
        }
    }

    private mutating func closeNodes(path: inout [Int], pathBytes: inout [UInt8], keeping count: Int) {
        while pathBytes.count > count {
            subtreeEnd[path.removeLast()] = Int32(byte.count)
            pathBytes.removeLast()
        }
    }

    /// The arrays as raw buffers, for the mask walk's inner loop.
    struct Buffers {
        var count: Int
        var byte: UnsafeBufferPointer<UInt8>
        var depth: UnsafeBufferPointer<UInt16>
        var subtreeEnd: UnsafeBufferPointer<Int32>
        var tokenStart: UnsafeBufferPointer<Int32>
        var tokenIDs: UnsafeBufferPointer<Int32>
        var descendantBytes: UnsafeBufferPointer<ByteSet>
        var height: UnsafeBufferPointer<UInt16>
    }

    func withBuffers<R>(_ body: (Buffers) -> R) -> R {
        byte.withUnsafeBufferPointer { byte in
            depth.withUnsafeBufferPointer { depth in
                subtreeEnd.withUnsafeBufferPointer { subtreeEnd in
                    tokenStart.withUnsafeBufferPointer { tokenStart in
                        tokenIDs.withUnsafeBufferPointer { tokenIDs in
                            descendantBytes.withUnsafeBufferPointer { descendantBytes in
                                height.withUnsafeBufferPointer { height in
                                    body(
                                        Buffers(
                                            count: byte.count, byte: byte, depth: depth, subtreeEnd: subtreeEnd,
                                            tokenStart: tokenStart, tokenIDs: tokenIDs,
                                            descendantBytes: descendantBytes, height: height))
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Sets the bits of every token in `node`'s subtree (a word-wise OR for big subtrees).
    func addSubtree(_ node: Int, _ buffers: Buffers, into bits: UnsafeMutableBufferPointer<UInt32>) {
        let dense = denseIndex[node]
        if dense >= 0 {
            denseMasks[Int(dense)].withUnsafeBufferPointer { words in
                for index in 0..<words.count { bits[index] |= words[index] }
            }
            return
        }
        let end = Int(buffers.subtreeEnd[node])
        for index in Int(buffers.tokenStart[node])..<Int(buffers.tokenStart[end]) {
            let token = Int(buffers.tokenIDs[index])
            bits[token >> 5] |= 1 << UInt32(token & 31)
        }
    }
}
