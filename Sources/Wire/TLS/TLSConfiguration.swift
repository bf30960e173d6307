/// How one side of a wire link uses TLS: which certificate it shows and whom it trusts (PEM files).
///
/// One value serves either role: a server needs `certificateChainFile` + `privateKeyFile`; a client needs
/// `trustRootsFile` (or the system roots) and, for mutual TLS, its own chain and key. Certificates used on both
/// sides of links (engine-core serves the router and dials the runner) need both `serverAuth` and `clientAuth`
/// extended key usage, because OpenSSL checks the purpose. `TLSContext.shared(for:)` turns it into one `SSL_CTX`.
public struct TLSConfiguration: Sendable, Hashable {
    public enum Version: Sendable, Hashable {
        case tls12
        case tls13
    }

    /// PEM: this side's certificate first, then any intermediates.
    public var certificateChainFile: String?
    /// PEM private key of the first certificate in the chain.
    public var privateKeyFile: String?
    /// PEM CA certificates that peers' chains must lead to; nil means the system's default roots.
    public var trustRootsFile: String?
    /// Client: verify the server's chain and name (on unless explicitly disabled).
    public var verifyPeer: Bool
    /// Server: refuse clients without a certificate that verifies against `trustRootsFile` (mutual TLS).
    public var requireClientCertificate: Bool
    /// Client: the name sent as SNI and checked against the server certificate; nil means the host dialled.
    public var serverName: String?
    /// The oldest protocol accepted; TLS 1.3 is always preferred when both sides have it.
    public var minimumVersion: Version
    /// A connection whose handshake takes longer is closed.
    public var handshakeTimeout: Duration
    /// When non-empty, the peer's certificate must name one of these (a DNS SAN, or the CN when it has none):
    /// an identity check on top of the CA, e.g. a runner that accepts only ["engine-core"].
    public var allowedPeerNames: [String]
    /// The newest protocol offered; only tests cap it (to check that TLS 1.2 peers still work).
    var maximumVersion: Version?

    public init(
        certificateChainFile: String? = nil, privateKeyFile: String? = nil, trustRootsFile: String? = nil,
        verifyPeer: Bool = true, requireClientCertificate: Bool = false, serverName: String? = nil,
        minimumVersion: Version = .tls12, handshakeTimeout: Duration = .seconds(10), allowedPeerNames: [String] = []
    ) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
        self.trustRootsFile = trustRootsFile
        self.verifyPeer = verifyPeer
        self.requireClientCertificate = requireClientCertificate
        self.serverName = serverName
        self.minimumVersion = minimumVersion
        self.handshakeTimeout = handshakeTimeout
        self.allowedPeerNames = allowedPeerNames
    }

    /// A server's side: its chain and key; with `requireClientCertificate`, clients must chain to `trustRoots`.
    public static func server(
        certificateChain: String, privateKey: String, trustRoots: String? = nil, requireClientCertificate: Bool = false
    ) -> TLSConfiguration {
        TLSConfiguration(
            certificateChainFile: certificateChain, privateKeyFile: privateKey, trustRootsFile: trustRoots,
            requireClientCertificate: requireClientCertificate)
    }

    /// A client's side: trust `trustRoots` (nil: system roots); a chain and key make it present a certificate.
    public static func client(
        trustRoots: String?, certificateChain: String? = nil, privateKey: String? = nil, serverName: String? = nil
    ) -> TLSConfiguration {
        TLSConfiguration(
            certificateChainFile: certificateChain, privateKeyFile: privateKey, trustRootsFile: trustRoots,
            serverName: serverName)
    }

    /// Throws a `TLSError` naming what is missing for `role`.
    func validate(asServer: Bool) throws {
        if (certificateChainFile == nil) != (privateKeyFile == nil) {
            throw TLSError("TLS configuration: give both a certificate chain and a private key, or neither")
        }
        guard asServer else { return }
        if certificateChainFile == nil {
            throw TLSError("TLS configuration: a TLS server needs a certificate chain and a private key")
        }
        if !allowedPeerNames.isEmpty && !requireClientCertificate {
            throw TLSError("TLS configuration: allowed peer names need requireClientCertificate (mutual TLS)")
        }
        if requireClientCertificate && trustRootsFile == nil {
            throw TLSError("TLS configuration: requiring client certificates needs a CA file to verify them against")
        }
    }
}
