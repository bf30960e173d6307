import ServingCore

extension ApusV1.KVTransferParams {
    public init(_ p: KVTransferParams) {
        let (host, port) = Self.split(p.remoteAddress)
        self.init(
            doRemoteDecode: p.doRemoteDecode, doRemotePrefill: p.doRemotePrefill, remoteEngineID: p.remoteEngineID,
            remoteRequestID: p.remoteRequestID, remoteBlockIDs: p.remoteBlockIDs.map { UInt32(clamping: $0) },
            remoteHost: host, remotePort: port,
            remoteRunners: p.remoteRunners.map {
                ApusV1.KVSource(
                    address: $0.address, firstLayer: UInt32(clamping: $0.layers.lowerBound),
                    endLayer: UInt32(clamping: $0.layers.upperBound), incarnationID: $0.incarnation)
            },
            remoteBlockSize: UInt32(clamping: p.remoteBlockSize), remoteNumTokens: UInt32(clamping: p.remoteNumTokens))
    }

    /// "host:port" → (host, port); an address that does not parse keeps it whole with port 0. IPv6 hosts keep their
    /// brackets out of `remote_host`, as vLLM's fields carry them.
    static func split(_ address: String) -> (String, UInt32) {
        guard let (host, port) = splitHostPort(address) else { return (address, 0) }
        return (host, UInt32(port))
    }
}

extension KVTransferParams {
    /// The domain params; a layer range whose end is not past its start is refused.
    public init(_ m: ApusV1.KVTransferParams) throws(WireDecodingError) {
        self.init(doRemoteDecode: m.doRemoteDecode, doRemotePrefill: m.doRemotePrefill)
        remoteEngineID = m.remoteEngineID
        remoteRequestID = m.remoteRequestID
        remoteBlockIDs = m.remoteBlockIDs.map(Int.init)
        if !m.remoteHost.isEmpty {
            let host = m.remoteHost.contains(":") ? "[\(m.remoteHost)]" : m.remoteHost
            remoteAddress = m.remotePort > 0 ? "\(host):\(m.remotePort)" : host
        }
        remoteRunners = try m.remoteRunners.map { s throws(WireDecodingError) in
            guard s.endLayer > s.firstLayer else {
                throw WireDecodingError(
                    "kv_transfer_params.remote_runners: layer range [\(s.firstLayer), \(s.endLayer)) of \(s.address) is empty")
            }
            return KVSource(address: s.address, layers: Int(s.firstLayer)..<Int(s.endLayer), incarnation: s.incarnationID)
        }
        remoteBlockSize = Int(m.remoteBlockSize)
        remoteNumTokens = Int(m.remoteNumTokens)
    }
}
