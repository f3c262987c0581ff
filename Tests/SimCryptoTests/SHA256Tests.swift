import Testing
@testable import SimCrypto

/// FIPS 180-2 Appendix B (and the NIST "SHA-256 examples" sheet): one-block, two-block and
/// one-million-'a' messages; the empty-string digest is the well-known e3b0c442... value.
@Suite struct SHA256Tests {
    @Test("FIPS 180-2 B.1: \"abc\"")
    func abc() throws {
        #expect(SHA256Digest.hash(ascii("abc")) == (try hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")))
    }

    @Test("FIPS 180-2 B.2: 448-bit two-block message")
    func twoBlocks() throws {
        let message = ascii("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        #expect(SHA256Digest.hexDigest(message) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("FIPS 180-2 B.3: one million 'a'")
    func millionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(SHA256Digest.hexDigest(message) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("empty input")
    func empty() {
        #expect(SHA256Digest.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("non-contiguous collections hash the same as arrays")
    func slicesAndSequences() {
        let bytes = ascii("xxabcxx")
        #expect(SHA256Digest.hash(bytes[2..<5]) == SHA256Digest.hash(ascii("abc")))
        #expect(SHA256Digest.hash(ascii("abc").reversed().reversed()) == SHA256Digest.hash(ascii("abc")))
    }

    @Test("hex helpers round-trip and reject bad input")
    func hexHelpers() {
        #expect(hexString([0x00, 0xab, 0xff]) == "00abff")
        #expect(SHA256Digest.hex([0x0f]) == "0f")
        #expect(bytes(fromHex: "00ABff") == [0x00, 0xab, 0xff])
        #expect(bytes(fromHex: "abc") == nil)
        #expect(bytes(fromHex: "zz") == nil)
        #expect(bytes(fromHex: "") == [])
    }

    @Test("hex of contiguous and non-contiguous collections alike")
    func hexOfCollections() {
        let b: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff]
        #expect(hexString(b[1..<4]) == "017f80")                                   // a slice: the buffer path
        #expect(hexString(b.reversed()) == "ffab807f0100")                          // no contiguous storage
        #expect(hexString(b.lazy.map { $0 ^ 0xff }) == "fffe807f5400")              // neither
        #expect(SHA256Digest.hex(b[4...]) == "abff")
        #expect(hexString([UInt8]()) == "" && hexString(b[0..<0]) == "")
    }
}
