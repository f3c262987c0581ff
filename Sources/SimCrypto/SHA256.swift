import COpenSSL

/// SHA-256 (FIPS 180-4).
public enum SHA256Digest {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// The 32-byte SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        withBytes(bytes) { hash(raw: $0) }
    }

    /// Non-generic fast path for arrays.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash(raw: $0) }
    }

    /// Hex digest of an array (non-generic fast path).
    public static func hexDigest(_ bytes: [UInt8]) -> String {
        hexString(hash(bytes))
    }

    /// Hex digest of a string's UTF-8 bytes.
    public static func hexDigest(utf8 string: String) -> String {
        hexString(hash(utf8: string))
    }

    /// The digest of a string's UTF-8 bytes (no intermediate array).
    public static func hash(utf8 string: String) -> [UInt8] {
        var string = string
        return string.withUTF8 { hash(raw: UnsafeRawBufferPointer($0)) }
    }

    /// Lowercase hex, as SigV4 and most logs want it.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        hexString(bytes)
    }

    /// Non-generic fast path for arrays (a digest).
    public static func hex(_ bytes: [UInt8]) -> String {
        hexString(bytes)
    }

    /// Hex of the SHA-256 digest of `bytes` (the SigV4 `HexEncode(Hash(...))`).
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        hexString(hash(bytes))
    }

    static func hash(raw: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: byteCount) { out, initialized in
            var length: UInt32 = 0
            // Per-thread EVP_MD_CTX + SHA256 fetched once: no allocation or name lookup per call.
            if let ctx = ThreadContexts.digest.get(),
               EVP_DigestInit_ex2(ctx, FetchedAlgorithms.shared.sha256, nil) == 1,
               raw.isEmpty || EVP_DigestUpdate(ctx, raw.baseAddress, raw.count) == 1,
               EVP_DigestFinal_ex(ctx, out.baseAddress, &length) == 1, length == UInt32(byteCount) {
                initialized = byteCount
                return
            }
            // Only reachable if OpenSSL cannot allocate; a digest has no recoverable failure mode.
            fatalError("SHA-256: \(CryptoError.openSSL("SHA-256").detail)")
        }
    }
}
