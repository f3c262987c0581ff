import Foundation
import Testing
@testable import EventStream

@Suite("Event-stream codec")
struct CodecTests {
    static let allTypes: [EventStreamHeader] = [
        EventStreamHeader("t", .bool(true)), EventStreamHeader("f", .bool(false)), EventStreamHeader("b", .byte(-128)),
        EventStreamHeader("s", .short(Int16.min)), EventStreamHeader("i", .integer(Int32.max)),
        EventStreamHeader("l", .long(Int64.min)), EventStreamHeader("a", .byteArray([0, 1, 255])),
        EventStreamHeader("u8", .string("héllo ✓")), EventStreamHeader("ts", .timestamp(1_700_000_000_123)),
        EventStreamHeader("id", .uuid(Array(0..<16))),
    ]

    @Test("every header type 0-9 round-trips")
    func roundTripAllTypes() throws {
        let message = EventStreamMessage(headers: Self.allTypes, payload: Array("payload".utf8))
        let bytes = try message.encoded()
        #expect(try EventStreamDecoder.decodeAll(bytes) == [message])
        #expect(Self.allTypes.map(\.value.typeCode) == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test("encoder refuses what the wire cannot carry")
    func encoderLimits() {
        func kind(_ m: EventStreamMessage) -> EventStreamError.Kind? {
            do { _ = try m.encoded(); return nil } catch { return error.kind }
        }
        #expect(kind(EventStreamMessage(headers: [EventStreamHeader("x", .bool(true)), EventStreamHeader("x", .bool(false))])) == .duplicateHeader)
        #expect(kind(EventStreamMessage(headers: [EventStreamHeader("", .bool(true))])) == .malformedHeader)
        #expect(kind(EventStreamMessage(headers: [EventStreamHeader(String(repeating: "n", count: 256), .bool(true))])) == .malformedHeader)
        #expect(kind(EventStreamMessage(headers: [EventStreamHeader("id", .uuid([1, 2, 3]))])) == .invalidHeaderValue)
        #expect(kind(EventStreamMessage(headers: [EventStreamHeader("v", .byteArray(Array(repeating: 0, count: 65_536)))])) == .invalidHeaderValue)
        // Three 65 535-byte values: each fits, together they pass the 128 KiB header limit.
        let big = (0..<3).map { EventStreamHeader("h\($0)", .byteArray(Array(repeating: 7, count: 65_535))) }
        #expect(kind(EventStreamMessage(headers: big)) == .invalidHeadersLength)
        #expect(kind(EventStreamMessage(payload: Array(repeating: 0, count: EventStreamLimits.maxPayloadBytes + 1))) == .invalidPayloadLength)
        #expect(kind(EventStreamMessage(payload: Array(repeating: 0, count: EventStreamLimits.maxPayloadBytes))) == nil)
    }

    @Test("malformed header blocks with valid CRCs are refused, never crash")
    func malformedHeaders() throws {
        // Wraps an arbitrary header block in a correct prelude and CRCs, so only the header grammar can fail.
        func frame(_ headerBlock: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            appendUInt32(UInt32(16 + headerBlock.count), to: &out)
            appendUInt32(UInt32(headerBlock.count), to: &out)
            appendUInt32(CRC32.checksum(out), to: &out)
            out += headerBlock
            appendUInt32(CRC32.checksum(out), to: &out)
            return out
        }
        let cases: [([UInt8], EventStreamError.Kind)] = [
            ([5, 0x61], .malformedHeader),                         // name longer than the block
            ([1, 0x61], .malformedHeader),                         // no type byte
            ([1, 0x61, 10], .unknownHeaderType),                   // type 10
            ([1, 0x61, 4, 0, 0], .malformedHeader),                // int32 cut short
            ([1, 0x61, 7, 0, 9, 0x62], .malformedHeader),          // string length beyond the block
            ([1, 0x61, 7, 0, 1, 0xff], .invalidHeaderValue),       // string not UTF-8
            ([1, 0xff, 0], .malformedHeader),                      // name not UTF-8
            ([1, 0x61, 9, 1, 2, 3], .malformedHeader),             // UUID cut short
        ]
        for (block, kind) in cases {
            #expect { try EventStreamDecoder.decodeAll(frame(block)) } throws: { ($0 as? EventStreamError)?.kind == kind }
        }
        #expect { try EventStreamDecoder.decodeAll([0, 0, 0, 8, 0, 0, 0, 0] + { var o: [UInt8] = []; appendUInt32(CRC32.checksum([0, 0, 0, 8, 0, 0, 0, 0]), to: &o); return o }()) } throws: {
            ($0 as? EventStreamError)?.kind == .invalidMessageLength
        }
    }

    @Test("random bytes and truncations never crash the decoder")
    func fuzz() throws {
        var rng = SplitMix64(seed: 42)
        let valid = try EventStreamMessage(headers: Self.allTypes, payload: Array("xyz".utf8)).encoded()
        for _ in 0..<2_000 {
            var bytes = valid
            let flips = Int(rng.next() % 4) + 1
            for _ in 0..<flips { bytes[Int(rng.next() % UInt64(bytes.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            let cut = Int(rng.next() % UInt64(bytes.count + 1))
            var d = EventStreamDecoder()
            d.append(bytes[..<cut])
            _ = try? d.next()
        }
        // Every strict prefix of a valid message is "need more bytes", not an error.
        for cut in 0..<valid.count {
            var d = EventStreamDecoder()
            d.append(valid[..<cut])
            #expect(try d.next() == nil)
        }
    }

    @Test("payload at the 24 MiB limit decodes; one byte more is refused from the prelude alone")
    func payloadLimit() throws {
        let max = try EventStreamMessage(payload: Array(repeating: 0x41, count: EventStreamLimits.maxPayloadBytes)).encoded()
        var d = EventStreamDecoder()
        d.append(max)
        #expect(try d.next()?.payload.count == EventStreamLimits.maxPayloadBytes)
        var prelude: [UInt8] = []
        appendUInt32(UInt32(16 + EventStreamLimits.maxPayloadBytes + 1), to: &prelude)
        appendUInt32(0, to: &prelude)
        appendUInt32(CRC32.checksum(prelude), to: &prelude)
        var d2 = EventStreamDecoder()
        d2.append(prelude)
        #expect { try d2.next() } throws: { ($0 as? EventStreamError)?.kind == .invalidPayloadLength }
    }

    @Test("base64 matches RFC 4648 test vectors")
    func base64() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64.decode("Zm9") == nil)
        #expect(Base64.decode("Zm9*") == nil)
    }
}

/// A tiny deterministic generator for the fuzz loop (no timing, reproducible).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
