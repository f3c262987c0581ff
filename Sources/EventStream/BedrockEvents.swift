import JSONText

/// Builders for the events Bedrock streams back (bedrock-api.md §1.4–1.5), and a classifier for received messages.
///
/// Every event carries `:message-type`, `:event-type` (the union member name) and `:content-type`; the payload is the
/// member's own JSON object, never wrapped in `{"memberName": …}` (botocore parses the payload as the member shape).
/// Real Bedrock adds a padding field `"p"` of varying length against length side channels; SDKs ignore it.
public enum BedrockEvents {
    public static let contentType = "application/vnd.amazon.eventstream"
    /// The alphabet real Bedrock's padding values are prefixes of.
    public static let paddingAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    /// A padding value of `length` characters (0…62), deterministic so that tests and replays are reproducible;
    /// callers choose the length (e.g. from a seeded generator) to vary event sizes.
    public static func padding(length: Int) -> String {
        String(paddingAlphabet.prefix(max(0, length)))
    }

    /// An event with the given member name and JSON payload (`payloadJSON` must already be a JSON object text).
    public static func event(type: String, payloadJSON: String) -> EventStreamMessage {
        EventStreamMessage(
            headers: [
                EventStreamHeader(":event-type", .string(type)),
                EventStreamHeader(":content-type", .string("application/json")),
                EventStreamHeader(":message-type", .string("event")),
            ],
            payload: Array(payloadJSON.utf8))
    }

    // MARK: InvokeModelWithResponseStream

    /// A `chunk` event: `{"bytes": base64(modelChunk), "p": padding}`. botocore base64-decodes `bytes` because
    /// `PayloadPart` has no event-payload member.
    public static func chunk(_ modelChunk: [UInt8], padding: String? = nil) -> EventStreamMessage {
        var o = JSONObject()
        o.string("bytes", Base64.encode(modelChunk))
        if let padding { o.string("p", padding) }
        return event(type: "chunk", payloadJSON: o.text)
    }

    // MARK: ConverseStream (each payload is the member shape itself)

    public static func messageStart(role: String = "assistant", padding: String? = nil) -> EventStreamMessage {
        var o = JSONObject()
        o.string("role", role)
        if let padding { o.string("p", padding) }
        return event(type: "messageStart", payloadJSON: o.text)
    }

    public static func contentBlockDelta(text: String, index: Int = 0, padding: String? = nil) -> EventStreamMessage {
        var delta = JSONObject()
        delta.string("text", text)
        var o = JSONObject()
        o.raw("contentBlockIndex", String(index))
        o.raw("delta", delta.text)
        if let padding { o.string("p", padding) }
        return event(type: "contentBlockDelta", payloadJSON: o.text)
    }

    public static func contentBlockStop(index: Int = 0, padding: String? = nil) -> EventStreamMessage {
        var o = JSONObject()
        o.raw("contentBlockIndex", String(index))
        if let padding { o.string("p", padding) }
        return event(type: "contentBlockStop", payloadJSON: o.text)
    }

    /// `stopReason` is one of the ConverseStream enum values (`end_turn`, `max_tokens`, `stop_sequence`,
    /// `guardrail_intervened`, `content_filtered`, …).
    public static func messageStop(stopReason: String, padding: String? = nil) -> EventStreamMessage {
        var o = JSONObject()
        o.string("stopReason", stopReason)
        if let padding { o.string("p", padding) }
        return event(type: "messageStop", payloadJSON: o.text)
    }

    /// `metadata{usage{inputTokens, outputTokens, totalTokens}, metrics{latencyMs}}`; `traceJSON` (a JSON object
    /// text) is added as `trace` when given.
    public static func metadata(inputTokens: Int, outputTokens: Int, latencyMs: Int, traceJSON: String? = nil, padding: String? = nil) -> EventStreamMessage {
        var usage = JSONObject()
        usage.raw("inputTokens", String(inputTokens))
        usage.raw("outputTokens", String(outputTokens))
        usage.raw("totalTokens", String(inputTokens + outputTokens))
        var metrics = JSONObject()
        metrics.raw("latencyMs", String(latencyMs))
        var o = JSONObject()
        o.raw("usage", usage.text)
        o.raw("metrics", metrics.text)
        if let traceJSON { o.raw("trace", traceJSON) }
        if let padding { o.string("p", padding) }
        return event(type: "metadata", payloadJSON: o.text)
    }

    // MARK: Exceptions

    /// A modeled exception mid-stream: `:message-type exception`, `:exception-type` = the union member name in
    /// camelCase (`ThrottlingException` and `throttlingException` both give `throttlingException`), payload
    /// `{"message": …}` plus any extra fields (e.g. `originalStatusCode` for modelStreamErrorException).
    public static func exception(_ type: String, message: String, extraFields: [(String, String)] = []) -> EventStreamMessage {
        let member = type.prefix(1).lowercased() + type.dropFirst()
        var o = JSONObject()
        o.string("message", message)
        for (k, rawJSON) in extraFields { o.raw(k, rawJSON) }
        return EventStreamMessage(
            headers: [
                EventStreamHeader(":exception-type", .string(member)),
                EventStreamHeader(":content-type", .string("application/json")),
                EventStreamHeader(":message-type", .string("exception")),
            ],
            payload: Array(o.text.utf8))
    }

    /// An unmodeled error (`:message-type error`), which botocore raises with `:error-code` / `:error-message`.
    public static func error(code: String, message: String) -> EventStreamMessage {
        EventStreamMessage(headers: [
            EventStreamHeader(":error-code", .string(code)),
            EventStreamHeader(":error-message", .string(message)),
            EventStreamHeader(":message-type", .string("error")),
        ])
    }

    // MARK: Receiving

    public enum Kind: Sendable, Equatable {
        case event(type: String, payload: [UInt8])
        case exception(type: String, payload: [UInt8])
        case error(code: String, message: String)
    }

    /// What a received message is, as botocore reads its headers; nil when `:message-type` is missing or unknown.
    public static func classify(_ m: EventStreamMessage) -> Kind? {
        switch m.header(":message-type")?.stringValue {
        case "event": return .event(type: m.header(":event-type")?.stringValue ?? "", payload: m.payload)
        case "exception": return .exception(type: m.header(":exception-type")?.stringValue ?? "", payload: m.payload)
        case "error":
            return .error(code: m.header(":error-code")?.stringValue ?? "", message: m.header(":error-message")?.stringValue ?? "")
        default: return nil
        }
    }
}

/// Builds a JSON object text with keys in insertion order, so encoded events are byte-for-byte reproducible.
public struct JSONObject: Sendable {
    private var body = ""

    public init() {}

    public mutating func string(_ key: String, _ value: String) {
        raw(key, JSONObject.quote(value))
    }

    /// Adds a member whose value is already JSON text (a number, object, array, `true`…).
    public mutating func raw(_ key: String, _ json: String) {
        if !body.isEmpty { body += "," }
        body += JSONObject.quote(key) + ":" + json
    }

    public var text: String { "{" + body + "}" }

    /// A JSON string literal (RFC 8259 escaping; non-ASCII passes through as UTF-8).
    public static func quote(_ s: String) -> String { JSONText.quoted(s) }
}

/// Standard base64 with padding (RFC 4648 §4), as botocore expects for blob members.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int((n >> 12) & 63)], alphabet[Int((n >> 6) & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int((n >> 12) & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int((n >> 12) & 63)], alphabet[Int((n >> 6) & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded standard base64; nil on any other character or a bad length.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        func value(_ c: UInt8) -> UInt32? {
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): return 62
            case UInt8(ascii: "/"): return 63
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            let last = i + 4 == chars.count
            let pad = last ? (chars[i + 3] == UInt8(ascii: "=") ? (chars[i + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
            var n: UInt32 = 0
            for k in 0..<4 {
                if k >= 4 - pad { n <<= 6; continue }
                guard let v = value(chars[i + k]) else { return nil }
                n = n << 6 | v
            }
            out.append(UInt8(n >> 16))
            if pad < 2 { out.append(UInt8((n >> 8) & 0xFF)) }
            if pad < 1 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}
