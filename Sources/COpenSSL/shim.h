// COpenSSL: the system OpenSSL 3 libcrypto, imported by SimCrypto only.
//
// Swift cannot import function-like macros or build OSSL_PARAM arrays safely (they hold borrowed
// pointers), so the few places that need either are wrapped here as static inline helpers.
#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H

// The prepared HMAC key below keeps SHA256_CTX states (plain structs that copy without allocating); OpenSSL 3 marks
// that API deprecated in favour of EVP, whose contexts allocate on every re-key.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <string.h>
#include <openssl/opensslv.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#if OPENSSL_VERSION_MAJOR < 3
#error "SimCrypto needs OpenSSL 3 (libssl-dev >= 3.0)"
#endif

/// Zeroes memory in a way the compiler may not optimise away.
static inline void copenssl_cleanse(void *ptr, size_t len) {
    OPENSSL_cleanse(ptr, len);
}

/// Constant-time comparison; returns 0 when equal.
static inline int copenssl_memcmp(const void *a, const void *b, size_t len) {
    return CRYPTO_memcmp(a, b, len);
}

/// Creates a MAC context for HMAC-SHA256 from an already fetched EVP_MAC ("HMAC") and sets the
/// digest once, so later calls only need EVP_MAC_init with the key and no parameters.
static inline EVP_MAC_CTX *copenssl_hmac_sha256_template(EVP_MAC *mac) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/// One-shot HKDF-SHA256 (RFC 5869, extract-and-expand) with an already fetched EVP_KDF ("HKDF").
/// Returns 1 on success. An empty salt is left unset, which RFC 5869 defines as HashLen zero bytes.
static inline int copenssl_hkdf_sha256(EVP_KDF *kdf,
                                       const unsigned char *ikm, size_t ikm_len,
                                       const unsigned char *salt, size_t salt_len,
                                       const unsigned char *info, size_t info_len,
                                       unsigned char *out, size_t out_len) {
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(kdf);
    if (ctx == NULL) return 0;
    OSSL_PARAM params[5];
    int n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    if (salt_len > 0)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len > 0)
        params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    params[n] = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    return ok == 1;
}

/// AEAD tag get/set: EVP_CIPHER_CTX_ctrl with the generic AEAD control codes.
static inline int copenssl_aead_get_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, len, tag);
}
static inline int copenssl_aead_set_tag(EVP_CIPHER_CTX *ctx, unsigned char *tag, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, len, tag);
}

/// The linked library's version text, e.g. "OpenSSL 3.0.19 30 Sep 2025".
static inline const char *copenssl_version_text(void) {
    return OpenSSL_version(OPENSSL_VERSION);
}

/// HMAC-SHA256 (RFC 2104) with the key's inner and outer SHA-256 states computed once: a MAC is then two
/// SHA-256 finishes on copies of those states, with no allocation (EVP_MAC_init re-keys and allocates per call).
typedef struct { SHA256_CTX inner; SHA256_CTX outer; } copenssl_hmac_sha256_key;

static inline void copenssl_hmac_sha256_prepare(copenssl_hmac_sha256_key *k, const unsigned char *key, size_t keylen) {
    unsigned char block[64], hashed[32];
    if (keylen > 64) { SHA256(key, keylen, hashed); key = hashed; keylen = 32; }
    memset(block, 0, sizeof block);
    if (keylen > 0) memcpy(block, key, keylen);
    for (int i = 0; i < 64; i++) block[i] ^= 0x36;
    SHA256_Init(&k->inner); SHA256_Update(&k->inner, block, 64);
    for (int i = 0; i < 64; i++) block[i] ^= 0x36 ^ 0x5c;
    SHA256_Init(&k->outer); SHA256_Update(&k->outer, block, 64);
    OPENSSL_cleanse(block, sizeof block);
    OPENSSL_cleanse(hashed, sizeof hashed);
}

static inline void copenssl_hmac_sha256(const copenssl_hmac_sha256_key *k, const void *msg, size_t len, unsigned char out[32]) {
    SHA256_CTX c = k->inner;
    unsigned char inner[32];
    if (len > 0) SHA256_Update(&c, msg, len);
    SHA256_Final(inner, &c);
    c = k->outer;
    SHA256_Update(&c, inner, 32);
    SHA256_Final(out, &c);
    OPENSSL_cleanse(inner, sizeof inner);
    OPENSSL_cleanse(&c, sizeof c);
}

#endif
