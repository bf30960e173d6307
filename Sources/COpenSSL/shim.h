#ifndef APUS_COPENSSL_SHIM_H
#define APUS_COPENSSL_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>

static inline unsigned long apus_openssl_version_number(void) { return OPENSSL_VERSION_NUMBER; }
#endif
