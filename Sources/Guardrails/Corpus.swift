// Seeded benchmark corpus: English filler text with ~1% PII by bytes, every injected value valid for
// its format. This is a line-by-line port of Scripts/gen-guardrail-corpus.py (SplitMix64, integer
// arithmetic, the same vocabulary file), so Swift and Python produce byte-identical JSONL and the
// Presidio comparison runs on the very same corpus. Keep the two in step: the random calls must
// happen in the same order.

struct CorpusVocab: Sendable {
    var words: [String] = []
    var firstNames: [String] = []
    var lastNames: [String] = []
    var streets: [String] = []
    var suffixes: [String] = []
    var cities: [(String, String)] = []
    var domains: [String] = []
    var tlds: [String] = []

    static func load() -> CorpusVocab {
        var v = CorpusVocab()
        guard let b = GuardrailData.dataFile("corpus-vocab.json"), let root = try? JSONParser.parse(b), case .object(let o) = root else { return v }
        func strings(_ k: String) -> [String] {
            guard case .array(let a)? = o[k] else { return [] }
            return a.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
        }
        v.words = strings("words"); v.firstNames = strings("firstNames"); v.lastNames = strings("lastNames")
        v.streets = strings("streets"); v.suffixes = strings("suffixes"); v.domains = strings("domains"); v.tlds = strings("tlds")
        if case .array(let a)? = o["cities"] {
            for c in a { if case .array(let p) = c, p.count == 2, case .string(let x) = p[0], case .string(let y) = p[1] { v.cities.append((x, y)) } }
        }
        return v
    }
}

struct CorpusRng {
    var s: UInt64
    mutating func next() -> UInt64 {
        s = s &+ 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func between(_ lo: Int, _ hi: Int) -> Int { lo + below(hi - lo + 1) }
    mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    mutating func pickChar(_ s: String) -> String { let a = Array(s); return String(a[below(a.count)]) }
    mutating func chars(_ alphabet: String, _ k: Int) -> String {
        let a = Array(alphabet)
        var out = ""
        for _ in 0..<k { out.append(a[below(a.count)]) }
        return out
    }
}

enum CorpusGenerator {
    static let types = GuardrailPiiEntityType.allCases.map(\.rawValue)  // same order as TYPES in the Python script
    static let DIG = "0123456789", UP = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", LOW = "abcdefghijklmnopqrstuvwxyz", HEX = "0123456789ABCDEF"
    static let B32 = UP + "234567", B64 = UP + LOW + DIG + "/+", PW = UP + LOW + DIG + "!#$%&*@^"
    static let VINCH = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789", UPNUM = UP + DIG

    static func pad2(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
    static func pad(_ v: Int, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
    static func sub(_ s: String, _ a: Int, _ b: Int) -> String { let x = Array(s); return String(x[a..<min(b, x.count)]) }
    static func lowerFirst(_ s: String) -> String { s.lowercased() }

    static func luhnComplete(_ payload: String) -> String {
        var s = 0
        for (i, ch) in payload.reversed().enumerated() {
            var v = Int(String(ch)) ?? 0
            if i % 2 == 0 { v *= 2; if v > 9 { v -= 9 } }
            s += v
        }
        return payload + String((10 - s % 10) % 10)
    }

    static let cardBrands: [(String, Int)] = [("4", 16), ("4", 13), ("4", 19), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("2720", 16),
        ("34", 15), ("37", 15), ("6011", 16), ("65", 16), ("3528", 16), ("3589", 16), ("2131", 15), ("1800", 15),
        ("36", 14), ("639015", 12), ("6304", 16), ("62", 16)]
    static let ibanCountries: [(String, String)] = [("GB", "LLLLNNNNNNNNNNNNNN"), ("DE", "NNNNNNNNNNNNNNNNNN"), ("FR", "NNNNNNNNNNNNNNNNNNNNNNN"),
        ("ES", "NNNNNNNNNNNNNNNNNNNN"), ("IT", "LNNNNNNNNNNNNNNNNNNNNNN"), ("NL", "LLLLNNNNNNNNNN"),
        ("BE", "NNNNNNNNNNNN"), ("CH", "NNNNNNNNNNNNNNNNN"), ("AT", "NNNNNNNNNNNNNNNN"),
        ("IE", "LLLLNNNNNNNNNNNNNN"), ("PL", "NNNNNNNNNNNNNNNNNNNNNNNN"), ("SE", "NNNNNNNNNNNNNNNNNNNN"),
        ("NO", "NNNNNNNNNNN")]

    static func groups4(_ s: String, sep: String) -> String {
        let a = Array(s)
        return stride(from: 0, to: a.count, by: 4).map { String(a[$0..<min($0 + 4, a.count)]) }.joined(separator: sep)
    }

    static func iban(_ r: inout CorpusRng) -> String {
        let (cc, shape) = r.pick(ibanCountries)
        var bban = ""
        for c in shape { bban += c == "L" ? r.chars(UP, 1) : r.chars(DIG, 1) }
        var rem = 0
        for ch in (bban + cc + "00").unicodeScalars {
            let digits = ch.properties.isAlphabetic ? String(Int(ch.value) - 55) : String(ch)
            for d in digits.unicodeScalars { rem = (rem * 10 + Int(d.value - 48)) % 97 }
        }
        var s = cc + pad2(98 - rem) + bban
        if r.below(2) == 0 { s = groups4(s, sep: " ") }
        return s
    }

    static func aba(_ r: inout CorpusRng) -> String {
        let pre = r.pick(["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "21", "22", "26", "31", "32", "61", "63", "67", "71", "72", "80"])
        let body = pre + r.chars(DIG, 6)
        let d = body.map { Int(String($0)) ?? 0 }
        let s = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
        return body + String((10 - s % 10) % 10)
    }

    static func vin(_ r: inout CorpusRng) -> String {
        var body: [String] = []
        for _ in 0..<11 { body.append(r.pickChar(VINCH)) }
        for _ in 0..<6 { body.append(r.pickChar(DIG)) }
        var vals: [String: Int] = [:]
        for (k, ch) in "ABCDEFGH".enumerated() { vals[String(ch)] = k + 1 }
        for (k, ch) in "JKLMN".enumerated() { vals[String(ch)] = k + 1 }
        vals["P"] = 7; vals["R"] = 9
        for (k, ch) in "STUVWXYZ".enumerated() { vals[String(ch)] = k + 2 }
        let weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
        var s = 0
        for (k, ch) in body.enumerated() { s += (Int(ch) ?? vals[ch] ?? 0) * weights[k] }
        let rem = s % 11
        body[8] = rem == 10 ? "X" : String(rem)
        return body.joined()
    }

    static func nhs(_ r: inout CorpusRng) -> String {
        while true {
            let d = r.chars(DIG, 9)
            var s = 0
            for (k, c) in d.enumerated() { s += (Int(String(c)) ?? 0) * (10 - k) }
            var c = 11 - s % 11
            if c == 11 { c = 0 }
            if c != 10 {
                let v = d + String(c)
                return sub(v, 0, 3) + " " + sub(v, 3, 6) + " " + sub(v, 6, 10)
            }
        }
    }

    static func utr(_ r: inout CorpusRng) -> String {
        let d = r.chars(DIG, 9)
        let w = [6, 7, 8, 9, 10, 5, 4, 3, 2]
        var s = 0
        for (k, c) in d.enumerated() { s += (Int(String(c)) ?? 0) * w[k] }
        return String(Array("21987654321")[s % 11]) + d
    }

    static func sin(_ r: inout CorpusRng) -> String {
        let first = r.pickChar("12345679")
        let v = luhnComplete(first + r.chars(DIG, 7))
        let sep = r.pick([" ", "-"])
        return sub(v, 0, 3) + sep + sub(v, 3, 6) + sep + sub(v, 6, 9)
    }

    static func nino(_ r: inout CorpusRng) -> String {
        var a = "", b = ""
        while true {
            a = r.pickChar("ABCEGHJKLMNOPRSTWXYZ")
            b = r.pickChar("ABCEGHJKLMNPRSTWXYZ")
            if !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(a + b) { break }
        }
        let d = r.chars(DIG, 6)
        let s = r.pickChar("ABCD")
        if r.below(2) == 0 { return a + b + " " + sub(d, 0, 2) + " " + sub(d, 2, 4) + " " + sub(d, 4, 6) + " " + s }
        return a + b + d + s
    }

    static func card(_ r: inout CorpusRng) -> String {
        let (prefix, length) = r.pick(cardBrands)
        let v = luhnComplete(prefix + r.chars(DIG, length - prefix.count - 1))
        let style = r.below(10)
        if length == 16 && style >= 6 { return groups4(v, sep: style < 9 ? " " : "-") }
        if length == 15 && (prefix == "34" || prefix == "37") && style >= 7 { return sub(v, 0, 4) + " " + sub(v, 4, 10) + " " + sub(v, 10, 15) }
        return v
    }

    static func phone(_ r: inout CorpusRng) -> String {
        var area = String(r.between(2, 9)) + r.chars(DIG, 2)
        if sub(area, 1, 3) == "11" { area = sub(area, 0, 1) + "20" }
        var exch = String(r.between(2, 9)) + r.chars(DIG, 2)
        if sub(exch, 1, 3) == "11" { exch = sub(exch, 0, 1) + "21" }
        let line = r.chars(DIG, 4)
        switch r.below(8) {
        case 0: return "(\(area)) \(exch)-\(line)"
        case 1: return "\(area)-\(exch)-\(line)"
        case 2: return "\(area).\(exch).\(line)"
        case 3: return "+1-\(area)-\(exch)-\(line)"
        case 4: return "001-\(area)-\(exch)-\(line)"
        case 5: return "\(area)-\(exch)-\(line)x\(r.chars(DIG, 3))"
        case 6: return "+44 20 7946 0\(r.chars(DIG, 3))"
        default: return "+1 \(area) \(exch) \(line)"
        }
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    static func piiRecord(_ r: inout CorpusRng, _ t: String, _ v: CorpusVocab) -> (String, String, String) {
        let W = v.words
        let fn = r.pick(v.firstNames), ln = r.pick(v.lastNames)
        switch t {
        case "ADDRESS":
            var a = String(r.between(1, 9))
            a += r.chars(DIG, r.below(4))
            a += " " + r.pick(v.streets)
            a += " " + r.pick(v.suffixes)
            if r.below(2) == 0 {
                let (city, st) = r.pick(v.cities)
                a += ", " + city + ", " + st + " " + r.chars(DIG, 5)
            }
            return (r.pick(["Ship it to ", "The office is at ", "I live at "]), a, ".")
        case "AGE":
            let n = String(r.between(18, 95))
            return r.pick([("I am ", n, " years old."), ("The patient, aged ", n, ", recovered."), ("Age: ", n, ".")])
        case "AWS_ACCESS_KEY":
            let p = r.pick(["Use key ", "The access key is ", "Found "])
            let k = r.pick(["AKIA", "ASIA"])
            return (p, k + r.chars(B32, 16), " in the logs.")
        case "AWS_SECRET_KEY":
            var s = r.chars(UP, 1)
            s += r.chars(LOW, 1)
            s += r.chars(B64, 38)
            return (r.pick(["aws_secret_access_key = ", "The secret key is ", "secret: "]), s, "")
        case "CA_HEALTH_NUMBER":
            let d = r.chars(DIG, 10)
            var val = sub(d, 0, 4) + "-" + sub(d, 4, 7) + "-" + sub(d, 7, 10)
            if r.below(2) == 0 { val += "-" + r.chars(UP, 2) }
            return (r.pick(["My health card number is ", "OHIP ", "Health card: "]), val, ".")
        case "CA_SOCIAL_INSURANCE_NUMBER":
            let p = r.pick(["SIN ", "My social insurance number is ", "Their SIN: "])
            return (p, sin(&r), ".")
        case "CREDIT_DEBIT_CARD_CVV":
            let p = r.pick(["CVV ", "The security code is ", "cvc: "])
            return (p, r.chars(DIG, 3 + r.below(2)), ".")
        case "CREDIT_DEBIT_CARD_EXPIRY":
            let p = r.pick(["It expires ", "exp ", "Expiry date: "])
            let m = r.between(1, 12)
            let y = r.between(25, 35)
            return (p, pad2(m) + "/" + pad2(y), ".")
        case "CREDIT_DEBIT_CARD_NUMBER":
            let p = r.pick(["Card number ", "I paid with ", "Charge "])
            return (p, card(&r), " today.")
        case "DRIVER_ID":
            let p = r.pick(["Driver's license ", "DL: ", "My driver license number is "])
            let a = r.chars(UP, 1)
            return (p, a + r.chars(DIG, 7), ".")
        case "EMAIL":
            var local = fn.lowercased() + "." + ln.lowercased()
            if r.below(2) == 0 { local += r.chars(DIG, 2) }
            let p = r.pick(["Contact ", "Send it to ", "Reach me at "])
            let dom = r.pick(v.domains)
            return (p, local + "@" + dom + "." + r.pick(v.tlds), ".")
        case "INTERNATIONAL_BANK_ACCOUNT_NUMBER":
            let p = r.pick(["IBAN ", "Transfer to ", "Account "])
            return (p, iban(&r), ".")
        case "IP_ADDRESS":
            var val: String
            if r.below(5) == 0 {
                val = "2001:db8:"
                var gs: [String] = []
                for _ in 0..<6 { gs.append(r.chars("0123456789abcdef", 4)) }
                val += gs.joined(separator: ":")
            } else {
                var os: [String] = []
                for _ in 0..<4 { os.append(String(r.between(1, 254))) }
                val = os.joined(separator: ".")
            }
            return (r.pick(["Request from ", "The server at ", "Blocked "]), val, " was slow.")
        case "LICENSE_PLATE":
            let f = r.below(3)
            var val: String
            if f == 0 { val = r.chars(UP, 2); val += r.chars(DIG, 2); val += " " + r.chars(UP, 3) } else if f == 1 { val = r.chars(UP, 3); val += "-" + r.chars(DIG, 4) } else {
                val = r.chars(DIG, 1); val += r.chars(UP, 3); val += r.chars(DIG, 3)
            }
            return (r.pick(["License plate ", "The car with registration ", "plate "]), val, ".")
        case "MAC_ADDRESS":
            let sep = r.pick([":", "-"])
            let p = r.pick(["Device ", "MAC ", "The adapter "])
            var gs: [String] = []
            for _ in 0..<6 { gs.append(r.chars(HEX, 2)) }
            return (p, gs.joined(separator: sep), " joined.")
        case "NAME":
            return (r.pick(["I spoke with ", "Please ask ", "The report was written by "]), fn + " " + ln, ".")
        case "PASSWORD":
            let p = r.pick(["password: ", "My password is ", "pwd="])
            let n = r.between(10, 14)
            return (p, r.chars(PW, n), "")
        case "PHONE":
            let p = r.pick(["Call ", "My number is ", "Reach the office at "])
            return (p, phone(&r), ".")
        case "PIN":
            let p = r.pick(["PIN ", "My pin is ", "PIN: "])
            let n = r.pick([4, 4, 6])
            return (p, r.chars(DIG, n), ".")
        case "SWIFT_CODE":
            var val = r.chars(UP, 4)
            val += r.pick(["DE", "GB", "US", "FR", "CH", "NL", "IT", "ES"])
            val += r.chars(UPNUM, 2)
            if r.below(2) == 0 {
                let alt = r.chars(UPNUM, 3)
                val += r.pick(["XXX", alt])
            }
            return (r.pick(["SWIFT code ", "BIC: ", "Use SWIFT "]), val, ".")
        case "UK_NATIONAL_HEALTH_SERVICE_NUMBER":
            let p = r.pick(["NHS number ", "My NHS no. is ", "NHS: "])
            return (p, nhs(&r), ".")
        case "UK_NATIONAL_INSURANCE_NUMBER":
            let p = r.pick(["National Insurance number ", "NINO ", "My NI number is "])
            return (p, nino(&r), ".")
        case "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER":
            let p = r.pick(["UTR ", "My UTR is ", "Unique taxpayer reference UTR: "])
            return (p, utr(&r), ".")
        case "URL":
            var val = "https://www." + r.pick(v.domains)
            val += "." + r.pick(v.tlds)
            val += "/" + r.pick(W).lowercased()
            return (r.pick(["See ", "Visit ", "Docs are at "]), val, " for details.")
        case "USERNAME":
            let a = fn.lowercased() + "_" + ln.lowercased()
            var b = r.pick(W).lowercased()
            b += r.chars(DIG, 3)
            let val = r.pick([a, b])
            return (r.pick(["username: ", "Login: ", "My username is "]), val, "")
        case "US_BANK_ACCOUNT_NUMBER":
            let p = r.pick(["account number ", "Bank account: ", "Acct "])
            var val = r.chars("123456789", 1)
            let n = r.between(7, 11)
            val += r.chars(DIG, n)
            return (p, val, ".")
        case "US_BANK_ROUTING_NUMBER":
            let p = r.pick(["routing number ", "ABA ", "Routing: "])
            return (p, aba(&r), ".")
        case "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER":
            let g = r.pick([50, 55, 60, 65, 70, 75, 80, 88, 90, 92, 94, 99])
            let p = r.pick(["ITIN ", "My taxpayer id is ", "Tax ID "])
            let a = r.chars(DIG, 2)
            let c = r.chars(DIG, 4)
            return (p, "9\(a)-\(pad2(g))-\(c)", ".")
        case "US_PASSPORT_NUMBER":
            let val: String
            if r.below(2) == 0 { val = r.chars(DIG, 9) } else { var x = r.chars(UP, 1); x += r.chars(DIG, 8); val = x }
            return (r.pick(["Passport ", "passport number ", "My passport is "]), val, ".")
        case "US_SOCIAL_SECURITY_NUMBER":
            var area = r.between(1, 899)
            if area == 666 { area = 667 }
            let p = r.pick(["SSN ", "My social security number is ", "Employee "])
            let g = r.between(1, 99)
            let s = r.between(1, 9999)
            return (p, pad(area, 3) + "-" + pad2(g) + "-" + pad(s, 4), ".")
        default:  // VEHICLE_IDENTIFICATION_NUMBER
            let p = r.pick(["VIN ", "The car's VIN is ", "Vehicle "])
            return (p, vin(&r), ".")
        }
    }

    static func trap(_ r: inout CorpusRng) -> String {
        switch r.below(8) {
        case 0: return "Build \(r.between(1_600_000_000, 1_799_999_999)) finished."
        case 1:
            let a = r.between(1, 12), b = r.below(10), c = r.below(10), d = r.below(100)
            return "Upgrade to version \(a).\(b).\(c).\(d) first."
        case 2: return "See commit \(r.chars("0123456789abcdef", 40)) for the fix."
        case 3:
            while true {
                let d = "4" + r.chars(DIG, 15)
                if luhnComplete(sub(d, 0, 15)) != d { return "Order \(d) shipped." }
            }
        case 4:
            let h = r.below(24), m = r.below(60), s = r.below(60)
            return "The call ended at \(pad2(h)):\(pad2(m)):\(pad2(s))."
        case 5:
            let y = r.between(10, 30), m = r.between(1, 12), d = r.between(1, 28)
            return "Logged on 20\(pad2(y))-\(pad2(m))-\(pad2(d))."
        case 6: return "Ticket \(r.between(1_000_000_000, 9_999_999_999)) was closed."
        default: return "The team grew 12.5% to \(r.between(10, 999)) people."
        }
    }

    static func sentence(_ r: inout CorpusRng, _ v: CorpusVocab) -> String {
        let n = 6 + r.below(10)
        var ws: [String] = []
        for _ in 0..<n { ws.append(r.pick(v.words)) }
        ws[0] = ws[0].prefix(1).uppercased() + ws[0].dropFirst()
        return ws.joined(separator: " ") + "."
    }

    /// Escapes backslash and quote for the JSONL line (the same two characters the Python generator escapes).
    static func esc(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for c in s.unicodeScalars {
            if c == "\\" || c == "\"" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(c)
        }
        return out
    }

    /// JSONL corpus, identical to `gen-guardrail-corpus.py --seed SEED --bytes BYTES`.
    static func generate(seed: UInt64, targetBytes: Int) -> [UInt8] {
        let v = CorpusVocab.load()
        var r = CorpusRng(s: seed)
        var out: [UInt8] = []
        out.reserveCapacity(targetBytes + targetBytes / 6)
        var total = 0
        guard !v.words.isEmpty else { return out }
        while total < targetBytes {
            var parts: [String] = []
            let np = 2 + r.below(4)
            for _ in 0..<np { parts.append(sentence(&r, v)) }
            if r.below(100) < 12 {
                let at = r.below(parts.count + 1)
                parts.insert(trap(&r), at: at)
            }
            var pii: (String, String, String, String)?
            var pos = -1
            if r.below(100) < 16 {
                let t = types[r.below(types.count)]
                let rec = piiRecord(&r, t, v)
                pii = (t, rec.0, rec.1, rec.2)
                pos = r.below(parts.count + 1)
            }
            var text = ""
            var ents: [(String, Int, Int)] = []
            for k in 0...parts.count {
                if let (t, pre, val, suf) = pii, k == pos {
                    if !text.isEmpty { text += " " }
                    let start = text.utf8.count + pre.utf8.count
                    text += pre + val + suf
                    ents.append((t, start, start + val.utf8.count))
                }
                if k < parts.count {
                    if !text.isEmpty { text += " " }
                    text += parts[k]
                }
            }
            total += text.utf8.count
            let e = ents.map { "{\"type\":\"\($0.0)\",\"start\":\($0.1),\"end\":\($0.2)}" }.joined(separator: ",")
            out.append(contentsOf: Array("{\"text\":\"\(esc(text))\",\"entities\":[\(e)]}\n".utf8))
        }
        return out
    }
}
