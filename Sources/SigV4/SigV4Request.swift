import ASCIIText
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One HTTP header as it appears on the wire (name case preserved; names may repeat).
public struct SigV4Header: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request as SigV4 sees it. Pure data: no URL parsing, no I/O.
public struct SigV4Request: Sendable, Hashable {
    /// HTTP method, e.g. "POST".
    public var method: String
    /// The raw path as on the wire, already URL-encoded by the client
    /// (e.g. `/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke`).
    public var path: String
    /// The raw query string without the leading `?` ("" when there is none).
    public var query: String
    /// Headers in wire order; names may repeat. Include `Host` (HTTP/1.1 always sends it).
    public var headers: [SigV4Header]
    /// The request body.
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [SigV4Header], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Convenience for tuple headers: `[("Host", "example.amazonaws.com"), ...]`.
    public init(method: String, path: String, query: String = "", headers: [(String, String)], body: [UInt8] = []) {
        self.init(method: method, path: path, query: query, headers: headers.map { SigV4Header($0.0, $0.1) }, body: body)
    }

    /// All values of a header, in wire order (name compared case-insensitively).
    public func values(for name: String) -> [String] {
        var out: [String] = []
        for i in headers.indices where ASCII.equalsIgnoringCase(headers[i].name, name) { out.append(headers[i].value) }
        return out
    }

    /// The first value of a header, if present. (Indexed in place: a closure over the elements copies each header.)
    public func firstValue(for name: String) -> String? {
        for i in headers.indices where ASCII.equalsIgnoringCase(headers[i].name, name) { return headers[i].value }
        return nil
    }

    /// Removes every header with this name (case-insensitive).
    public mutating func removeHeader(_ name: String) {
        headers.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// Replaces every header with this name by one header with this value, appended at the end.
    public mutating func setHeader(_ name: String, _ value: String) {
        removeHeader(name)
        headers.append(SigV4Header(name, value))
    }
}

/// Long-term (`AKIA…`) or temporary (`ASIA…` + session token) AWS credentials.
public struct SigV4Credentials: Sendable, Hashable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// Splits on one ASCII byte without Character (grapheme) processing.
func splitASCII(_ text: String, separator: UInt8, omittingEmpty: Bool) -> [String] {
    var text = text
    return text.withUTF8 { buffer in
        var parts: [String] = []
        var separators = 0
        for b in buffer where b == separator { separators += 1 }
        parts.reserveCapacity(separators + 1)   // one allocation, not one per doubling
        var start = 0
        for i in 0...buffer.count where i == buffer.count || buffer[i] == separator {
            if !(omittingEmpty && i == start) {
                parts.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<i]), as: UTF8.self))
            }
            start = i + 1
        }
        return parts
    }
}

