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

    /// Calls `emit(start, end)` with scalar offsets of each token (whitespace excluded).
    static func scan(_ text: String, _ emit: (Int, Int) -> Void) {
        let s = Array(text.unicodeScalars)
        var i = 0
        while i < s.count {
            let c = s[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            if c == "<", let end = specialMarkerEnd(s, from: i) {
                emit(i, end)
                i = end
                continue
            }
            if c.properties.isIdeographic {
                emit(i, i + 1)
                i += 1
                continue
            }
            if isWordScalar(c) {
                var j = i
                while j < s.count, isWordScalar(s[j]), !s[j].properties.isIdeographic { j += 1 }
                var k = i
                while k < j {
                    let e = min(k + 4, j)
                    emit(k, e)
                    k = e
                }
                i = j
                continue
            }
            emit(i, i + 1)
            i += 1
        }
    }

    static func isWordScalar(_ c: Unicode.Scalar) -> Bool {
        if c == "_" { return true }
        let p = c.properties
        return p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
    }

    /// End offset (exclusive) of a `<|name|>` marker starting at `i`, if there is one.
    static func specialMarkerEnd(_ s: [Unicode.Scalar], from i: Int) -> Int? {
        guard i + 1 < s.count, s[i + 1] == "|" else { return nil }
        var j = i + 2
        while j + 1 < s.count, j - i < 40 {
            if s[j].properties.isWhitespace { return nil }
            if s[j] == "|", s[j + 1] == ">" { return j > i + 2 ? j + 2 : nil }
            j += 1
        }
        return nil
    }
}
