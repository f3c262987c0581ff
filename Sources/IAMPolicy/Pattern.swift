import ASCIIText
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

// Compiled string patterns: `*`/`?` wildcards and `${...}` policy variables,
// turned into op arrays once at parse time so evaluation never builds a regex.

/// Op codes: 0...255 are literal UTF-8 bytes; these two are wildcards.
let opAnyOne: UInt16 = 256
let opAnyRun: UInt16 = 257
let opColon: UInt16 = 0x3A

/// A policy variable reference such as `${aws:PrincipalTag/team, 'none'}`.
struct PolicyVariable: Sendable, Equatable {
    /// Lowercased: condition key names are case-insensitive (IAM User Guide, "Variables and tags").
    let key: String
    /// The key as written, for explanations.
    let display: String
    let defaultValue: String?
}

enum PatternPiece: Sendable {
    case ops([UInt16])
    case variable(PolicyVariable)
}

struct PatternSyntaxError: Error, Sendable {
    let message: String
}

/// A compiled pattern. Without variables `staticOps` holds the whole program.
final class Glob: Sendable {
    let text: String
    let pieces: [PatternPiece]
    let staticOps: [UInt16]?
    let hasWildcard: Bool
    let lowercase: Bool
    /// Set when the pattern is plain text (no wildcard, no variable): compared by equality.
    let literal: [UInt8]?

    var variables: [PolicyVariable] {
        pieces.compactMap { if case .variable(let v) = $0 { return v } else { return nil } }
    }

    init(pieces: [PatternPiece], text: String, lowercase: Bool) {
        self.text = text
        self.lowercase = lowercase
        // Merge adjacent op runs.
        var merged: [PatternPiece] = []
        for p in pieces {
            if case .ops(let o) = p, case .ops(let prev)? = merged.last {
                merged[merged.count - 1] = .ops(prev + o)
            } else {
                merged.append(p)
            }
        }
        self.pieces = merged
        var wildcard = false
        var hasVar = false
        for p in merged {
            switch p {
            case .ops(let o): if o.contains(where: { $0 >= 256 }) { wildcard = true }
            case .variable: hasVar = true
            }
        }
        hasWildcard = wildcard
        if hasVar {
            staticOps = nil
            literal = nil
        } else {
            var all: [UInt16] = []
            for case .ops(let o) in merged { all += o }
            staticOps = all
            literal = wildcard ? nil : all.map { UInt8(truncatingIfNeeded: $0) }
        }
    }

    /// Parses `text`. `variables` enables `${...}` (policy version 2012-10-17 only);
    /// `wildcards` makes `*` and `?` special; `lowercase` folds case (actions, IgnoreCase operators).
    static func compile(_ text: String, variables: Bool, wildcards: Bool, lowercase: Bool) throws(PatternSyntaxError) -> Glob {
        let pieces = try parsePieces(text, variables: variables, wildcards: wildcards, lowercase: lowercase)
        return Glob(pieces: pieces, text: text, lowercase: lowercase)
    }

    static func parsePieces(_ text: String, variables: Bool, wildcards: Bool, lowercase: Bool) throws(PatternSyntaxError) -> [PatternPiece] {
        var pieces: [PatternPiece] = []
        var ops: [UInt16] = []
        let scalars = Array(text.unicodeScalars)
        var k = 0
        func appendLiteral(_ s: String) {
            let folded = lowercase ? s.lowercased() : s
            for b in folded.utf8 { ops.append(UInt16(b)) }
        }
        var pendingLiteral = ""
        func flushLiteral() {
            if !pendingLiteral.isEmpty { appendLiteral(pendingLiteral); pendingLiteral = "" }
        }
        while k < scalars.count {
            let c = scalars[k]
            if variables, c == "$", k + 1 < scalars.count, scalars[k + 1] == "{" {
                flushLiteral()
                // Find the closing brace, skipping over a quoted default value.
                var j = k + 2
                var inQuote = false
                var close = -1
                while j < scalars.count {
                    let d = scalars[j]
                    if inQuote {
                        if d == "'" {
                            if j + 1 < scalars.count, scalars[j + 1] == "'" { j += 2; continue }
                            inQuote = false
                        }
                    } else if d == "'" {
                        inQuote = true
                    } else if d == "}" {
                        close = j
                        break
                    }
                    j += 1
                }
                guard close >= 0 else {
                    throw PatternSyntaxError(message: "unterminated policy variable in \(JSONWriter.quoted(text)): '${' without a matching '}'")
                }
                var inner = String(String.UnicodeScalarView(scalars[(k + 2)..<close]))
                inner = trimSpaces(inner)
                switch inner {
                case "*": ops.append(UInt16(UInt8(ascii: "*")))
                case "?": ops.append(UInt16(UInt8(ascii: "?")))
                case "$": ops.append(UInt16(UInt8(ascii: "$")))
                default:
                    if !ops.isEmpty { pieces.append(.ops(ops)); ops = [] }
                    pieces.append(.variable(try parseVariable(inner, in: text)))
                }
                k = close + 1
                continue
            }
            if wildcards && (c == "*" || c == "?") {
                flushLiteral()
                ops.append(c == "*" ? opAnyRun : opAnyOne)
            } else {
                pendingLiteral.unicodeScalars.append(c)
            }
            k += 1
        }
        flushLiteral()
        if !ops.isEmpty || pieces.isEmpty { pieces.append(.ops(ops)) }
        return pieces
    }

    private static func parseVariable(_ inner: String, in text: String) throws(PatternSyntaxError) -> PolicyVariable {
        var key = inner
        var defaultValue: String? = nil
        if let comma = inner.firstIndex(of: ",") {
            key = trimSpaces(String(inner[..<comma]))
            let rest = trimSpaces(String(inner[inner.index(after: comma)...]))
            guard rest.count >= 2, rest.hasPrefix("'"), rest.hasSuffix("'") else {
                throw PatternSyntaxError(message: "policy variable ${\(inner)} in \(JSONWriter.quoted(text)): a default value must be in single quotes, as in ${\(key), 'default'}")
            }
            let body = String(rest.dropFirst().dropLast())
            // '' inside the quotes stands for one single quote.
            var value = ""
            var chars = Array(body)
            var idx = 0
            while idx < chars.count {
                if chars[idx] == "'" {
                    guard idx + 1 < chars.count, chars[idx + 1] == "'" else {
                        throw PatternSyntaxError(message: "policy variable ${\(inner)} in \(JSONWriter.quoted(text)): a single quote inside a default value must be doubled ('')")
                    }
                    idx += 1
                }
                value.append(chars[idx])
                idx += 1
            }
            chars = []
            defaultValue = value
        }
        guard !key.isEmpty else {
            throw PatternSyntaxError(message: "empty policy variable name in \(JSONWriter.quoted(text))")
        }
        if key.contains(where: { $0 == " " || $0 == "\t" || $0 == "'" || $0 == "{" || $0 == "$" }) {
            throw PatternSyntaxError(message: "invalid policy variable name \(JSONWriter.quoted(key)) in \(JSONWriter.quoted(text))")
        }
        return PolicyVariable(key: key.lowercased(), display: key, defaultValue: defaultValue)
    }

    /// Builds the op program for this request, or nil when a variable cannot be
    /// resolved (no value and no default): AWS then treats the value as not matching.
    func resolvedOps(_ ctx: ResolvedContext) -> [UInt16]? {
        if let s = staticOps { return s }
        var out: [UInt16] = []
        for p in pieces {
            switch p {
            case .ops(let o): out += o
            case .variable(let v):
                guard let value = ctx.variableValue(v) else { return nil }
                let folded = lowercase ? value.lowercased() : value
                for b in folded.utf8 { out.append(UInt16(b)) }
            }
        }
        return out
    }

    /// The pattern text after substitution (for explanations).
    func resolvedText(_ ctx: ResolvedContext) -> String? {
        if staticOps != nil { return text }
        guard let ops = resolvedOps(ctx) else { return nil }
        var bytes: [UInt8] = []
        for o in ops {
            if o == opAnyRun { bytes.append(UInt8(ascii: "*")) } else if o == opAnyOne { bytes.append(UInt8(ascii: "?")) } else { bytes.append(UInt8(truncatingIfNeeded: o)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Matches `input` (already case-folded by the caller when `lowercase`).
    @inline(__always)
    func matches(_ input: String, _ ctx: ResolvedContext) -> Bool {
        withUTF8Buffer(input) { s in matches(bytes: s, ctx) }
    }

    /// Matches a byte range (used for ARN segments).
    @inline(__always)
    func matches(bytes s: UnsafeBufferPointer<UInt8>, _ ctx: ResolvedContext) -> Bool {
        if let lit = literal {
            guard lit.count == s.count else { return false }
            return lit.withUnsafeBufferPointer { l in
                guard let a = l.baseAddress, let b = s.baseAddress else { return l.count == 0 }
                return memcmp(a, b, l.count) == 0
            }
        }
        if let ops = staticOps {
            return ops.withUnsafeBufferPointer { p in globMatch(p, s) }
        }
        guard let ops = resolvedOps(ctx) else { return false }
        return ops.withUnsafeBufferPointer { p in globMatch(p, s) }
    }
}

/// A String's UTF-8 bytes in place (ASCII.withUTF8: borrowed, no reference counting per call).
@inline(__always)
func withUTF8Buffer<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R { ASCII.withUTF8(s, body) }

@inline(__always)
private func scalarLength(_ lead: UInt8) -> Int {
    if lead < 0x80 { return 1 }
    if lead >= 0xF0 { return 4 }
    if lead >= 0xE0 { return 3 }
    if lead >= 0xC0 { return 2 }
    return 1
}

/// Wildcard match: `*` any run (including empty), `?` exactly one character.
/// Linear-time greedy matching with backtracking to the last `*`.
func globMatch(_ p: UnsafeBufferPointer<UInt16>, _ s: UnsafeBufferPointer<UInt8>) -> Bool {
    let m = p.count
    let n = s.count
    var pi = 0
    var si = 0
    var starP = -1
    var starS = 0
    while si < n {
        if pi < m {
            let op = p[pi]
            if op == opAnyRun {
                starP = pi
                starS = si
                pi += 1
                // A trailing star matches whatever is left.
                if pi == m { return true }
                // Skip ahead to the next place the literal after the star can start.
                if pi < m, p[pi] < 256 {
                    let c = UInt8(truncatingIfNeeded: p[pi])
                    while si < n && s[si] != c { si += 1 }
                    starS = si
                }
                continue
            }
            if op == opAnyOne {
                si = min(n, si + scalarLength(s[si]))
                pi += 1
                continue
            }
            if op == UInt16(s[si]) {
                si += 1
                pi += 1
                continue
            }
        }
        if starP >= 0 {
            pi = starP + 1
            starS = min(n, starS + scalarLength(s[starS]))
            if pi < m, p[pi] < 256 {
                let c = UInt8(truncatingIfNeeded: p[pi])
                while starS < n && s[starS] != c { starS += 1 }
            }
            si = starS
            continue
        }
        return false
    }
    while pi < m && p[pi] == opAnyRun { pi += 1 }
    return pi == m
}

func trimSpaces(_ s: String) -> String {
    // Common case: nothing to trim, no new string.
    if let f = s.utf8.first, let l = s.utf8.last, f != 0x20, f != 0x09, l != 0x20, l != 0x09 { return s }
    var sub = Substring(s)
    while let f = sub.first, f == " " || f == "\t" { sub.removeFirst() }
    while let l = sub.last, l == " " || l == "\t" { sub.removeLast() }
    return String(sub)
}

/// ARN pattern for Arn* operators: each of the six colon-separated parts is
/// matched separately, so `*` never crosses a colon before the resource part
/// (IAM User Guide, "Amazon Resource Name (ARN) condition operators").
final class ArnPattern: Sendable {
    let text: String
    /// Six segment patterns, or nil when the value has fewer than six parts.
    let segments: [Glob]?
    /// Whole-string fallback for values that are not ARN-shaped (such as "*").
    let whole: Glob

    static func compile(_ text: String, variables: Bool) throws(PatternSyntaxError) -> ArnPattern {
        let pieces = try Glob.parsePieces(text, variables: variables, wildcards: true, lowercase: false)
        let whole = Glob(pieces: pieces, text: text, lowercase: false)
        // Split on the first five literal colons; variables stay inside their segment.
        var segs: [[PatternPiece]] = [[]]
        for piece in pieces {
            switch piece {
            case .variable: segs[segs.count - 1].append(piece)
            case .ops(let ops):
                var current: [UInt16] = []
                for o in ops {
                    if o == opColon && segs.count < 6 {
                        segs[segs.count - 1].append(.ops(current))
                        current = []
                        segs.append([])
                    } else {
                        current.append(o)
                    }
                }
                segs[segs.count - 1].append(.ops(current))
            }
        }
        let segments: [Glob]? = segs.count == 6 ? segs.map { Glob(pieces: $0, text: text, lowercase: false) } : nil
        return ArnPattern(text: text, segments: segments, whole: whole)
    }

    init(text: String, segments: [Glob]?, whole: Glob) {
        self.text = text
        self.segments = segments
        self.whole = whole
    }

    func matches(_ input: String, _ ctx: ResolvedContext) -> Bool {
        guard let segments else { return whole.matches(input, ctx) }
        return withUTF8Buffer(input) { s -> Bool in
            guard let base = s.baseAddress else { return false }
            var start = 0
            for k in 0..<6 {
                var end = s.count
                if k < 5 {
                    var i = start
                    while i < s.count && s[i] != 0x3A { i += 1 }
                    if i >= s.count { return false }
                    end = i
                }
                let seg = UnsafeBufferPointer(start: base + start, count: end - start)
                if !segments[k].matches(bytes: seg, ctx) { return false }
                start = end + 1
            }
            return true
        }
    }
}
