// A small JSON reader that keeps what policy validation needs and Foundation's
// JSONSerialization loses: member order, duplicate keys, number lexemes
// (IAM compares condition numbers as written) and byte offsets for line/column
// in error messages.
import JSONText

/// One parsed JSON value with the byte offset where it starts.
struct JSONNode: Sendable {
    enum Kind: Sendable {
        case null
        case bool(Bool)
        /// The number exactly as written (validated against the JSON grammar).
        case number(String)
        case string(String)
        case array([JSONNode])
        case object([JSONMember])
    }

    let kind: Kind
    let offset: Int

    var typeName: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Short rendering of the value for error messages.
    var brief: String {
        switch kind {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return JSONWriter.quoted(s.count > 80 ? String(s.prefix(77)) + "..." : s)
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

struct JSONMember: Sendable {
    let key: String
    let keyOffset: Int
    let value: JSONNode
}

struct JSONSyntaxError: Error, Sendable {
    let message: String
    let offset: Int
}

/// Line and column (1-based, column counted in Unicode scalars) of a byte offset.
func lineAndColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
    var line = 1
    var column = 1
    var i = 0
    let end = min(offset, bytes.count)
    while i < end {
        let b = bytes[i]
        if b == 0x0A {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
        i += 1
    }
    return (line, column)
}

struct JSONParser {
    private let bytes: [UInt8]
    private var i = 0
    private var depth = 0
    private static let maxDepth = 256

    static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONNode {
        var parser = JSONParser(bytes: bytes)
        // A UTF-8 byte order mark is tolerated, as editors on Windows add one.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { parser.i = 3 }
        parser.skipWhitespace()
        if parser.i >= bytes.count {
            throw JSONSyntaxError(message: "the input is empty; expected a JSON value", offset: parser.i)
        }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.i < bytes.count {
            throw JSONSyntaxError(message: "unexpected \(parser.describeCurrent()) after the end of the JSON value", offset: parser.i)
        }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private func describeCurrent() -> String {
        guard i < bytes.count else { return "end of input" }
        let b = bytes[i]
        if b >= 0x21 && b < 0x7F { return "character '\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONNode {
        guard i < bytes.count else { throw JSONSyntaxError(message: "unexpected end of input; expected a value", offset: i) }
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return JSONNode(kind: .string(try parseString()), offset: start)
        case UInt8(ascii: "t"): try expectLiteral("true"); return JSONNode(kind: .bool(true), offset: start)
        case UInt8(ascii: "f"): try expectLiteral("false"); return JSONNode(kind: .bool(false), offset: start)
        case UInt8(ascii: "n"): try expectLiteral("null"); return JSONNode(kind: .null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default:
            throw JSONSyntaxError(message: "unexpected \(describeCurrent()); expected a value", offset: i)
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONSyntaxError) {
        let start = i
        let count = word.utf8CodeUnitCount
        let ok: Bool = word.withUTF8Buffer { w in
            guard start + count <= bytes.count else { return false }
            for k in 0..<count where bytes[start + k] != w[k] { return false }
            return true
        }
        guard ok else { throw JSONSyntaxError(message: "invalid literal; expected '\(word)'", offset: start) }
        i += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSONParser.maxDepth {
            throw JSONSyntaxError(message: "nesting deeper than \(JSONParser.maxDepth) levels", offset: i)
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONNode {
        let start = i
        try enter()
        i += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return JSONNode(kind: .object(members), offset: start)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                throw JSONSyntaxError(message: "unexpected \(describeCurrent()); expected a member name in double quotes", offset: i)
            }
            let keyOffset = i
            let key = try parseString()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                throw JSONSyntaxError(message: "unexpected \(describeCurrent()); expected ':' after member name \"\(key)\"", offset: i)
            }
            i += 1
            skipWhitespace()
            let value = try parseValue()
            members.append(JSONMember(key: key, keyOffset: keyOffset, value: value))
            skipWhitespace()
            guard i < bytes.count else { throw JSONSyntaxError(message: "unexpected end of input; expected ',' or '}'", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "}") { i += 1; break }
            throw JSONSyntaxError(message: "unexpected \(describeCurrent()); expected ',' or '}'", offset: i)
        }
        depth -= 1
        return JSONNode(kind: .object(members), offset: start)
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONNode {
        let start = i
        try enter()
        i += 1
        var items: [JSONNode] = []
        skipWhitespace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return JSONNode(kind: .array(items), offset: start)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard i < bytes.count else { throw JSONSyntaxError(message: "unexpected end of input; expected ',' or ']'", offset: i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == UInt8(ascii: "]") { i += 1; break }
            throw JSONSyntaxError(message: "unexpected \(describeCurrent()); expected ',' or ']'", offset: i)
        }
        depth -= 1
        return JSONNode(kind: .array(items), offset: start)
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONNode {
        let start = i
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        guard i < bytes.count, isDigit(bytes[i]) else {
            throw JSONSyntaxError(message: "invalid number; expected a digit", offset: i)
        }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < bytes.count, isDigit(bytes[i]) {
                throw JSONSyntaxError(message: "invalid number; leading zeros are not allowed", offset: start)
            }
        } else {
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else {
                throw JSONSyntaxError(message: "invalid number; expected a digit after '.'", offset: i)
            }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else {
                throw JSONSyntaxError(message: "invalid number; expected a digit in the exponent", offset: i)
            }
            while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        }
        let lexeme = String(decoding: bytes[start..<i], as: UTF8.self)
        return JSONNode(kind: .number(lexeme), offset: start)
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let open = i
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                let s = try decodeUTF8(start, i)
                i += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw JSONSyntaxError(message: "unescaped control character in string", offset: i) }
            i += 1
        }
        guard i < bytes.count else { throw JSONSyntaxError(message: "unterminated string", offset: open) }
        var out: [UInt8] = Array(bytes[start..<i])
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    throw JSONSyntaxError(message: "string is not valid UTF-8", offset: open)
                }
                return s
            }
            if b < 0x20 { throw JSONSyntaxError(message: "unescaped control character in string", offset: i) }
            if b != UInt8(ascii: "\\") {
                out.append(b)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
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
                var scalarValue = try hex4()
                if scalarValue >= 0xD800 && scalarValue < 0xDC00 {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw JSONSyntaxError(message: "unpaired UTF-16 surrogate in \\u escape", offset: i)
                    }
                    i += 2
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else {
                        throw JSONSyntaxError(message: "invalid UTF-16 surrogate pair in \\u escape", offset: i)
                    }
                    scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                } else if scalarValue >= 0xDC00 && scalarValue < 0xE000 {
                    throw JSONSyntaxError(message: "unpaired UTF-16 surrogate in \\u escape", offset: i)
                }
                guard let scalar = Unicode.Scalar(scalarValue) else {
                    throw JSONSyntaxError(message: "invalid \\u escape", offset: i)
                }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw JSONSyntaxError(message: "invalid escape sequence '\\\(Character(Unicode.Scalar(e)))'", offset: i - 2)
            }
        }
        throw JSONSyntaxError(message: "unterminated string", offset: open)
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw JSONSyntaxError(message: "incomplete \\u escape", offset: i) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let d: UInt32
            switch b {
            case 0x30...0x39: d = UInt32(b - 0x30)
            case 0x41...0x46: d = UInt32(b - 0x41 + 10)
            case 0x61...0x66: d = UInt32(b - 0x61 + 10)
            default: throw JSONSyntaxError(message: "invalid hex digit in \\u escape", offset: i)
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private func decodeUTF8(_ a: Int, _ b: Int) throws(JSONSyntaxError) -> String {
        guard let s = String(validating: bytes[a..<b], as: UTF8.self) else {
            throw JSONSyntaxError(message: "string is not valid UTF-8", offset: a - 1)
        }
        return s
    }
}

/// Minimal JSON output with a stable member order (the CLI prints one line per result).
enum JSONWriter {
    static func quoted(_ s: String) -> String { JSONText.quoted(s) }
}
