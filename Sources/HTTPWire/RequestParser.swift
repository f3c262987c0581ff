/// Limits the parser enforces; each overrun has its own status so the client learns what to shrink.
public struct HTTPParserLimits: Sendable {
    /// Request line (method, target, version): longer → 414 URI Too Long.
    public var maxRequestLineBytes = 8 * 1024
    /// The whole header section (and, separately, the trailer section): longer → 431.
    public var maxHeaderBytes = 64 * 1024
    /// Number of header fields: more → 431.
    public var maxHeaderCount = 128
    /// Decoded body: larger → 413 (checked from Content-Length before any body byte is read).
    public var maxBodyBytes = 6 * 1024 * 1024
    /// A chunk-size line with extensions: longer → 400.
    public var maxChunkLineBytes = 1024

    public init() {}
}

/// An incremental HTTP/1.1 request parser: `append` bytes as they arrive (any split), then call `next()` until it
/// returns nil. Pipelined requests come out one after another. Framing follows RFC 9112 strictly where laxness
/// enables request smuggling: Content-Length and Transfer-Encoding together, differing Content-Lengths, a
/// coding other than a final `chunked`, obs-fold and whitespace before the colon are all refused.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the end of the head resumes, so a slowly arriving head is scanned once.
    private var scanFrom = 0
    private var state: State = .head
    private var failure: HTTPParseError?

    private enum State: Sendable {
        case head
        case fixedBody(HTTPRequest, remaining: Int)
        case chunkSize(HTTPRequest)
        case chunkData(HTTPRequest, remaining: Int)
        case chunkDataEnd(HTTPRequest)
        case trailers(HTTPRequest, bytes: Int)
    }

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            scanFrom -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// True when some bytes of a request have arrived but not the whole request (a close now truncates it).
    public var hasPartialRequest: Bool {
        if case .head = state { return buffer.count > start }
        return true
    }

    /// The head of a request whose body is still arriving, e.g. to answer `Expect: 100-continue`.
    public var pendingHead: HTTPRequest? {
        switch state {
        case .head: return nil
        case .fixedBody(let r, _), .chunkSize(let r), .chunkData(let r, _), .chunkDataEnd(let r), .trailers(let r, _): return r
        }
    }

    public mutating func next() throws(HTTPParseError) -> HTTPRequest? {
        if let failure { throw failure }
        do {
            return try step()
        } catch {
            failure = error
            throw error
        }
    }

    private var available: Int { buffer.count - start }

    private mutating func step() throws(HTTPParseError) -> HTTPRequest? {
        while true {
            switch state {
            case .head:
                guard let head = try parseHead() else { return nil }
                state = head
            case .fixedBody(var request, let remaining):
                guard available >= remaining else { return nil }
                request.body = Array(buffer[start..<(start + remaining)])
                consume(remaining)
                state = .head
                return request
            case .chunkSize(let request):
                guard let line = try takeLine(limit: limits.maxChunkLineBytes, what: "chunk-size line") else { return nil }
                let size = try parseChunkSize(line)
                if size == 0 {
                    state = .trailers(request, bytes: 0)
                } else {
                    guard request.body.count + size <= limits.maxBodyBytes else {
                        throw HTTPParseError(status: 413, "chunked body exceeds the \(limits.maxBodyBytes)-byte limit")
                    }
                    state = .chunkData(request, remaining: size)
                }
            case .chunkData(var request, let remaining):
                let n = min(remaining, available)
                guard n > 0 else { return nil }
                state = .head  // release the enum's copy so the body grows in place, not by copying
                request.body.append(contentsOf: buffer[start..<(start + n)])
                consume(n)
                state = n == remaining ? .chunkDataEnd(request) : .chunkData(request, remaining: remaining - n)
            case .chunkDataEnd(let request):
                guard available >= 1 else { return nil }
                if buffer[start] == 0x0D {
                    guard available >= 2 else { return nil }
                    guard buffer[start + 1] == 0x0A else { throw HTTPParseError(status: 400, "chunk data is not followed by CRLF") }
                    consume(2)
                } else if buffer[start] == 0x0A {
                    consume(1)
                } else {
                    throw HTTPParseError(status: 400, "chunk data is longer than its chunk-size")
                }
                state = .chunkSize(request)
            case .trailers(let request, let bytes):
                guard let line = try takeLine(limit: limits.maxHeaderBytes - bytes, what: "trailer section", status: 431) else { return nil }
                if line.isEmpty {
                    state = .head
                    return request
                }
                // Trailers are validated as fields and then dropped: nothing in the SDK protocol uses them.
                _ = try parseField(line, section: "trailer")
                state = .trailers(request, bytes: bytes + line.count + 2)
            }
        }
    }

    private mutating func consume(_ n: Int) {
        start += n
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        scanFrom = start
    }

    /// One line ending in LF (a CR before it is dropped); nil if not complete yet.
    private mutating func takeLine(limit: Int, what: String, status: Int = 400) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let end = buffer.count
        var i = start
        while i < end && buffer[i] != 0x0A { i += 1 }
        guard i < end else {
            if available > limit { throw HTTPParseError(status: status, "\(what) longer than \(limit) bytes") }
            return nil
        }
        if i - start > limit { throw HTTPParseError(status: status, "\(what) longer than \(limit) bytes") }
        var line = buffer[start..<i]
        if line.last == 0x0D { line = line.dropLast() }
        consume(i + 1 - start)
        return line
    }

    private func parseChunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var digits = line
        if let semi = line.firstIndex(of: UInt8(ascii: ";")) { digits = line[..<semi] }
        while let last = digits.last, last == 0x20 || last == 0x09 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 8 else {
            throw HTTPParseError(status: 400, "chunk-size \"\(printable(line))\" is not 1 to 8 hex digits")
        }
        var size = 0
        for c in digits {
            guard let v = hexValue(c) else { throw HTTPParseError(status: 400, "chunk-size \"\(printable(line))\" is not hexadecimal") }
            size = size << 4 | v
        }
        return size
    }

    // MARK: head

    private mutating func parseHead() throws(HTTPParseError) -> State? {
        // Tolerate empty lines before a request (RFC 9112 §2.2), e.g. a CRLF after a previous body.
        while available > 0, buffer[start] == 0x0D || buffer[start] == 0x0A {
            if buffer[start] == 0x0D && available < 2 { return nil }
            if buffer[start] == 0x0D && buffer[start + 1] != 0x0A { throw HTTPParseError(status: 400, "bare CR before the request line") }
            consume(buffer[start] == 0x0D ? 2 : 1)
        }
        guard available > 0 else { return nil }
        // Find the blank line that ends the head: LF (CR) LF.
        var i = max(scanFrom, start)
        var headEnd = -1, bodyStart = -1
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i + 1 < buffer.count && buffer[i + 1] == 0x0A { headEnd = i; bodyStart = i + 2; break }
                if i + 2 < buffer.count && buffer[i + 1] == 0x0D && buffer[i + 2] == 0x0A { headEnd = i; bodyStart = i + 3; break }
                if i + 1 >= buffer.count || (buffer[i + 1] == 0x0D && i + 2 >= buffer.count) { break }
            }
            i += 1
        }
        if headEnd < 0 {
            scanFrom = max(start, i - 2)
            let firstLF = buffer[start...].firstIndex(of: 0x0A)
            if firstLF == nil && available > limits.maxRequestLineBytes {
                throw HTTPParseError(status: 414, "request line longer than \(limits.maxRequestLineBytes) bytes")
            }
            if available > limits.maxRequestLineBytes + limits.maxHeaderBytes {
                throw HTTPParseError(status: 431, "header section longer than \(limits.maxHeaderBytes) bytes")
            }
            return nil
        }
        let head = buffer[start..<headEnd]
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = head.startIndex
        for j in head.indices where head[j] == 0x0A {
            lines.append(stripCR(head[lineStart..<j]))
            lineStart = j + 1
        }
        lines.append(stripCR(head[lineStart..<head.endIndex]))
        let requestLine = lines[0]
        guard requestLine.count <= limits.maxRequestLineBytes else {
            throw HTTPParseError(status: 414, "request line longer than \(limits.maxRequestLineBytes) bytes")
        }
        let headerBytes = headEnd - start - requestLine.count
        guard headerBytes <= limits.maxHeaderBytes else {
            throw HTTPParseError(status: 431, "header section of \(headerBytes) bytes exceeds \(limits.maxHeaderBytes)")
        }
        guard lines.count - 1 <= limits.maxHeaderCount else {
            throw HTTPParseError(status: 431, "\(lines.count - 1) header fields exceed the limit of \(limits.maxHeaderCount)")
        }
        var request = try parseRequestLine(requestLine)
        for line in lines.dropFirst() {
            let (name, value) = try parseField(line, section: "header")
            request.headers.add(name, value)
        }
        consume(bodyStart - start)
        return try frame(request)
    }

    private func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPRequest {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw HTTPParseError(status: 400, "request line \"\(printable(line))\" is not METHOD SP target SP HTTP-version")
        }
        guard parts[0].allSatisfy(isTokenChar) else {
            throw HTTPParseError(status: 400, "method \"\(printable(parts[0]))\" is not a token")
        }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPParseError(status: 400, "request target contains a control, space or non-ASCII byte")
        }
        let target = String(decoding: parts[1], as: UTF8.self)
        guard target.hasPrefix("/") || (target == "*" && parts[0].elementsEqual("OPTIONS".utf8)) else {
            throw HTTPParseError(status: 400, "request target \"\(target)\" is not in origin form (/path?query)")
        }
        let version = Array(parts[2])
        let prefix = Array("HTTP/".utf8)
        guard version.count == 8, version.starts(with: prefix), isDigit(version[5]), version[6] == UInt8(ascii: "."), isDigit(version[7]) else {
            throw HTTPParseError(status: 400, "\"\(printable(parts[2]))\" is not an HTTP version")
        }
        guard version[5] == UInt8(ascii: "1") else {
            throw HTTPParseError(status: 505, "HTTP/\(Character(Unicode.Scalar(version[5]))).\(Character(Unicode.Scalar(version[7]))) is not supported; use HTTP/1.1")
        }
        return HTTPRequest(method: String(decoding: parts[0], as: UTF8.self), target: target, versionMinor: Int(version[7] - 0x30))
    }

    private func parseField(_ line: ArraySlice<UInt8>, section: String) throws(HTTPParseError) -> (String, String) {
        if let first = line.first, first == 0x20 || first == 0x09 {
            throw HTTPParseError(status: 400, "\(section) line starts with whitespace (obsolete line folding is not accepted)")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPParseError(status: 400, "\(section) line \"\(printable(line.prefix(64)))\" has no colon")
        }
        let name = line[line.startIndex..<colon]
        guard !name.isEmpty else { throw HTTPParseError(status: 400, "\(section) field with an empty name") }
        guard name.allSatisfy(isTokenChar) else {
            throw HTTPParseError(status: 400, "\(section) field name \"\(printable(name))\" is not a token (whitespace before the colon is not allowed)")
        }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
        while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
        let nameText = String(decoding: name, as: UTF8.self)
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
            throw HTTPParseError(status: 400, "\(section) field \(nameText) contains a control character")
        }
        guard let valueText = String(validating: value, as: UTF8.self) else {
            throw HTTPParseError(status: 400, "\(section) field \(nameText) is not valid UTF-8")
        }
        return (nameText, valueText)
    }

    /// Decides how the body is delimited and checks the headers that framing depends on.
    private func frame(_ request: HTTPRequest) throws(HTTPParseError) -> State {
        var r = request
        let hosts = r.headers.values("Host")
        if r.versionMinor >= 1 && hosts.count != 1 {
            throw HTTPParseError(status: 400, hosts.isEmpty ? "HTTP/1.1 request without a Host header" : "\(hosts.count) Host headers")
        }
        let connection = r.headers.values("Connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingOWS().lowercased() }
        r.keepAlive = r.versionMinor >= 1 ? !connection.contains("close") : connection.contains("keep-alive")

        let te = r.headers.values("Transfer-Encoding")
        let cl = r.headers.values("Content-Length")
        if !te.isEmpty {
            guard cl.isEmpty else {
                throw HTTPParseError(status: 400, "both Transfer-Encoding and Content-Length are present")
            }
            guard r.versionMinor >= 1 else { throw HTTPParseError(status: 400, "Transfer-Encoding in an HTTP/1.0 request") }
            let codings = te.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
                .map { $0.trimmingOWS().lowercased() }
            guard codings.last == "chunked" else {
                throw HTTPParseError(status: 400, "Transfer-Encoding \"\(te.joined(separator: ", "))\" does not end in chunked")
            }
            if let other = codings.dropLast().first {
                throw HTTPParseError(status: 501, "transfer coding \"\(other)\" is not supported (only chunked)")
            }
            r.wasChunked = true
            return .chunkSize(r)
        }
        guard !cl.isEmpty else { return .fixedBody(r, remaining: 0) }
        let values = cl.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }.map { $0.trimmingOWS() }
        guard let first = values.first, values.allSatisfy({ $0 == first }) else {
            throw HTTPParseError(status: 400, "conflicting Content-Length values \(values)")
        }
        guard !first.isEmpty, first.utf8.count <= 18, first.utf8.allSatisfy(isDigit), let length = Int(first) else {
            throw HTTPParseError(status: 400, "Content-Length \"\(first)\" is not a decimal number")
        }
        guard length <= limits.maxBodyBytes else {
            throw HTTPParseError(status: 413, "Content-Length \(length) exceeds the \(limits.maxBodyBytes)-byte limit")
        }
        return .fixedBody(r, remaining: length)
    }
}

@inline(__always) private func stripCR(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    s.last == 0x0D ? s.dropLast() : s
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

@inline(__always) func hexValue(_ c: UInt8) -> Int? {
    switch c {
    case 0x30...0x39: return Int(c - 0x30)
    case 0x41...0x46: return Int(c - 0x41 + 10)
    case 0x61...0x66: return Int(c - 0x61 + 10)
    default: return nil
    }
}

/// RFC 9110 tchar.
@inline(__always) func isTokenChar(_ c: UInt8) -> Bool {
    switch c {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
         UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
         UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
        return true
    default: return false
    }
}

/// Bytes shown in an error message: printable ASCII as is, everything else as \xNN, at most 80 bytes.
func printable(_ bytes: some Collection<UInt8>) -> String {
    var out = ""
    for b in bytes.prefix(80) {
        if b >= 0x20 && b < 0x7F { out.unicodeScalars.append(Unicode.Scalar(b)) } else {
            let h = String(b, radix: 16)
            out += "\\x" + (h.count == 1 ? "0" : "") + h
        }
    }
    return bytes.count > 80 ? out + "…" : out
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    func trimmingOWS() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
