// The HTTP-shaped requests and responses sealed between client and front end. They carry exactly what the real
// runtime API carries (method, path such as /model/{modelId}/invoke, query, headers, body), so SigV4 signing and
// AWS SDK clients fit without a redesign.

import ASCIIText

extension String {
    /// HTTP field names compare case-insensitively (RFC 9110), and they are ASCII tokens: compare bytes, folding
    /// ASCII letters, without allocating lowercased copies on every lookup.
    public func equalsIgnoringASCIICase(_ other: String) -> Bool { ASCII.equalsIgnoringCase(self, other) }
}

public struct HTTPHeader: Sendable, Equatable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }

    /// The value of the first header named `name` (ASCII case-insensitively). Indexes in place: a closure over the
    /// elements copied each header (two String retains) per header compared, ten lookups per call.
    static func value(of name: String, in headers: [HTTPHeader]) -> String? {
        let n = name.utf8.count
        for i in headers.indices where headers[i].name.utf8.count == n && headers[i].name.equalsIgnoringASCIICase(name) {
            return headers[i].value
        }
        return nil
    }

    /// Bytes the headers take in an encoded message.
    static func wireSize(_ headers: [HTTPHeader]) -> Int {
        var n = 0
        for h in headers { n += 4 + h.name.utf8.count + h.value.utf8.count }
        return n
    }

    /// A header count and that many name/value pairs (at most 128); with `recent`, the first
    /// `EnvelopeDecoder.httpHeaderSlots` headers reuse the Strings of the same header of the previous message.
    static func decodeList(_ r: inout ByteReader, recent: EnvelopeDecoder?) throws(WireFormatError) -> [HTTPHeader] {
        let count = Int(try r.u16("http.headers.count"))
        guard count <= 128 else { throw WireFormatError(field: "http.headers", problem: "\(count) headers exceeds 128") }
        var headers: [HTTPHeader] = []
        headers.reserveCapacity(count)
        for i in 0..<count {
            let cache = i < EnvelopeDecoder.httpHeaderSlots ? recent : nil
            let slot = EnvelopeDecoder.httpSlots + 2 + 2 * i
            headers.append(HTTPHeader(try r.string("http.headers[\(i)].name", max: 256, recent: cache, slot: slot),
                                      try r.string("http.headers[\(i)].value", max: 8192, recent: cache, slot: slot + 1)))
        }
        return headers
    }
}

public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The path as sent on the wire, percent-encoded (e.g. /model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke).
    public var path: String
    public var query: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.method = method; self.path = path; self.query = query; self.headers = headers; self.body = body
    }

    public func header(_ name: String) -> String? { HTTPHeader.value(of: name, in: headers) }

    /// Path and query apart, as SigV4 signs them: split at the first `?` when the query was not given separately.
    public var pathAndQuery: (path: String, query: String) {
        // Searched over the bytes in place (UTF8View.firstIndex took ~20 instructions a byte).
        guard query.isEmpty, let q = ASCII.withUTF8(path, { $0.firstIndex(of: UInt8(ascii: "?")) }) else { return (path, query) }
        let utf8 = path.utf8
        let mark = utf8.index(utf8.startIndex, offsetBy: q)
        return (String(path[..<mark]), String(path[utf8.index(after: mark)...]))
    }

    public mutating func setHeader(_ name: String, _ value: String) {
        headers.removeAll { $0.name.equalsIgnoringASCIICase(name) }
        headers.append(HTTPHeader(name, value))
    }

    public func encode() -> [UInt8] {
        // Sized exactly, so the frame is written without growing (and copying) its buffer.
        ByteWriter.build(capacity: 15 + method.utf8.count + path.utf8.count + query.utf8.count + HTTPHeader.wireSize(headers) + body.count) { w in
            w.u8(1)
            w.string(method); w.string(path); w.string(query)
            w.u16(UInt16(clamping: headers.count))
            for h in headers { w.string(h.name); w.string(h.value) }
            w.blob32(body)
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(WireFormatError) -> HTTPRequest {
        try decode(bytes, recent: nil)
    }

    /// Same, reusing the Strings `recent` holds for the method, path and headers of earlier requests.
    static func decode(_ bytes: [UInt8], recent: EnvelopeDecoder?) throws(WireFormatError) -> HTTPRequest {
        var r = ByteReader(bytes)
        let v = try r.u8("http.version")
        guard v == 1 else { throw WireFormatError(field: "http.version", problem: "unsupported \(v)") }
        let method = try r.string("http.method", max: 16, recent: recent, slot: EnvelopeDecoder.httpSlots)
        let path = try r.string("http.path", max: 8192, recent: recent, slot: EnvelopeDecoder.httpSlots + 1)
        let query = try r.string("http.query", max: 8192)
        let headers = try HTTPHeader.decodeList(&r, recent: recent)
        let body = try r.blob32("http.body", max: EnvelopeLimits.maxBodyBytes)
        guard r.isAtEnd else { throw WireFormatError(field: "http", problem: "\(r.remaining) trailing bytes") }
        return HTTPRequest(method: method, path: path, query: query, headers: headers, body: body)
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [HTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = []) {
        self.status = status; self.headers = headers; self.body = body
    }

    public func header(_ name: String) -> String? { HTTPHeader.value(of: name, in: headers) }

    public func encode() -> [UInt8] {
        ByteWriter.build(capacity: 9 + HTTPHeader.wireSize(headers) + body.count) { w in
            w.u8(1)
            w.u16(UInt16(clamping: status))
            w.u16(UInt16(clamping: headers.count))
            for h in headers { w.string(h.name); w.string(h.value) }
            w.blob32(body)
        }
    }

    public static func decode(_ bytes: [UInt8]) throws(WireFormatError) -> HTTPResponse {
        try decode(bytes, recent: nil)
    }

    /// Same, reusing the Strings `recent` holds for the headers of earlier responses.
    static func decode(_ bytes: [UInt8], recent: EnvelopeDecoder?) throws(WireFormatError) -> HTTPResponse {
        var r = ByteReader(bytes)
        let v = try r.u8("http.version")
        guard v == 1 else { throw WireFormatError(field: "http.version", problem: "unsupported \(v)") }
        let status = Int(try r.u16("http.status"))
        let headers = try HTTPHeader.decodeList(&r, recent: recent)
        let body = try r.blob32("http.body", max: EnvelopeLimits.maxBodyBytes)
        guard r.isAtEnd else { throw WireFormatError(field: "http", problem: "\(r.remaining) trailing bytes") }
        return HTTPResponse(status: status, headers: headers, body: body)
    }
}
