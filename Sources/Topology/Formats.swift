// Format checks for ids and addresses, and "did you mean" suggestions. Hand-written matchers keep
// these free of global Regex state.

enum Formats {
    static func isLowerHex(_ c: Character) -> Bool {
        ("0"..."9").contains(c) || ("a"..."f").contains(c)
    }

    static func isDigit(_ c: Character) -> Bool { ("0"..."9").contains(c) }

    static func isLowerAlnum(_ c: Character) -> Bool { isDigit(c) || ("a"..."z").contains(c) }

    /// 12 decimal digits.
    static func isAccountId(_ s: String) -> Bool {
        s.count == 12 && s.allSatisfy(isDigit)
    }

    /// `<prefix>-` followed by 8 to 17 lowercase hex digits (the lengths AWS uses for vpc-, vpce-, ...).
    static func isAWSId(_ s: String, prefix: String) -> Bool {
        guard s.hasPrefix(prefix + "-") else { return false }
        let hex = s.dropFirst(prefix.count + 1)
        return (8...17).contains(hex.count) && hex.allSatisfy(isLowerHex)
    }

    /// `[a-z0-9-]+`: used for node and account names (they become process and file names).
    static func isName(_ s: String) -> Bool {
        !s.isEmpty && s.allSatisfy { isLowerAlnum($0) || $0 == "-" }
    }

    /// AWS region names: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `us-isob-east-1`.
    static func isRegion(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (3...4).contains(parts.count), let first = parts.first, let last = parts.last else { return false }
        return first.count == 2 && first.allSatisfy { ("a"..."z").contains($0) }
            && !last.isEmpty && last.allSatisfy(isDigit)
            && parts.dropFirst().dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { ("a"..."z").contains($0) } }
    }

    static func ipv4Octets(_ s: Substring) -> [Int]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(isDigit), let v = Int(part), v <= 255 else { return nil }
            octets.append(v)
        }
        return octets
    }

    /// AWS allows VPC CIDR blocks from /16 to /28; the address must be the network address.
    static func isVPCCidr(_ s: String) -> Bool {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let octets = ipv4Octets(parts[0]),
              parts[1].allSatisfy(isDigit), let bits = Int(parts[1]), (16...28).contains(bits) else { return false }
        let address = octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let hostMask = UInt32.max >> UInt32(bits)
        return address & hostMask == 0
    }

    /// An IPv4 address, an IPv6 address (loosely) or a DNS name.
    static func isHost(_ s: String) -> Bool {
        if s.isEmpty || s.count > 253 { return false }
        if s.contains(":") {
            return s.allSatisfy { $0 == ":" || $0 == "." || $0.isHexDigit } && s.filter { $0 == ":" }.count >= 2
        }
        if s.allSatisfy({ isDigit($0) || $0 == "." }) { return ipv4Octets(Substring(s)) != nil }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
    /// transpositions ("hots" -> "host") each cost 1.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }

    /// The candidate closest to `word` (case-insensitively), if close enough to be a plausible typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
        let lower = word.lowercased()
        let limit = max(1, word.count / 3)
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(lower, candidate.lowercased())
            if d <= limit, d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best?.0
    }
}
