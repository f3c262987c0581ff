#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SigV4 timestamps: the ISO 8601 basic format `YYYYMMDD'T'HHMMSS'Z'` (always UTC), converted with
/// plain calendar arithmetic so there is no formatter, locale or time-zone state involved.
public enum SigV4Date {
    /// `20150830T123600Z` for 2015-08-30 12:36:00 UTC (fractional seconds are dropped).
    public static func amzDate(_ date: Date) -> String {
        amzDate(epochSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    public static func amzDate(epochSeconds: Int64) -> String {
        let days = floorDiv(epochSeconds, 86_400)
        let secondsOfDay = epochSeconds - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else {
            return pad(y, 4) + pad(m, 2) + pad(d, 2) + "T" + pad(secondsOfDay / 3600, 2)
                + pad(secondsOfDay / 60 % 60, 2) + pad(secondsOfDay % 60, 2) + "Z"
        }
        // Every request is signed at some time: sixteen digits and letters written at once.
        return String(unsafeUninitializedCapacity: 16) { out in
            func put(_ v: Int64, _ width: Int, at i: Int) {
                var v = v
                for k in stride(from: width - 1, through: 0, by: -1) { out[i + k] = 0x30 + UInt8(v % 10); v /= 10 }
            }
            put(y, 4, at: 0); put(m, 2, at: 4); put(d, 2, at: 6); out[8] = UInt8(ascii: "T")
            put(secondsOfDay / 3600, 2, at: 9); put(secondsOfDay / 60 % 60, 2, at: 11); put(secondsOfDay % 60, 2, at: 13)
            out[15] = UInt8(ascii: "Z")
            return 16
        }
    }

    /// Parses `YYYYMMDDTHHMMSSZ`; nil unless it is exactly that shape with valid field ranges.
    public static func epochSeconds(amzDate text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        guard let y = digits(b, 0, 4), let mo = digits(b, 4, 2), let d = digits(b, 6, 2),
              let h = digits(b, 9, 2), let mi = digits(b, 11, 2), let s = digits(b, 13, 2) else { return nil }
        return validated(y, mo, d, h, mi, s)
    }

    /// Parses an HTTP `Date` header in IMF-fixdate form (`Mon, 09 Sep 2011 23:36:00 GMT`), which SigV4
    /// accepts when there is no `X-Amz-Date`.
    public static func epochSeconds(httpDate text: String) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let d = Int64(parts[1]), let monthIndex = months.firstIndex(of: String(parts[2])),
              let y = Int64(parts[3]) else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let h = Int64(time[0]), let mi = Int64(time[1]), let s = Int64(time[2]) else { return nil }
        return validated(y, Int64(monthIndex + 1), d, h, mi, s)
    }

    private static func validated(_ y: Int64, _ mo: Int64, _ d: Int64, _ h: Int64, _ mi: Int64, _ s: Int64) -> Int64? {
        guard (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi), (0...60).contains(s)
        else { return nil }
        let days = days(fromCivil: y, mo, d)
        // Reject dates like Feb 30 that would silently roll over.
        guard civil(fromDays: days) == (y, mo, d) else { return nil }
        return days * 86_400 + h * 3600 + mi * 60 + s
    }

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int64? {
        var value: Int64 = 0
        for i in start..<(start + count) {
            let c = b[i]
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(c - UInt8(ascii: "0"))
        }
        return value
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    // Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian calendar).
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
