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
        var n = 0
        scan(text) { _, _ in n += 1 }
        return n
    }

    /// The tokens of `text` as strings, each carrying the whitespace before it; trailing
    /// whitespace is attached to the last token. When `text` has at least one token the
    /// pieces concatenate back to `text` exactly, and `pieces(text).count == count(text)`.
    /// Each piece on its own counts as exactly one token.
    public static func pieces(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var bounds: [(Int, Int)] = []
        scan(text) { start, end in bounds.append((start, end)) }
        guard !bounds.isEmpty else { return [] }
        var out: [String] = []
        out.reserveCapacity(bounds.count)
        var cursor = 0
        for (i, b) in bounds.enumerated() {
            let end = i == bounds.count - 1 ? scalars.count : b.1
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[cursor..<end])
            out.append(String(s))
            cursor = end
        }
        return out
    }

    /// Scalar classes; ASCII is looked up in a table because Unicode property queries are slow.
    enum Kind: UInt8 { case space, word, ideograph, other }

    static let asciiKinds: [Kind] = (0..<128).map { i in
        let c = Unicode.Scalar(UInt8(i))
        if c.properties.isWhitespace { return .space }
        if (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || c == "_" { return .word }
        return .other
    }

    @inline(__always)
    static func kind(_ c: Unicode.Scalar) -> Kind {
        if c.value < 128 { return asciiKinds[Int(c.value)] }
        let p = c.properties
        if p.isWhitespace { return .space }
        if p.isIdeographic { return .ideograph }
        if p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark { return .word }
        return .other
    }

    /// Calls `emit(start, end)` with scalar offsets of each token (whitespace excluded).
    static func scan(_ text: String, _ emit: (Int, Int) -> Void) {
        let s = Array(text.unicodeScalars)
        var i = 0
        while i < s.count {
            let c = s[i]
            switch kind(c) {
            case .space:
                i += 1
            case .ideograph:
                emit(i, i + 1)
                i += 1
            case .word:
                var j = i + 1
                while j < s.count, kind(s[j]) == .word { j += 1 }
                var k = i
                while k < j {
                    let e = min(k + 4, j)
                    emit(k, e)
                    k = e
                }
                i = j
            case .other:
                if c == "<", let end = specialMarkerEnd(s, from: i) {
                    emit(i, end)
                    i = end
                } else {
                    emit(i, i + 1)
                    i += 1
                }
            }
        }
    }

    /// End offset (exclusive) of a `<|name|>` marker starting at `i`, if there is one.
    static func specialMarkerEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        guard i + 1 < s.count, s[i + 1] == "|" else { return nil }
        var j = i + 2
        while j + 1 < s.count, j - i < 40 {
            if kind(s[j]) == .space { return nil }
            if s[j] == "|", s[j + 1] == ">" { return j > i + 2 ? j + 2 : nil }
            j += 1
        }
        return nil
    }
}
