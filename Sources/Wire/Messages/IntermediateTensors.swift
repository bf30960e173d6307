import CApusProto

extension ApusV1 {
    /// `apus.v1.IntermediateTensors`: the hidden states one pipeline stage hands the next — one row of
    /// `hiddenSize` floats per scheduled token, each request's rows contiguous, requests in `reqIDs` order.
    /// On the wire the values are f32 little-endian bytes (copied once each way).
    public struct IntermediateTensors: Sendable, Equatable {
        public var reqIDs: [String]
        /// Rows per request, parallel to `reqIDs`.
        public var numTokens: [UInt32]
        public var hiddenSize: UInt32
        public var values: [Float]

        public init(reqIDs: [String] = [], numTokens: [UInt32] = [], hiddenSize: UInt32 = 0, values: [Float] = []) {
            self.reqIDs = reqIDs
            self.numTokens = numTokens
            self.hiddenSize = hiddenSize
            self.values = values
        }
    }
}

extension ApusV1.IntermediateTensors: CMessageConvertible {
    nonisolated(unsafe) public static let descriptor = protobufDescriptor(apus__v1__intermediate_tensors__init)

    func fill(_ c: inout Apus__V1__IntermediateTensors, in arena: CArena) {
        c.n_req_ids = reqIDs.count
        c.req_ids = arena.cStrings(reqIDs)
        c.n_num_tokens = numTokens.count
        c.num_tokens = arena.copy(numTokens)
        c.hidden_size = hiddenSize
        // NOTE: every supported target is little-endian, so the floats' memory is already the wire layout.
        c.values = ProtobufCBinaryData(
            len: values.count * MemoryLayout<Float>.size,
            data: arena.copy(values).map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: UInt8.self) })
    }

    init(c: Apus__V1__IntermediateTensors) throws(WireDecodingError) {
        guard c.values.len % MemoryLayout<Float>.size == 0 else {
            throw WireDecodingError("IntermediateTensors.values: \(c.values.len) bytes is not a whole number of f32")
        }
        var values = [Float](repeating: 0, count: c.values.len / MemoryLayout<Float>.size)
        if let data = c.values.data, !values.isEmpty {
            values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: data, count: c.values.len)) }
        }
        self.init(
            reqIDs: try CDecode.strings(c.req_ids, c.n_req_ids, "IntermediateTensors.req_ids"),
            numTokens: try CDecode.array(c.num_tokens, c.n_num_tokens, "IntermediateTensors.num_tokens"),
            hiddenSize: c.hidden_size, values: values)
    }
}
