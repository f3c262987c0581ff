import Testing
@testable import SimCrypto

/// RFC 5869 Appendix A, test cases 1–3 (the SHA-256 ones).
@Suite struct HKDFTests {
    @Test("RFC 5869 A.1: basic test case with SHA-256")
    func case1() throws {
        let okm = try HKDFSHA256.deriveKey(
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22),
            salt: try hex("000102030405060708090a0b0c"),
            info: try hex("f0f1f2f3f4f5f6f7f8f9"),
            outputByteCount: 42)
        #expect(hexString(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test("RFC 5869 A.2: longer inputs and outputs")
    func case2() throws {
        let okm = try HKDFSHA256.deriveKey(
            inputKeyMaterial: Array(0x00...0x4f),
            salt: Array(0x60...0xaf),
            info: Array(0xb0...0xff),
            outputByteCount: 82)
        #expect(hexString(okm) == """
            b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
            59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
            cc30c58179ec3e87c14c01d5c1f3434f1d87
            """)
    }

    @Test("RFC 5869 A.3: zero-length salt and info")
    func case3() throws {
        let okm = try HKDFSHA256.deriveKey(
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [], outputByteCount: 42)
        #expect(hexString(okm) == "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test("output length limits are enforced with a clear error")
    func limits() throws {
        #expect(throws: CryptoError.self) {
            try HKDFSHA256.deriveKey(inputKeyMaterial: [1], salt: [], info: [], outputByteCount: 0)
        }
        let error = try #require(throws: CryptoError.self) {
            try HKDFSHA256.deriveKey(inputKeyMaterial: [1], salt: [], info: [], outputByteCount: 255 * 32 + 1)
        }
        #expect(error.code == .invalidParameter)
        #expect(error.description.contains("8160"))
        #expect(try HKDFSHA256.deriveKey(inputKeyMaterial: [1], salt: [], info: [], outputByteCount: 255 * 32).count == 8160)
    }
}
