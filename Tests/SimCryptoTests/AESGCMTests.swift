import Testing
@testable import SimCrypto

/// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", Appendix B, test cases 13–16
/// (the AES-256 ones; also in NIST's GCM test vectors).
@Suite struct AESGCMTests {
    static let key15 = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
    static let iv15 = "cafebabefacedbaddecaf888"
    static let plain15 = """
        d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
        1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255
        """
    static let cipher15 = """
        522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
        8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad
        """

    @Test("GCM test case 13: zero key, empty plaintext")
    func case13() throws {
        let gcm = try AES256GCM(key: [UInt8](repeating: 0, count: 32))
        let sealed = try gcm.seal(nonce: [UInt8](repeating: 0, count: 12), plaintext: [UInt8](), aad: [UInt8]())
        #expect(hexString(sealed) == "530f8afbc74536b9a963b4f1c4cb738b")
        #expect(try gcm.open(nonce: [UInt8](repeating: 0, count: 12), sealed: sealed, aad: [UInt8]()) == [])
    }

    @Test("GCM test case 14: zero key, one zero block")
    func case14() throws {
        let gcm = try AES256GCM(key: [UInt8](repeating: 0, count: 32))
        let sealed = try gcm.seal(nonce: [UInt8](repeating: 0, count: 12), plaintext: [UInt8](repeating: 0, count: 16), aad: [UInt8]())
        #expect(hexString(sealed) == "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919")
    }

    @Test("GCM test case 15: 64-byte plaintext, no AAD")
    func case15() throws {
        let gcm = try AES256GCM(key: try hex(Self.key15))
        let sealed = try gcm.seal(nonce: try hex(Self.iv15), plaintext: try hex(Self.plain15), aad: [UInt8]())
        #expect(hexString(sealed) == Self.cipher15 + "b094dac5d93471bdec1a502270e3cc6c")
        #expect(try gcm.open(nonce: try hex(Self.iv15), sealed: sealed, aad: [UInt8]()) == (try hex(Self.plain15)))
        // Later calls reuse the expanded key in the context (nonce-only re-init): same answer.
        let again = try gcm.seal(nonce: try hex(Self.iv15), plaintext: try hex(Self.plain15), aad: [UInt8]())
        #expect(again == sealed)
    }

    @Test("GCM test case 16: 60-byte plaintext with 20-byte AAD")
    func case16() throws {
        let gcm = try AES256GCM(key: try hex(Self.key15))
        let plain = Array(try hex(Self.plain15).prefix(60))
        let aad = try hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = try gcm.seal(nonce: try hex(Self.iv15), plaintext: plain, aad: aad)
        #expect(hexString(sealed.prefix(60)) == String(Self.cipher15.prefix(120)))
        #expect(hexString(sealed.suffix(16)) == "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try gcm.open(nonce: try hex(Self.iv15), sealed: sealed, aad: aad) == plain)
    }

    /// A sealed test-case-16 message and the pieces to reopen it.
    func sealed16() throws -> (AES256GCM, nonce: [UInt8], sealed: [UInt8], aad: [UInt8]) {
        let gcm = try AES256GCM(key: try hex(Self.key15))
        let nonce = try hex(Self.iv15)
        let aad = try hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = try gcm.seal(nonce: nonce, plaintext: Array(try hex(Self.plain15).prefix(60)), aad: aad)
        return (gcm, nonce, sealed, aad)
    }

    @Test("tamper: every flipped ciphertext or tag byte is rejected", arguments: [0, 1, 30, 59, 60, 75])
    func flippedByte(_ index: Int) throws {
        let (gcm, nonce, sealed, aad) = try sealed16()
        var tampered = sealed
        tampered[index] ^= 0x01
        #expect(throws: CryptoError.authenticationFailure) { try gcm.open(nonce: nonce, sealed: tampered, aad: aad) }
    }

    @Test("tamper: wrong or missing AAD is rejected")
    func wrongAAD() throws {
        let (gcm, nonce, sealed, aad) = try sealed16()
        var otherAAD = aad
        otherAAD[0] ^= 0x80
        #expect(throws: CryptoError.authenticationFailure) { try gcm.open(nonce: nonce, sealed: sealed, aad: otherAAD) }
        #expect(throws: CryptoError.authenticationFailure) { try gcm.open(nonce: nonce, sealed: sealed, aad: [UInt8]()) }
    }

    @Test("tamper: truncated tag or input shorter than a tag is rejected", arguments: [1, 4, 16, 70, 76])
    func truncated(_ dropped: Int) throws {
        let (gcm, nonce, sealed, aad) = try sealed16()
        #expect(throws: CryptoError.authenticationFailure) {
            try gcm.open(nonce: nonce, sealed: Array(sealed.dropLast(dropped)), aad: aad)
        }
    }

    @Test("tamper: wrong nonce or wrong key is rejected")
    func wrongNonceOrKey() throws {
        let (gcm, nonce, sealed, aad) = try sealed16()
        var otherNonce = nonce
        otherNonce[11] ^= 1
        #expect(throws: CryptoError.authenticationFailure) { try gcm.open(nonce: otherNonce, sealed: sealed, aad: aad) }
        let other = try AES256GCM(key: [UInt8](repeating: 1, count: 32))
        #expect(throws: CryptoError.authenticationFailure) { try other.open(nonce: nonce, sealed: sealed, aad: aad) }
        // A failure leaves the instance usable.
        #expect(try gcm.open(nonce: nonce, sealed: sealed, aad: aad).count == 60)
    }

    @Test("one instance alternates seal and open; slices work as input")
    func reuse() throws {
        let gcm = try AES256GCM(key: SecureRandom.bytes(32))
        for i in 0..<50 {
            var nonce = [UInt8](repeating: 0, count: 12)
            nonce[11] = UInt8(i)
            let message = SecureRandom.bytes(i * 7)
            let framed = [0xff] + message + [0xff]
            let sealed = try gcm.seal(nonce: nonce, plaintext: framed[1..<(framed.count - 1)], aad: Array("hdr".utf8))
            #expect(sealed.count == message.count + 16)
            #expect(try gcm.open(nonce: nonce, sealed: sealed, aad: Array("hdr".utf8)) == message)
        }
    }

    @Test("bad key and nonce lengths give clear errors")
    func lengths() throws {
        let keyError = try #require(throws: CryptoError.self) { try AES256GCM(key: [UInt8](repeating: 0, count: 16)) }
        #expect(keyError.code == .invalidKey)
        #expect(keyError.description.contains("expected 32 bytes, got 16"))
        let gcm = try AES256GCM(key: [UInt8](repeating: 0, count: 32))
        let nonceError = try #require(throws: CryptoError.self) {
            try gcm.seal(nonce: [1, 2, 3], plaintext: [UInt8](), aad: [UInt8]())
        }
        #expect(nonceError.code == .invalidNonce)
    }

    @Test("sealing into a buffer writes test case 16 in place; too little room is a clear error, not an overrun")
    func sealInto() throws {
        let gcm = try AES256GCM(key: try hex(Self.key15))
        let nonce = try hex(Self.iv15), aad = try hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let plain = Array(try hex(Self.plain15).prefix(60))
        var out = [UInt8](repeating: 0xEE, count: 80)
        let n = try nonce.withUnsafeBytes { nonce in
            try plain.withUnsafeBytes { plain in
                try aad.withUnsafeBytes { aad in
                    try out.withUnsafeMutableBytes { try gcm.seal(nonce: nonce, plaintext: plain, aad: aad, into: $0) }
                }
            }
        }
        #expect(n == 76 && hexString(out.prefix(76)) == String(Self.cipher15.prefix(120)) + "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(out.suffix(4) == [0xEE, 0xEE, 0xEE, 0xEE])
        var small = [UInt8](repeating: 0, count: 75)
        let error = try #require(throws: CryptoError.self) {
            try nonce.withUnsafeBytes { nonce in
                try plain.withUnsafeBytes { plain in
                    try small.withUnsafeMutableBytes { try gcm.seal(nonce: nonce, plaintext: plain, aad: UnsafeRawBufferPointer(start: nil, count: 0), into: $0) }
                }
            }
        }
        #expect(error.code == .invalidParameter && error.description.contains("75 bytes"))
    }
}

@Suite struct RandomTests {
    @Test("SecureRandom returns the requested count and differs between calls")
    func random() {
        #expect(SecureRandom.bytes(0) == [])
        let a = SecureRandom.bytes(32), b = SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test("the benchmark runs and reports every primitive")
    func benchmark() {
        let report = SimCryptoBenchmark.run(iterations: 100)
        for name in ["AES-256-GCM", "HMAC-SHA256", "SHA-256", "X25519"] {
            #expect(report.contains(name))
        }
    }
}
