import ASCIIText
import SimCrypto

/// How the canonical URI is formed from the wire path.
public enum SigV4PathStyle: Sendable, Hashable {
    /// Every service except S3 (and what botocore's `SigV4Auth` does): remove `.`/`..` segments and
    /// empty segments (`//`), then URI-encode the *already encoded* wire path once more, so
    /// `%3A` on the wire becomes `%253A` in the canonical request.
    case standard
    /// S3 (`S3SigV4Auth`): the wire path is used as it is, without normalising or re-encoding.
    case s3
}

/// The pieces of the SigV4 algorithm (AWS "Create a signed AWS API request"), shared by the signer and the
/// verifier so that both build byte-identical canonical requests.
public enum SigV4Canonical {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let terminator = "aws4_request"
    /// Hex SHA-256 of the empty string.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    // MARK: URI

    /// The canonical URI for a raw wire path.
    public static func canonicalURI(_ rawPath: String, style: SigV4PathStyle = .standard) -> String {
        switch style {
        case .s3:
            return rawPath.isEmpty ? "/" : rawPath
        case .standard:
            var path = rawPath
            return path.withUTF8 { bytes in
                String(decoding: normalized(bytes, encode: true), as: UTF8.self)
            }
        }
    }

    /// RFC 3986 §5.2.4 dot-segment removal plus collapsing of empty segments, exactly as botocore's
    /// `remove_dot_segments` (AWS services other than S3 require both). An empty path becomes `/`.
    /// Works on bytes: `%2E%2E` is not a dot segment, as in botocore.
    public static func normalizePath(_ path: String) -> String {
        var path = path
        return path.withUTF8 { String(decoding: normalized($0, encode: false), as: UTF8.self) }
    }

    private static func normalized(_ p: UnsafeBufferPointer<UInt8>, encode: Bool) -> [UInt8] {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        if p.isEmpty { return [slash] }
        if isCanonicalAsIs(p) { return Array(p) }
        var segments: [Range<Int>] = []
        segments.reserveCapacity(8)
        var i = 0
        while i < p.count {
            if p[i] == slash { i += 1; continue }
            var j = i
            while j < p.count && p[j] != slash { j += 1 }
            if j - i == 1 && p[i] == dot {
                // "." segment: dropped
            } else if j - i == 2 && p[i] == dot && p[i + 1] == dot {
                if !segments.isEmpty { segments.removeLast() }
            } else {
                segments.append(i..<j)
            }
            i = j
        }
        var out: [UInt8] = []
        out.reserveCapacity(p.count + p.count / 2 + 2)
        if p[0] == slash { out.append(slash) }
        for (index, range) in segments.enumerated() {
            if index > 0 { out.append(slash) }
            for b in p[range] {
                if !encode || isUnreserved(b) {
                    out.append(b)
                } else {
                    appendEscaped(b, to: &out)
                }
            }
        }
        if p[p.count - 1] == slash && !segments.isEmpty { out.append(slash) }
        return out
    }

    /// Whether normalizing (and encoding) leaves the path as it is: it starts with `/`, has no empty, `.` or `..`
    /// segment, and every byte is unreserved or `/` (the usual runtime path, checked in one pass).
    @inline(__always)
    static func isCanonicalAsIs(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard p.count > 1, p[0] == slash, p[p.count - 1] != slash else { return p.count == 1 && p[0] == slash }
        var segmentStart = 1
        for i in 1...p.count {
            if i == p.count || p[i] == slash {
                let length = i - segmentStart
                if length == 0 || (length == 1 && p[segmentStart] == dot)
                    || (length == 2 && p[segmentStart] == dot && p[segmentStart + 1] == dot) { return false }
                segmentStart = i + 1
            } else if !isUnreserved(p[i]) {
                return false
            }
        }
        return true
    }

    // MARK: Query

    /// The canonical query string: parameters percent-decoded, re-encoded with the RFC 3986 unreserved set
    /// (`%20` for space, `%2B` for `+`), sorted by encoded name then value, joined with `&`; a parameter
    /// without `=` gets an empty value. For queries already encoded the way the AWS SDKs encode them
    /// (botocore's `percent_encode`), this only sorts them.
    public static func canonicalQuery(_ rawQuery: String) -> String {
        if rawQuery.isEmpty { return "" }
        var pairs: [(key: String, value: String)] = []
        for component in rawQuery.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let key: Substring.UTF8View.SubSequence, value: Substring.UTF8View.SubSequence
            if let eq = component.firstIndex(of: UInt8(ascii: "=")) {
                key = component[..<eq]
                value = component[component.index(after: eq)...]
            } else {
                key = component
                value = component[component.endIndex...]
            }
            pairs.append((percentEncode(percentDecode(key), keepSlash: false),
                          percentEncode(percentDecode(value), keepSlash: false)))
        }
        pairs.sort { lhs, rhs in
            lhs.key != rhs.key ? lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
                : lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
        }
        return pairs.map { $0.key + "=" + $0.value }.joined(separator: "&")
    }

    // MARK: Headers

    /// Header value canonical form: leading/trailing whitespace removed and inner runs collapsed to one
    /// space (botocore: `' '.join(value.split())`).
    public static func trimAll(_ value: String) -> String {
        if isTrimmed(value) { return value }
        var out: [UInt8] = []
        appendTrimmed(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `value` has no leading/trailing whitespace, no whitespace other than single spaces.
    static func isTrimmed(_ value: String) -> Bool {
        ASCII.withUTF8(value) { isTrimmed(bytes: $0) }
    }

    /// Over the bytes in place (`ASCII.withUTF8`).
    static func isTrimmed(bytes value: UnsafeBufferPointer<UInt8>) -> Bool {
        var previousSpace = true  // so a leading space fails
        for byte in value {
            if byte == 0x20 {
                if previousSpace { return false }
                previousSpace = true
            } else if isWhitespace(byte) {
                return false
            } else {
                previousSpace = false
            }
        }
        return !previousSpace || value.isEmpty
    }

    /// `name:value\n` lines for the given lowercase header names, in the order given; repeated headers
    /// are joined with `,` in wire order. A name that is absent gets an empty value (so the signature
    /// cannot match if the signer had a value for it).
    public static func canonicalHeaders(_ headers: [SigV4Header], signedHeaderNames: [String]) -> String {
        var out: [UInt8] = []
        appendCanonicalHeaders(headers, signedHeaderNames: signedHeaderNames, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `canonicalHeaders` written straight into `out`. Header names match case-insensitively.
    static func appendCanonicalHeaders(_ headers: [SigV4Header], signedHeaderNames: [String], to out: inout [UInt8]) {
        // Every header's name lowered once into one temporary (not once per signed name, and without a String
        // each), compared through pointers: this runs twice per call (signer and verifier).
        var nameBytes = 0
        for i in headers.indices { nameBytes += headers[i].name.utf8.count }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(nameBytes, 1)) { lowered in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: headers.count + 1) { starts in
                var n = 0
                for i in headers.indices {
                    starts[i] = n
                    ASCII.withUTF8(headers[i].name) { p in
                        for b in p { lowered[n] = ASCII.lower(b); n += 1 }
                    }
                }
                starts[headers.count] = n
                for name in signedHeaderNames {
                    ASCII.withUTF8(name) { wanted in
                        out.append(contentsOf: wanted)
                        out.append(UInt8(ascii: ":"))
                        var first = true
                        for i in headers.indices where starts[i + 1] - starts[i] == wanted.count {
                            var k = 0
                            let s = starts[i]
                            while k < wanted.count && lowered[s + k] == ASCII.lower(wanted[k]) { k += 1 }
                            guard k == wanted.count else { continue }
                            if !first { out.append(UInt8(ascii: ",")) }
                            appendTrimmed(headers[i].value, to: &out)
                            first = false
                        }
                        out.append(UInt8(ascii: "\n"))
                    }
                }
            }
        }
    }

    /// The canonical request's bytes, written into one buffer: what the signer and the verifier hash (the String
    /// functions above and below give the same text, for messages and tests). Header names match case-insensitively.
    public static func canonicalRequestBytes(method: String, path: String, style: SigV4PathStyle, query: String,
                                             headers: [SigV4Header], signedHeaderNames: [String], signedHeaders: String,
                                             payloadHash: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + path.utf8.count * 3 + query.utf8.count + headers.count * 64 + signedHeaders.utf8.count)
        let newline = UInt8(ascii: "\n")
        for b in method.utf8 { out.append(b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") ? b - 32 : b) }
        out.append(newline)
        switch style {
        case .s3: if path.isEmpty { out.append(UInt8(ascii: "/")) } else { ASCII.append(path, to: &out) }
        case .standard:
            var p = path
            p.withUTF8 { out.append(contentsOf: normalized($0, encode: true)) }
        }
        out.append(newline)
        if !query.isEmpty { ASCII.append(canonicalQuery(query), to: &out) }
        out.append(newline)
        appendCanonicalHeaders(headers, signedHeaderNames: signedHeaderNames, to: &out)
        out.append(newline)
        ASCII.append(signedHeaders, to: &out)
        out.append(newline)
        ASCII.append(payloadHash, to: &out)
        return out
    }

    /// `trimAll` written straight into `out`.
    static func appendTrimmed(_ value: String, to out: inout [UInt8]) {
        ASCII.withUTF8(value) { appendTrimmed(bytes: $0, to: &out) }
    }

    static func appendTrimmed(bytes value: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if isTrimmed(bytes: value) { out.append(contentsOf: value); return }
        let start = out.count
        var pendingSpace = false
        for byte in value {
            if isWhitespace(byte) {
                pendingSpace = out.count > start
            } else {
                if pendingSpace { out.append(UInt8(ascii: " ")); pendingSpace = false }
                out.append(byte)
            }
        }
    }

    /// The string to sign's bytes, over the canonical request's bytes.
    public static func stringToSignBytes(amzDate: String, credentialScope: String, canonicalRequest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(algorithm.utf8.count + amzDate.utf8.count + credentialScope.utf8.count + 67)
        ASCII.append(algorithm, to: &out); out.append(UInt8(ascii: "\n"))
        ASCII.append(amzDate, to: &out); out.append(UInt8(ascii: "\n"))
        ASCII.append(credentialScope, to: &out); out.append(UInt8(ascii: "\n"))
        appendHex(SHA256Digest.hash(canonicalRequest), to: &out)
        return out
    }

    /// Lowercase hex HMAC of the string to sign's bytes, as bytes.
    public static func signatureBytes(signingKey: [UInt8], stringToSign: [UInt8]) -> [UInt8] {
        signatureBytes(signingKey: HMACSHA256Key(signingKey), stringToSign: stringToSign)
    }

    /// Same, with the signing key prepared for HMAC (the signer's and verifier's key caches keep it that way).
    public static func signatureBytes(signingKey: HMACSHA256Key, stringToSign: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendHex(signingKey.authenticate(stringToSign), to: &out)
        return out
    }

    /// The full canonical request (six lines joined by `\n`; the canonical headers end with their own `\n`).
    public static func canonicalRequest(method: String, canonicalURI: String, canonicalQuery: String,
                                        canonicalHeaders: String, signedHeaders: String, payloadHash: String) -> String {
        var out = method
        out.reserveCapacity(method.utf8.count + canonicalURI.utf8.count + canonicalQuery.utf8.count + canonicalHeaders.utf8.count
                            + signedHeaders.utf8.count + payloadHash.utf8.count + 5)
        out += "\n"; out += canonicalURI; out += "\n"; out += canonicalQuery; out += "\n"
        out += canonicalHeaders; out += "\n"; out += signedHeaders; out += "\n"; out += payloadHash
        return out
    }

    // MARK: Signing

    /// `date/region/service/aws4_request` (date = the first 8 characters of the amz-date).
    public static func credentialScope(date: String, region: String, service: String) -> String {
        var out = ""
        out.reserveCapacity(date.utf8.count + region.utf8.count + service.utf8.count + terminator.utf8.count + 3)
        out += date; out += "/"; out += region; out += "/"; out += service; out += "/"; out += terminator
        return out
    }

    public static func stringToSign(amzDate: String, credentialScope: String, canonicalRequest: String) -> String {
        String(decoding: stringToSignBytes(amzDate: amzDate, credentialScope: credentialScope, canonicalRequest: Array(canonicalRequest.utf8)),
               as: UTF8.self)
    }

    /// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
    public static func signingKey(secretAccessKey: String, date: String, region: String, service: String) -> [UInt8] {
        let kDate = HMACSHA256.authenticate(key: Array(("AWS4" + secretAccessKey).utf8), message: date)
        let kRegion = HMACSHA256.authenticate(key: kDate, message: region)
        let kService = HMACSHA256.authenticate(key: kRegion, message: service)
        return HMACSHA256.authenticate(key: kService, message: terminator)
    }

    /// Lowercase hex HMAC of the string to sign.
    public static func signature(signingKey: [UInt8], stringToSign: String) -> String {
        String(decoding: signatureBytes(signingKey: signingKey, stringToSign: Array(stringToSign.utf8)), as: UTF8.self)
    }

    // MARK: Encoding helpers

    @inline(__always)
    static func isUnreserved(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~")
    }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d || b == 0x0b || b == 0x0c
    }

    /// Percent-encodes every byte outside the RFC 3986 unreserved set (and `/` when `keepSlash`),
    /// with uppercase hex, as AWS's `UriEncode` specifies. A `%` is encoded too (hence `%253A`).
    static func percentEncode<S: StringProtocol>(_ text: S, keepSlash: Bool) -> String {
        if text.utf8.allSatisfy({ isUnreserved($0) || (keepSlash && $0 == UInt8(ascii: "/")) }) { return String(text) }
        return percentEncode(Array(text.utf8), keepSlash: keepSlash)
    }

    static func percentEncode(_ bytes: [UInt8], keepSlash: Bool) -> String {
        if bytes.allSatisfy({ isUnreserved($0) || (keepSlash && $0 == UInt8(ascii: "/")) }) {
            return String(decoding: bytes, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for b in bytes {
            if isUnreserved(b) || (keepSlash && b == UInt8(ascii: "/")) {
                out.append(b)
            } else {
                appendEscaped(b, to: &out)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `%XY` (uppercase hex).
    @inline(__always)
    static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        @inline(__always) func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? UInt8(ascii: "0") + n : UInt8(ascii: "A") + n - 10 }
        out.append(UInt8(ascii: "%"))
        out.append(hexDigit(b >> 4))
        out.append(hexDigit(b & 0x0f))
    }

    /// `%XY` → byte; a `%` not followed by two hex digits stays literal; `+` stays `+`.
    static func percentDecode(_ text: some Collection<UInt8>) -> [UInt8] {
        let b = Array(text)
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count,
               let hi = hexValue(b[i + 1]), let lo = hexValue(b[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return out
    }

    /// Whether `hex` is the hex encoding of `bytes` (either case, as `lowercased() == hex(bytes)` decided).
    static func isHex(_ hex: String, of bytes: [UInt8]) -> Bool {
        var hex = hex
        return hex.withUTF8 { h in
            guard h.count == 2 * bytes.count else { return false }
            for (k, b) in bytes.enumerated() {
                guard let hi = hexValue(h[2 * k]), let lo = hexValue(h[2 * k + 1]), hi << 4 | lo == b else { return false }
            }
            return true
        }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
