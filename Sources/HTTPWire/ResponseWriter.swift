import JSONText

/// Serializes HTTP/1.1 responses: whole responses with Content-Length, or a head with
/// `Transfer-Encoding: chunked` followed by chunks (for event streams, written as they are produced).
/// Header names that are not tokens are dropped and CR, LF and NUL in values become spaces, so nothing a role puts
/// in a header can split the response.
public enum HTTPResponseWriter {
    /// A complete response. Any Content-Length or Transfer-Encoding in `headers` is replaced; 1xx, 204 and 304
    /// responses get neither (they have no body by definition).
    public static func serialize(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) -> [UInt8] {
        var h = headers
        h.remove("Transfer-Encoding")
        h.remove("Content-Length")
        let bodyless = status < 200 || status == 204 || status == 304
        if !bodyless { h.add("Content-Length", String(body.count)) }
        var out = head(status: status, headers: h)
        if !bodyless { out += body }
        return out
    }

    /// The head of a streamed response; follow it with `chunk(_:)` calls and `lastChunk`.
    public static func chunkedHead(status: Int, headers: HTTPHeaders = HTTPHeaders()) -> [UInt8] {
        var h = headers
        h.remove("Content-Length")
        h.set("Transfer-Encoding", "chunked")
        return head(status: status, headers: h)
    }

    /// One chunk. An empty input gives no bytes, because a zero-size chunk would end the body.
    public static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        guard !bytes.isEmpty else { return [] }
        var out = Array(String(bytes.count, radix: 16).utf8)
        out += [0x0D, 0x0A]
        out += bytes
        out += [0x0D, 0x0A]
        return out
    }

    /// Ends a chunked body (no trailers).
    public static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// `100 Continue`, for a request that sent `Expect: 100-continue`.
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// An AWS JSON error as botocore's rest-json parser reads it (bedrock-api.md §1.7): the status, an
    /// `x-amzn-ErrorType` header (which wins), and a body with `message` and `__type`.
    public static func awsError(status: Int, errorType: String, message: String, requestId: String? = nil, close: Bool = false) -> [UInt8] {
        var h = HTTPHeaders()
        h.add("Content-Type", "application/json")
        h.add("x-amzn-ErrorType", errorType)
        if let requestId { h.add("x-amzn-RequestId", requestId) }
        if close { h.add("Connection", "close") }
        let body = "{\"message\":" + jsonQuote(message) + ",\"__type\":" + jsonQuote(errorType) + "}"
        return serialize(status: status, headers: h, body: Array(body.utf8))
    }

    /// The answer to a request the parser refused; the connection closes after it.
    public static func parseErrorResponse(_ error: HTTPParseError, requestId: String? = nil) -> [UInt8] {
        awsError(status: error.status, errorType: error.errorType, message: error.message, requestId: requestId, close: true)
    }

    static func head(status: Int, headers: HTTPHeaders) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenChar) else { continue }
            text += name + ": " + sanitize(value) + "\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }

    static func sanitize(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return value }
        return String(value.unicodeScalars.map { $0 == "\r" || $0 == "\n" || $0 == "\0" ? " " : Character($0) })
    }

    static func jsonQuote(_ s: String) -> String { JSONText.quoted(s) }

    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 424: return "Failed Dependency"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
