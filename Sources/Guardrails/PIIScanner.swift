// Built-in sensitive-information detectors as one forward pass over UTF-8 bytes.
//
// The scan visits each byte once. Candidates start only at cheap triggers: a token that begins
// with a digit, a word token (looked up once in a combined word table: context keywords, first
// names, titles, street suffixes), '@' (email), '(' and '+' (phones), hex groups followed by ':'
// (MAC, IPv6). Candidates are then validated (checksums, issuer ranges, country tables, context
// keywords) before they are reported. Nothing here uses regular expressions.
//
// Deliberate non-detections (see Data/GUARDRAILS-README.md):
// - plain 10-digit runs (unix times, ids) are not phones unless a phone keyword precedes them;
// - 40-character base64 strings (git SHAs, hashes) are not AWS secret keys unless "secret" precedes them;
// - dotted quads after "version", "ver", "release", "build" or "v" are not IP addresses;
// - AWS documentation placeholders (access keys and secret keys ending in EXAMPLE / EXAMPLEKEY) are not keys;
// - the domain of an email address is not also reported as a URL;
// - 12-19 digit runs that fail Luhn or have no card issuer prefix are not card numbers.

/// One detected PII value: its type and byte range in the scanned UTF-8 text.
public struct PIIMatch: Sendable, Equatable {
    public var type: GuardrailPiiEntityType
    public var start: Int
    public var end: Int
    public init(type: GuardrailPiiEntityType, start: Int, end: Int) {
        self.type = type
        self.start = start
        self.end = end
    }
}

/// Context keywords that make an otherwise ambiguous value a PII value.
enum PIIKeyword: UInt8 {
    case password = 1, username, pin, cvv, expiry, age, ssn, routing, account, passport, driver, phone, nhs, utr
    case health, plate, swift, secret, name, sin
}

struct PIIWordFlags {
    static let keywordMask: UInt32 = 0xFF
    static let firstName: UInt32 = 1 << 8
    static let surname: UInt32 = 1 << 9
    static let streetSuffix: UInt32 = 1 << 10
    static let title: UInt32 = 1 << 11
    static let filler: UInt32 = 1 << 12
    static let unit: UInt32 = 1 << 13
    static let version: UInt32 = 1 << 14
    static let ageUnit: UInt32 = 1 << 15
    static let separatorWord: UInt32 = 1 << 16   // "is", "was", "are": acts like ':'
    static let insurance: UInt32 = 1 << 17       // "social insurance" turns an SSN keyword into SIN
    static let plateWord: UInt32 = 1 << 18       // "license plate" turns a driver keyword into plate
    static let health: UInt32 = 1 << 19          // "health card" turns "card"/"number" context into health number
}

/// The single-pass PII scanner. Build once (it holds the word table), then call `scan` from any thread.
public struct PIIScanner: Sendable {
    private var words = HashTable64<UInt32>(capacity: 2048)

    public init() {
        let data = GuardrailData.shared
        func add(_ w: String, _ f: UInt32) {
            let h = TokenHash.lowercased(w.utf8)
            words.update(h, initial: 0) { $0 |= f }
        }
        for n in data.firstNames { add(n, PIIWordFlags.firstName) }
        for n in data.surnames { add(n, PIIWordFlags.surname) }
        for s in data.streetSuffixes { add(s, PIIWordFlags.streetSuffix) }
        for t in ["mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam", "mx"] { add(t, PIIWordFlags.title) }
        let keywords: [(PIIKeyword, [String])] = [
            (.password, ["password", "passwd", "pwd", "passcode", "passphrase"]),
            (.username, ["username", "user", "login", "userid", "handle", "usr", "uname"]),
            (.pin, ["pin"]),
            (.cvv, ["cvv", "cvc", "cvv2", "cvc2", "cvn", "security"]),
            (.expiry, ["exp", "expiry", "expires", "expiration", "expiring", "thru"]),
            (.age, ["age", "aged"]),
            (.ssn, ["ssn", "social"]),
            (.sin, ["sin"]),
            (.routing, ["routing", "aba", "rtn", "transit"]),
            (.account, ["account", "acct", "acc"]),
            (.passport, ["passport"]),
            (.driver, ["driver", "drivers", "dl", "license", "licence", "driving"]),
            (.phone, ["phone", "tel", "telephone", "mobile", "cell", "fax", "call", "ph"]),
            (.nhs, ["nhs"]),
            (.utr, ["utr", "taxpayer"]),
            (.health, ["ohip", "phn", "healthcard", "health"]),
            (.plate, ["plate", "registration", "reg", "numberplate"]),
            (.swift, ["swift", "bic"]),
            (.secret, ["secret", "secretaccesskey", "secret_access_key", "aws_secret_access_key"]),
            (.name, ["name"]),
        ]
        for (k, ws) in keywords { for w in ws { add(w, UInt32(k.rawValue)) } }
        for w in ["number", "no", "num", "nr", "code", "id", "of", "my", "the", "key", "access", "aws", "s", "date", "card",
                  "verification", "value", "ending", "a", "your", "our", "at", "on", "bank", "us", "uk", "new", "to", "for",
                  "reference", "ref", "insurance", "plate", "service", "vehicle", "mark", "security", "license", "licence"] {
            add(w, PIIWordFlags.filler)
        }
        for w in ["is", "was", "are", "equals"] { add(w, PIIWordFlags.filler | PIIWordFlags.separatorWord) }
        add("insurance", PIIWordFlags.insurance)
        add("plate", PIIWordFlags.plateWord)
        for w in ["apt", "apartment", "suite", "ste", "unit", "flat", "floor", "fl", "room", "rm"] { add(w, PIIWordFlags.unit) }
        for w in ["version", "ver", "release", "build", "v", "firmware", "kernel", "python", "node", "swift"] { add(w, PIIWordFlags.version) }
        for w in ["years", "year", "yrs", "yr", "yo"] { add(w, PIIWordFlags.ageUnit) }
    }

    /// Scans UTF-8 text and returns non-overlapping matches in text order.
    public func scan(_ text: String) -> [PIIMatch] {
        let bytes = Array(text.utf8)
        return bytes.withBytes { scan($0) }
    }

    /// Scans UTF-8 bytes and returns non-overlapping matches in text order.
    public func scan(_ p: UnsafeBufferPointer<UInt8>) -> [PIIMatch] {
        var s = ScanState(p: p, words: words)
        s.run()
        return s.out
    }
}

/// Mutable state of one scan; kept in a struct so the hot loop works on locals.
private struct ScanState {
    let p: UnsafeBufferPointer<UInt8>
    let n: Int
    let words: HashTable64<UInt32>
    var out: [PIIMatch] = []
    var d = [UInt8](repeating: 0, count: 48)   // digit values of the current numeric candidate
    var g = [Int](repeating: 0, count: 10)      // group lengths
    var gEnd = [Int](repeating: 0, count: 10)   // byte end of each group

    init(p: UnsafeBufferPointer<UInt8>, words: HashTable64<UInt32>) {
        self.p = p
        self.n = p.count
        self.words = words
    }

    @inline(__always) func at(_ i: Int) -> UInt8 { i >= 0 && i < n ? p[i] : 0 }

    mutating func emit(_ t: GuardrailPiiEntityType, _ s: Int, _ e: Int) { out.append(PIIMatch(type: t, start: s, end: e)) }

    // MARK: main loop

    mutating func run() {
        var i = 0
        while i < n {
            let c = p[i]
            if isAlnum(c) {
                var j = i + 1
                var h = TokenHash.step(TokenHash.seed, lower(c))
                var digits = isDigit(c) ? 1 : 0
                var uppers = isUpper(c) ? 1 : 0
                while j < n {
                    let x = p[j]
                    if isDigit(x) { digits += 1 } else if isUpper(x) { uppers += 1 } else if !isLower(x) { break }
                    h = TokenHash.step(h, lower(x))
                    j += 1
                }
                // A token glued to non-ASCII letters (e.g. "café") is part of a longer word; skip it whole.
                if j < n, p[j] >= 0x80 || (i > 0 && p[i - 1] >= 0x80) {
                    while j < n, isWordByte(p[j]) { j += 1 }
                    i = j
                    continue
                }
                let len = j - i
                if let e = hexColon(i, j) { i = e; continue }
                if digits == len {
                    i = numeric(i, j)
                } else if digits > 0 {
                    i = mixed(i, j, digits: digits, uppers: uppers)
                } else {
                    i = word(i, j, hash: h, uppers: uppers)
                }
                continue
            }
            switch c {
            case UInt8(ascii: "@"):
                if let e = email(i) { i = e; continue }
            case UInt8(ascii: "("):
                if let e = parenPhone(i) { emit(.phone, i, e); i = e; continue }
            case UInt8(ascii: "+"):
                if isDigit(at(i + 1)), !isAlnum(at(i - 1)), let e = intlPhone(i) { emit(.phone, i, e); i = e; continue }
            default:
                if c >= 0x80 {
                    // Skip a non-ASCII word whole so a trailing ASCII part is not read as its own token.
                    var j = i + 1
                    while j < n, isWordByte(p[j]) { j += 1 }
                    i = j
                    continue
                }
            }
            i += 1
        }
    }

    // MARK: numbers

    /// Reads digit groups starting at `i` joined by one consistent separator from `seps`.
    /// Returns the number of groups and digits; groups followed by a letter end the sequence before them.
    mutating func readGroups(_ i: Int, seps: StaticString, maxGroups: Int = 8) -> (groups: Int, digits: Int, sep: UInt8) {
        var k = i
        var ng = 0, nd = 0
        var sep: UInt8 = 0
        while ng < maxGroups {
            let s = k
            while k < n, isDigit(p[k]), nd < 40 { d[nd] = p[k] - 0x30; nd += 1; k += 1 }
            let extensionMark = at(k) == UInt8(ascii: "x") && isDigit(at(k + 1))  // "555-123-4567x89"
            if (isAlpha(at(k)) && !extensionMark) || (k < n && isDigit(p[k])) {
                // The group runs into letters (or is too long): it is not part of a number sequence.
                nd -= k - s
                break
            }
            g[ng] = k - s
            gEnd[ng] = k
            ng += 1
            let c = at(k)
            guard isDigit(at(k + 1)), sep == 0 || c == sep else { break }
            var ok = false
            let sp = seps.utf8Start
            for q in 0..<seps.utf8CodeUnitCount where sp[q] == c { ok = true }
            guard ok else { break }
            sep = c
            k += 1
        }
        return (ng, nd, sep)
    }

    func digitsUpTo(groups k: Int) -> Int { var t = 0; for q in 0..<k { t += g[q] }; return t }
    func slice(_ count: Int) -> ArraySlice<UInt8> { d[0..<count] }

    /// True when the word before `i` (skipping spaces) has one of `flag`.
    func previousWordHas(_ i: Int, _ flag: UInt32, maxBack: Int = 16) -> Bool {
        var k = i - 1
        while k >= 0, k > i - maxBack, p[k] == 0x20 || p[k] == UInt8(ascii: ":") || p[k] == UInt8(ascii: "=") { k -= 1 }
        let e = k + 1
        while k >= 0, isAlpha(p[k]) { k -= 1 }
        let s = k + 1
        guard e > s else { return false }
        let h = TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[s..<e]))
        return (words.get(h) ?? 0) & flag != 0
    }

    mutating func numeric(_ i: Int, _ j: Int) -> Int {
        let (ng, _, sep) = readGroups(i, seps: "-. /")
        if ng == 0 { return j }
        var k = ng
        while k >= 1 {
            if let e = classify(i, groups: k, sep: k > 1 ? sep : 0) { return e }
            k -= 1
        }
        // A dotted run of 4+ groups that is not an IP (1.2.3.4.5, a version) is skipped whole, so its tail is not read as one.
        if sep == UInt8(ascii: "."), ng >= 4 { return gEnd[ng - 1] }
        if g[0] <= 6, let e = address(i, numberEnd: gEnd[0]) { return e }
        if g[0] <= 3, let e = age(i, gEnd[0]) { return e }
        return gEnd[0] > i ? gEnd[0] : j
    }

    /// Classifies the first `k` digit groups; returns the match end on success.
    mutating func classify(_ i: Int, groups k: Int, sep: UInt8) -> Int? {
        let nd = digitsUpTo(groups: k)
        let end = gEnd[k - 1]
        let dd = slice(nd)
        let pat = (0..<k).map { g[$0] }
        if k == 4, sep == UInt8(ascii: "."), pat.allSatisfy({ $0 <= 3 }) {
            var ok = true
            var off = 0
            for q in 0..<4 {
                var v = 0
                for r in 0..<g[q] { v = v * 10 + Int(d[off + r]) }
                if v > 255 || (g[q] > 1 && d[off] == 0) { ok = false }
                off += g[q]
            }
            if ok, at(end) != UInt8(ascii: "."), !previousWordHas(i, PIIWordFlags.version) { emit(.ipAddress, i, end); return end }
            if ok || at(end) == UInt8(ascii: ".") { return nil }
        }
        let dashOrSpace = sep == UInt8(ascii: "-") || sep == 0x20
        if pat == [3, 2, 4], dashOrSpace {
            if PIIChecks.itin(dd) { emit(.usIndividualTaxIdentificationNumber, i, end); return end }
            if PIIChecks.ssn(dd) { emit(.usSocialSecurityNumber, i, end); return end }
            return nil
        }
        if pat == [3, 3, 4], dashOrSpace || sep == UInt8(ascii: ".") {
            let phone = PIIChecks.nanp(dd), nhs = PIIChecks.nhs(dd)
            // Spaced 3-3-4 numbers are how NHS numbers are written; prefer NHS when the NANP rules reject a phone.
            if nhs, sep == 0x20, !phone { emit(.ukNationalHealthServiceNumber, i, end); return end }
            if phone { let e = phoneExtension(end); emit(.phone, i, e); return e }
            if nhs { emit(.ukNationalHealthServiceNumber, i, end); return end }
            return nil
        }
        if k == 4, dashOrSpace || sep == UInt8(ascii: "."), (pat == [1, 3, 3, 4] && d[0] == 1) || (pat == [3, 3, 3, 4] && d[0] == 0 && d[1] == 0 && d[2] == 1) {
            let off = nd - 10
            if PIIChecks.nanp(d[off..<nd]) { let e = phoneExtension(end); emit(.phone, i, e); return e }
        }
        if pat == [3, 3, 3], dashOrSpace, PIIChecks.caSIN(dd) { emit(.caSocialInsuranceNumber, i, end); return end }
        if pat == [4, 3, 3], dashOrSpace {
            // Ontario health card: 10 digits, often with a two-letter version code.
            var e = end
            if at(e) == sep || at(e) == 0x20, isUpper(at(e + 1)), isUpper(at(e + 2)), !isAlnum(at(e + 3)) { e += 3 }
            emit(.caHealthNumber, i, e)
            return e
        }
        if pat == [5, 5], sep == 0x20, PIIChecks.ukUTR(dd) { emit(.ukUniqueTaxpayerReferenceNumber, i, end); return end }
        // Payment cards: one run, or groups of four (last 1-4), or Amex/Diners 4-6-5 / 4-6-4.
        if nd >= 12, nd <= 19, k == 1 || dashOrSpace {
            let grouped = k == 1 || pat == [4, 6, 5] || pat == [4, 6, 4]
                || (pat.dropLast().allSatisfy { $0 == 4 } && (1...4).contains(pat[k - 1]) && k >= 3)
            if grouped, PIIChecks.cardPrefixOK(dd), PIIChecks.luhn(dd) { emit(.creditDebitCardNumber, i, end); return end }
        }
        // UK national numbers start with 0 and are grouped with spaces: 020 7946 0958, 07700 900123.
        if sep == 0x20, d[0] == 0, (10...11).contains(nd), k >= 2, k <= 3, pat[0] >= 3, pat[0] <= 5 {
            emit(.phone, i, end)
            return end
        }
        return nil
    }

    /// Extends a phone match over "x123", " x123", " ext 123", " ext. 123".
    func phoneExtension(_ e: Int) -> Int {
        var k = e
        if at(k) == 0x20 { k += 1 }
        if at(k) == UInt8(ascii: "x") { k += 1 } else if lower(at(k)) == UInt8(ascii: "e"), lower(at(k + 1)) == UInt8(ascii: "x"), lower(at(k + 2)) == UInt8(ascii: "t") {
            k += 3
            if at(k) == UInt8(ascii: ".") { k += 1 }
            if at(k) == 0x20 { k += 1 }
        } else { return e }
        let s = k
        while isDigit(at(k)), k - s < 6 { k += 1 }
        return k > s && !isAlnum(at(k)) ? k : e
    }

    mutating func parenPhone(_ i: Int) -> Int? {
        var k = i + 1
        guard isDigit(at(k)), isDigit(at(k + 1)), isDigit(at(k + 2)), at(k + 3) == UInt8(ascii: ")") else { return nil }
        var v: [UInt8] = [at(k) - 48, at(k + 1) - 48, at(k + 2) - 48]
        k += 4
        if at(k) == 0x20 { k += 1 }
        for q in 0..<7 {
            if q == 3 {
                if at(k) == UInt8(ascii: "-") || at(k) == UInt8(ascii: ".") || at(k) == 0x20 { k += 1 }
            }
            guard isDigit(at(k)) else { return nil }
            v.append(at(k) - 48)
            k += 1
        }
        guard !isAlnum(at(k)), PIIChecks.nanp(v[...]) else { return nil }
        return phoneExtension(k)
    }

    /// "+1 555 123 4567", "+44 20 7946 0958", "+1-555-123-4567", "+1 (555) 123-4567".
    func intlPhone(_ i: Int) -> Int? {
        var k = i + 1
        var nd = 0
        var last = k
        var groups = 0
        while k < n, nd <= 15 {
            let c = p[k]
            if isDigit(c) {
                let s = k
                while isDigit(at(k)) { k += 1 }
                nd += k - s
                groups += 1
                last = k
                if isAlpha(at(k)) { return nil }
                continue
            }
            let sepOK = (c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: "(") || c == UInt8(ascii: ")"))
            let next = at(k + 1)
            guard sepOK, isDigit(next) || next == UInt8(ascii: "(") || (c == UInt8(ascii: ")") && next == 0x20) else { break }
            if nd >= 11 && c == 0x20 { break }  // a complete number: the next group is something else
            k += 1
        }
        guard nd >= 10, nd <= 15, groups >= 2 || nd <= 13 else { return nil }
        return phoneExtension(last)
    }

    /// "35 years old", "35-year-old", "35 yrs".
    mutating func age(_ i: Int, _ e: Int) -> Int? {
        var v = 0
        for q in i..<e { v = v * 10 + Int(p[q] - 48) }
        guard v >= 1, v <= 125 else { return nil }
        var k = e
        guard at(k) == 0x20 || at(k) == UInt8(ascii: "-") else { return nil }
        k += 1
        let s = k
        while isAlpha(at(k)) { k += 1 }
        guard k > s else { return nil }
        let h = TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[s..<k]))
        guard (words.get(h) ?? 0) & PIIWordFlags.ageUnit != 0 else { return nil }
        // "years" must be followed by "old" (so "5 years ago" is not an age); "yo" stands alone.
        if k - s > 2 {
            guard at(k) == 0x20 || at(k) == UInt8(ascii: "-") else { return nil }
            guard lower(at(k + 1)) == UInt8(ascii: "o"), lower(at(k + 2)) == UInt8(ascii: "l"), lower(at(k + 3)) == UInt8(ascii: "d"), !isAlpha(at(k + 4)) else { return nil }
        }
        emit(.age, i, e)
        return k
    }

    // MARK: addresses

    /// "221 Baker Street", "1600 Pennsylvania Avenue NW, Washington, DC 20500", "12 Oak Rd, Apt 4B".
    mutating func address(_ i: Int, numberEnd: Int) -> Int? {
        guard at(numberEnd) == 0x20, isUpper(at(numberEnd + 1)) || isDigit(at(numberEnd + 1)) else { return nil }
        var k = numberEnd + 1
        var nameWords = 0
        var streetEnd = -1
        for _ in 0..<6 {
            let s = k
            guard isUpper(at(k)) || isDigit(at(k)) else { break }
            while isAlnum(at(k)) { k += 1 }
            let h = TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[s..<k]))
            let f = words.get(h) ?? 0
            if f & PIIWordFlags.streetSuffix != 0, nameWords >= 1 {
                streetEnd = k
                if at(k) == UInt8(ascii: ".") { streetEnd = k + 1 }
                break
            }
            nameWords += 1
            guard at(k) == 0x20 else { break }
            k += 1
        }
        guard streetEnd > 0 else { return nil }
        var e = streetEnd
        // Directional suffix: "NW", "SE".
        if at(e) == 0x20, isUpper(at(e + 1)), isUpper(at(e + 2)) || !isAlnum(at(e + 2)), "NSEW".utf8.contains(at(e + 1)) {
            let q = isUpper(at(e + 2)) ? e + 3 : e + 2
            if !isAlnum(at(q)) { e = q }
        }
        // Unit: ", Apt 4B" / " Suite 200" / " #12".
        var k2 = e
        if at(k2) == UInt8(ascii: ",") { k2 += 1 }
        if at(k2) == 0x20 { k2 += 1 }
        if at(k2) == UInt8(ascii: "#"), isAlnum(at(k2 + 1)) {
            k2 += 1
            while isAlnum(at(k2)) { k2 += 1 }
            e = k2
        } else {
            let s = k2
            while isAlpha(at(k2)) { k2 += 1 }
            if k2 > s, (words.get(TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[s..<k2]))) ?? 0) & PIIWordFlags.unit != 0 {
                if at(k2) == UInt8(ascii: ".") { k2 += 1 }
                if at(k2) == 0x20 { k2 += 1 }
                if at(k2) == UInt8(ascii: "#") { k2 += 1 }
                let v = k2
                while isAlnum(at(k2)) { k2 += 1 }
                if k2 > v { e = k2 }
            }
        }
        // City, ST 12345 (only taken when the state and ZIP are there).
        var c = e
        if at(c) == UInt8(ascii: ",") || at(c) == 0x0A { c += 1 }
        if at(c) == 0x20 { c += 1 }
        if c > e, isUpper(at(c)) {
            var cityWords = 0
            while cityWords < 4, isUpper(at(c)) {
                while isAlpha(at(c)) || at(c) == UInt8(ascii: ".") { c += 1 }
                cityWords += 1
                if at(c) == 0x20, isUpper(at(c + 1)), !(isUpper(at(c + 2)) && !isAlnum(at(c + 3))) { c += 1 } else { break }
            }
            if at(c) == UInt8(ascii: ",") { c += 1 }
            if at(c) == 0x20, isUpper(at(c + 1)), isUpper(at(c + 2)), at(c + 3) == 0x20,
               PIIChecks.usStates.contains(UInt16(at(c + 1)) << 8 | UInt16(at(c + 2))) {
                var z = c + 4
                let zs = z
                while isDigit(at(z)) { z += 1 }
                if z - zs == 5 {
                    if at(z) == UInt8(ascii: "-"), isDigit(at(z + 1)) {
                        var z2 = z + 1
                        while isDigit(at(z2)) { z2 += 1 }
                        if z2 - z - 1 == 4 { z = z2 }
                    }
                    if !isAlnum(at(z)) { e = z }
                }
            }
        }
        emit(.address, i, e)
        return e
    }

    // MARK: mixed letter/digit tokens

    mutating func mixed(_ i: Int, _ j: Int, digits: Int, uppers: Int) -> Int {
        let len = j - i
        let allUpperAlnum = digits + uppers == len
        if len == 20, allUpperAlnum, let e = awsAccessKey(i, j) { return e }
        if len == 17, allUpperAlnum, PIIChecks.vin(Array(p[i..<j])[...]) { emit(.vehicleIdentificationNumber, i, j); return j }
        if isUpper(p[i]), isUpper(at(i + 1)) {
            if let e = iban(i) { return e }
            if let e = nino(i) { return e }
            if let e = ukPlate(i) { return e }
            if (len == 8 || len == 11), allUpperAlnum, let e = swift(i, j, requireDigit: true) { return e }
        }
        return j
    }

    mutating func awsAccessKey(_ i: Int, _ j: Int) -> Int? {
        let a = p[i], b = p[i + 1], c = p[i + 2], d4 = p[i + 3]
        let known = (a == UInt8(ascii: "A") && ((b == UInt8(ascii: "K") && c == UInt8(ascii: "I") && d4 == UInt8(ascii: "A"))
            || (b == UInt8(ascii: "S") && c == UInt8(ascii: "I") && d4 == UInt8(ascii: "A"))
            || (b == UInt8(ascii: "B") && c == UInt8(ascii: "I") && d4 == UInt8(ascii: "A"))
            || (b == UInt8(ascii: "C") && c == UInt8(ascii: "C") && d4 == UInt8(ascii: "A"))
            || (b == UInt8(ascii: "3") && c == UInt8(ascii: "T"))))
        guard known else { return nil }
        // AWS documentation placeholders (AKIAIOSFODNN7EXAMPLE) are not credentials.
        if endsWith(j, "EXAMPLE") { return j }
        emit(.awsAccessKey, i, j)
        return j
    }

    func endsWith(_ j: Int, _ s: StaticString) -> Bool {
        let m = s.utf8CodeUnitCount
        guard j - m >= 0 else { return false }
        let q = s.utf8Start
        for k in 0..<m where p[j - m + k] != q[k] { return false }
        return true
    }

    /// IBAN: country code, two check digits, BBAN of the country's length; printed compact or in groups of four.
    mutating func iban(_ i: Int) -> Int? {
        guard isDigit(at(i + 2)), isDigit(at(i + 3)),
              let want = PIIChecks.ibanLengths[UInt16(p[i]) << 8 | UInt16(p[i + 1])] else { return nil }
        var buf = [UInt8]()
        buf.reserveCapacity(want)
        var k = i
        while buf.count < want, k < n {
            let c = p[k]
            if isDigit(c) || isUpper(c) { buf.append(c); k += 1; continue }
            if c == 0x20, buf.count % 4 == 0, isAlnum(at(k + 1)) { k += 1; continue }
            break
        }
        guard buf.count == want, !isAlnum(at(k)), PIIChecks.iban(buf[...]) else { return nil }
        emit(.internationalBankAccountNumber, i, k)
        return k
    }

    /// UK National Insurance number: "AB123456C" or "AB 12 34 56 C".
    mutating func nino(_ i: Int) -> Int? {
        guard PIIChecks.ninoPrefix(p[i], at(i + 1)) else { return nil }
        var k = i + 2
        for _ in 0..<3 {
            if at(k) == 0x20 { k += 1 }
            guard isDigit(at(k)), isDigit(at(k + 1)) else { return nil }
            k += 2
        }
        if at(k) == 0x20 { k += 1 }
        guard "ABCD".utf8.contains(at(k)), !isAlnum(at(k + 1)) else { return nil }
        emit(.ukNationalInsuranceNumber, i, k + 1)
        return k + 1
    }

    /// Current UK registration format: two letters, two digits, three letters ("AB12 CDE").
    mutating func ukPlate(_ i: Int) -> Int? {
        guard isDigit(at(i + 2)), isDigit(at(i + 3)) else { return nil }
        var k = i + 4
        if at(k) == 0x20 { k += 1 }
        guard isUpper(at(k)), isUpper(at(k + 1)), isUpper(at(k + 2)), !isAlnum(at(k + 3)) else { return nil }
        emit(.licensePlate, i, k + 3)
        return k + 3
    }

    /// SWIFT/BIC: 4 letters (bank), ISO country, 2 alphanumerics (location), optional 3 (branch).
    /// Without a "SWIFT"/"BIC" keyword a code must contain a digit or end in the XXX branch,
    /// because all-letter 8-letter capitals ("BUSINESS") look the same.
    mutating func swift(_ i: Int, _ j: Int, requireDigit: Bool) -> Int? {
        let len = j - i
        guard len == 8 || len == 11 else { return nil }
        for k in 0..<6 where !isUpper(p[i + k]) { return nil }
        for k in 6..<len where !(isUpper(p[i + k]) || isDigit(p[i + k])) { return nil }
        guard PIIChecks.countries.contains(UInt16(p[i + 4]) << 8 | UInt16(p[i + 5])) else { return nil }
        if requireDigit {
            var hasDigit = false
            for k in 6..<len where isDigit(p[i + k]) { hasDigit = true }
            guard hasDigit || (len == 11 && endsWith(j, "XXX")) else { return nil }
        }
        emit(.swiftCode, i, j)
        return j
    }

    /// MAC (six hex pairs with ':' or '-') or IPv6 (hex groups with ':' and at most one '::').
    mutating func hexColon(_ i: Int, _ j: Int) -> Int? {
        let len = j - i
        guard len <= 4, at(j) == UInt8(ascii: ":") || at(j) == UInt8(ascii: "-") else { return nil }
        for k in i..<j where !isHex(p[k]) { return nil }
        if len == 2 {
            let sep = at(j)
            var k = i
            var ok = true
            for q in 0..<6 {
                guard isHex(at(k)), isHex(at(k + 1)) else { ok = false; break }
                k += 2
                if q < 5 { guard at(k) == sep else { ok = false; break }; k += 1 }
            }
            if ok, !isAlnum(at(k)), at(k) != sep { emit(.macAddress, i, k); return k }
        }
        guard at(j) == UInt8(ascii: ":") else { return nil }
        var k = i
        var groups = 0
        var doubleColon = false
        var hasLetterOrLong = false
        while groups < 8 {
            let s = k
            while isHex(at(k)), k - s < 5 { k += 1 }
            let gl = k - s
            if gl > 4 { return nil }
            if gl > 0 {
                groups += 1
                for q in s..<k where isAlpha(p[q]) { hasLetterOrLong = true }
                if gl == 4 { hasLetterOrLong = true }
            }
            guard at(k) == UInt8(ascii: ":") else { break }
            if at(k + 1) == UInt8(ascii: ":") {
                if doubleColon { return nil }
                doubleColon = true
                k += 2
                if !isHex(at(k)) { break }
            } else {
                guard gl > 0, isHex(at(k + 1)) else { break }
                k += 1
            }
        }
        if isAlnum(at(k)) || at(k) == UInt8(ascii: ".") { return nil }
        // "12:30:45" is a time; require 8 groups, or '::' with at least 2 groups and a hex letter or 4-digit group.
        guard groups == 8 || (doubleColon && groups >= 2 && hasLetterOrLong) else { return nil }
        emit(.ipAddress, i, k)
        return k
    }

    // MARK: words

    mutating func word(_ i: Int, _ j: Int, hash h: UInt64, uppers: Int) -> Int {
        let len = j - i
        let f = words.get(h) ?? 0
        if let kw = PIIKeyword(rawValue: UInt8(f & PIIWordFlags.keywordMask)), let e = keyword(kw, i, j) { return e }
        let c0 = p[i]
        if len == 20, uppers == 20, let e = awsAccessKey(i, j) { return e }
        if len >= 3, len <= 5, at(j) == UInt8(ascii: ":") || at(j) == UInt8(ascii: "."), let e = url(i, j) { return e }
        if at(j) == UInt8(ascii: "."), isAlpha(at(j + 1)), let e = bareDomain(i) { return e }
        if len == 2, uppers == 2, at(j) == 0x20, isDigit(at(j + 1)), let e = nino(i) { return e }
        if isUpper(c0), uppers == 1 || len <= 3 {
            if f & PIIWordFlags.title != 0, let e = titledName(i, j) { return e }
            if f & PIIWordFlags.firstName != 0, uppers == 1, let e = fullName(i, j) { return e }
        }
        return j
    }

    /// "John Smith", "Mary J. Watson", "Ana Lucia Garcia": a known first name, an optional middle
    /// name or initial, and a known surname, all capitalized.
    mutating func fullName(_ i: Int, _ j: Int) -> Int? {
        var k = j
        var lastEnd = -1
        for step in 0..<2 {
            guard at(k) == 0x20, isUpper(at(k + 1)) else { break }
            let s = k + 1
            var e = s + 1
            while isLower(at(e)) { e += 1 }
            if e - s == 1, at(e) == UInt8(ascii: "."), step == 0 { k = e + 1; continue }  // middle initial
            guard e - s >= 2, !isAlnum(at(e)) else { break }
            let f = words.get(TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[s..<e]))) ?? 0
            if f & PIIWordFlags.surname != 0 { lastEnd = e }
            if f & PIIWordFlags.firstName == 0 { break }  // only a first name can be a middle name
            k = e
        }
        guard lastEnd > 0 else { return nil }
        emit(.name, i, lastEnd)
        return lastEnd
    }

    /// "Dr. Watson", "Mrs Hudson", "Ms. Jane Doe": a title then one or two capitalized words.
    mutating func titledName(_ i: Int, _ j: Int) -> Int? {
        var k = j
        if at(k) == UInt8(ascii: ".") { k += 1 }
        guard at(k) == 0x20, isUpper(at(k + 1)), isLower(at(k + 2)) else { return nil }
        let s = k + 1
        var e = s + 1
        while isLower(at(e)) { e += 1 }
        guard !isAlnum(at(e)) else { return nil }
        if at(e) == 0x20, isUpper(at(e + 1)), isLower(at(e + 2)) {
            var e2 = e + 2
            while isLower(at(e2)) { e2 += 1 }
            let f = words.get(TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[(e + 1)..<e2]))) ?? 0
            if !isAlnum(at(e2)), f & PIIWordFlags.surname != 0 { e = e2 }
        }
        emit(.name, s, e)
        return e
    }

    // MARK: email and URLs

    @inline(__always) func isLocalChar(_ c: UInt8) -> Bool {
        isAlnum(c) || c >= 0x80 || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "%") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-")
    }

    /// Domain labels from `k`: returns (end, tld start) when there are at least two labels and an alphabetic TLD.
    func domain(_ k0: Int) -> (end: Int, tldStart: Int)? {
        var k = k0
        var labels = 0
        var lastStart = k
        var end = k
        while true {
            let s = k
            while isAlnum(at(k)) || (at(k) == UInt8(ascii: "-") && k > s) { k += 1 }
            if k == s || k - s > 63 { break }
            labels += 1
            lastStart = s
            end = k
            guard at(k) == UInt8(ascii: "."), isAlnum(at(k + 1)) else { break }
            k += 1
        }
        guard labels >= 2, end - lastStart >= 2 else { return nil }
        for q in lastStart..<end where !isAlpha(p[q]) { return nil }
        return (end, lastStart)
    }

    mutating func email(_ at0: Int) -> Int? {
        var s = at0
        while s > 0, isLocalChar(p[s - 1]), at0 - s < 64 { s -= 1 }
        while s < at0, !isAlnum(p[s]), p[s] < 0xC0 { s += 1 }  // skip leading punctuation and UTF-8 continuation bytes
        guard s < at0, let dom = domain(at0 + 1) else { return nil }
        // Anything already reported inside the local part (a number, a name) belongs to the email.
        while let last = out.last, last.end > s { out.removeLast() }
        emit(.email, s, dom.end)
        return dom.end
    }

    @inline(__always) func isURLChar(_ c: UInt8) -> Bool {
        c > 0x20 && c < 0x7F && c != UInt8(ascii: "<") && c != UInt8(ascii: ">") && c != UInt8(ascii: "\"") && c != UInt8(ascii: "`")
            && c != UInt8(ascii: "{") && c != UInt8(ascii: "}") && c != UInt8(ascii: "|") && c != UInt8(ascii: "\\") && c != UInt8(ascii: "^")
    }

    func urlTail(_ k0: Int) -> Int {
        var k = k0
        while k < n, isURLChar(p[k]) { k += 1 }
        // Sentence punctuation after a URL is not part of it.
        while k > k0, ".,;:!?)'\"]".utf8.contains(p[k - 1]) { k -= 1 }
        return k
    }

    /// "http://…", "https://…", "ftp://…", "www.…".
    mutating func url(_ i: Int, _ j: Int) -> Int? {
        let lw = (0..<(j - i)).map { lower(p[i + $0]) }
        if at(j) == UInt8(ascii: ":"), at(j + 1) == UInt8(ascii: "/"), at(j + 2) == UInt8(ascii: "/"),
           lw == Array("http".utf8) || lw == Array("https".utf8) || lw == Array("ftp".utf8) {
            guard isAlnum(at(j + 3)) else { return nil }
            let e = urlTail(j + 3)
            emit(.url, i, e)
            return e
        }
        if lw == Array("www".utf8), at(j) == UInt8(ascii: "."), domain(j + 1) != nil {
            let e = urlTail(j + 1)
            emit(.url, i, e)
            return e
        }
        return nil
    }

    /// "example.com", "docs.example.co.uk/path": lowercase labels ending in a common TLD.
    mutating func bareDomain(_ i: Int) -> Int? {
        if i > 0, p[i - 1] == UInt8(ascii: ".") || p[i - 1] == UInt8(ascii: "@") || p[i - 1] == UInt8(ascii: "/") { return nil }
        guard let dom = domain(i) else { return nil }
        if at(dom.end) == UInt8(ascii: "@") { return nil }  // the local part of an email
        for q in i..<dom.end where isUpper(p[q]) { return nil }
        var tld = String(decoding: p[dom.tldStart..<dom.end], as: UTF8.self)
        if dom.tldStart >= i + 4, p[dom.tldStart - 4] == UInt8(ascii: "."), ["co", "org", "ac", "gov"].contains(String(decoding: p[(dom.tldStart - 3)..<(dom.tldStart - 1)], as: UTF8.self)) {
            tld = String(decoding: p[(dom.tldStart - 3)..<dom.end], as: UTF8.self)
        }
        guard PIIChecks.bareTLDs.contains(tld) else { return nil }
        var e = dom.end
        if at(e) == UInt8(ascii: "/") { e = urlTail(e) }
        emit(.url, i, e)
        return e
    }

    // MARK: keyword-anchored values

    /// Skips separators and filler words after a keyword. Returns the value start and whether an
    /// explicit separator (':', '=', '#', "is") was seen, plus modifiers found on the way.
    func skipToValue(_ kw: PIIKeyword, _ i: Int, _ j: Int) -> (pos: Int, separated: Bool, insurance: Bool, plate: Bool, health: Bool) {
        var k = j
        var lastLen = j - i
        var separated = false, insurance = false, plate = false, health = false
        var fillers = 0
        while k < n, k - j < 48 {
            let c = p[k]
            if c == UInt8(ascii: ":") || c == UInt8(ascii: "=") || c == UInt8(ascii: "#") { separated = true; k += 1; continue }
            if c == 0x20 || c == UInt8(ascii: "-") || c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "(")
                || c == UInt8(ascii: "_") { k += 1; continue }
            // A '.' ends the sentence unless it closes an abbreviation ("no.", "Exp.", "tel.").
            if c == UInt8(ascii: "."), lastLen <= 4, k + 1 < n, p[k + 1] == 0x20 { k += 1; continue }
            if isAlpha(c), fillers < 5 {
                let s = k
                while isAlpha(at(k)) { k += 1 }
                if isDigit(at(k)) { return (s, separated, insurance, plate, health) }  // "S12345678", "NO86…": the value itself
                let f = words.get(TokenHash.lowercased(UnsafeBufferPointer(rebasing: p[s..<k]))) ?? 0
                lastLen = k - s
                if f & PIIWordFlags.filler != 0 || UInt8(f & PIIWordFlags.keywordMask) == kw.rawValue {
                    fillers += 1
                    if f & PIIWordFlags.separatorWord != 0 { separated = true }
                    if f & PIIWordFlags.insurance != 0 { insurance = true }
                    if f & PIIWordFlags.plateWord != 0 { plate = true }
                    if PIIKeyword(rawValue: UInt8(f & PIIWordFlags.keywordMask)) == .health { health = true }
                    continue
                }
                return (s, separated, insurance, plate, health)
            }
            break
        }
        return (k, separated, insurance, plate, health)
    }

    /// Digits (optionally grouped by ' ' or '-') at `k`: returns (digit count, end).
    mutating func digitsAt(_ k: Int, maxGroups: Int = 5) -> (count: Int, end: Int, groups: Int)? {
        guard isDigit(at(k)) else { return nil }
        let (ng, nd, _) = readGroups(k, seps: "- ", maxGroups: maxGroups)
        guard ng > 0 else { return nil }
        return (nd, gEnd[ng - 1], ng)
    }

    /// A non-space run that ends at whitespace (passwords keep their punctuation).
    func secretToken(_ k: Int, allowed: (UInt8) -> Bool) -> Int {
        var e = k
        while e < n, p[e] > 0x20, p[e] < 0x7F, allowed(p[e]) { e += 1 }
        while e > k, ".,;)\"'".utf8.contains(p[e - 1]) { e -= 1 }
        return e
    }

    mutating func keyword(_ kw: PIIKeyword, _ i: Int, _ j: Int) -> Int? {
        let v = skipToValue(kw, i, j)
        let k = v.pos
        guard k < n else { return nil }
        switch kw {
        case .password:
            guard v.separated else { return nil }
            let e = secretToken(k) { _ in true }
            guard e - k >= 4, e - k <= 64 else { return nil }
            emit(.password, k, e)
            return e
        case .username:
            guard v.separated || p[j] == 0x20 && lower(p[i]) == UInt8(ascii: "u") && j - i == 8 else { return nil }
            let e = secretToken(k) { isAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
            guard e - k >= 3, e - k <= 32, at(e) != UInt8(ascii: "@"), isAlnum(p[k]) else { return nil }
            emit(.username, k, e)
            return e
        case .pin:
            guard let r = digitsAt(k, maxGroups: 1), (4...8).contains(r.count) else { return nil }
            emit(.pin, k, r.end)
            return r.end
        case .cvv:
            guard let r = digitsAt(k, maxGroups: 1), (3...4).contains(r.count) else { return nil }
            emit(.creditDebitCardCvv, k, r.end)
            return r.end
        case .expiry:
            // MM/YY, MM/YYYY, MM-YY, MM/YY
            guard isDigit(at(k)) else { return nil }
            var e = k
            while isDigit(at(e)) { e += 1 }
            guard e - k >= 1, e - k <= 2, at(e) == UInt8(ascii: "/") || at(e) == UInt8(ascii: "-") else { return nil }
            let mm = (e - k == 2 ? Int(p[k] - 48) * 10 : 0) + Int(p[e - 1] - 48)
            guard (1...12).contains(mm) else { return nil }
            let ys = e + 1
            var ye = ys
            while isDigit(at(ye)) { ye += 1 }
            guard ye - ys == 2 || ye - ys == 4, !isAlnum(at(ye)) else { return nil }
            emit(.creditDebitCardExpiry, k, ye)
            return ye
        case .age:
            guard let r = digitsAt(k, maxGroups: 1), r.count <= 3, !isAlnum(at(r.end)) else { return nil }
            var a = 0
            for q in k..<r.end { a = a * 10 + Int(p[q] - 48) }
            guard (1...125).contains(a) else { return nil }
            emit(.age, k, r.end)
            return r.end
        case .ssn, .sin:
            guard let r = digitsAt(k, maxGroups: 3), r.count == 9 else { return nil }
            if kw == .sin || v.insurance {
                guard PIIChecks.caSIN(d[0..<9]) else { return nil }
                emit(.caSocialInsuranceNumber, k, r.end)
            } else if PIIChecks.itin(d[0..<9]) {
                emit(.usIndividualTaxIdentificationNumber, k, r.end)
            } else {
                guard PIIChecks.ssn(d[0..<9]) else { return nil }
                emit(.usSocialSecurityNumber, k, r.end)
            }
            return r.end
        case .routing:
            guard let r = digitsAt(k, maxGroups: 1), r.count == 9, PIIChecks.abaRouting(d[0..<9]) else { return nil }
            emit(.usBankRoutingNumber, k, r.end)
            return r.end
        case .account:
            guard let r = digitsAt(k, maxGroups: 1), (6...17).contains(r.count) else { return nil }
            emit(.usBankAccountNumber, k, r.end)
            return r.end
        case .passport:
            // US passport books: 9 digits; next-generation books: one letter and 8 digits.
            var e = k
            if isUpper(at(e)) { e += 1 }
            let s = e
            while isDigit(at(e)) { e += 1 }
            guard e - s == 9 && s == k || e - s == 8 && s == k + 1, !isAlnum(at(e)) else { return nil }
            emit(.usPassportNumber, k, e)
            return e
        case .driver:
            if v.plate { return plate(k) }
            var e = k
            var digits = 0
            while isAlnum(at(e)) || (at(e) == UInt8(ascii: "-") && isAlnum(at(e + 1))) { if isDigit(at(e)) { digits += 1 }; e += 1 }
            guard e - k >= 5, e - k <= 20, digits >= 4, isUpper(p[k]) || isDigit(p[k]) else { return nil }
            for q in k..<e where isLower(p[q]) { return nil }
            emit(.driverId, k, e)
            return e
        case .phone:
            if at(k) == UInt8(ascii: "(") || at(k) == UInt8(ascii: "+") { return nil }  // handled by the main loop
            guard let r = digitsAt(k, maxGroups: 4), (10...11).contains(r.count), !isAlnum(at(r.end)) else { return nil }
            let off = r.count - 10
            guard off == 0 || d[0] == 1 || d[0] == 0, PIIChecks.nanp(d[off..<r.count]) || d[0] == 0 else { return nil }
            let e = phoneExtension(r.end)
            emit(.phone, k, e)
            return e
        case .nhs:
            guard let r = digitsAt(k, maxGroups: 3), r.count == 10, PIIChecks.nhs(d[0..<10]) else { return nil }
            emit(.ukNationalHealthServiceNumber, k, r.end)
            return r.end
        case .utr:
            guard let r = digitsAt(k, maxGroups: 2), r.count == 10, PIIChecks.ukUTR(d[0..<10]) else { return nil }
            var e = r.end
            if at(e) == UInt8(ascii: "K"), !isAlnum(at(e + 1)) { e += 1 }
            emit(.ukUniqueTaxpayerReferenceNumber, k, e)
            return e
        case .health:
            guard let r = digitsAt(k, maxGroups: 4), r.count == 10 else { return nil }
            var e = r.end
            if at(e) == UInt8(ascii: "-") || at(e) == 0x20, isUpper(at(e + 1)), isUpper(at(e + 2)), !isAlnum(at(e + 3)) { e += 3 }
            emit(.caHealthNumber, k, e)
            return e
        case .plate:
            return plate(k)
        case .swift:
            var e = k
            while isAlnum(at(e)) { e += 1 }
            return swift(k, e, requireDigit: false)
        case .secret:
            // AWS secret access keys: exactly 40 base64 characters; only reported with this keyword.
            var e = k
            while isAlnum(at(e)) || at(e) == UInt8(ascii: "/") || at(e) == UInt8(ascii: "+") { e += 1 }
            guard e - k == 40, at(e) != UInt8(ascii: "=") else { return nil }
            var lowers = 0, uppers = 0, digits = 0
            for q in k..<e { if isLower(p[q]) { lowers += 1 } else if isUpper(p[q]) { uppers += 1 } else if isDigit(p[q]) { digits += 1 } }
            guard lowers > 0, uppers > 0 else { return nil }
            if endsWith(e, "EXAMPLEKEY") { return e }  // AWS documentation placeholder
            emit(.awsSecretKey, k, e)
            return e
        case .name:
            guard v.separated, isUpper(at(k)), isLower(at(k + 1)) else { return nil }
            var e = k
            var nw = 0
            while nw < 3, isUpper(at(e)), isLower(at(e + 1)) {
                var q = e + 1
                while isLower(at(q)) { q += 1 }
                if isAlnum(at(q)) { break }
                e = q
                nw += 1
                guard at(e) == 0x20, isUpper(at(e + 1)) else { break }
                e += 1
                if !isLower(at(e + 1)) { e -= 1; break }
            }
            if at(e - 1) == 0x20 { e -= 1 }
            guard nw > 0 else { return nil }
            emit(.name, k, e)
            return e
        }
    }

    /// A licence plate after "plate"/"registration": 2-8 letters and digits with at most one space or '-'.
    mutating func plate(_ k: Int) -> Int? {
        var e = k
        var seps = 0, letters = 0, digits = 0
        while e < n {
            let c = p[e]
            if isUpper(c) { letters += 1 } else if isDigit(c) { digits += 1 } else if (c == 0x20 || c == UInt8(ascii: "-")), seps == 0, isAlnum(at(e + 1)), letters + digits <= 4 {
                // A second chunk must look plate-like (upper letters/digits), not a following word.
                var q = e + 1
                var ok = false
                while isUpper(at(q)) || isDigit(at(q)) { q += 1; ok = true }
                if !ok || isLower(at(q)) { break }
                seps += 1
            } else { break }
            e += 1
        }
        guard letters + digits >= 2, letters + digits <= 8, digits >= 1, !isAlnum(at(e)) else { return nil }
        emit(.licensePlate, k, e)
        return e
    }
}
