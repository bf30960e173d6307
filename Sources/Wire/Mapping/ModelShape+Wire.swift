import ServingCore

extension ApusV1.ModelShape {
    public init(_ s: ModelShape) {
        self.init(
            numLayers: UInt32(s.numLayers), hiddenSize: UInt32(s.hiddenSize),
            intermediateSize: UInt32(s.intermediateSize), qSize: UInt32(s.qSize), kvSize: UInt32(s.kvSize))
    }
}

extension ModelShape {
    /// Nil when the message carries no shape (a peer that predates it, or a scripted runner).
    public init?(_ m: ApusV1.ModelShape?) {
        guard let m, m.numLayers > 0, m.hiddenSize > 0 else { return nil }
        self.init(
            numLayers: Int(m.numLayers), hiddenSize: Int(m.hiddenSize), intermediateSize: Int(m.intermediateSize),
            qSize: Int(m.qSize), kvSize: Int(m.kvSize))
    }
}
