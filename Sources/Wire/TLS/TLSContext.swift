import COpenSSL
import NIOConcurrencyHelpers

/// One OpenSSL `SSL_CTX` built from a `TLSConfiguration`: certificates, key and trust roots loaded once.
///
/// Shared by every connection of a server or client; each connection makes its own `SSL` from it
/// (`TLSConnection`). OpenSSL allows concurrent `SSL_new` on a context that is no longer being configured, and
/// this type never changes the context after `init`, hence `@unchecked Sendable`.
public final class TLSContext: @unchecked Sendable {
    public let configuration: TLSConfiguration
    let ctx: OpaquePointer

    /// Loads the files named by `configuration`; throws a `TLSError` naming the file and OpenSSL's reason.
    public init(_ configuration: TLSConfiguration) throws {
        try configuration.validate(asServer: false)
        guard let ctx = SSL_CTX_new(TLS_method()) else {
            throw TLSError("TLS configuration: SSL_CTX_new failed: \(OpenSSLErrors.drain())")
        }
        self.ctx = ctx
        self.configuration = configuration
        ERR_clear_error()
        apus_ssl_ctx_set_default_options(ctx)
        let minimum = configuration.minimumVersion == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION
        guard apus_ssl_ctx_set_min_proto_version(ctx, minimum) == 1 else {
            throw TLSError("TLS configuration: cannot set the minimum version: \(OpenSSLErrors.drain())")
        }
        if let maximum = configuration.maximumVersion {
            _ = apus_ssl_ctx_set_max_proto_version(ctx, maximum == .tls13 ? TLS1_3_VERSION : TLS1_2_VERSION)
        }
        // No session resumption is used, so do not send TLS 1.3 session tickets.
        SSL_CTX_set_num_tickets(ctx, 0)
        if let chain = configuration.certificateChainFile, let key = configuration.privateKeyFile {
            guard SSL_CTX_use_certificate_chain_file(ctx, chain) == 1 else {
                throw TLSError("TLS configuration: cannot load certificate chain \(chain): \(OpenSSLErrors.drain())")
            }
            guard SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError("TLS configuration: cannot load private key \(key): \(OpenSSLErrors.drain())")
            }
            guard SSL_CTX_check_private_key(ctx) == 1 else {
                throw TLSError("TLS configuration: private key \(key) does not match certificate \(chain)")
            }
        }
        if let roots = configuration.trustRootsFile {
            guard SSL_CTX_load_verify_locations(ctx, roots, nil) == 1 else {
                throw TLSError("TLS configuration: cannot load CA file \(roots): \(OpenSSLErrors.drain())")
            }
            // Tells clients which CAs this server accepts for their certificates.
            if let names = SSL_load_client_CA_file(roots) { SSL_CTX_set_client_CA_list(ctx, names) }
        } else {
            SSL_CTX_set_default_verify_paths(ctx)
        }
        ERR_clear_error()
    }

    deinit { SSL_CTX_free(ctx) }

    private static let cache = NIOLockedValueBox([TLSConfiguration: TLSContext]())

    /// The process-wide context for `configuration`, built on first use (files are read once per process).
    public static func shared(for configuration: TLSConfiguration) throws -> TLSContext {
        if let hit = cache.withLockedValue({ $0[configuration] }) { return hit }
        let made = try TLSContext(configuration)
        return cache.withLockedValue { cached in
            if let hit = cached[configuration] { return hit }
            cached[configuration] = made
            return made
        }
    }

    /// The shared context for a server, after checking the configuration has what a server needs.
    static func server(_ configuration: TLSConfiguration) throws -> TLSContext {
        try configuration.validate(asServer: true)
        return try shared(for: configuration)
    }
}

/// Reads OpenSSL's per-thread error queue.
enum OpenSSLErrors {
    /// The reasons queued since the last clear, oldest first, joined by "; " ("unknown error" when empty).
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                buffer.withUnsafeMutableBufferPointer { ERR_error_string_n(code, $0.baseAddress, $0.count) }
                reasons.append(buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
            }
        }
        return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
    }
}
