// Hand-written parsers for typed condition values. Policy values are parsed
// once at policy-parse time; request values with these (allocation-free) parsers
// at evaluation, so no Foundation formatter runs per evaluation.

enum DateValue {
    /// Seconds since 1970-01-01T00:00:00Z. Accepts epoch seconds (digits, optional
    /// sign and fraction) or the W3C profile of ISO 8601 that IAM documents:
    /// YYYY-MM, YYYY-MM-DD, YYYY-MM-DDThh:mm[:ss[.s]]TZD with TZD = Z | +hh:mm | -hh:mm
    /// (a missing TZD is read as UTC). An all-digit value is epoch seconds.
    static func parse(_ text: String) -> Double? {
        let t = trimSpaces(text)
        return withUTF8Buffer(t) { s -> Double? in
            guard !s.isEmpty else { return nil }
            if isEpoch(s) { return Double(t) }
            return parseISO(s)
        }
    }

    private static func isEpoch(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        if s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") { i = 1 }
        var digits = 0
        var dot = false
        while i < s.count {
            let b = s[i]
            if b >= 0x30 && b <= 0x39 { digits += 1 } else if b == UInt8(ascii: "."), !dot { dot = true } else { return false }
            i += 1
        }
        return digits > 0
    }

    private static func parseISO(_ s: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n {
                let b = s[i + k]
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < s.count, s[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4) else { return nil }
        var month = 1
        var day = 1
        var hour = 0
        var minute = 0
        var second = 0.0
        var offsetSeconds = 0
        if i < s.count {
            guard expect(UInt8(ascii: "-")), let m = digits(2) else { return nil }
            month = m
            if i < s.count {
                guard expect(UInt8(ascii: "-")), let d = digits(2) else { return nil }
                day = d
                if i < s.count {
                    guard s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") || s[i] == UInt8(ascii: " ") else { return nil }
                    i += 1
                    guard let h = digits(2), expect(UInt8(ascii: ":")), let mi = digits(2) else { return nil }
                    hour = h
                    minute = mi
                    if i < s.count, s[i] == UInt8(ascii: ":") {
                        i += 1
                        guard let sec = digits(2) else { return nil }
                        second = Double(sec)
                        if i < s.count, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: ",") {
                            i += 1
                            var scale = 0.1
                            var any = false
                            while i < s.count, s[i] >= 0x30, s[i] <= 0x39 {
                                second += Double(s[i] - 0x30) * scale
                                scale /= 10
                                any = true
                                i += 1
                            }
                            guard any else { return nil }
                        }
                    }
                    if i < s.count {
                        let z = s[i]
                        if z == UInt8(ascii: "Z") || z == UInt8(ascii: "z") {
                            i += 1
                        } else if z == UInt8(ascii: "+") || z == UInt8(ascii: "-") {
                            i += 1
                            guard let oh = digits(2) else { return nil }
                            _ = expect(UInt8(ascii: ":"))
                            guard let om = digits(2), oh <= 23, om <= 59 else { return nil }
                            offsetSeconds = (oh * 3600 + om * 60) * (z == UInt8(ascii: "+") ? 1 : -1)
                        } else {
                            return nil
                        }
                    }
                }
            }
        }
        guard i == s.count else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month),
              hour <= 24, minute <= 59, second < 61 else { return nil }
        if hour == 24 && (minute != 0 || second != 0) { return nil }
        let days = daysFromCivil(year, month, day)
        return Double(days * 86400 + hour * 3600 + minute * 60 - offsetSeconds) + second
    }

    static func daysInMonth(_ y: Int, _ m: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}

enum NumericValue {
    /// Integers or decimals, as IAM numeric operators accept.
    static func parse(_ text: String) -> Double? {
        let t = trimSpaces(text)
        guard !t.isEmpty, let first = t.utf8.first, first != UInt8(ascii: "+") else { return nil }
        // Double(String) also accepts "inf", "nan" and hex; IAM numbers are decimal.
        for b in t.utf8 {
            switch b {
            case 0x30...0x39, UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"): continue
            default: return nil
            }
        }
        return Double(t)
    }
}

/// An IPv4 or IPv6 network. IPv4 is stored as an IPv4-mapped IPv6 address so
/// one comparison serves both families.
struct IPNetwork: Sendable, Equatable {
    let high: UInt64
    let low: UInt64
    /// Prefix length in the 128-bit space.
    let prefix: Int
    let isIPv4: Bool

    /// "203.0.113.0/24", "2001:DB8::/32"; without a prefix a single address
    /// (/32 or /128), as IAM documents.
    static func parse(_ text: String) -> IPNetwork? {
        let t = trimSpaces(text)
        var addressPart = Substring(t)
        var prefixLength: Int? = nil
        if let slash = t.firstIndex(of: "/") {
            addressPart = t[..<slash]
            let p = t[t.index(after: slash)...]
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p) else { return nil }
            prefixLength = v
        }
        if let v4 = parseIPv4(addressPart) {
            let pl = prefixLength ?? 32
            guard pl <= 32 else { return nil }
            return IPNetwork(high: 0, low: 0xFFFF_0000_0000 | UInt64(v4), prefix: 96 + pl, isIPv4: true).masked()
        }
        if let (hi, lo) = parseIPv6(addressPart) {
            let pl = prefixLength ?? 128
            guard pl <= 128 else { return nil }
            // An IPv4-mapped IPv6 address compares as IPv4.
            let mapped = hi == 0 && lo >> 32 == 0xFFFF
            return IPNetwork(high: hi, low: lo, prefix: pl, isIPv4: mapped && pl >= 96).masked()
        }
        return nil
    }

    private func masked() -> IPNetwork {
        let (mh, ml) = IPNetwork.mask(prefix)
        return IPNetwork(high: high & mh, low: low & ml, prefix: prefix, isIPv4: isIPv4)
    }

    static func mask(_ prefix: Int) -> (UInt64, UInt64) {
        if prefix <= 0 { return (0, 0) }
        if prefix >= 128 { return (~0, ~0) }
        if prefix <= 64 { return (prefix == 64 ? ~0 : ~(~UInt64(0) >> UInt64(prefix)), 0) }
        return (~0, ~(~UInt64(0) >> UInt64(prefix - 64)))
    }

    /// True when the single address `addr` lies in this network.
    func contains(_ addr: IPNetwork) -> Bool {
        let (mh, ml) = IPNetwork.mask(prefix)
        return addr.high & mh == high && addr.low & ml == low
    }

    static func parseIPv4<S: StringProtocol>(_ s: S) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var current = 0
        var digits = 0
        for b in s.utf8 {
            if b == UInt8(ascii: ".") {
                guard digits > 0, current <= 255 else { return nil }
                value = value << 8 | UInt32(current)
                parts += 1
                current = 0
                digits = 0
            } else if b >= 0x30 && b <= 0x39 {
                current = current * 10 + Int(b - 0x30)
                digits += 1
                if digits > 3 { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, current <= 255, parts == 3 else { return nil }
        return value << 8 | UInt32(current)
    }

    static func parseIPv6<S: StringProtocol>(_ s: S) -> (UInt64, UInt64)? {
        let str = String(s)
        guard str.contains(":") else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        let halves = str.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowV4: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let items = part.split(separator: ":", omittingEmptySubsequences: false)
            for (idx, item) in items.enumerated() {
                if idx == items.count - 1, allowV4, item.contains(".") {
                    guard let v4 = parseIPv4(item) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xFFFF))
                    continue
                }
                guard !item.isEmpty, item.count <= 4, item.allSatisfy({ $0.isHexDigit }), let g = UInt16(item, radix: 16) else { return nil }
                out.append(g)
            }
            return out
        }
        if halves.count == 2 {
            guard let h = groups(halves[0], allowV4: false), let t = groups(halves[1], allowV4: true), h.count + t.count <= 7 else { return nil }
            head = h
            tail = t
        } else {
            guard let h = groups(halves[0], allowV4: true), h.count == 8 else { return nil }
            head = h
        }
        var all = head
        all += Array(repeating: 0, count: 8 - head.count - tail.count)
        all += tail
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for k in 0..<4 { hi = hi << 16 | UInt64(all[k]) }
        for k in 4..<8 { lo = lo << 16 | UInt64(all[k]) }
        return (hi, lo)
    }
}

private extension String {
    /// Splits on "::" (at most the pieces around each occurrence).
    func components(separatedByDoubleColon _: Void) -> [String] {
        var out: [String] = []
        var current = ""
        var it = Array(self)
        var k = 0
        while k < it.count {
            if it[k] == ":", k + 1 < it.count, it[k + 1] == ":" {
                out.append(current)
                current = ""
                k += 2
                continue
            }
            current.append(it[k])
            k += 1
        }
        out.append(current)
        it = []
        return out
    }
}

enum Base64 {
    /// Standard alphabet; padding optional; whitespace is not allowed.
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var acc: UInt32 = 0
        var bits = 0
        var padding = 0
        for b in text.utf8 {
            let v: UInt32
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(b - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(b - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(b - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            if padding > 0 { return nil }
            acc = acc << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        guard padding <= 2, bits < 6 else { return nil }
        return out
    }
}
