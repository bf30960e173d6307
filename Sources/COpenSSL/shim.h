#ifndef APUS_COPENSSL_SHIM_H
#define APUS_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/opensslv.h>

static inline unsigned long apus_openssl_version_number(void) { return OPENSSL_VERSION_NUMBER; }

// Function-like macros Swift cannot import, used by Sources/Wire/TLS.

/// SSL_CTX_set_min_proto_version: 1 on success.
static inline int apus_ssl_ctx_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}

/// SSL_CTX_set_max_proto_version: 1 on success.
static inline int apus_ssl_ctx_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}

/// No compression, no renegotiation, and the server's cipher preference. (SSL_MODE_RELEASE_BUFFERS stays off: it
/// frees and reallocates the record buffers around every record, which costs latency on busy links.)
static inline void apus_ssl_ctx_set_default_options(SSL_CTX *ctx) {
    (void)SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}

/// SSL_set_tlsext_host_name (SNI): 1 on success.
static inline int apus_ssl_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// BIO_set_mem_eof_return: what BIO_read on an empty memory BIO returns (-1 = "retry", not EOF).
static inline void apus_bio_set_mem_eof_return(BIO *bio, int value) {
    (void)BIO_set_mem_eof_return(bio, value);
}
#endif
