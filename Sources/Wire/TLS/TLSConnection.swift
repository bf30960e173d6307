import COpenSSL
import NIOCore

/// One connection's OpenSSL `SSL` over a pair of memory BIOs; no I/O of its own.
///
/// The caller feeds ciphertext from the socket with `feed`, drives `handshake`/`read`/`write`, and sends what
/// `takeCiphertext` returns. Every OpenSSL call clears the thread's error queue first, so reasons belong to this
/// connection. Used only on its channel's event loop.
final class TLSConnection {
    enum Role {
        case client(serverName: String)
        case server
    }

    enum Step: Equatable {
        /// The operation finished (handshake done, all plaintext read for now).
        case done
        /// More ciphertext from the peer is needed.
        case wantRead
        /// The peer sent close_notify.
        case closed
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    /// Network → SSL (ciphertext the peer sent).
    private let networkIn: OpaquePointer
    /// SSL → network (ciphertext to send).
    private let networkOut: OpaquePointer
    let role: Role

    init(context: TLSContext, role: Role) throws {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw TLSError("TLS: SSL_new failed: \(OpenSSLErrors.drain())") }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError("TLS: cannot allocate memory BIOs")
        }
        apus_bio_set_mem_eof_return(rbio, -1)
        apus_bio_set_mem_eof_return(wbio, -1)
        SSL_set_bio(ssl, rbio, wbio)  // ssl owns both BIOs now
        self.ssl = ssl
        self.networkIn = rbio
        self.networkOut = wbio
        self.role = role
        let config = context.configuration
        switch role {
        case .server:
            SSL_set_accept_state(ssl)
            SSL_set_verify(ssl, config.requireClientCertificate
                ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE, nil)
        case .client(let serverName):
            SSL_set_connect_state(ssl)
            let isAddress = (try? SocketAddress(ipAddress: serverName, port: 0)) != nil
            // RFC 6066: SNI carries host names only, never literal addresses.
            if !isAddress { _ = apus_ssl_set_tlsext_host_name(ssl, serverName) }
            if config.verifyPeer {
                SSL_set_verify(ssl, SSL_VERIFY_PEER, nil)
                let named = isAddress
                    ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
                    : SSL_set1_host(ssl, serverName)
                guard named == 1 else {
                    SSL_free(ssl)
                    throw TLSError("TLS: cannot verify against server name \"\(serverName)\"")
                }
            } else {
                SSL_set_verify(ssl, SSL_VERIFY_NONE, nil)
            }
        }
    }

    deinit { SSL_free(ssl) }

    var isHandshakeDone: Bool { SSL_is_init_finished(ssl) == 1 }

    /// Ciphertext received from the peer.
    func feed(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = BIO_write(networkIn, base, Int32(raw.count))  // a memory BIO takes everything
        }
    }

    /// Advances the handshake as far as the fed bytes allow.
    func handshake() -> Step {
        ERR_clear_error()
        let ret = SSL_do_handshake(ssl)
        return ret == 1 ? .done : step(after: ret, doing: "TLS handshake failed")
    }

    /// Appends all plaintext available now to `plaintext`. Size it to the ciphertext fed (plaintext is never
    /// longer); it grows when records fed earlier complete too.
    func read(into plaintext: inout ByteBuffer) -> Step {
        while true {
            ERR_clear_error()
            var ret: Int32 = 0
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 1) { out in
                ret = SSL_read(ssl, out.baseAddress, Int32(clamping: out.count))
                return Int(max(ret, 0))
            }
            if ret <= 0 { return step(after: ret, doing: "TLS connection failed") }
        }
    }

    /// Encrypts `plaintext` into the outgoing ciphertext (a memory BIO never pushes back).
    func write(_ plaintext: ByteBuffer) -> TLSError? {
        plaintext.withUnsafeReadableBytes { raw -> TLSError? in
            var offset = 0
            while offset < raw.count {
                ERR_clear_error()
                let n = SSL_write(ssl, raw.baseAddress! + offset, Int32(clamping: raw.count - offset))
                guard n > 0 else {
                    if case .failed(let error) = step(after: n, doing: "TLS write failed") { return error }
                    return TLSError("TLS write failed: the connection is not writable")
                }
                offset += Int(n)
            }
            return nil
        }
    }

    /// Queues close_notify.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// The ciphertext OpenSSL produced since the last call, or nil when there is none.
    func takeCiphertext(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let pending = Int(BIO_ctrl_pending(networkOut))
        guard pending > 0 else { return nil }
        var buffer = allocator.buffer(capacity: pending)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { out in
            Int(max(BIO_read(networkOut, out.baseAddress, Int32(clamping: out.count)), 0))
        }
        return buffer
    }

    /// The peer's certificate, if it sent one (and, when verification is on, it verified).
    func peerIdentity() -> TLSPeerIdentity? {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return nil }
        defer { X509_free(cert) }
        let name = X509_get_subject_name(cert)
        var buffer = [CChar](repeating: 0, count: 512)
        let subject = buffer.withUnsafeMutableBufferPointer { p -> String in
            X509_NAME_oneline(name, p.baseAddress, Int32(p.count)).map { String(cString: $0) } ?? ""
        }
        buffer = [CChar](repeating: 0, count: 256)
        let cnLength = buffer.withUnsafeMutableBufferPointer {
            X509_NAME_get_text_by_NID(name, NID_commonName, $0.baseAddress, Int32($0.count))
        }
        let commonName = cnLength > 0 ? buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : nil
        return TLSPeerIdentity(subject: subject, commonName: commonName, protocolVersion: protocolVersion)
    }

    /// Whether the peer's certificate names one of `names` (DNS SANs, else the CN; OpenSSL's X509_check_host).
    func peerNamesAny(of names: [String]) -> Bool {
        guard let cert = SSL_get1_peer_certificate(ssl) else { return false }
        defer { X509_free(cert) }
        return names.contains { X509_check_host(cert, $0, $0.utf8.count, 0, nil) == 1 }
    }

    /// "TLSv1.3", "TLSv1.2".
    var protocolVersion: String { SSL_get_version(ssl).map { String(cString: $0) } ?? "?" }

    private func step(after ret: Int32, doing what: String) -> Step {
        switch SSL_get_error(ssl, ret) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: return .wantRead
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL where ERR_peek_error() == 0: return .failed(TLSError("\(what): unexpected end of stream"))
        default: return .failed(TLSError("\(what): \(reason())"))
        }
    }

    /// OpenSSL's reasons, with the certificate verification result when that is what failed.
    private func reason() -> String {
        var text = OpenSSLErrors.drain()
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK, let detail = X509_verify_cert_error_string(verify) {
            text += " (\(String(cString: detail)))"
        }
        return text
    }
}

/// Who is on the other end of a TLS connection, from its certificate.
public struct TLSPeerIdentity: Sendable, Hashable {
    /// The subject in OpenSSL's one-line form, e.g. "/O=Apus/CN=engine-core".
    public var subject: String
    public var commonName: String?
    /// The negotiated protocol, "TLSv1.3" or "TLSv1.2".
    public var protocolVersion: String
}
