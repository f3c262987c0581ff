/// The `application/vnd.amazon.eventstream` message: a prelude (total length, headers length, prelude CRC), typed
/// headers, a payload and a CRC over everything before it. All integers are big-endian. The layout and limits follow
/// botocore's `eventstream.py` and the AWS event-stream specification (see docs/architecture.md and
/// /work/shared/reference/bedrock-api.md §1.4).
public enum EventStreamLimits {
    /// Prelude (12) + message CRC (4).
    public static let framingBytes = 16
    public static let preludeBytes = 12
    /// botocore `_MAX_HEADERS_LENGTH`.
    public static let maxHeadersBytes = 128 * 1024
    /// botocore `_MAX_PAYLOAD_LENGTH`.
    public static let maxPayloadBytes = 24 * 1024 * 1024
    /// The name length travels in one byte.
    public static let maxHeaderNameBytes = 255
    /// String and byte-array values carry a u16 length.
    public static let maxHeaderValueBytes = 65_535
}

/// A header value; the raw type byte of each case is `typeCode`.
public enum EventStreamHeaderValue: Sendable, Equatable, CustomStringConvertible {
    case bool(Bool)              // 0 true, 1 false (no value bytes)
    case byte(Int8)              // 2
    case short(Int16)            // 3
    case integer(Int32)          // 4
    case long(Int64)             // 5
    case byteArray([UInt8])      // 6, u16 length
    case string(String)          // 7, u16 length, UTF-8
    case timestamp(Int64)        // 8, milliseconds since the epoch
    case uuid([UInt8])           // 9, exactly 16 bytes

    public var typeCode: UInt8 {
        switch self {
        case .bool(let b): return b ? 0 : 1
        case .byte: return 2
        case .short: return 3
        case .integer: return 4
        case .long: return 5
        case .byteArray: return 6
        case .string: return 7
        case .timestamp: return 8
        case .uuid: return 9
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var description: String {
        switch self {
        case .bool(let b): return "bool(\(b))"
        case .byte(let v): return "byte(\(v))"
        case .short(let v): return "short(\(v))"
        case .integer(let v): return "integer(\(v))"
        case .long(let v): return "long(\(v))"
        case .byteArray(let v): return "byteArray(\(v.count) bytes)"
        case .string(let s): return "string(\"\(s)\")"
        case .timestamp(let v): return "timestamp(\(v))"
        case .uuid(let v): return "uuid(\(v.count) bytes)"
        }
    }
}

public struct EventStreamHeader: Sendable, Equatable {
    public var name: String
    public var value: EventStreamHeaderValue

    public init(_ name: String, _ value: EventStreamHeaderValue) {
        self.name = name
        self.value = value
    }
}

/// Why a message could not be encoded or decoded. `kind` mirrors botocore's exception classes where one exists
/// (`InvalidHeadersLength`, `InvalidPayloadLength`, `ChecksumMismatch`, `DuplicateHeader`).
public struct EventStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        case invalidHeadersLength
        case invalidPayloadLength
        case invalidMessageLength
        case preludeChecksumMismatch
        case messageChecksumMismatch
        case duplicateHeader
        case malformedHeader
        case unknownHeaderType
        case invalidHeaderValue
        case decoderFailed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

public struct EventStreamMessage: Sendable, Equatable {
    public var headers: [EventStreamHeader]
    public var payload: [UInt8]

    public init(headers: [EventStreamHeader] = [], payload: [UInt8] = []) {
        self.headers = headers
        self.payload = payload
    }

    /// The first header with this exact name (names are case-sensitive on the wire).
    public func header(_ name: String) -> EventStreamHeaderValue? {
        headers.first { $0.name == name }?.value
    }

    /// The serialized message, byte-exact: headers in the given order, both CRCs computed.
    public func encoded() throws(EventStreamError) -> [UInt8] {
        var headerBytes: [UInt8] = []
        var seen = Set<String>()
        for header in headers {
            guard seen.insert(header.name).inserted else {
                throw EventStreamError(.duplicateHeader, "header \"\(header.name)\" appears twice")
            }
            try EventStreamMessage.appendHeader(header, to: &headerBytes)
        }
        guard headerBytes.count <= EventStreamLimits.maxHeadersBytes else {
            throw EventStreamError(.invalidHeadersLength, "headers take \(headerBytes.count) bytes, more than the \(EventStreamLimits.maxHeadersBytes)-byte limit")
        }
        guard payload.count <= EventStreamLimits.maxPayloadBytes else {
            throw EventStreamError(.invalidPayloadLength, "payload of \(payload.count) bytes exceeds the \(EventStreamLimits.maxPayloadBytes)-byte limit")
        }
        let total = EventStreamLimits.framingBytes + headerBytes.count + payload.count
        var out: [UInt8] = []
        out.reserveCapacity(total)
        appendUInt32(UInt32(total), to: &out)
        appendUInt32(UInt32(headerBytes.count), to: &out)
        var crc = CRC32()
        crc.update(out)
        appendUInt32(crc.value, to: &out)
        out.append(contentsOf: headerBytes)
        out.append(contentsOf: payload)
        crc.update(out[8...])
        appendUInt32(crc.value, to: &out)
        return out
    }

    static func appendHeader(_ header: EventStreamHeader, to out: inout [UInt8]) throws(EventStreamError) {
        let name = Array(header.name.utf8)
        guard !name.isEmpty, name.count <= EventStreamLimits.maxHeaderNameBytes else {
            throw EventStreamError(.malformedHeader, "header name \"\(header.name)\" must be 1 to \(EventStreamLimits.maxHeaderNameBytes) bytes")
        }
        out.append(UInt8(name.count))
        out.append(contentsOf: name)
        out.append(header.value.typeCode)
        switch header.value {
        case .bool: break
        case .byte(let v): out.append(UInt8(bitPattern: v))
        case .short(let v): appendUInt16(UInt16(bitPattern: v), to: &out)
        case .integer(let v): appendUInt32(UInt32(bitPattern: v), to: &out)
        case .long(let v), .timestamp(let v): appendUInt64(UInt64(bitPattern: v), to: &out)
        case .byteArray(let bytes):
            try appendShortBytes(bytes, header: header.name, to: &out)
        case .string(let s):
            try appendShortBytes(Array(s.utf8), header: header.name, to: &out)
        case .uuid(let bytes):
            guard bytes.count == 16 else {
                throw EventStreamError(.invalidHeaderValue, "header \"\(header.name)\": a UUID is 16 bytes, not \(bytes.count)")
            }
            out.append(contentsOf: bytes)
        }
    }

    private static func appendShortBytes(_ bytes: [UInt8], header: String, to out: inout [UInt8]) throws(EventStreamError) {
        guard bytes.count <= EventStreamLimits.maxHeaderValueBytes else {
            throw EventStreamError(.invalidHeaderValue, "header \"\(header)\": value of \(bytes.count) bytes exceeds \(EventStreamLimits.maxHeaderValueBytes)")
        }
        appendUInt16(UInt16(bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }
}

@inline(__always) func appendUInt16(_ v: UInt16, to out: inout [UInt8]) {
    out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF))
}

@inline(__always) func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
    out.append(UInt8(v >> 24)); out.append(UInt8((v >> 16) & 0xFF)); out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8(v & 0xFF))
}

@inline(__always) func appendUInt64(_ v: UInt64, to out: inout [UInt8]) {
    appendUInt32(UInt32(v >> 32), to: &out); appendUInt32(UInt32(v & 0xFFFF_FFFF), to: &out)
}
