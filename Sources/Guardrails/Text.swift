// Shared text machinery: byte classes, token hashing, an open-addressing UInt64 table, the
// tokenizer every lexicon policy uses, and a light stemmer for topics and grounding.
// Everything works on UTF-8 bytes so one pass serves all policies without String slicing.

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
@inline(__always) func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
@inline(__always) func isLower(_ c: UInt8) -> Bool { c &- 0x61 < 26 }
@inline(__always) func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
@inline(__always) func isAlnum(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
@inline(__always) func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) &- 0x61 < 6 }
@inline(__always) func lower(_ c: UInt8) -> UInt8 { isUpper(c) ? c | 0x20 : c }
@inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
/// Word bytes for tokenization: ASCII letters and digits, and any non-ASCII UTF-8 byte
/// (so accented words stay one token).
@inline(__always) func isWordByte(_ c: UInt8) -> Bool { isAlnum(c) || c >= 0x80 }

enum TokenHash {
    static let seed: UInt64 = 0xCBF2_9CE4_8422_2325
    @inline(__always) static func step(_ h: UInt64, _ c: UInt8) -> UInt64 { (h ^ UInt64(c)) &* 0x0000_0100_0000_01B3 }
    /// Order-dependent combination of token hashes into a phrase hash.
    @inline(__always) static func combine(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var x = (a &* 0x9E37_79B9_7F4A_7C15) ^ b
        x ^= x >> 29
        return x
    }
    static func lowercased(_ s: some Sequence<UInt8>) -> UInt64 {
        var h = seed
        for c in s { h = step(h, lower(c)) }
        return h
    }
}

/// Open-addressing hash map from non-zero-mapped UInt64 keys to small values. Faster than
/// Dictionary for hot lookups because the keys are already well mixed hashes.
struct HashTable64<Value: Sendable>: Sendable {
    private var keys: [UInt64]
    private var values: [Value?]
    private var mask: Int
    private(set) var count = 0

    init(capacity: Int = 16) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        keys = Array(repeating: 0, count: n)
        values = Array(repeating: nil, count: n)
        mask = n - 1
    }

    @inline(__always) private static func fix(_ k: UInt64) -> UInt64 { k == 0 ? 1 : k }
    @inline(__always) private func slot(_ k: UInt64) -> Int { Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask }

    /// Slot of `key`, or -1. Unchecked pointer access: this probe runs once per token in every policy.
    @inline(__always) func find(_ key: UInt64) -> Int {
        let k = Self.fix(key)
        let m = mask
        return keys.withUnsafeBufferPointer { kp -> Int in
            var i = Int(truncatingIfNeeded: (k &* 0x9E37_79B9_7F4A_7C15) >> 20) & m
            while true {
                let s = kp[i]
                if s == k { return i }
                if s == 0 { return -1 }
                i = (i + 1) & m
            }
        }
    }

    @inline(__always) func get(_ key: UInt64) -> Value? {
        let i = find(key)
        return i < 0 ? nil : values[i]
    }

    @inline(__always) func contains(_ key: UInt64) -> Bool { find(key) >= 0 }

    mutating func set(_ key: UInt64, _ value: Value) {
        if (count + 1) * 2 > keys.count { grow() }
        let k = Self.fix(key)
        var i = slot(k)
        while true {
            if keys[i] == k { values[i] = value; return }
            if keys[i] == 0 { keys[i] = k; values[i] = value; count += 1; return }
            i = (i + 1) & mask
        }
    }

    /// Updates the value in place, inserting `initial` first when absent.
    mutating func update(_ key: UInt64, initial: Value, _ body: (inout Value) -> Void) {
        var v = get(key) ?? initial
        body(&v)
        set(key, v)
    }

    private mutating func grow() {
        let oldK = keys, oldV = values
        let n = keys.count * 2
        keys = Array(repeating: 0, count: n)
        values = Array(repeating: nil, count: n)
        mask = n - 1
        count = 0
        for (i, k) in oldK.enumerated() where k != 0 {
            if let v = oldV[i] { set(k, v) }
        }
    }
}

/// One word of a text: byte range, lowercase hash, and a few shape flags.
struct Token: Sendable {
    var start: Int32
    var end: Int32
    var hash: UInt64
    var flags: UInt8

    static let capitalized: UInt8 = 1
    static let sentenceEnd: UInt8 = 2   // a sentence boundary follows this token
    static let hasDigit: UInt8 = 4
    static let allUpper: UInt8 = 8

    var isCapitalized: Bool { flags & Token.capitalized != 0 }
    var endsSentence: Bool { flags & Token.sentenceEnd != 0 }
    var length: Int { Int(end - start) }
}

enum Tokenizer {
    /// Splits UTF-8 bytes into word tokens (runs of letters, digits and non-ASCII bytes).
    /// A token ends a sentence when '.', '!', '?', ';' or a newline follows it (a '.' only
    /// counts when whitespace or the end follows, so "3.5" and "e.g" stay inside a sentence).
    static func tokenize(_ p: UnsafeBufferPointer<UInt8>) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(p.count / 5 + 1)
        let n = p.count
        var i = 0
        while i < n {
            let c = p[i]
            if !isWordByte(c) {
                if c == UInt8(ascii: "!") || c == UInt8(ascii: "?") || c == UInt8(ascii: ";") || c == 0x0A
                    || (c == UInt8(ascii: ".") && (i + 1 == n || isSpace(p[i + 1]))) {
                    if !out.isEmpty { out[out.count - 1].flags |= Token.sentenceEnd }
                }
                i += 1
                continue
            }
            let start = i
            var h = TokenHash.seed
            var flags: UInt8 = isUpper(c) ? Token.capitalized | Token.allUpper : 0
            while i < n {
                let d = p[i]
                guard isWordByte(d) else { break }
                if isDigit(d) { flags |= Token.hasDigit } else if isLower(d) { flags &= ~Token.allUpper }
                h = TokenHash.step(h, lower(d))
                i += 1
            }
            out.append(Token(start: Int32(start), end: Int32(i), hash: h, flags: flags))
        }
        if let last = out.indices.last { out[last].flags |= Token.sentenceEnd }
        return out
    }

    /// Sentence ranges as token index ranges.
    static func sentences(_ tokens: [Token]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var s = 0
        for (i, t) in tokens.enumerated() where t.endsSentence {
            out.append(s..<(i + 1))
            s = i + 1
        }
        if s < tokens.count { out.append(s..<tokens.count) }
        return out
    }
}

/// A deliberately small suffix-stripping stemmer (not Porter): enough to map
/// invest/investing/investment/investor, or fund/funds, onto one key for topic and grounding
/// overlap, and identical for configuration text and runtime text.
enum Stemmer {
    static func stemHash(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var e = end
        let len = { e - start }
        @inline(__always) func ends(_ s: StaticString) -> Bool {
            let n = s.utf8CodeUnitCount
            guard e - start > n else { return false }
            let q = s.utf8Start
            for k in 0..<n where lower(p[e - n + k]) != q[k] { return false }
            return true
        }
        if ends("'s") { e -= 2 }
        if len() > 4, ends("ies") { e -= 3; return hash(p, start, e) }  // policies -> polic, like policy
        if len() > 3, ends("s"), !ends("ss"), !ends("us"), !ends("is") { e -= 1 }
        if len() > 6, ends("ment") { e -= 4 }
        if len() > 5, ends("ing") { e -= 3 } else if len() > 4, ends("ed") { e -= 2 }
        if len() > 6, ends("ation") { e -= 5 } else if len() > 5, ends("ion") { e -= 3 }
        if len() > 5, ends("er") || ends("or") { e -= 2 }
        if len() > 4, ends("ly") { e -= 2 }
        if len() > 3, ends("e") { e -= 1 }
        if len() > 3, ends("y") { e -= 1 }
        return hash(p, start, e)
    }

    private static func hash(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int) -> UInt64 {
        var h = TokenHash.seed
        for k in s..<e { h = TokenHash.step(h, lower(p[k])) }
        return h
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` over the bytes without copying.
    @inline(__always) func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        withUnsafeBufferPointer(body)
    }
}
