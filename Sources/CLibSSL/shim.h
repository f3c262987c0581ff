// CLibSSL: the system OpenSSL 3 libssl (and the libcrypto parts certificates need), imported by TLSServer only.
//
// Function-like macros (SSL_CTX_set_min_proto_version, SSL_CTX_set_mode, BIO_get_mem_data, EVP_EC_gen) and variadic
// functions (EVP_PKEY_Q_keygen) cannot be called from Swift, so they are wrapped here as static inline helpers.
#ifndef CLIBSSL_SHIM_H
#define CLIBSSL_SHIM_H

#include <openssl/opensslv.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#if OPENSSL_VERSION_MAJOR < 3
#error "TLSServer needs OpenSSL 3 (libssl-dev >= 3.0)"
#endif

/// A new EC key on P-256 (prime256v1), or NULL.
static inline EVP_PKEY *clibssl_ec_p256_keygen(void) {
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/// Sets a random positive 127-bit serial number (RFC 5280 allows up to 20 octets; browsers want unpredictability).
static inline int clibssl_set_random_serial(X509 *cert) {
    BIGNUM *bn = BN_new();
    if (bn == NULL) return 0;
    int ok = BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1;
    ASN1_INTEGER *serial = ok ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    BN_free(bn);
    if (serial == NULL) return 0;
    ok = X509_set_serialNumber(cert, serial) == 1;
    ASN1_INTEGER_free(serial);
    return ok;
}

/// notBefore = now + before_seconds (negative to tolerate clock skew), notAfter = now + days.
static inline int clibssl_set_validity(X509 *cert, long before_seconds, long days) {
    return X509_gmtime_adj(X509_getm_notBefore(cert), before_seconds) != NULL
        && X509_gmtime_adj(X509_getm_notAfter(cert), days * 24L * 3600L) != NULL;
}

/// Adds an X.509v3 extension given in openssl.cnf syntax (e.g. "critical,CA:TRUE", "DNS:localhost,IP:127.0.0.1").
/// `issuer` is the issuing certificate (the certificate itself when self-signed), needed for authorityKeyIdentifier.
static inline int clibssl_add_extension(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) return 0;
    int ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/// The bytes written to a memory BIO so far.
static inline long clibssl_bio_contents(BIO *bio, const char **data) {
    return BIO_get_mem_data(bio, (char **)data);
}

/// TLS 1.2 minimum; no maximum, so TLS 1.3 is offered and preferred.
static inline int clibssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/// No renegotiation (a DoS vector, and TLS 1.3 has none), server cipher preference, no TLS compression (CRIME).
static inline void clibssl_ctx_set_server_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
}

/// Non-blocking friendly modes: partial writes, retries with a moved buffer, free idle buffers.
static inline void clibssl_ctx_set_nonblocking_modes(SSL_CTX *ctx) {
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
}

/// ALPN: choose http/1.1 when the client offers it (urllib3 does); otherwise continue without ALPN.
static inline int clibssl_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                               const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    static const unsigned char http11[] = { 8, 'h', 't', 't', 'p', '/', '1', '.', '1' };
    unsigned char *selected = NULL;
    if (SSL_select_next_proto(&selected, outlen, http11, sizeof(http11), in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = selected;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static inline void clibssl_ctx_set_alpn_http11(SSL_CTX *ctx) {
    SSL_CTX_set_alpn_select_cb(ctx, clibssl_alpn_select, NULL);
}

/// The SNI host name the client sent, or NULL.
static inline const char *clibssl_servername(const SSL *ssl) {
    return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}

/// The negotiated ALPN protocol into buf (NUL-terminated, empty if none).
static inline void clibssl_alpn_selected(const SSL *ssl, char *buf, unsigned int buflen) {
    const unsigned char *data = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &data, &len);
    if (len >= buflen) len = buflen - 1;
    if (data != NULL && len > 0) memcpy(buf, data, len);
    buf[len] = 0;
}

#endif
