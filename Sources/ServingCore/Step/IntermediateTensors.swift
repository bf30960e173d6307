/// Hidden states passed from one pipeline stage to the next (vLLM `IntermediateTensors`; docs/architecture.md
/// §4.8): one row of `hiddenSize` floats per scheduled token, the rows of each request contiguous and the requests
/// in `reqIDs` order.
public struct IntermediateTensors: Sendable, Hashable {
    public var reqIDs: [String]
    /// Rows per request, parallel to `reqIDs`.
    public var numTokens: [Int]
    public var hiddenSize: Int
    public var values: [Float]

    public init(reqIDs: [String], numTokens: [Int], hiddenSize: Int, values: [Float]) {
        self.reqIDs = reqIDs
        self.numTokens = numTokens
        self.hiddenSize = hiddenSize
        self.values = values
    }

    /// Where each request's rows start, in rows.
    public var rowOffsets: [String: Int] {
        var offsets: [String: Int] = [:]
        var next = 0
        for (id, n) in zip(reqIDs, numTokens) {
            offsets[id] = next
            next += n
        }
        return offsets
    }
}
