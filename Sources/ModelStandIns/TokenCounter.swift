// A deterministic, approximate tokenizer shared by input counts, usage fields, the
// invocation metrics and CountTokens, so every count in the simulator agrees.
//
// Rules, applied left to right over Unicode scalars:
//   * whitespace is not a token; it is attached to the token that follows it;
//   * a special marker `<|name|>` (no whitespace, at most 40 scalars), as used by Llama 3
//     chat templates, is one token;
//   * an ideograph (CJK and similar) is one token on its own;
//   * a run of word characters (letters, digits, combining marks, `_`) is one token per
//     started group of 4 scalars ("tokenizer" = "toke" "nize" "r" = 3 tokens);
//   * every other scalar (punctuation, symbols, emoji) is one token.
// Real BPE tokenizers average roughly 4 characters per English token, which this matches
// closely enough for quotas, metrics and max-token caps.

public enum TokenCounter {
    /// Number of tokens in `text`.
    public static func count(_ text: String) -> Int {
        UTF8Text.withBytes(text) { count($0, cutAt: .max).count }
    }

    /// Number of tokens in the UTF-8 text `bytes[range]` (a range on scalar boundaries).
    static func count(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
        bytes.withUnsafeBufferPointer { count(UnsafeBufferPointer(rebasing: $0[range]), cutAt: .max).count }
    }

    /// The tokens of `text` as strings, each carrying the whitespace before it; trailing
    /// whitespace is attached to the last token. When `text` has at least one token the
    /// pieces concatenate back to `text` exactly, and `pieces(text).count == count(text)`.
    /// Each piece on its own counts as exactly one token.
    public static func pieces(_ text: String) -> [String] {
        UTF8Text.withBytes(text) { p in
            var ends: [Int] = []
            scan(p) { _, end in ends.append(end); return true }
            guard !ends.isEmpty else { return [] }
            ends[ends.count - 1] = p.count
            var out: [String] = []
            out.reserveCapacity(ends.count)
            var cursor = 0
            for end in ends {
                // Token bounds are scalar boundaries, so each slice is valid UTF-8.
                out.append(String(decoding: UnsafeBufferPointer(rebasing: p[cursor..<end]), as: UTF8.self))
                cursor = end
            }
            return out
        }
    }

    /// Token count of `text` and, when it exceeds `limit`, the UTF-8 length of its first
    /// `limit` pieces (`pieces(text).prefix(limit).joined()`), found without building pieces.
    static func count(_ text: String, cutAt limit: Int) -> (count: Int, prefixBytes: Int?) {
        UTF8Text.withBytes(text) { count($0, cutAt: limit) }
    }

    /// The same over UTF-8 bytes: the ASCII table loop when it can decide, the general scan otherwise. With no
    /// limit (`.max`) it is the plain count.
    static func count(_ p: UnsafeBufferPointer<UInt8>, cutAt limit: Int) -> (count: Int, prefixBytes: Int?) {
        countASCII(p, cutAt: limit) ?? countScanning(p, cutAt: limit)
    }

    /// `count(_:cutAt:)` by the general scan (which stops after the token past the limit, so the count it gives
    /// then is `limit + 1`).
    static func countScanning(_ p: UnsafeBufferPointer<UInt8>, cutAt limit: Int) -> (count: Int, prefixBytes: Int?) {
        var n = 0
        var cut = 0
        scan(p) { _, end in
            n += 1
            if n == limit { cut = end }
            return n <= limit
        }
        return n > limit ? (n, cut) : (n, nil)
    }

    /// The count (with the cut) of an ASCII text without "<" (no `<|marker|>` to look for) in one tight loop, or nil
    /// to send the text to the general scan. A run of word bytes is one token per started group of four (the k-th
    /// token of a run from s to e ends at min(s + 4k, e)); every other non-space byte is a token of its own. The class
    /// table is fetched once per call (a global's lazy-initialisation check per byte would cost more than the lookup).
    static func countASCII(_ p: UnsafeBufferPointer<UInt8>, cutAt limit: Int) -> (count: Int, prefixBytes: Int?)? {
        guard let base = p.baseAddress else { return (0, nil) }
        let end = p.count
        return ASCIIClasses.table.withUnsafeBufferPointer { table -> (count: Int, prefixBytes: Int?)? in
            var n = 0
            var cut = 0
            var i = 0
            while i < end {
                let c = table[Int(base[i])]
                if c == 3 { return nil }
                if c == 1 {
                    let start = i
                    i += 1
                    while i < end && table[Int(base[i])] == 1 { i += 1 }
                    let t = (i - start + 3) >> 2
                    if n < limit && n + t >= limit { cut = min(start + 4 * (limit - n), i) }
                    n += t
                } else {
                    i += 1
                    if c == 2 { n += 1; if n == limit { cut = i } }
                }
                if n > limit {
                    // The scan stops at the token past the limit; any later non-ASCII byte or "<" it never reads.
                    return (limit + 1, cut)
                }
            }
            return (n, nil)
        }
    }

    /// Scalar classes.
    enum Kind: UInt8 { case space, word, ideograph, other }

    @inline(__always)
    static func kind(_ v: UInt32) -> Kind {
        if v < 0x80 { return asciiKind(UInt8(truncatingIfNeeded: v)) }
        guard let c = Unicode.Scalar(v) else { return .other }
        let p = c.properties
        if p.isWhitespace { return .space }
        if p.isIdeographic { return .ideograph }
        if p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark { return .word }
        return .other
    }

    /// ASCII classes as bit masks (bit b of lo, or bit b-64 of hi): Unicode property queries,
    /// and even a static table's lazy-initialisation check, are too slow for the per-byte loop.
    /// Space: U+0009–U+000D and U+0020 (Unicode White_Space); word: 0-9, A-Z, a-z, _.
    @inline(__always)
    static func asciiKind(_ b: UInt8) -> Kind {
        if b < 64 {
            if (0x1_0000_3E00 as UInt64) >> b & 1 != 0 { return .space }
            return (0x03FF_0000_0000_0000 as UInt64) >> b & 1 != 0 ? .word : .other
        }
        return (0x07FF_FFFE_87FF_FFFE as UInt64) >> (b & 63) & 1 != 0 ? .word : .other
    }

    /// Calls `emit(start, end)` with the UTF-8 byte offsets of each token (whitespace
    /// excluded) until it returns false. Offsets are scalar boundaries.
    @inline(__always)
    static func scan(_ p: UnsafeBufferPointer<UInt8>, _ emit: (Int, Int) -> Bool) {
        let n = p.count
        var i = 0
        while i < n {
            let (c, len) = UTF8Text.decode(p, i)
            switch kind(c) {
            case .space:
                i += len
            case .ideograph:
                if !emit(i, i + len) { return }
                i += len
            case .word:
                // One token per started group of 4 scalars of the run.
                var groupStart = i
                var inGroup = 1
                var j = i + len
                while j < n {
                    let b = p[j]
                    let l2: Int
                    if b < 0x80 {
                        guard asciiKind(b) == .word else { break }
                        l2 = 1
                    } else {
                        let (c2, l) = UTF8Text.decode(p, j)
                        guard kind(c2) == .word else { break }
                        l2 = l
                    }
                    if inGroup == 4 {
                        if !emit(groupStart, j) { return }
                        groupStart = j
                        inGroup = 0
                    }
                    inGroup += 1
                    j += l2
                }
                if !emit(groupStart, j) { return }
                i = j
            case .other:
                if c == 0x3C, let end = specialMarkerEnd(p, from: i) {
                    if !emit(i, end) { return }
                    i = end
                } else {
                    if !emit(i, i + len) { return }
                    i += len
                }
            }
        }
    }

    /// End byte offset (exclusive) of a `<|name|>` marker starting at byte `i`, if there is
    /// one: no whitespace, at most 40 scalars from `<` to the closing `|`.
    static func specialMarkerEnd(_ p: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
        let n = p.count
        guard i + 1 < n, p[i + 1] == UInt8(ascii: "|") else { return nil }
        var j = i + 2  // byte offset of scalar number `scalars` after `<`
        var scalars = 2
        while j < n, scalars < 40 {
            let (c, len) = UTF8Text.decode(p, j)
            guard j + len < n else { return nil }  // needs a scalar after this one
            if kind(c) == .space { return nil }
            if c == 0x7C, p[j + 1] == UInt8(ascii: ">") { return scalars > 2 ? j + 2 : nil }
            j += len
            scalars += 1
        }
        return nil
    }
}

/// The ASCII token classes of `TokenCounter.asciiKind` as a table over all byte values (bytes ≥ 0x80 and "<", which
/// may open a `<|marker|>`, are class 3: the general scan handles them).
enum ASCIIClasses {
    static let table: [UInt8] = (0...255).map { (b: Int) -> UInt8 in
        if b >= 0x80 || b == 0x3C { return 3 }
        switch TokenCounter.asciiKind(UInt8(b)) {
        case .space: return 0
        case .word: return 1
        default: return 2
        }
    }
}
