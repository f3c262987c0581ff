/// An incremental decoder: feed bytes in chunks of any size with `append`, then call `next()` until it returns nil
/// (more bytes needed). Checks happen as early as the bytes allow, in botocore's order: prelude lengths, prelude
/// CRC (as soon as 12 bytes are in), then, once the whole message is in, the message CRC, then the headers.
/// After an error the decoder stays failed: a byte stream that lost framing cannot be resynchronised safely.
public struct EventStreamDecoder: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    private var failure: EventStreamError?
    /// Messages decoded so far (for error texts that say where the stream broke).
    public private(set) var messagesDecoded = 0

    public init() {}

    /// Bytes received but not yet consumed by a whole message.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        // Compact lazily so a long stream of small messages stays O(n).
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole message, or nil when more bytes are needed.
    public mutating func next() throws(EventStreamError) -> EventStreamMessage? {
        if let failure { throw EventStreamError(.decoderFailed, "stream already failed: \(failure)") }
        do {
            guard let message = try decodeOne() else { return nil }
            messagesDecoded += 1
            return message
        } catch {
            failure = error
            throw error
        }
    }

    /// Decodes every complete message in `bytes` and requires nothing to be left over.
    public static func decodeAll(_ bytes: [UInt8]) throws(EventStreamError) -> [EventStreamMessage] {
        var decoder = EventStreamDecoder()
        decoder.append(bytes)
        var out: [EventStreamMessage] = []
        while let m = try decoder.next() { out.append(m) }
        guard decoder.bufferedByteCount == 0 else {
            throw EventStreamError(.invalidMessageLength, "\(decoder.bufferedByteCount) trailing bytes do not form a whole message")
        }
        return out
    }

    private mutating func decodeOne() throws(EventStreamError) -> EventStreamMessage? {
        let available = buffer.count - start
        guard available >= EventStreamLimits.preludeBytes else { return nil }
        let where_ = "message \(messagesDecoded + 1)"
        let total = Int(readUInt32(start))
        let headersLength = Int(readUInt32(start + 4))
        let preludeCRC = readUInt32(start + 8)
        if headersLength > EventStreamLimits.maxHeadersBytes {
            throw EventStreamError(.invalidHeadersLength, "\(where_): headers length \(headersLength) exceeds \(EventStreamLimits.maxHeadersBytes)")
        }
        let payloadLength = total - headersLength - EventStreamLimits.framingBytes
        if payloadLength > EventStreamLimits.maxPayloadBytes {
            throw EventStreamError(.invalidPayloadLength, "\(where_): payload length \(payloadLength) exceeds \(EventStreamLimits.maxPayloadBytes)")
        }
        var crc = CRC32()
        buffer.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[start..<(start + 8)])) }
        guard crc.value == preludeCRC else {
            throw EventStreamError(.preludeChecksumMismatch, "\(where_): prelude CRC is \(hex(preludeCRC)), computed \(hex(crc.value))")
        }
        // Checked after the CRC so a corrupted length reads as corruption; a valid CRC over nonsense lengths is a
        // sender bug, reported as such.
        if payloadLength < 0 {
            throw EventStreamError(.invalidMessageLength, "\(where_): total length \(total) is shorter than headers (\(headersLength)) plus 16 framing bytes")
        }
        guard available >= total else { return nil }
        let end = start + total
        buffer.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[(start + 8)..<(end - 4)])) }
        let messageCRC = readUInt32(end - 4)
        guard crc.value == messageCRC else {
            throw EventStreamError(.messageChecksumMismatch, "\(where_): message CRC is \(hex(messageCRC)), computed \(hex(crc.value))")
        }
        let headersStart = start + EventStreamLimits.preludeBytes
        let headers = try Self.parseHeaders(buffer[headersStart..<(headersStart + headersLength)], where: where_)
        let payload = Array(buffer[(headersStart + headersLength)..<(end - 4)])
        start = end
        if start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        return EventStreamMessage(headers: headers, payload: payload)
    }

    private func readUInt32(_ i: Int) -> UInt32 {
        UInt32(buffer[i]) << 24 | UInt32(buffer[i + 1]) << 16 | UInt32(buffer[i + 2]) << 8 | UInt32(buffer[i + 3])
    }

    /// Parses a header block; exposed for tests of the header grammar alone.
    static func parseHeaders(_ bytes: ArraySlice<UInt8>, where place: String) throws(EventStreamError) -> [EventStreamHeader] {
        var headers: [EventStreamHeader] = []
        var names = Set<String>()
        var i = bytes.startIndex
        let end = bytes.endIndex
        func need(_ n: Int, _ what: String) throws(EventStreamError) {
            guard end - i >= n else {
                throw EventStreamError(.malformedHeader, "\(place): header block ends inside \(what) (offset \(i - bytes.startIndex))")
            }
        }
        func int(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0..<n { v = v << 8 | UInt64(bytes[i + k]) }
            return v
        }
        while i < end {
            let nameLength = Int(bytes[i]); i += 1
            try need(nameLength, "a header name")
            guard let name = String(validating: bytes[i..<(i + nameLength)], as: UTF8.self) else {
                throw EventStreamError(.malformedHeader, "\(place): header name at offset \(i - bytes.startIndex) is not UTF-8")
            }
            i += nameLength
            try need(1, "the type of header \"\(name)\"")
            let type = bytes[i]; i += 1
            let value: EventStreamHeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2: try need(1, "header \"\(name)\""); value = .byte(Int8(bitPattern: bytes[i])); i += 1
            case 3: try need(2, "header \"\(name)\""); value = .short(Int16(bitPattern: UInt16(int(2)))); i += 2
            case 4: try need(4, "header \"\(name)\""); value = .integer(Int32(bitPattern: UInt32(int(4)))); i += 4
            case 5, 8:
                try need(8, "header \"\(name)\"")
                let v = Int64(bitPattern: int(8)); i += 8
                value = type == 5 ? .long(v) : .timestamp(v)
            case 6, 7:
                try need(2, "the length of header \"\(name)\"")
                let n = Int(int(2)); i += 2
                try need(n, "header \"\(name)\"")
                let raw = bytes[i..<(i + n)]; i += n
                if type == 6 {
                    value = .byteArray(Array(raw))
                } else {
                    guard let s = String(validating: raw, as: UTF8.self) else {
                        throw EventStreamError(.invalidHeaderValue, "\(place): string header \"\(name)\" is not UTF-8")
                    }
                    value = .string(s)
                }
            case 9: try need(16, "header \"\(name)\""); value = .uuid(Array(bytes[i..<(i + 16)])); i += 16
            default:
                throw EventStreamError(.unknownHeaderType, "\(place): header \"\(name)\" has unknown type \(type)")
            }
            guard names.insert(name).inserted else {
                throw EventStreamError(.duplicateHeader, "\(place): duplicate header \"\(name)\"")
            }
            headers.append(EventStreamHeader(name, value))
        }
        return headers
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
