import COpenSSL

/// HKDF with SHA-256 (RFC 5869): extract-then-expand.
public enum HKDFSHA256 {
    /// Derives `outputByteCount` bytes (1...8160, i.e. 255 × HashLen) from the input keying material.
    /// An empty `salt` means HashLen zero bytes, as RFC 5869 §2.2 defines.
    public static func deriveKey(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], outputByteCount: Int) throws -> [UInt8] {
        guard (1...(255 * 32)).contains(outputByteCount) else {
            throw CryptoError(code: .invalidParameter, operation: "HKDF-SHA256",
                              detail: "outputByteCount must be 1...8160 (255 × 32), got \(outputByteCount)")
        }
        guard !inputKeyMaterial.isEmpty else {
            throw CryptoError(code: .invalidKey, operation: "HKDF-SHA256", detail: "inputKeyMaterial is empty")
        }
        var output = [UInt8](repeating: 0, count: outputByteCount)
        let ok = inputKeyMaterial.withUnsafeBufferPointer { ikm in
            salt.withUnsafeBufferPointer { salt in
                info.withUnsafeBufferPointer { info in
                    output.withUnsafeMutableBufferPointer { out in
                        copenssl_hkdf_sha256(FetchedAlgorithms.shared.hkdf,
                                             ikm.baseAddress, ikm.count,
                                             salt.baseAddress, salt.count,
                                             info.baseAddress, info.count,
                                             out.baseAddress, out.count)
                    }
                }
            }
        }
        guard ok == 1 else { throw CryptoError.openSSL("HKDF-SHA256") }
        return output
    }
}
