import COpenSSL

/// An X25519 private key (RFC 7748 §5, §6.1) for Diffie-Hellman key agreement.
///
/// The raw private key is 32 bytes; OpenSSL applies the RFC's clamping when it uses it.
public struct X25519PrivateKey: Sendable {
    /// The 32-byte private key as given (or generated).
    public let rawRepresentation: [UInt8]
    /// The 32-byte public key, X25519(k, 9).
    public let publicKey: [UInt8]
    private let box: PKeyBox

    /// A fresh random key from OpenSSL's DRBG.
    public init() throws {
        try self.init(rawRepresentation: SecureRandom.bytes(32))
    }

    /// A key from its 32 raw bytes (e.g. an RFC 7748 test vector).
    public init(rawRepresentation: [UInt8]) throws {
        guard rawRepresentation.count == 32 else {
            throw CryptoError(code: .invalidKey, operation: "X25519 private key",
                              detail: "expected 32 bytes, got \(rawRepresentation.count)")
        }
        guard let pkey = rawRepresentation.withUnsafeBufferPointer({
            EVP_PKEY_new_raw_private_key_ex(nil, "X25519", nil, $0.baseAddress, 32)
        }) else { throw CryptoError.openSSL("X25519 private key", code: .invalidKey) }
        let box = PKeyBox(pkey)
        var publicKey = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_get_raw_public_key(pkey, &publicKey, &length) == 1, length == 32 else {
            throw CryptoError.openSSL("X25519 public key")
        }
        self.rawRepresentation = rawRepresentation
        self.publicKey = publicKey
        self.box = box
    }

    /// X25519(k, peer): the 32-byte shared secret with a peer's public key (a u-coordinate).
    /// Throws ``CryptoError/Code/invalidPublicKey`` for a key of the wrong length or one that gives the
    /// all-zero output (a low-order point, RFC 7748 §6.1 "check").
    public func sharedSecret(withPublicKey peerPublicKey: [UInt8]) throws -> [UInt8] {
        let operation = "X25519 key agreement"
        guard peerPublicKey.count == 32 else {
            throw CryptoError(code: .invalidPublicKey, operation: operation,
                              detail: "peer public key must be 32 bytes, got \(peerPublicKey.count)")
        }
        guard let peer = peerPublicKey.withUnsafeBufferPointer({
            EVP_PKEY_new_raw_public_key_ex(nil, "X25519", nil, $0.baseAddress, 32)
        }) else { throw CryptoError.openSSL(operation, code: .invalidPublicKey) }
        defer { EVP_PKEY_free(peer) }
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, box.pkey, nil) else { throw CryptoError.openSSL(operation) }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_derive_init(ctx) == 1 else { throw CryptoError.openSSL(operation) }
        // validate_peer = 0: X25519 accepts every 32-byte string as a u-coordinate (RFC 7748 §5); the
        // dangerous inputs are caught by the all-zero check below.
        guard EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 else {
            throw CryptoError.openSSL(operation, code: .invalidPublicKey)
        }
        var secret = [UInt8](repeating: 0, count: 32)
        var length = 32
        guard EVP_PKEY_derive(ctx, &secret, &length) == 1, length == 32 else {
            // OpenSSL itself refuses an all-zero result, so this is how a low-order point shows up.
            let error = CryptoError.openSSL(operation, code: .invalidPublicKey)
            throw CryptoError(code: .invalidPublicKey, operation: operation,
                              detail: "peer public key is invalid or of low order (\(error.detail))")
        }
        if secret.allSatisfy({ $0 == 0 }) {
            throw CryptoError(code: .invalidPublicKey, operation: operation,
                              detail: "shared secret is all zero (peer public key is a low-order point)")
        }
        return secret
    }
}

/// Owns an EVP_PKEY. `@unchecked Sendable`: the key is never modified after creation, and OpenSSL 3
/// allows concurrent read-only use of one EVP_PKEY (each derive makes its own EVP_PKEY_CTX).
private final class PKeyBox: @unchecked Sendable {
    let pkey: OpaquePointer
    init(_ pkey: OpaquePointer) { self.pkey = pkey }
    deinit { EVP_PKEY_free(pkey) }
}
