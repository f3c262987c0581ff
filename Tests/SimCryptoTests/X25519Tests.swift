import Testing
@testable import SimCrypto

/// RFC 7748 §5.2 (scalar multiplication vectors, including the iterated one) and §6.1 (Diffie-Hellman).
@Suite struct X25519Tests {
    @Test("RFC 7748 §5.2 first vector")
    func scalarMult1() throws {
        let k = try X25519PrivateKey(rawRepresentation: try hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"))
        let out = try k.sharedSecret(withPublicKey: try hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"))
        #expect(hexString(out) == "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")
    }

    @Test("RFC 7748 §5.2 second vector (u with the top bit set, which must be masked)")
    func scalarMult2() throws {
        let k = try X25519PrivateKey(rawRepresentation: try hex("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"))
        let out = try k.sharedSecret(withPublicKey: try hex("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"))
        #expect(hexString(out) == "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")
    }

    @Test("RFC 7748 §5.2 iterated: after 1 and 1,000 iterations")
    func iterated() throws {
        var k = [UInt8](repeating: 0, count: 32)
        k[0] = 9
        var u = k
        var results: [Int: String] = [:]
        for i in 1...1000 {
            let next = try X25519PrivateKey(rawRepresentation: k).sharedSecret(withPublicKey: u)
            u = k
            k = next
            if i == 1 || i == 1000 { results[i] = hexString(k) }
        }
        #expect(results[1] == "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")
        #expect(results[1000] == "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")
    }

    @Test("RFC 7748 §6.1 Diffie-Hellman: public keys and shared secret")
    func diffieHellman() throws {
        let alice = try X25519PrivateKey(rawRepresentation: try hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
        let bob = try X25519PrivateKey(rawRepresentation: try hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(hexString(alice.publicKey) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(hexString(bob.publicKey) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(hexString(try alice.sharedSecret(withPublicKey: bob.publicKey)) == shared)
        #expect(hexString(try bob.sharedSecret(withPublicKey: alice.publicKey)) == shared)
    }

    @Test("random keys agree with each other")
    func randomKeys() throws {
        let a = try X25519PrivateKey(), b = try X25519PrivateKey()
        #expect(a.rawRepresentation != b.rawRepresentation)
        #expect(try a.sharedSecret(withPublicKey: b.publicKey) == (try b.sharedSecret(withPublicKey: a.publicKey)))
    }

    @Test("low-order peer keys (all-zero shared secret) are rejected", arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",  // u = 0
        "0100000000000000000000000000000000000000000000000000000000000000",  // u = 1
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",  // order-8 point
    ])
    func lowOrder(_ peer: String) throws {
        let key = try X25519PrivateKey()
        let error = try #require(throws: CryptoError.self) { try key.sharedSecret(withPublicKey: try hex(peer)) }
        #expect(error.code == .invalidPublicKey)
    }

    @Test("wrong lengths are rejected")
    func lengths() throws {
        #expect(throws: CryptoError.self) { try X25519PrivateKey(rawRepresentation: [1, 2, 3]) }
        let key = try X25519PrivateKey()
        let error = try #require(throws: CryptoError.self) { try key.sharedSecret(withPublicKey: [UInt8](repeating: 9, count: 31)) }
        #expect(error.code == .invalidPublicKey)
    }
}
