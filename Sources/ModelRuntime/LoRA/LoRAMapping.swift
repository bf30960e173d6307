/// Which token rows of one forward pass run with which adapter (vLLM's `LoRAMapping`, grouped as punica's wrapper
/// groups it): rows of one adapter together, so each adapter's A and B are read once per linear layer and step
/// however many of its rows the batch holds. Rows without an adapter take the base model alone.
///
/// Owns the scratch of the shrink output; one mapping serves one forward pass at a time.
public final class LoRAMapping {
    struct Group {
        let adapter: LoRAAdapter
        /// Where its ascending row indices start in `rowIndices`, and how many.
        let start: Int
        let count: Int
    }

    let groups: [Group]
    let numTokens: Int
    /// The rows of every group, group after group (Int32: the kernels' row lists).
    let rowIndices: [Int32]
    /// Shrink outputs of one `apply`, `rows × rank` per part (grown as needed).
    var scratch = FloatBuffer(count: 0)

    /// `rowAdapters[t]` is token row `t`'s adapter, nil for the base model; groups follow the order in which the
    /// adapters first appear. Adapters are told apart by identity (the runner holds one object per adapter).
    public init(rowAdapters: [LoRAAdapter?]) {
        var order: [ObjectIdentifier] = []
        var rows: [ObjectIdentifier: (adapter: LoRAAdapter, rows: [Int32])] = [:]
        for (t, adapter) in rowAdapters.enumerated() {
            guard let adapter else { continue }
            let id = ObjectIdentifier(adapter)
            if rows[id] == nil {
                order.append(id)
                rows[id] = (adapter, [])
            }
            rows[id]!.rows.append(Int32(t))
        }
        var indices: [Int32] = []
        groups = order.map { id in
            let (adapter, list) = rows[id]!
            defer { indices += list }
            return Group(adapter: adapter, start: indices.count, count: list.count)
        }
        rowIndices = indices
        numTokens = rowAdapters.count
    }

    /// True when no row has an adapter (the forward pass then runs exactly as without a mapping).
    public var isEmpty: Bool { groups.isEmpty }

    /// The distinct adapters, in group order.
    public var adapters: [LoRAAdapter] { groups.map(\.adapter) }

    /// Grows the scratch to `floats`.
    func reserveScratch(_ floats: Int) {
        if floats > scratch.count { scratch = FloatBuffer(count: floats, zeroed: false) }
    }
}
