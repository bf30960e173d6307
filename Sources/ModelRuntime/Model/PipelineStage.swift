/// The contiguous range of decoder layers one runner holds when several runners split one model replica
/// (pipeline parallelism, docs/architecture.md §4.8): the first stage also embeds the input ids, the last also
/// holds the final norm and the LM head and samples; every stage keeps the KV cache of its own layers only.
public struct PipelineStage: Sendable, Hashable, CustomStringConvertible {
    /// 0-based position in the pipeline.
    public let index: Int
    /// Stages in the pipeline.
    public let count: Int
    /// The decoder layers this stage holds.
    public let layers: Range<Int>
    public let numLayersTotal: Int

    public var isFirst: Bool { index == 0 }
    public var isLast: Bool { index == count - 1 }
    public var description: String { "stage \(index)/\(count) (layers \(layers.lowerBound)..<\(layers.upperBound))" }

    /// The whole model in one runner.
    public static func whole(numLayers: Int) -> PipelineStage {
        PipelineStage(index: 0, count: 1, layers: 0..<numLayers, numLayersTotal: numLayers)
    }

    private init(index: Int, count: Int, layers: Range<Int>, numLayersTotal: Int) {
        self.index = index
        self.count = count
        self.layers = layers
        self.numLayersTotal = numLayersTotal
    }

    /// Stage `index` of `count` over `numLayers` layers, split as vLLM's `get_pp_indices` does: every stage
    /// gets `numLayers / count` layers and the remainder goes one each to the stages before the last, from
    /// the second-to-last backwards (the last stage also runs the LM head).
    public init(index: Int, of count: Int, numLayers: Int) throws(ModelLoadError) {
        guard count >= 1, (0..<count).contains(index) else {
            throw .badConfig(path: "--pipeline-stage", reason: "stage \(index) of \(count) does not exist")
        }
        guard count <= numLayers else {
            throw .badConfig(
                path: "--pipeline-stage", reason: "\(count) stages cannot split \(numLayers) layers")
        }
        var sizes = [Int](repeating: numLayers / count, count: count)
        for i in 0..<(numLayers % count) { sizes[count - 2 - i] += 1 }
        let start = sizes[..<index].reduce(0, +)
        self.init(index: index, count: count, layers: start..<start + sizes[index], numLayersTotal: numLayers)
    }
}
