// ASCII text helpers for the hot paths of every module that reads wire text (header names, ids, condition keys):
// byte loops instead of Unicode-aware String operations, which cost microseconds per call. No dependencies, so the
// pure engines (SigV4, IAMPolicy, Envelope, ModelStandIns) share one copy.

public enum ASCII {
    /// `b` with A–Z lowered; every other byte as it is.
    @inline(__always)
    public static func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b | 0x20 : b }

    /// `s` with ASCII letters lowered (other characters kept); `s` itself when it has no uppercase ASCII letter.
    public static func lowercased(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return s }
        let n = s.utf8.count
        return String(unsafeUninitializedCapacity: n) { buf in
            var i = 0
            for b in s.utf8 { buf[i] = lower(b); i += 1 }
            return n
        }
    }

    /// Whether `a` and `b` are equal once ASCII letters are folded (HTTP field names, RFC 9110).
    public static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        guard a.utf8.count == b.utf8.count else { return false }
        // Over the bytes in place (iterating UTF8Views is several times slower).
        return withUTF8(a) { x in
            withUTF8(b) { y in
                for i in 0..<x.count where x[i] != y[i] && lower(x[i]) != lower(y[i]) { return false }
                return true
            }
        }
    }

    /// A String from UTF-8 bytes, nil when they are not valid UTF-8. ASCII (ids, names, prompts) is copied without
    /// the generic validator, which looks up generic metadata on every call.
    public static func string(validatingUTF8 b: UnsafeBufferPointer<UInt8>) -> String? {
        for x in b where x >= 0x80 { return String(validating: b, as: UTF8.self) }
        return string(ascii: b)
    }

    /// Runs `body` over a String's UTF-8 bytes: in place for a native String (a small one copied to the stack).
    /// Through `withCString`, which borrows the String: making a UTF8View for `withContiguousStorageIfAvailable`
    /// retained and released the String on every call (a journal record's eleven fields, a frame's strings).
    /// (Iterating a UTF8View instead checks the String's representation on every byte.)
    @inlinable @inline(__always)
    public static func withUTF8<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let n = s.utf8.count
        // The C string holds every byte of the String followed by a NUL (an embedded NUL is kept: `n` counts it).
        return s.withCString { body(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: n)) }
    }

    /// Appends a String's UTF-8 bytes to `out` at once (appending its UTF8View goes element by element).
    @inlinable @inline(__always)
    public static func append(_ s: String, to out: inout [UInt8]) {
        withUTF8(s) { out.append(contentsOf: $0) }
    }

    /// A String from bytes the caller knows are all below 0x80 (checked only in debug builds).
    public static func string(ascii b: UnsafeBufferPointer<UInt8>) -> String {
        assert(!b.contains(where: { $0 >= 0x80 }), "ASCII.string(ascii:) given a byte ≥ 0x80")
        return String(unsafeUninitializedCapacity: b.count) { out in
            _ = out.initialize(from: b)
            return b.count
        }
    }
}

/// Eight bytes at a time ("SWAR": the classic word tests for a zero byte or a byte below n). Every text the model
/// stand-ins and the JSON readers walk (a prompt is a kilobyte or more per call) is mostly plain ASCII letters; these
/// skip such runs a word per step and leave the rare interesting byte to the caller's byte loop.
public enum SWAR {
    // Inlinable, with the constants written out: other modules call these once per word of their loops.
    @inlinable @inline(__always) static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable @inline(__always) static var highs: UInt64 { 0x8080_8080_8080_8080 }

    /// Whether some byte of `w` is zero (exact as a yes/no answer).
    @inlinable @inline(__always) public static func hasZero(_ w: UInt64) -> Bool { (w &- ones) & ~w & highs != 0 }
    /// Whether some byte of `w` equals `b`.
    @inlinable @inline(__always) public static func has(_ w: UInt64, _ b: UInt8) -> Bool { hasZero(w ^ (ones &* UInt64(b))) }
    /// Whether some byte of `w` is below `n` (n ≤ 128; exact as a yes/no answer).
    @inlinable @inline(__always) public static func hasLess(_ w: UInt64, _ n: UInt8) -> Bool { (w &- ones &* UInt64(n)) & ~w & highs != 0 }
    /// Whether some byte of `w` is ≥ 0x80.
    @inlinable @inline(__always) public static func hasHigh(_ w: UInt64) -> Bool { w & highs != 0 }
    /// Whether some byte of `w` must be escaped in a JSON string: `"`, `\` or a control character (< 0x20).
    @inlinable @inline(__always) public static func hasJSONSpecial(_ w: UInt64) -> Bool { has(w, 0x22) || has(w, 0x5C) || hasLess(w, 0x20) }

    /// The first index at or after `start` of a byte that ends a JSON string's plain run (`"`, `\` or a control
    /// character), or `p.count`; and whether a byte ≥ 0x80 came before it.
    public static func jsonStringRun(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, nonASCII: Bool) {
        guard let base = p.baseAddress else { return (start, false) }
        let raw = UnsafeRawPointer(base)
        var i = start
        var high = false
        while i + 8 <= p.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if hasJSONSpecial(w) { break }
            if hasHigh(w) { high = true }
            i += 8
        }
        while i < p.count {
            let c = base[i]
            if c == 0x22 || c == 0x5C || c < 0x20 { return (i, high) }
            if c >= 0x80 { high = true }
            i += 1
        }
        return (i, high)
    }

    /// The first index at or after `start` of a byte that is an ASCII digit or ≥ 0x80, or `p.count`.
    public static func firstDigitOrHigh(_ p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = p.baseAddress else { return start }
        let raw = UnsafeRawPointer(base)
        var i = start
        while i + 8 <= p.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if hasHigh(w) || hasDigitASCII(w) { break }
            i += 8
        }
        while i < p.count {
            let c = base[i]
            if c >= 0x80 || (c >= 0x30 && c <= 0x39) { return i }
            i += 1
        }
        return i
    }

    /// Whether some byte of `w` is an ASCII digit, when every byte is below 0x80: adding 0x50 sets a lane's high bit
    /// exactly when it is ≥ 0x30, adding 0x46 exactly when it is ≥ 0x3A (no lane carries into the next).
    @inlinable @inline(__always) public static func hasDigitASCII(_ w: UInt64) -> Bool {
        ((w &+ ones &* 0x50) & ~(w &+ ones &* 0x46)) & highs != 0
    }
}
