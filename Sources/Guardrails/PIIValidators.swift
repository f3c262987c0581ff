// Checksums and format tables for the built-in PII detectors. Each function takes digit values
// (0-9) or ASCII bytes and is pure, so tests can exercise them directly.

enum PIIChecks {
    /// Luhn (ISO/IEC 7812-1), used by payment cards and the Canadian SIN.
    static func luhn(_ d: ArraySlice<UInt8>) -> Bool {
        var sum = 0
        var dbl = false
        for x in d.reversed() {
            var v = Int(x)
            if dbl { v *= 2; if v > 9 { v -= 9 } }
            sum += v
            dbl.toggle()
        }
        return d.count > 1 && sum % 10 == 0
    }

    /// Card issuer prefixes (IIN ranges) and the lengths each network issues, including those
    /// regex-based detectors often miss: 12-digit Maestro, 19-digit Visa, 15-digit JCB 2131/1800
    /// and Mastercard 2221-2720.
    static func cardPrefixOK(_ d: ArraySlice<UInt8>) -> Bool {
        let n = d.count
        guard n >= 12, n <= 19 else { return false }
        let a = Array(d.prefix(6)).reduce(0) { $0 * 10 + Int($1) }  // first 6 digits
        let p1 = a / 100_000, p2 = a / 10_000, p3 = a / 1_000, p4 = a / 100
        switch p1 {
        case 4: return n == 13 || n == 16 || n == 19                             // Visa
        case 5: return (51...55).contains(p2) ? n == 16 : n >= 12                // Mastercard / Maestro 50, 56-59
        case 6: return n >= 12                                                   // Discover, UnionPay, Maestro 6x
        case 3:
            if p2 == 34 || p2 == 37 { return n == 15 }                           // Amex
            if (3528...3589).contains(p4) { return n >= 16 }                     // JCB
            if (300...305).contains(p3) || p2 == 36 || p2 == 38 || p2 == 39 { return n >= 14 }  // Diners
            return false
        case 2: return (2221...2720).contains(p4) && n == 16 || p4 == 2131 && n == 15  // Mastercard 2-series, JCB
        case 1: return p4 == 1800 && n == 15                                     // JCB
        default: return false
        }
    }

    /// ABA routing number: weights 3-7-1 sum to a multiple of 10; first two digits 00-12, 21-32, 61-72 or 80.
    static func abaRouting(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 9 else { return false }
        let x = Array(d).map(Int.init)
        let pre = x[0] * 10 + x[1]
        guard (0...12).contains(pre) || (21...32).contains(pre) || (61...72).contains(pre) || pre == 80 else { return false }
        let s = 3 * (x[0] + x[3] + x[6]) + 7 * (x[1] + x[4] + x[7]) + (x[2] + x[5] + x[8])
        return s % 10 == 0 && x.contains { $0 != 0 }
    }

    /// US SSN: area not 000, 666 or 9xx; group not 00; serial not 0000.
    static func ssn(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 9 else { return false }
        let x = Array(d).map(Int.init)
        let area = x[0] * 100 + x[1] * 10 + x[2], group = x[3] * 10 + x[4], serial = x[5] * 1000 + x[6] * 100 + x[7] * 10 + x[8]
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// US ITIN: 9xx with a group (4th-5th digits) in 50-65, 70-88, 90-92 or 94-99.
    static func itin(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 9 else { return false }
        let x = Array(d).map(Int.init)
        let g = x[3] * 10 + x[4]
        return x[0] == 9 && ((50...65).contains(g) || (70...88).contains(g) || (90...92).contains(g) || (94...99).contains(g))
    }

    /// Canadian SIN: Luhn; first digit 0 and 8 are not issued to individuals.
    static func caSIN(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 9, let f = d.first, f != 0, f != 8 else { return false }
        return luhn(d)
    }

    /// UK NHS number: mod 11 with weights 10..2; a computed check of 10 is never issued.
    static func nhs(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 10 else { return false }
        let x = Array(d).map(Int.init)
        var s = 0
        for k in 0..<9 { s += x[k] * (10 - k) }
        var c = 11 - s % 11
        if c == 11 { c = 0 }
        return c != 10 && c == x[9]
    }

    /// UK UTR: the first digit is a check digit over the other nine (weights 6,7,8,9,10,5,4,3,2; mod 11 mapped by "21987654321").
    static func ukUTR(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 10 else { return false }
        let x = Array(d).map(Int.init)
        let w = [6, 7, 8, 9, 10, 5, 4, 3, 2]
        var s = 0
        for k in 0..<9 { s += x[k + 1] * w[k] }
        let map = [2, 1, 9, 8, 7, 6, 5, 4, 3, 2, 1]
        return map[s % 11] == x[0]
    }

    /// NANP (US/Canada) area code and exchange: first digits 2-9, and no N11 service codes.
    static func nanp(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 10 else { return false }
        let x = Array(d)
        guard x[0] >= 2, x[3] >= 2 else { return false }
        if x[1] == 1 && x[2] == 1 { return false }
        if x[4] == 1 && x[5] == 1 { return false }
        return true
    }

    /// VIN position-9 check digit (ISO 3779 / 49 CFR 565): transliterate, weight, mod 11 (10 = 'X').
    static func vin(_ b: ArraySlice<UInt8>) -> Bool {
        guard b.count == 17 else { return false }
        let weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
        var s = 0
        var letters = 0, digits = 0
        for (k, c) in b.enumerated() {
            let v: Int
            if isDigit(c) { v = Int(c - 0x30); digits += 1 } else {
                letters += 1
                switch c {
                case UInt8(ascii: "A"), UInt8(ascii: "J"): v = 1
                case UInt8(ascii: "B"), UInt8(ascii: "K"), UInt8(ascii: "S"): v = 2
                case UInt8(ascii: "C"), UInt8(ascii: "L"), UInt8(ascii: "T"): v = 3
                case UInt8(ascii: "D"), UInt8(ascii: "M"), UInt8(ascii: "U"): v = 4
                case UInt8(ascii: "E"), UInt8(ascii: "N"), UInt8(ascii: "V"): v = 5
                case UInt8(ascii: "F"), UInt8(ascii: "W"): v = 6
                case UInt8(ascii: "G"), UInt8(ascii: "P"), UInt8(ascii: "X"): v = 7
                case UInt8(ascii: "H"), UInt8(ascii: "Y"): v = 8
                case UInt8(ascii: "R"), UInt8(ascii: "Z"): v = 9
                default: return false  // I, O, Q and lowercase are never used
                }
            }
            s += v * weights[k]
        }
        guard letters >= 1, digits >= 3 else { return false }
        let r = s % 11
        let check = b[b.startIndex + 8]
        return r == 10 ? check == UInt8(ascii: "X") : check == UInt8(0x30 + r)
    }

    /// IBAN lengths by country (ISO 13616 registry).
    static let ibanLengths: [UInt16: Int] = {
        let s = "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 PS29 PT25 QA29 RO24 RS22 SA24 SC31 SE24 SI19 SK24 SM27 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20"
        var m: [UInt16: Int] = [:]
        for e in s.split(separator: " ") {
            let b = Array(e.utf8)
            m[UInt16(b[0]) << 8 | UInt16(b[1])] = Int(b[2] - 0x30) * 10 + Int(b[3] - 0x30)
        }
        return m
    }()

    /// ISO 7064 mod 97-10 over the rearranged IBAN (country and check digits moved to the end, letters as 10-35).
    static func iban(_ b: ArraySlice<UInt8>) -> Bool {
        guard b.count >= 15 else { return false }
        var r = 0
        let rearranged = b.dropFirst(4) + b.prefix(4)
        for c in rearranged {
            if isDigit(c) { r = (r * 10 + Int(c - 0x30)) % 97 } else if isUpper(c) { r = (r * 100 + Int(c - 0x41 + 10)) % 97 } else { return false }
        }
        return r == 1
    }

    /// ISO 3166-1 alpha-2 codes (SWIFT/BIC positions 5-6).
    static let countries: Set<UInt16> = {
        let s = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"
        return Set(s.split(separator: " ").map { e in let b = Array(e.utf8); return UInt16(b[0]) << 8 | UInt16(b[1]) })
    }()

    static let usStates: Set<UInt16> = {
        let s = "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP"
        return Set(s.split(separator: " ").map { e in let b = Array(e.utf8); return UInt16(b[0]) << 8 | UInt16(b[1]) })
    }()

    /// UK National Insurance number prefix rules: first letter not D F I Q U V, second not D F I O Q U V,
    /// and BG GB KN NK NT TN ZZ are never issued.
    static func ninoPrefix(_ a: UInt8, _ b: UInt8) -> Bool {
        guard isUpper(a), isUpper(b) else { return false }
        if "DFIQUV".utf8.contains(a) || "DFIOQUV".utf8.contains(b) { return false }
        let pair = String(decoding: [a, b], as: UTF8.self)
        return !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(pair)
    }

    /// Top-level domains accepted for bare domains (no scheme, no "www."). Kept short on purpose:
    /// "john.sm", "file.js" or "e.g" must not become URLs.
    static let bareTLDs: Set<String> = ["com", "net", "org", "edu", "gov", "mil", "io", "co", "uk", "us", "ca", "de", "fr", "au", "info", "biz", "app", "dev", "ai", "eu", "nl", "es", "it", "jp", "in", "ch", "se", "no", "ie", "nz", "org.uk", "co.uk"]
}
