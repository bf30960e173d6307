#ifndef APUS_COPENSSL_SHIM_H
#define APUS_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/opensslv.h>
#include <openssl/pem.h>
#include <openssl/bn.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>

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
/// Adds one X.509v3 extension (`value` in openssl.cnf syntax) issued by `issuer` to `cert`: 1 on success.
static inline int apus_x509_add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/// Issues a fresh EC P-256 key and a certificate for it, valid from a minute ago for `days` days, and writes both as
/// PEM (the key file with mode 0600). With `ca_cert_path` NULL the certificate is a self-signed CA; otherwise it is
/// signed by that CA (`ca_key_path`) for TLS servers and clients, with `san` as its subjectAltName
/// (e.g. "IP:127.0.0.1,DNS:localhost"). Returns 1 on success, 0 on failure (details on the OpenSSL error queue).
static inline int apus_tls_issue_certificate(
    const char *common_name, const char *san, int days, const char *ca_cert_path, const char *ca_key_path,
    const char *cert_out, const char *key_out
) {
    int ok = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    BIGNUM *serial = BN_new();
    FILE *f = NULL;
    int fd = -1;
    if (!key || !cert || !serial) goto done;
    if (ca_cert_path) {
        FILE *cf = fopen(ca_cert_path, "r");
        if (!cf) goto done;
        ca = PEM_read_X509(cf, NULL, NULL, NULL);
        fclose(cf);
        FILE *kf = fopen(ca_key_path, "r");
        if (!kf) goto done;
        ca_key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
        fclose(kf);
        if (!ca || !ca_key) goto done;
    }
    if (!X509_set_version(cert, 2)) goto done;
    if (!BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)) goto done;
    if (!BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert))) goto done;
    if (!X509_gmtime_adj(X509_getm_notBefore(cert), -60)) goto done;
    if (!X509_gmtime_adj(X509_getm_notAfter(cert), (long)days * 86400)) goto done;
    if (!X509_set_pubkey(cert, key)) goto done;
    X509_NAME *name = X509_get_subject_name(cert);
    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"apus serve", -1, -1, 0)) goto done;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0)) goto done;
    if (!X509_set_issuer_name(cert, ca ? X509_get_subject_name(ca) : name)) goto done;
    X509 *issuer = ca ? ca : cert;
    if (ca) {
        if (!apus_x509_add_extension(cert, issuer, NID_basic_constraints, "critical,CA:FALSE")) goto done;
        if (!apus_x509_add_extension(cert, issuer, NID_key_usage, "critical,digitalSignature,keyAgreement")) goto done;
        if (!apus_x509_add_extension(cert, issuer, NID_ext_key_usage, "serverAuth,clientAuth")) goto done;
        if (san && !apus_x509_add_extension(cert, issuer, NID_subject_alt_name, san)) goto done;
    } else {
        if (!apus_x509_add_extension(cert, issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")) goto done;
        if (!apus_x509_add_extension(cert, issuer, NID_key_usage, "critical,keyCertSign,cRLSign")) goto done;
    }
    if (!apus_x509_add_extension(cert, issuer, NID_subject_key_identifier, "hash")) goto done;
    if (!X509_sign(cert, ca ? ca_key : key, EVP_sha256())) goto done;
    f = fopen(cert_out, "w");
    if (!f || !PEM_write_X509(f, cert)) goto done;
    fclose(f);
    f = NULL;
    fd = open(key_out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) goto done;
    f = fdopen(fd, "w");
    if (!f) goto done;
    fd = -1;
    if (!PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)) goto done;
    ok = 1;
done:
    if (f) fclose(f);
    if (fd >= 0) close(fd);
    BN_free(serial);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}
#endif
