// A small JSON reader over UTF-8 bytes. The configuration decoder needs exact JSON paths
// in its error messages (AWS style 'topicPolicyConfig.topicsConfig.1.member.name'), which
// JSONDecoder's coding paths do not give in that form, so the guardrail reads a JSON tree itself.

/// A parsed JSON value.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "list"
        case .object: return "structure"
        }
    }
}

struct JSONSyntaxError: Error {
    let offset: Int
    let reason: String
}

/// Recursive-descent JSON parser (RFC 8259) with a depth limit so hostile input cannot exhaust the stack.
struct JSONParser {
    private let b: [UInt8]
    private var i = 0
    private var depth = 0

    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var p = JSONParser(b: bytes)
        p.skipWS()
        let v = try p.value()
        p.skipWS()
        if p.i != p.b.count { throw JSONSyntaxError(offset: p.i, reason: "unexpected trailing characters") }
        return v
    }

    private init(b: [UInt8]) { self.b = b }

    private mutating func skipWS() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        guard i < b.count else { throw JSONSyntaxError(offset: i, reason: "unexpected end of input") }
        switch b[i] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ s: StaticString) throws(JSONSyntaxError) {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { throw JSONSyntaxError(offset: i, reason: "invalid literal") }
        let p = s.utf8Start
        for k in 0..<n where b[i + k] != p[k] { throw JSONSyntaxError(offset: i, reason: "invalid literal") }
        i += n
    }

    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        depth += 1
        if depth > 64 { throw JSONSyntaxError(offset: i, reason: "nesting too deep") }
        defer { depth -= 1 }
        i += 1
        var out: [String: JSONValue] = [:]
        skipWS()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
        while true {
            skipWS()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw JSONSyntaxError(offset: i, reason: "expected a member name") }
            let key = try string()
            skipWS()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw JSONSyntaxError(offset: i, reason: "expected ':'") }
            i += 1
            skipWS()
            out[key] = try value()
            skipWS()
            guard i < b.count else { throw JSONSyntaxError(offset: i, reason: "unterminated object") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            throw JSONSyntaxError(offset: i, reason: "expected ',' or '}'")
        }
    }

    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        depth += 1
        if depth > 64 { throw JSONSyntaxError(offset: i, reason: "nesting too deep") }
        defer { depth -= 1 }
        i += 1
        var out: [JSONValue] = []
        skipWS()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
        while true {
            skipWS()
            out.append(try value())
            skipWS()
            guard i < b.count else { throw JSONSyntaxError(offset: i, reason: "unterminated array") }
            if b[i] == UInt8(ascii: ",") { i += 1; continue }
            if b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            throw JSONSyntaxError(offset: i, reason: "expected ',' or ']'")
        }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= b.count else { throw JSONSyntaxError(offset: i, reason: "bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x37)
            case 0x61...0x66: d = UInt32(c - 0x57)
            default: throw JSONSyntaxError(offset: i, reason: "bad \\u escape")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private mutating func string() throws(JSONSyntaxError) -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw JSONSyntaxError(offset: i, reason: "unterminated string") }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw JSONSyntaxError(offset: i, reason: "control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw JSONSyntaxError(offset: i, reason: "unterminated escape") }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00 {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                        throw JSONSyntaxError(offset: i, reason: "unpaired surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00, low < 0xE000 else { throw JSONSyntaxError(offset: i, reason: "unpaired surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw JSONSyntaxError(offset: i, reason: "unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw JSONSyntaxError(offset: i, reason: "bad code point") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw JSONSyntaxError(offset: i - 1, reason: "bad escape")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw JSONSyntaxError(offset: i, reason: "invalid UTF-8 in string") }
        return s
    }

    private mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1; digits += 1 }
        if digits == 0 { throw JSONSyntaxError(offset: start, reason: "unexpected character") }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var f = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1; f += 1 }
            if f == 0 { throw JSONSyntaxError(offset: i, reason: "bad number") }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            var e = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1; e += 1 }
            if e == 0 { throw JSONSyntaxError(offset: i, reason: "bad number") }
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        guard let d = Double(text) else { throw JSONSyntaxError(offset: start, reason: "bad number") }
        return .number(d)
    }
}
