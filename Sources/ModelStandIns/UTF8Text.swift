// Byte-level helpers for the per-request text paths.
//
// The stand-ins' outputs were defined with Character (grapheme) semantics; walking Characters
// is what made the escrow host slow. These helpers scan UTF-8 bytes and fall back to the
// Character-based code only where grapheme clustering could make a difference, so every
// result is identical to the Character-based definition.
import ASCIIText

enum UTF8Text {
    /// Runs `body` over the string's UTF-8 bytes without copying when the storage is contiguous.
    @inline(__always)
    static func withBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { ASCII.withUTF8(text, body) }

    /// The scalar starting at byte `i` of valid UTF-8 and its length in bytes.
    @inline(__always)
    static func decode(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 { return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3) }
        return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6 | UInt32(p[i + 3] & 0x3F), 4)
    }

    /// ASCII characters for which `Character.isWhitespace` holds (U+0009–U+000D, U+0020).
    @inline(__always)
    static func isASCIISpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// Whether UTF-8 offset `k` of `text` is a Character boundary. Between two ASCII bytes
    /// there always is one except inside CR LF; anything else asks the standard library.
    static func isCharacterBoundary(_ text: String, _ p: UnsafeBufferPointer<UInt8>, _ k: Int) -> Bool {
        if k == 0 || k == p.count { return true }
        let a = p[k - 1], b = p[k]
        if a < 0x80 && b < 0x80 { return !(a == 0x0D && b == 0x0A) }
        let idx = text.utf8.index(text.utf8.startIndex, offsetBy: k)
        return idx.samePosition(in: text) != nil
    }

    /// Byte range of an occurrence of `needle` in `p[from..<to]` that starts and ends on
    /// Character boundaries of `text`: the first one, or the last one when `last`.
    ///
    /// This equals String's Character-based `firstRange(of:)` / `ranges(of:).last` for the
    /// needles used here: ASCII, no CR LF, no proper border (so matches never overlap), and
    /// no character that another scalar is canonically equivalent to (K, ;, `).
    static func find(_ needle: StaticString, in text: String, _ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int, last: Bool) -> Range<Int>? {
        let m = needle.utf8CodeUnitCount
        guard m > 0, to - from >= m else { return nil }
        let n = needle.utf8Start
        let first = n[0]
        func matches(_ i: Int) -> Bool {
            guard p[i] == first else { return false }
            var j = 1
            while j < m { if p[i + j] != n[j] { return false }; j += 1 }
            return isCharacterBoundary(text, p, i) && isCharacterBoundary(text, p, i + m)
        }
        // Eight candidate positions a step where none of their bytes is the needle's first.
        let raw = UnsafeRawPointer(p.baseAddress!)
        if last {
            var i = to - m
            while i >= from {
                if i - 7 >= from, !SWAR.has(raw.loadUnaligned(fromByteOffset: i - 7, as: UInt64.self), first) { i -= 8; continue }
                if matches(i) { return i..<(i + m) }
                i -= 1
            }
        } else {
            var i = from
            while i <= to - m {
                if i + 7 <= to - m, !SWAR.has(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self), first) { i += 8; continue }
                if matches(i) { return i..<(i + m) }
                i += 1
            }
        }
        return nil
    }

    /// `String(text[byte range]).trimmingSpaces()` computed on `text`'s bytes `p`. Returns nil when the
    /// text left after trimming ASCII whitespace starts or ends with a non-ASCII byte: that
    /// Character may itself be whitespace (U+00A0) or absorb the whitespace next to it. When
    /// nothing is cut from `text` it is returned itself (a prompt is often its own key: no copy).
    static func trimmedASCII(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, of text: String) -> String? {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi, isASCIISpace(p[lo]) { lo += 1 }
        if lo < hi, p[lo] >= 0x80 { return nil }
        while hi > lo, isASCIISpace(p[hi - 1]) { hi -= 1 }
        if hi > lo, p[hi - 1] >= 0x80 { return nil }
        if lo == 0 && hi == p.count { return text }
        // A range cut out of a String on Character boundaries is valid UTF-8.
        return String(decoding: UnsafeBufferPointer(rebasing: p[lo..<hi]), as: UTF8.self)
    }
}
