import Foundation
import Testing
@testable import EventStream

/// Files from the `Vectors` resource directory (see Vectors/README.md for their source).
enum Vectors {
    static func url(_ relativePath: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Vectors", withExtension: nil), "Vectors resource directory missing")
        return root.appendingPathComponent(relativePath)
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try url(relativePath)))
    }

    static func json(_ relativePath: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: try url(relativePath)))
        return try #require(object as? [String: Any], "\(relativePath): top level is not an object")
    }
}

let positiveVectors = ["all_headers", "empty_message", "int32_header", "payload_no_headers", "payload_one_str_header"]
let negativeVectors = ["corrupted_header_len", "corrupted_headers", "corrupted_length", "corrupted_payload"]

/// Builds the header value the aws-sdk-go decoded JSON describes (type code + JSON value).
func headerValue(type: Int, value: Any, name: String) throws -> EventStreamHeaderValue {
    func b64() throws -> [UInt8] {
        let s = try #require(value as? String, "\(name): value is not a string")
        return try #require(Base64.decode(s), "\(name): value is not base64")
    }
    func int() throws -> Int64 { try #require((value as? NSNumber)?.int64Value, "\(name): value is not a number") }
    switch type {
    case 0, 1: return .bool(type == 0)
    case 2: return .byte(Int8(truncatingIfNeeded: try int()))
    case 3: return .short(Int16(try int()))
    case 4: return .integer(Int32(try int()))
    case 5: return .long(try int())
    case 6: return .byteArray(try b64())
    case 7: return .string(String(decoding: try b64(), as: UTF8.self))
    case 8: return .timestamp(try int())
    case 9: return .uuid(try b64())
    default: throw EventStreamError(.unknownHeaderType, "\(name): type \(type)")
    }
}

func expectedMessage(_ name: String) throws -> (EventStreamMessage, [String: Any]) {
    let json = try Vectors.json("decoded/positive/\(name)")
    let rawHeaders = try #require(json["headers"] as? [[String: Any]], "\(name): headers")
    var headers: [EventStreamHeader] = []
    for h in rawHeaders {
        let hname = try #require(h["name"] as? String)
        let type = try #require(h["type"] as? Int)
        headers.append(EventStreamHeader(hname, try headerValue(type: type, value: h["value"] as Any, name: hname)))
    }
    let payloadText = try #require(json["payload"] as? String)
    let payload = try #require(Base64.decode(payloadText))
    return (EventStreamMessage(headers: headers, payload: payload), json)
}

@Suite("AWS event-stream test vectors")
struct VectorTests {
    @Test("CRC32 is IEEE CRC-32 (check value of \"123456789\")")
    func crcCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test("positive vectors decode to the published fields", arguments: positiveVectors)
    func decodesPositive(name: String) throws {
        let encoded = try Vectors.bytes("encoded/positive/\(name)")
        let (expected, json) = try expectedMessage(name)
        let messages = try EventStreamDecoder.decodeAll(encoded)
        #expect(messages == [expected])
        #expect(encoded.count == json["total_length"] as? Int)
        let preludeCRC = UInt32(encoded[8]) << 24 | UInt32(encoded[9]) << 16 | UInt32(encoded[10]) << 8 | UInt32(encoded[11])
        #expect(Int(preludeCRC) == json["prelude_crc"] as? Int)
    }

    @Test("encoding the decoded form reproduces the vector byte for byte", arguments: positiveVectors)
    func encodesPositive(name: String) throws {
        let encoded = try Vectors.bytes("encoded/positive/\(name)")
        let (message, json) = try expectedMessage(name)
        let bytes = try message.encoded()
        #expect(bytes == encoded)
        let messageCRC = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        #expect(Int(messageCRC) == json["message_crc"] as? Int)
        #expect(Int(bytes.count) == json["total_length"] as? Int)
    }

    @Test("negative vectors fail the published check", arguments: negativeVectors)
    func rejectsNegative(name: String) throws {
        let encoded = try Vectors.bytes("encoded/negative/\(name)")
        let expected = String(decoding: try Vectors.bytes("decoded/negative/\(name)"), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let kind: EventStreamError.Kind = expected.hasPrefix("Prelude") ? .preludeChecksumMismatch : .messageChecksumMismatch
        var decoder = EventStreamDecoder()
        decoder.append(encoded)
        #expect(throws: EventStreamError.self) { _ = try decoder.next() }
        do {
            var d = EventStreamDecoder()
            d.append(encoded)
            _ = try d.next()
            Issue.record("\(name) decoded")
        } catch {
            #expect(error.kind == kind, "\(name): \(error)")
        }
        // A failed decoder stays failed.
        #expect(throws: EventStreamError.self) { _ = try decoder.next() }
    }

    @Test("all positive vectors back to back, fed one byte at a time, decode in order")
    func incrementalBytewise() throws {
        var stream: [UInt8] = []
        var expected: [EventStreamMessage] = []
        for name in positiveVectors {
            stream += try Vectors.bytes("encoded/positive/\(name)")
            expected.append(try expectedMessage(name).0)
        }
        var decoder = EventStreamDecoder()
        var got: [EventStreamMessage] = []
        for byte in stream {
            decoder.append(CollectionOfOne(byte))
            while let m = try decoder.next() { got.append(m) }
        }
        #expect(got == expected)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("botocore's own vectors: int8/int16/int64 headers, error event, duplicate header, oversized lengths")
    func botocoreVectors() throws {
        // From boto/botocore tests/unit/test_eventstream.py (INT8_HEADER, INT16_HEADER, INT64_HEADER,
        // ERROR_EVENT_MESSAGE, DUPLICATE_HEADER, CORRUPTED_LENGTH and CORRUPTED_HEADER_LENGTH).
        let int8: [UInt8] = [0, 0, 0, 0x17, 0, 0, 0, 7, 0x29, 0x86, 0x01, 0x58, 4] + Array("byte".utf8) + [2, 0xff, 0xc2, 0xf8, 0x69, 0xdc]
        #expect(try EventStreamDecoder.decodeAll(int8) == [EventStreamMessage(headers: [EventStreamHeader("byte", .byte(-1))])])
        #expect(try EventStreamMessage(headers: [EventStreamHeader("byte", .byte(-1))]).encoded() == int8)

        let int16: [UInt8] = [0, 0, 0, 0x19, 0, 0, 0, 9, 0x71, 0x0e, 0x92, 0x3e, 5] + Array("short".utf8) + [3, 0xff, 0xff, 0xb2, 0x7c, 0xb6, 0xcc]
        #expect(try EventStreamMessage(headers: [EventStreamHeader("short", .short(-1))]).encoded() == int16)

        let int64: [UInt8] = [0, 0, 0, 0x1e, 0, 0, 0, 0x0e, 0x5d, 0x4a, 0xdb, 0x8d, 4] + Array("long".utf8) + [5]
            + [UInt8](repeating: 0xff, count: 8) + [0x4b, 0xc2, 0x32, 0xda]
        #expect(try EventStreamMessage(headers: [EventStreamHeader("long", .long(-1))]).encoded() == int64)

        var error: [UInt8] = [0, 0, 0, 0x52, 0, 0, 0, 0x42, 0xbf, 0x23, 0x63, 0x7e]
        error += [0x0d] + Array(":message-type".utf8) + [7, 0, 5] + Array("error".utf8)
        error += [0x0b] + Array(":error-code".utf8) + [7, 0, 4] + Array("code".utf8)
        error += [0x0e] + Array(":error-message".utf8) + [7, 0, 7] + Array("message".utf8)
        error += [0x6b, 0x6c, 0xea, 0x3d]
        let decoded = try EventStreamDecoder.decodeAll(error)
        #expect(decoded.count == 1)
        #expect(BedrockEvents.classify(decoded[0]) == .error(code: "code", message: "message"))

        // DUPLICATE_HEADER: header "test" twice (type 4 int32 "asdf"); CRCs are valid, so only the duplicate fails.
        let duplicate: [UInt8] = [0, 0, 0, 0x24, 0, 0, 0, 0x14, 0x4b, 0xb9, 0x82, 0xd0, 4] + Array("test".utf8) + [4]
            + Array("asdf".utf8) + [4] + Array("test".utf8) + [4] + Array("asdf".utf8) + [0xf3, 0xf4, 0x75, 0x63]
        #expect { try EventStreamDecoder.decodeAll(duplicate) } throws: { ($0 as? EventStreamError)?.kind == .duplicateHeader }

        // CORRUPTED_LENGTH: total length 0x0100001d. The vector dates from botocore's 16 MiB payload limit, when it
        // raised InvalidPayloadLength; with today's 24 MiB limit the length passes and botocore 1.43.11 (checked)
        // raises ChecksumMismatch on the prelude CRC, as we do.
        let longPayload: [UInt8] = [1, 0, 0, 0x1d, 0, 0, 0, 0, 0xfd, 0x52, 0x8c, 0x5a]
        #expect { try EventStreamDecoder.decodeAll(longPayload) } throws: { ($0 as? EventStreamError)?.kind == .preludeChecksumMismatch }
        // CORRUPTED_HEADER_LENGTH: headers length 0xff000102 → InvalidHeadersLength.
        let longHeaders: [UInt8] = [0, 0, 0, 0x3d, 0xff, 0, 1, 2, 0x07, 0xfd, 0x83, 0x96]
        #expect { try EventStreamDecoder.decodeAll(longHeaders) } throws: { ($0 as? EventStreamError)?.kind == .invalidHeadersLength }
    }
}
