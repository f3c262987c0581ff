import Envelope
import SimCrypto
import Testing

@Suite("Envelope codec")
struct EnvelopeCodecTests {
    func sample() -> Envelope {
        var e = Envelope(type: .invokeRequest, messageId: "client-a-1", requestId: "7d1b3d8e-0000-4000-8000-000000000001",
                         traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                         source: NodeAddress(node: "client-a", account: "111111111111"),
                         destination: NodeAddress(node: "runtime-frontend", account: "999999999999"),
                         deadlineUnixMs: 1_700_000_000_000, lamport: 7, stamps: ["vpceId": "vpce-0123"], body: Array("sealed".utf8))
        e.claims = ["accessKeyId": "AKIAEXAMPLE"]
        return e
    }

    @Test func aReplyGoesBackToTheSourceWithTheRequestsIdsAndDeadline() {
        let e = sample()
        let me = NodeAddress(node: "runtime-frontend", account: "999999999999")
        let r = e.reply(.invokeResponse, messageId: "runtime-frontend-9", from: me, body: [1, 2])
        #expect(r.type == .invokeResponse && r.messageId == "runtime-frontend-9" && r.inReplyTo == e.messageId)
        #expect(r.requestId == e.requestId && r.traceparent == e.traceparent && r.deadlineUnixMs == e.deadlineUnixMs)
        #expect(r.source == me && r.destination == e.source && r.body == [1, 2])
        #expect(r.stamps.isEmpty && r.claims.isEmpty && r.lamport == 0)
    }

    @Test func roundTrip() throws {
        let e = sample()
        let (d, header) = try Envelope.decode(e.encode())
        #expect(d.type == .invokeRequest && d.messageId == e.messageId && d.requestId == e.requestId)
        #expect(d.source == e.source && d.destination == e.destination && d.deadlineUnixMs == e.deadlineUnixMs)
        #expect(d.lamport == 7 && d.stamps == ["vpceId": "vpce-0123"] && d.claims == ["accessKeyId": "AKIAEXAMPLE"])
        #expect(d.body == e.body)
        #expect(header == e.routingHeader)
    }

    /// A node's decoder reuses the Strings of repeating fields; every frame still decodes to exactly its own values,
    /// whether a field repeats, changes, grows, shrinks or is empty.
    @Test func aNodesDecoderGivesEachFrameItsOwnValues() throws {
        let decoder = EnvelopeDecoder()
        let variants: [(String, String, StringPairs, StringPairs)] = [
            ("runtime-frontend", "999999999999", ["vpceId": "vpce-0123"], ["accessKeyId": "AKIAEXAMPLE"]),
            ("runtime-frontend", "999999999999", ["vpceId": "vpce-0123"], ["accessKeyId": "AKIAEXAMPLE"]),
            ("runtime-frontend-2", "999999999998", ["vpceId": "vpce-0124", "vpcId": "vpc-1"], ["accessKeyId": "AKIAEXAMPLF"]),
            ("runtime-fronten", "", [:], [:]),
            ("runtime-frontend", "999999999999", ["vpceId": "vpce-0123"], ["accessKeyId": "AKIAEXAMPLE", "action": "bedrock:InvokeModel"]),
        ]
        for (node, account, stamps, claims) in variants {
            var e = sample()
            e.destination = NodeAddress(node: node, account: account)
            e.stamps = stamps
            e.claims = claims
            let (d, header) = try decoder.decode(e.encode())
            let (plain, plainHeader) = try Envelope.decode(e.encode())
            #expect(d.destination == e.destination && d.source == e.source)
            #expect(d.stamps == stamps && d.claims == claims)
            #expect(header == plainHeader && d.messageId == plain.messageId && d.body == plain.body)
        }
        // A malformed frame is refused the same way through a node's decoder.
        var bytes = sample().encode()
        bytes.removeLast(3)
        #expect(throws: WireFormatError.self) { try decoder.decode(bytes) }
    }

    /// The same decoder reuses the Strings of HTTP methods, paths and headers; each message still decodes to exactly
    /// its own values (a header that changes, moves, appears or goes away), also past the cached header slots.
    @Test func aNodesDecoderGivesEachHTTPMessageItsOwnValues() throws {
        let decoder = EnvelopeDecoder()
        let host = HTTPHeader("Host", "bedrock-runtime.us-east-1.amazonaws.com")
        let type = HTTPHeader("Content-Type", "application/json")
        let many = (0..<20).map { HTTPHeader("X-Amzn-Header-Number-\($0)", "value-\($0)-of-twenty-headers") }
        let requests = [
            HTTPRequest(method: "POST", path: "/model/amazon.titan-text-express-v1/invoke", headers: [host, type], body: Array("{}".utf8)),
            HTTPRequest(method: "POST", path: "/model/amazon.titan-text-express-v1/invoke", headers: [host, type], body: Array("{}".utf8)),
            HTTPRequest(method: "GET", path: "/model/amazon.titan-text-express-v1/invoke-with-response-stream", headers: [type, host]),
            HTTPRequest(method: "POST", path: "/", query: "a=b", headers: many),
            HTTPRequest(method: "POST", path: "/", headers: Array(many.reversed().prefix(18)) + [HTTPHeader("", "")]),
            HTTPRequest(method: "POST", path: "/model/amazon.titan-text-express-v1/invoke", headers: [host]),
        ]
        for r in requests {
            #expect(try decoder.request(r.encode()) == r)
            let response = HTTPResponse(status: 200, headers: r.headers, body: r.body)
            #expect(try decoder.response(response.encode()) == response)
        }
        var bytes = requests[0].encode()
        bytes.removeLast(1)
        #expect(throws: WireFormatError.self) { try decoder.request(bytes) }
    }

    @Test func hopPartIsNotInTheRoutingHeader() {
        var a = sample(), b = sample()
        b.lamport = 99
        b.stamps["vpcId"] = "vpc-1"
        #expect(a.routingHeader == b.routingHeader)
        a.destination.node = "escrow-anthropic-1"
        #expect(a.routingHeader != b.routingHeader)
        a = sample(); a.claims["accessKeyId"] = "AKIAOTHER"
        #expect(a.routingHeader != b.routingHeader)
    }

    static let malformed: [([UInt8], String)] = [
        ([], "magic"),
        (Array("XYZ".utf8) + [1, 1], "magic"),
        (Array("BSE".utf8) + [2], "version"),
        (Array("BSE".utf8) + [1, 200], "type"),
        (Array("BSE".utf8) + [1, 1, 0], "deadline"),
    ]

    @Test func malformedFramesAreRejectedWithTheField() {
        for (bytes, field) in Self.malformed {
            do { _ = try Envelope.decode(bytes); Issue.record("accepted \(bytes)") } catch { #expect(error.field == field) }
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() {
        let bytes = sample().encode()
        for n in 0..<bytes.count {
            #expect(throws: WireFormatError.self) { try Envelope.decode(Array(bytes[0..<n])) }
        }
        #expect(throws: WireFormatError.self) { try Envelope.decode(bytes + [0]) }
    }

    @Test func oversizedLengthsAreRefusedBeforeAllocation() {
        var bytes = sample().encode()
        // The body length is the 4 bytes before the body: claim 4 GiB.
        let bodyStart = bytes.count - 6
        bytes[bodyStart - 4] = 0xff; bytes[bodyStart - 3] = 0xff; bytes[bodyStart - 2] = 0xff; bytes[bodyStart - 1] = 0xff
        do { _ = try Envelope.decode(bytes); Issue.record("accepted a 4 GiB body") } catch {
            #expect(error.field == "body")
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<300, using: &rng)
            var b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n > 4 { b[0] = 0x42; b[1] = 0x53; b[2] = 0x45; b[3] = 1 }
            _ = try? Envelope.decode(b)
        }
    }

    @Test func httpMessagesRoundTrip() throws {
        let r = HTTPRequest(method: "POST", path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke", query: "a=b",
                            headers: [HTTPHeader("Content-Type", "application/json")], body: Array(#"{"x":1}"#.utf8))
        #expect(try HTTPRequest.decode(r.encode()) == r)
        let s = HTTPResponse(status: 403, headers: [HTTPHeader("x-amzn-ErrorType", "AccessDeniedException")], body: [1, 2])
        #expect(try HTTPResponse.decode(s.encode()) == s)
        #expect(throws: WireFormatError.self) { try HTTPRequest.decode(Array(r.encode().dropLast())) }
    }

    @Test func pathAndQuerySplitAtTheFirstQuestionMarkUnlessTheQueryIsGiven() {
        #expect(HTTPRequest(method: "GET", path: "/model/x/invoke").pathAndQuery == ("/model/x/invoke", ""))
        #expect(HTTPRequest(method: "GET", path: "/ü/a?b=1?c").pathAndQuery == ("/ü/a", "b=1?c"))
        #expect(HTTPRequest(method: "GET", path: "/a?").pathAndQuery == ("/a", ""))
        #expect(HTTPRequest(method: "GET", path: "/a?x=1", query: "y=2").pathAndQuery == ("/a?x=1", "y=2"))
    }

    /// The writer in place (an encoder's exact size), past its room (it moves to a buffer of its own, nothing lost)
    /// and on its own buffer, growing: the same bytes, big-endian, in order.
    @Test func theByteWriterWritesTheSameBytesInPlaceOrGrowing() {
        func fields(_ w: inout ByteWriter) {
            w.u8(0xAB); w.u16(0x0102); w.u32(0x0304_0506); w.u64(0x0708_090A_0B0C_0D0E)
            w.string("é-ok"); w.blob32([9, 8, 7]); w.raw([1, 2] as [UInt8]); w.raw((1...3).map { UInt8($0) }.lazy.map { $0 * 2 })
        }
        let expected: [UInt8] = [0xAB, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0, 5, 0xC3, 0xA9, 0x2D, 0x6F, 0x6B,
                                 0, 0, 0, 3, 9, 8, 7, 1, 2, 2, 4, 6]
        #expect(ByteWriter.build(capacity: expected.count) { fields(&$0) } == expected)
        for room in [0, 1, 5, 20] { #expect(ByteWriter.build(capacity: room) { fields(&$0) } == expected) }
        // Past a KiB it writes into the new array itself; the same when it fits and when it outgrows it.
        let big = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        for room in [1025, 3004, 5000] { #expect(ByteWriter.build(capacity: room) { $0.blob32(big) } == [0, 0, 11, 184] + big) }
        var own = ByteWriter(capacity: 1)
        for _ in 0..<100 { fields(&own) }
        #expect(own.count == 100 * expected.count && own.bytes == Array(repeating: expected, count: 100).flatMap { $0 })
    }
}

@Suite("End-to-end seal")
struct EndToEndSealTests {
    let frontendKey: X25519PrivateKey
    let header = Array("routing header".utf8)
    init() throws { frontendKey = try X25519PrivateKey() }

    @Test func clientAndFrontendAgree() throws {
        let client = try ClientSealSession(frontendPublicKey: frontendKey.publicKey)
        let frontend = FrontendSealSessions(staticKey: frontendKey)
        let sealed = try client.seal(Array("prompt: the secret plan".utf8), routingHeader: header)
        #expect(!sealed.containsSubsequence(Array("secret plan".utf8)))
        let (plain, sid) = try frontend.open(sealed, routingHeader: header)
        #expect(plain == Array("prompt: the secret plan".utf8))
        let reply = try frontend.seal(Array("completion".utf8), sessionId: sid, routingHeader: header)
        #expect(try client.open(reply, routingHeader: header) == Array("completion".utf8))
    }

    @Test func tamperedTruncatedMisroutedAndReplayedAreRejected() throws {
        let client = try ClientSealSession(frontendPublicKey: frontendKey.publicKey)
        let frontend = FrontendSealSessions(staticKey: frontendKey)
        let sealed = try client.seal(Array("hello".utf8), routingHeader: header)
        var tampered = sealed; tampered[tampered.count - 3] ^= 1
        #expect(throws: SealError(.authenticationFailed, "request failed AES-256-GCM authentication (tampered, truncated or misrouted)")) {
            try frontend.open(tampered, routingHeader: header)
        }
        #expect(throws: SealError.self) { try frontend.open(Array(sealed.prefix(30)), routingHeader: header) }
        #expect(throws: SealError.self) { try frontend.open(Array(sealed.dropLast(5)), routingHeader: header) }
        #expect(throws: SealError.self) { try frontend.open(sealed, routingHeader: Array("another destination".utf8)) }
        _ = try frontend.open(sealed, routingHeader: header)
        do { _ = try frontend.open(sealed, routingHeader: header); Issue.record("replay accepted") } catch {
            #expect(error.kind == .replayed)
        }
    }

    @Test func aSealForAnotherFrontendDoesNotOpen() throws {
        let other = try X25519PrivateKey()
        let client = try ClientSealSession(frontendPublicKey: other.publicKey)
        let sealed = try client.seal([1, 2, 3], routingHeader: header)
        #expect(throws: SealError.self) { try FrontendSealSessions(staticKey: frontendKey).open(sealed, routingHeader: header) }
    }

    @Test func noncesNeverRepeat() throws {
        let client = try ClientSealSession(frontendPublicKey: frontendKey.publicKey)
        var counters = Set<UInt64>()
        for _ in 0..<500 {
            let s = try SealedBody.decode(try client.seal([0], routingHeader: header))
            #expect(counters.insert(s.counter).inserted)
            #expect(s.sessionId == client.sessionId && s.ephemeralPublicKey == client.ephemeralPublicKey && s.ciphertext.count == 17)
        }
    }

    @Test func replayWindowAcceptsOutOfOrderOnceAndRejectsOld() {
        var w = ReplayWindow()
        let results = [w.accept(5), w.accept(3), w.accept(3), w.accept(5), w.accept(5000), w.accept(5000 - ReplayWindow.size), w.accept(4999), w.accept(0)]
        #expect(results == [true, true, false, false, true, false, true, false])
    }

    @Test func sessionTableIsBounded() throws {
        let frontend = FrontendSealSessions(staticKey: frontendKey, capacity: 4)
        for _ in 0..<10 {
            let c = try ClientSealSession(frontendPublicKey: frontendKey.publicKey)
            _ = try frontend.open(try c.seal([1], routingHeader: header), routingHeader: header)
        }
        #expect(frontend.count == 4)
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for i in 0...(count - needle.count) where self[i..<i + needle.count].elementsEqual(needle) { return true }
        return false
    }
}
