import COpenSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Algorithm objects fetched from OpenSSL's default provider once per process.
///
/// OpenSSL 3 resolves algorithms by name at run time; an implicit fetch (e.g. `EVP_aes_256_gcm()` passed to
/// an Init call) costs ~0.5 µs per operation, so each algorithm is fetched once here and shared.
/// `@unchecked Sendable`: fetched EVP_MD / EVP_CIPHER / EVP_MAC / EVP_KDF objects are immutable,
/// reference-counted method tables that OpenSSL documents as safe to share between threads.
final class FetchedAlgorithms: @unchecked Sendable {
    let sha256: OpaquePointer
    let aes256gcm: OpaquePointer
    let hmac: OpaquePointer
    let hkdf: OpaquePointer

    /// Fetches everything; a missing algorithm means a broken OpenSSL installation, reported with
    /// OpenSSL's own error text (there is no way to continue without these).
    init() {
        func need(_ pointer: OpaquePointer?, _ name: String) -> OpaquePointer {
            guard let pointer else {
                fatalError("SimCrypto: OpenSSL could not fetch \(name): \(CryptoError.openSSL("fetch \(name)").detail)")
            }
            return pointer
        }
        sha256 = need(EVP_MD_fetch(nil, "SHA256", nil), "SHA256")
        aes256gcm = need(EVP_CIPHER_fetch(nil, "AES-256-GCM", nil), "AES-256-GCM")
        hmac = need(EVP_MAC_fetch(nil, "HMAC", nil), "HMAC")
        hkdf = need(EVP_KDF_fetch(nil, "HKDF", nil), "HKDF")
    }

    static let shared = FetchedAlgorithms()
}

/// A per-thread OpenSSL context, created on first use on each thread and freed when the thread exits.
///
/// Hot paths (HMAC, SHA-256) re-initialise one context per thread instead of allocating and freeing a
/// context per call. Calls are synchronous, so a Swift task cannot move threads while using it.
struct ThreadLocalContext: Sendable {
    private let key: pthread_key_t
    private let make: @Sendable () -> OpaquePointer?

    init(make: @escaping @Sendable () -> OpaquePointer?, free: @convention(c) (UnsafeMutableRawPointer?) -> Void) {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key, free)
        precondition(rc == 0, "SimCrypto: pthread_key_create failed (\(rc))")
        self.key = key
        self.make = make
    }

    /// The calling thread's context, or nil if it cannot be created (OpenSSL out of memory).
    func get() -> OpaquePointer? {
        if let raw = pthread_getspecific(key) { return OpaquePointer(raw) }
        guard let fresh = make() else { return nil }
        pthread_setspecific(key, UnsafeRawPointer(fresh))
        return fresh
    }
}

enum ThreadContexts {
    /// EVP_MAC_CTX with HMAC digest SHA256 already set; each use calls EVP_MAC_init with the key.
    static let hmacSHA256 = ThreadLocalContext(
        make: { copenssl_hmac_sha256_template(FetchedAlgorithms.shared.hmac) },
        free: { raw in if let raw { EVP_MAC_CTX_free(OpaquePointer(raw)) } })

    /// EVP_MD_CTX re-initialised with the pre-fetched SHA256 for each digest.
    static let digest = ThreadLocalContext(
        make: { EVP_MD_CTX_new() },
        free: { raw in if let raw { EVP_MD_CTX_free(OpaquePointer(raw)) } })
}
