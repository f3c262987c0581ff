/// HTTP/1.1 message types for the SDK listener (RFC 9110/9112). Pure: no sockets, no clock.

/// Header fields in arrival order; names compare case-insensitively, values are kept exactly as sent (SigV4 signs
/// them after trimming, so the listener must not rewrite them).
public struct HTTPHeaders: Sendable, Equatable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        for (n, v) in fields { add(n, v) }
    }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    /// Replaces every field with this name by one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name.lowercased() == lower }
    }

    /// The first value of a field (case-insensitive name).
    public subscript(_ name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }

    public func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.count == b.fields.count && zip(a.fields, b.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// The request target exactly as sent (origin form: path and query, still percent-encoded).
    public var target: String
    public var versionMinor: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// False when the client asked to close (`Connection: close`, or HTTP/1.0 without keep-alive).
    public var keepAlive: Bool
    /// True when the body arrived with `Transfer-Encoding: chunked` (SigV4 still signs the de-chunked payload).
    public var wasChunked: Bool

    public init(method: String, target: String, versionMinor: Int = 1, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], keepAlive: Bool = true, wasChunked: Bool = false) {
        self.method = method
        self.target = target
        self.versionMinor = versionMinor
        self.headers = headers
        self.body = body
        self.keepAlive = keepAlive
        self.wasChunked = wasChunked
    }

    /// The path part of the target, still percent-encoded (SigV4's canonical URI is computed from it).
    public var path: String {
        if let q = target.firstIndex(of: "?") { return String(target[..<q]) }
        return target
    }

    /// The raw query string after `?`, or "" when there is none.
    public var query: String {
        if let q = target.firstIndex(of: "?") { return String(target[target.index(after: q)...]) }
        return ""
    }
}

/// A request the listener must refuse. `status` is the HTTP status to answer with (400, 413, 414, 431, 501, 505);
/// `message` names what was wrong and where. After any parse error the connection's framing is lost, so the
/// listener answers once and closes.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String
    /// The `x-amzn-ErrorType` / `__type` to send, so botocore raises a named exception.
    public var errorType: String

    public init(status: Int, _ message: String, errorType: String = "ValidationException") {
        self.status = status
        self.message = message
        self.errorType = errorType
    }

    public var description: String { "\(status) \(HTTPResponseWriter.reasonPhrase(status)): \(message)" }
}
