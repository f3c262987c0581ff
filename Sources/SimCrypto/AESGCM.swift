import COpenSSL

/// AES-256-GCM (NIST SP 800-38D) with a 12-byte nonce and a 16-byte tag.
///
/// - warning: Not thread-safe: one instance per thread or owner. It keeps one `EVP_CIPHER_CTX`
///   that every call re-initialises, and the 32-byte key in memory that is zeroed in `deinit`.
///   The cipher itself is fetched once per process.
/// - Never seal two messages with the same nonce under one key: use a per-key counter nonce.
public final class AES256GCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    private let ctx: OpaquePointer
    private let key: UnsafeMutableRawBufferPointer
    /// Whether `ctx` holds the expanded key. Later calls pass only the nonce, which skips the AES key
    /// schedule and GHASH setup (GCM uses the same key schedule for both directions).
    private var keyed = false

    /// - Throws: ``CryptoError/Code/invalidKey`` unless `key` is 32 bytes.
    public init(key: [UInt8]) throws {
        guard key.count == Self.keyByteCount else {
            throw CryptoError(code: .invalidKey, operation: "AES-256-GCM key",
                              detail: "expected \(Self.keyByteCount) bytes, got \(key.count)")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.openSSL("AES-256-GCM context") }
        self.ctx = ctx
        self.key = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.keyByteCount, alignment: 16)
        self.key.copyBytes(from: key)
    }

    deinit {
        copenssl_cleanse(key.baseAddress, key.count)
        key.deallocate()
        EVP_CIPHER_CTX_free(ctx)
    }

    /// Encrypts and authenticates: returns ciphertext ‖ 16-byte tag. `aad` is authenticated, not encrypted.
    public func seal(nonce: [UInt8], plaintext: some Collection<UInt8>, aad: some Collection<UInt8>) throws -> [UInt8] {
        try nonce.withUnsafeBytes { nonce in
            try withBytes(plaintext) { plain in
                try withBytes(aad) { aad in
                    let total = plain.count + Self.tagByteCount
                    return try [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
                        initialized = try seal(nonce: nonce, plaintext: plain, aad: aad, into: UnsafeMutableRawBufferPointer(out))
                    }
                }
            }
        }
    }

    /// Same, written into `out` (at least `plaintext.count` + 16 bytes); returns how many bytes it wrote. For a
    /// message whose header and ciphertext are built in one buffer (the end-to-end sealed body), without an array
    /// for the ciphertext alone; the nonce may live on the stack.
    public func seal(nonce: UnsafeRawBufferPointer, plaintext plain: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                     into out: UnsafeMutableRawBufferPointer) throws -> Int {
        let operation = "AES-256-GCM seal"
        try checkNonce(nonce.count, operation)
        guard plain.count <= Int(Int32.max) - Self.tagByteCount, aad.count <= Int(Int32.max) else {
            throw CryptoError(code: .invalidParameter, operation: operation, detail: "input longer than 2 GiB")
        }
        let total = plain.count + Self.tagByteCount
        guard out.count >= total, let outBase = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw CryptoError(code: .invalidParameter, operation: operation, detail: "output room of \(out.count) bytes is under \(total)")
        }
        guard EVP_EncryptInit_ex2(ctx, keyed ? nil : FetchedAlgorithms.shared.aes256gcm,
                                  keyed ? nil : key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                  nonce.baseAddress?.assumingMemoryBound(to: UInt8.self), nil) == 1
        else { keyed = false; throw CryptoError.openSSL(operation) }
        keyed = true
        var length: Int32 = 0
        if !aad.isEmpty {
            guard EVP_EncryptUpdate(ctx, nil, &length, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1
            else { throw CryptoError.openSSL(operation) }
        }
        var written = 0
        if !plain.isEmpty {
            guard EVP_EncryptUpdate(ctx, outBase, &length, plain.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(plain.count)) == 1
            else { throw CryptoError.openSSL(operation) }
            written = Int(length)
        }
        guard EVP_EncryptFinal_ex(ctx, outBase + written, &length) == 1 else { throw CryptoError.openSSL(operation) }
        written += Int(length)
        guard written == plain.count, copenssl_aead_get_tag(ctx, outBase + written, Int32(Self.tagByteCount)) == 1
        else { throw CryptoError.openSSL(operation) }
        return total
    }

    /// Verifies and decrypts ciphertext ‖ tag. Throws ``CryptoError/authenticationFailure`` if the tag does
    /// not verify (altered ciphertext, tag or AAD, wrong key or nonce) or the input is shorter than a tag;
    /// no plaintext is returned in that case.
    public func open(nonce: [UInt8], sealed: some Collection<UInt8>, aad: some Collection<UInt8>) throws -> [UInt8] {
        try nonce.withUnsafeBytes { nonce in
            try withBytes(sealed) { sealed in try withBytes(aad) { aad in try open(nonce: nonce, sealed: sealed, aad: aad) } }
        }
    }

    /// Same, over bytes in place (a sealed body's ciphertext read where it arrived; the nonce may live on the stack).
    public func open(nonce: UnsafeRawBufferPointer, sealed: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer) throws -> [UInt8] {
        let operation = "AES-256-GCM open"
        try checkNonce(nonce.count, operation)
        guard sealed.count >= Self.tagByteCount else {
            throw CryptoError(code: .authenticationFailure, operation: operation,
                              detail: "input is \(sealed.count) bytes, shorter than the \(Self.tagByteCount)-byte tag")
        }
        guard sealed.count <= Int(Int32.max), aad.count <= Int(Int32.max) else {
            throw CryptoError(code: .invalidParameter, operation: operation, detail: "input longer than 2 GiB")
        }
        let cipherCount = sealed.count - Self.tagByteCount
        let cipher = UnsafeRawBufferPointer(rebasing: sealed[..<cipherCount])
        // OpenSSL takes the expected tag through a non-const pointer: a copy on the stack.
        var tag: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &tag) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: sealed[cipherCount...])) }
        var ok = false
        let plaintext = [UInt8](unsafeUninitializedCapacity: cipherCount) { out, initialized in
            initialized = cipherCount
            ok = {
                guard EVP_DecryptInit_ex2(ctx, keyed ? nil : FetchedAlgorithms.shared.aes256gcm,
                                          keyed ? nil : key.baseAddress?.assumingMemoryBound(to: UInt8.self),
                                          nonce.baseAddress?.assumingMemoryBound(to: UInt8.self), nil) == 1
                else { keyed = false; return false }
                keyed = true
                var length: Int32 = 0
                if !aad.isEmpty {
                    guard EVP_DecryptUpdate(ctx, nil, &length, aad.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(aad.count)) == 1
                    else { return false }
                }
                var written = 0
                if !cipher.isEmpty {
                    guard EVP_DecryptUpdate(ctx, out.baseAddress, &length, cipher.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(cipher.count)) == 1
                    else { return false }
                    written = Int(length)
                }
                guard withUnsafeMutableBytes(of: &tag, {
                    copenssl_aead_set_tag(ctx, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(Self.tagByteCount))
                }) == 1
                else { return false }
                // The tag is checked here: a mismatch returns 0.
                guard EVP_DecryptFinal_ex(ctx, out.baseAddress.map { $0 + written }, &length) == 1 else { return false }
                return written + Int(length) == cipherCount
            }()
            // Never hand back unauthenticated plaintext: clear what was written (and OpenSSL's error queue below).
            if !ok && cipherCount > 0 { copenssl_cleanse(out.baseAddress, cipherCount) }
        }
        guard ok else {
            ERR_clear_error()
            throw CryptoError.authenticationFailure
        }
        return plaintext
    }

    private func checkNonce(_ count: Int, _ operation: String) throws {
        guard count == Self.nonceByteCount else {
            throw CryptoError(code: .invalidNonce, operation: operation,
                              detail: "nonce must be \(Self.nonceByteCount) bytes, got \(count)")
        }
    }
}
