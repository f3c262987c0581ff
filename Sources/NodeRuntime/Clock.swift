import ASCIIText
#if canImport(Glibc)
import Glibc
#endif
import SimCrypto
import Synchronization

/// Time sources. Monotonic time is CLOCK_MONOTONIC, shared by every process on the machine, so hop timings taken in
/// different node processes are comparable.
public enum SimClock {
    public static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
    public static func monotonicMilliseconds() -> UInt64 { monotonicNanoseconds() / 1_000_000 }
    public static func unixMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }

    /// The last whole second formatted (aws:CurrentTime is built on every authorization).
    private static let secondCache = Mutex<(second: UInt64, text: String)>((UInt64.max, ""))

    /// ISO 8601 UTC with milliseconds, as CloudTrail's eventTime (which has seconds) and log lines use.
    public static func iso8601(unixMs: UInt64, fractional: Bool = true) -> String {
        if !fractional {
            let second = unixMs / 1000
            if let hit = secondCache.withLock({ $0.second == second ? $0.text : nil }) { return hit }
            let text = formatISO8601(unixMs: unixMs, fractional: false)
            secondCache.withLock { $0 = (second, text) }
            return text
        }
        return formatISO8601(unixMs: unixMs, fractional: true)
    }

    private static func formatISO8601(unixMs: UInt64, fractional: Bool) -> String {
        var t = time_t(unixMs / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        var s = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if fractional { s += "." + pad(Int32(unixMs % 1000), 3) }
        return s + "Z"
    }
}

/// Identifiers: message ids, AWS-style request ids (UUID form, as x-amzn-RequestId) and W3C traceparent values.
public enum SimIds {
    /// The lowercase hex digit of `n` (0…15).
    @inline(__always) public static func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? UInt8(ascii: "0") + n : UInt8(ascii: "a") + n - 10 }

    public static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8](); out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(hexDigit(b >> 4)); out.append(hexDigit(b & 15)) }
        return String(decoding: out, as: UTF8.self)
    }

    /// A random UUID v4 string (request ids).
    public static func uuid() -> String {
        var b = SecureRandom.bytes(16)
        b[6] = (b[6] & 0x0f) | 0x40
        b[8] = (b[8] & 0x3f) | 0x80
        let h = hex(b)
        let c = Array(h)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    /// A traceparent for a new trace: version 00, random trace id and span id, sampled.
    public static func traceparent() -> String {
        "00-\(hex(SecureRandom.bytes(16)))-\(hex(SecureRandom.bytes(8)))-01"
    }
}

/// Fast unique UUID-shaped ids (CloudTrail eventID): a random 64-bit prefix per process plus a counter, so no
/// random call per record.
public struct UUIDGenerator {
    private let prefix: String
    private var counter: UInt64 = 0
    public init() {
        let h = Array(SimIds.hex(SecureRandom.bytes(10)))
        prefix = String(h[0..<8]) + "-" + String(h[8..<12]) + "-4" + String(h[12..<15]) + "-a" + String(h[15..<18]) + "-"
    }
    public mutating func next() -> String {
        var out: [UInt8] = []
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The next id's text appended to `out` (prefix, then the counter as 12 lowercase hex digits).
    public mutating func append(to out: inout [UInt8]) {
        counter &+= 1
        ASCII.append(prefix, to: &out)
        var c = counter
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buf in
            var i = 16
            repeat { i -= 1; buf[i] = SimIds.hexDigit(UInt8(c & 15)); c >>= 4 } while c > 0
            while i > 4 { i -= 1; buf[i] = UInt8(ascii: "0") }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<16]))
        }
    }
}

/// Message ids: a random prefix per node process plus a counter, so ids are unique across the run without a random
/// call per message: 8 hex digits, "-", the counter in base 36 (up to 2.1 billion messages in six digits). At most 15
/// bytes, so Swift keeps an id inline in the String itself: no allocation when it is made, and no reference counting
/// wherever it travels (envelopes, journal records, the calls waiting for it). The record that carries an id names
/// the node that made it.
public struct MessageIdGenerator {
    private let prefix: UInt64   // the 8 hex digits' bytes, in memory order
    private var counter: UInt64 = 0
    public init() {
        var packed: UInt64 = 0
        for (i, b) in SimIds.hex(SecureRandom.bytes(4)).utf8.prefix(8).enumerated() { packed |= UInt64(b) << (8 * UInt64(i)) }
        prefix = packed
    }
    public mutating func next() -> String {
        counter += 1
        var c = counter
        var digits: (UInt64, UInt64) = (0, 0)
        return withUnsafeMutableBytes(of: &digits) { buf -> String in
            // base 36, most significant digit first, into a scratch buffer from the end
            var n = 16
            repeat {
                n -= 1
                let d = UInt8(c % 36)
                buf[n] = d < 10 ? UInt8(ascii: "0") + d : UInt8(ascii: "a") + d - 10
                c /= 36
            } while c > 0 && n > 0
            let count = 16 - n
            return String(unsafeUninitializedCapacity: 9 + count) { out in
                withUnsafeBytes(of: prefix) { p in for i in 0..<8 { out[i] = p[i] } }
                out[8] = UInt8(ascii: "-")
                for i in 0..<count { out[9 + i] = buf[n + i] }
                return 9 + count
            }
        }
    }
}
