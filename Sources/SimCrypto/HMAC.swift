import COpenSSL

/// HMAC-SHA256 (RFC 2104 / FIPS 198-1).
///
/// For a one-off key (SigV4 key derivation, HKDF callers). Each thread keeps one `EVP_MAC_CTX` whose digest
/// is set once; a call only re-keys it (`EVP_MAC_init`), which measured fastest of the OpenSSL 3 EVP options
/// (see ``SimCryptoBenchmark``). A key that signs many messages is cheaper as an ``HMACSHA256Key``.
public enum HMACSHA256 {
    /// The tag length in bytes.
    public static let byteCount = 32

    /// The 32-byte HMAC-SHA256 of `message` under `key` (any key length; long keys are hashed as the RFC says).
    public static func authenticate(key: [UInt8], message: some Collection<UInt8>) -> [UInt8] {
        key.withUnsafeBytes { keyBytes in
            withBytes(message) { authenticate(key: keyBytes, message: $0) }
        }
    }

    /// Non-generic fast path for arrays.
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { authenticate(key: keyBytes, message: $0) }
        }
    }

    /// Same, for a key that is a UTF-8 string and a message that is a UTF-8 string (SigV4 `HMAC(key, "...")`).
    public static func authenticate(key: [UInt8], message: String) -> [UInt8] {
        var message = message
        return message.withUTF8 { authenticate(key: key, message: UnsafeRawBufferPointer($0)) }
    }

    /// Checks `tag` against the HMAC of `message` in constant time.
    public static func isValid(tag: [UInt8], key: [UInt8], message: some Collection<UInt8>) -> Bool {
        constantTimeEquals(authenticate(key: key, message: message), tag)
    }

    static func authenticate(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        key.withUnsafeBytes { authenticate(key: $0, message: message) }
    }

    static func authenticate(key: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> [UInt8] {
        // EVP_MAC_init treats a NULL key as "keep the previous key", so an empty key must still point somewhere.
        guard let keyBase = key.baseAddress, !key.isEmpty else {
            var zero: UInt8 = 0
            return withUnsafeBytes(of: &zero) { authenticate(keyPointer: $0.baseAddress!, keyCount: 0, message: message) }
        }
        return authenticate(keyPointer: keyBase, keyCount: key.count, message: message)
    }

    private static func authenticate(keyPointer: UnsafeRawPointer, keyCount: Int, message: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            var length = 0
            if let ctx = ThreadContexts.hmacSHA256.get(),
               EVP_MAC_init(ctx, keyPointer.assumingMemoryBound(to: UInt8.self), keyCount, nil) == 1,
               message.isEmpty || EVP_MAC_update(ctx, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1,
               EVP_MAC_final(ctx, out.baseAddress, &length, byteCount) == 1, length == byteCount {
                initialized = byteCount
                return
            }
            fatalError("HMAC-SHA256: \(CryptoError.openSSL("HMAC-SHA256").detail)")
        }
    }
}

/// Constant-time equality of two byte strings (`CRYPTO_memcmp`); different lengths are unequal
/// (the length itself is not secret).
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    b.withUnsafeBytes { constantTimeEquals(a, $0) }
}

/// `constantTimeEquals` against a String's UTF-8 bytes, without copying them into an array.
public func constantTimeEquals(_ a: [UInt8], utf8 s: String) -> Bool {
    var s = s
    return s.withUTF8 { constantTimeEquals(a, UnsafeRawBufferPointer($0)) }
}

private func constantTimeEquals(_ a: [UInt8], _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    if a.isEmpty { return true }
    return a.withUnsafeBytes { pa in copenssl_memcmp(pa.baseAddress, b.baseAddress, pa.count) == 0 }
}

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
public enum SecureRandom {
    /// `count` random bytes. OpenSSL's DRBG failing is unrecoverable (no entropy), so it stops the process
    /// with OpenSSL's reason rather than return predictable bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            guard RAND_bytes(out.baseAddress, Int32(count)) == 1 else {
                fatalError("RAND_bytes: \(CryptoError.openSSL("RAND_bytes").detail)")
            }
            initialized = count
        }
    }
}

/// An HMAC-SHA256 key prepared once (its inner and outer hash states, RFC 2104): for a key that signs many
/// messages, as a SigV4 signing key does all day, each MAC is two SHA-256 finishes with no allocation.
public struct HMACSHA256Key: @unchecked Sendable {   // plain bytes (two SHA256_CTX structs), no references
    private var state = copenssl_hmac_sha256_key()

    public init(_ key: [UInt8]) {
        key.withUnsafeBufferPointer { copenssl_hmac_sha256_prepare(&state, $0.baseAddress, $0.count) }
    }

    /// The 32-byte HMAC-SHA256 of `message`.
    public func authenticate(_ message: [UInt8]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: HMACSHA256.byteCount) { out, n in
            withUnsafePointer(to: state) { k in
                message.withUnsafeBytes { copenssl_hmac_sha256(k, $0.baseAddress, $0.count, out.baseAddress) }
            }
            n = HMACSHA256.byteCount
        }
    }
}
