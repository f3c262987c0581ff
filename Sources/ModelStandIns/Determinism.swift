// Seeded hashing and pseudo-randomness.
//
// Swift's Hasher is randomly seeded per process, so every hash here is spelled out
// (FNV-1a, 64-bit) and every random draw comes from SplitMix64: the same input gives
// the same bytes in every process and on every run.

enum StableHash {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    static func fnv1a<S: Sequence>(_ bytes: S, seed: UInt64 = offset) -> UInt64 where S.Element == UInt8 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* prime
        }
        return h
    }

    @inline(__always)
    static func fnv1a(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        var h = seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* prime
        }
        return h
    }

    static func fnv1a(_ text: String, seed: UInt64) -> UInt64 { UTF8Text.withBytes(text) { fnv1a($0, seed: seed) } }

    static func of(_ text: String, seed: UInt64 = offset) -> UInt64 { fnv1a(text, seed: seed) }

    /// Hash of several strings, each terminated by a 0 byte so ("ab","c") != ("a","bc").
    static func of(parts: [String], seed: UInt64 = offset) -> UInt64 {
        var h = seed
        for p in parts {
            h = fnv1a(p, seed: h)
            h = fnv1a(CollectionOfOne(0), seed: h)
        }
        return mix(h)
    }

    /// A generation's seed: the model id, then the prompt text, eight bytes per step (a multiply and an xor-shift
    /// per word, each part's length mixed in first and a separator step after it, so ("ab","c") != ("a","bc")), then
    /// SplitMix64. FNV-1a's multiply per byte made this the escrow host's largest single cost on a 1 KiB prompt;
    /// this is about eight times fewer dependent multiplies.
    static func seed(_ modelId: String, _ text: String) -> UInt64 {
        var h = UTF8Text.withBytes(modelId) { words($0, seed: offset) }
        h = (h ^ 0xFF) &* 0x9E37_79B9_7F4A_7C15
        h = UTF8Text.withBytes(text) { words($0, seed: h) }
        return mix((h ^ 0xFF) &* 0x9E37_79B9_7F4A_7C15)
    }

    @inline(__always)
    static func words(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        var h = seed ^ UInt64(bytes.count)
        guard let base = bytes.baseAddress else { return h }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= bytes.count {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            h = ((h ^ w) &* 0xBF58_476D_1CE4_E5B9)
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count { tail |= UInt64(base[i]) << shift; shift += 8; i += 1 }
        return (h ^ tail) &* 0x94D0_49BB_1331_11EB
    }

    /// SplitMix64 finaliser: spreads FNV's weak low bits.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// SplitMix64 generator (Steele, Lea, Flood 2014).
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n without modulo bias worth caring about for small n; stable across platforms
    /// (unlike `Int.random(in:using:)`, whose algorithm the standard library may change).
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}

enum Base58 {
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")

    /// `count` characters drawn from a generator seeded by `seed`.
    static func string(seed: UInt64, count: Int) -> String {
        var g = SeededGenerator(seed: seed)
        return String((0..<count).map { _ in alphabet[g.below(alphabet.count)] })
    }
}
