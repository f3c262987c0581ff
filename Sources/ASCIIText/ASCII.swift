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
        // Over the bytes in place (native strings, small ones included); iterating UTF8Views is several times slower.
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                for i in 0..<x.count where x[i] != y[i] && lower(x[i]) != lower(y[i]) { return false }
                return true
            }
        }
        if let inPlace, let equal = inPlace { return equal }
        for (x, y) in zip(a.utf8, b.utf8) where x != y && lower(x) != lower(y) { return false }
        return true
    }

    /// A String from UTF-8 bytes, nil when they are not valid UTF-8. ASCII (ids, names, prompts) is copied without
    /// the generic validator, which looks up generic metadata on every call.
    public static func string(validatingUTF8 b: UnsafeBufferPointer<UInt8>) -> String? {
        for x in b where x >= 0x80 { return String(validating: b, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: b.count) { out in
            _ = out.initialize(from: b)
            return b.count
        }
    }
}
