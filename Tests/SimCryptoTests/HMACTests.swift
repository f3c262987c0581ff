import Testing
@testable import SimCrypto

/// RFC 4231 §4.2–4.8, HMAC-SHA-256 results.
@Suite struct HMACTests {
    struct Vector: Sendable, CustomStringConvertible {
        let name: String, key: [UInt8], data: [UInt8], mac: String
        var description: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "RFC 4231 test case 1", key: [UInt8](repeating: 0x0b, count: 20), data: Array("Hi There".utf8),
               mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        Vector(name: "RFC 4231 test case 2 (short key)", key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8),
               mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        Vector(name: "RFC 4231 test case 3", key: [UInt8](repeating: 0xaa, count: 20), data: [UInt8](repeating: 0xdd, count: 50),
               mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        Vector(name: "RFC 4231 test case 4", key: Array(1...25), data: [UInt8](repeating: 0xcd, count: 50),
               mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        Vector(name: "RFC 4231 test case 6 (key longer than a block)", key: [UInt8](repeating: 0xaa, count: 131),
               data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
               mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        Vector(name: "RFC 4231 test case 7 (long key and data)", key: [UInt8](repeating: 0xaa, count: 131),
               data: Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
               mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    @Test(arguments: vectors)
    func rfc4231(_ vector: Vector) {
        #expect(hexString(HMACSHA256.authenticate(key: vector.key, message: vector.data)) == vector.mac)
    }

    /// The prepared key (inner and outer states computed once) gives the RFC's MACs too, for every key length
    /// (empty, short, a block or longer, which is hashed first), and one key serves many messages.
    @Test(arguments: vectors)
    func preparedKeyMatchesRFC4231(_ vector: Vector) {
        let key = HMACSHA256Key(vector.key)
        #expect(hexString(key.authenticate(vector.data)) == vector.mac)
        #expect(hexString(key.authenticate(vector.data)) == vector.mac, "a second message under the same prepared key")
    }

    @Test("prepared keys agree with the EVP path for every key length around the block size")
    func preparedKeyAgreesWithEVP() {
        for length in [0, 1, 31, 32, 63, 64, 65, 128, 200] {
            let key = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            for message in [[UInt8](), [1, 2, 3], [UInt8](repeating: 0x5a, count: 1000)] {
                #expect(HMACSHA256Key(key).authenticate(message) == HMACSHA256.authenticate(key: key, message: message), "key \(length) bytes")
            }
        }
    }

    @Test("RFC 4231 test case 5: output truncated to 128 bits")
    func truncated() {
        let mac = HMACSHA256.authenticate(key: [UInt8](repeating: 0x0c, count: 20), message: Array("Test With Truncation".utf8))
        #expect(hexString(mac.prefix(16)) == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test("re-keying the per-thread context between calls gives independent results")
    func interleavedKeys() {
        let a = HMACSHA256.authenticate(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        _ = HMACSHA256.authenticate(key: [UInt8](repeating: 0xaa, count: 131), message: [UInt8](repeating: 1, count: 1000))
        let b = HMACSHA256.authenticate(key: Array("Jefe".utf8), message: "what do ya want for nothing?")
        #expect(a == b)
        #expect(hexString(a) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("empty key and empty message are accepted")
    func emptyInputs() {
        // Reference value: Python `hmac.new(b"", b"", hashlib.sha256).hexdigest()`.
        #expect(hexString(HMACSHA256.authenticate(key: [], message: [UInt8]())) ==
                "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test("isValid and constantTimeEquals")
    func verification() {
        let key = [UInt8](repeating: 7, count: 32)
        let tag = HMACSHA256.authenticate(key: key, message: [1, 2, 3])
        #expect(HMACSHA256.isValid(tag: tag, key: key, message: [1, 2, 3]))
        var flipped = tag
        flipped[31] ^= 1
        #expect(!HMACSHA256.isValid(tag: flipped, key: key, message: [1, 2, 3]))
        #expect(!HMACSHA256.isValid(tag: Array(tag.prefix(16)), key: key, message: [1, 2, 3]))
        #expect(constantTimeEquals([], []))
        #expect(!constantTimeEquals([1], [1, 2]))
    }

    @Test("many threads at once give the same tags")
    func concurrent() async {
        let expected = HMACSHA256.authenticate(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        let results = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for i in 0..<8 {
                group.addTask {
                    var ok = true
                    for j in 0..<200 {
                        let other = HMACSHA256.authenticate(key: [UInt8(i), UInt8(j & 0xff)], message: [UInt8](repeating: 3, count: j))
                        let mine = HMACSHA256.authenticate(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                        ok = ok && mine == expected && other.count == 32
                    }
                    return ok
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == [Bool](repeating: true, count: 8))
    }
}
