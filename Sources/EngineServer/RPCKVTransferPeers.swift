import Engine
import Synchronization
import Wire

/// A consumer engine-core's line to producer engine-cores: one client per producer address, opened on first use
/// with the engine's own client settings (auth token, TLS), kept for the process's life (docs/disaggregation.md §2).
public final class RPCKVTransferPeers: KVTransferPeers {
    private let configuration: RPCClient.Configuration
    private let timeout: Duration
    private let clients = Mutex<[String: RPCClient]>([:])

    public init(configuration: RPCClient.Configuration, timeout: Duration = .seconds(5)) {
        self.configuration = configuration
        self.timeout = timeout
    }

    public func control(producer address: String, requestIDs: [String], action: KVTransferAction) async throws
        -> Set<String>
    {
        let client = try client(for: address)
        let response = try await client.unary(
            RPCMethod.kvTransferControl,
            ApusV1.KVTransferControlRequest(requestIDs: requestIDs, action: action == .release ? .release : .keepAlive),
            as: ApusV1.KVTransferControlResponse.self, timeout: timeout)
        return Set(response.heldRequestIDs)
    }

    private func client(for address: String) throws -> RPCClient {
        try clients.withLock { clients in
            if let c = clients[address] { return c }
            guard let (host, port) = splitHostPort(address) else {
                throw RPCError(.invalidArgument, "producer address \(address) is not HOST:PORT")
            }
            let c = RPCClient(host: host, port: port, configuration: configuration)
            clients[address] = c
            return c
        }
    }
}
