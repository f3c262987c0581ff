@testable import Envelope
import Testing

@Suite("Claims and stamps (StringPairs)")
struct StringPairsTests {
    /// Whatever order pairs are set in, they are kept sorted by key (the wire order) and behave as a dictionary.
    @Test func pairsBehaveAsADictionaryKeptInKeyOrder() {
        var g = SystemRandomNumberGenerator()
        let keys = ["vpceId", "vpcId", "vpceAccount", "accessKeyId", "action", "resource", "secureTransport", "a", "", "Z"]
        for _ in 0..<500 {
            var pairs = StringPairs()
            var reference: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...20, using: &g) {
                let k = keys.randomElement(using: &g)!
                let v: String? = Int.random(in: 0..<4, using: &g) == 0 ? nil : String(Int.random(in: 0..<100, using: &g))
                pairs[k] = v; reference[k] = v
            }
            #expect(pairs.dictionary == reference && pairs.count == reference.count)
            #expect(pairs.map(\.key) == reference.keys.sorted())
            for k in keys { #expect(pairs[k] == reference[k]) }
            #expect(StringPairs(reference) == pairs)
        }
    }

    /// Pairs read from a frame: in order they are appended; out of order or repeated they are placed as a
    /// dictionary would hold them (the last value of a repeated key wins), so a crafted frame cannot smuggle a
    /// second value past a lookup.
    @Test func decodedPairsOutOfOrderOrRepeatedAreNormalised() throws {
        var p = StringPairs()
        p.appendDecoded("b", "1"); p.appendDecoded("a", "2"); p.appendDecoded("b", "3"); p.appendDecoded("c", "4")
        #expect(p.elements.map(\.key) == ["a", "b", "c"] && p["b"] == "3" && p.count == 3)
        // The same through a frame: stamps written by hand out of order and with a repeated key.
        var e = Envelope(type: .invokeRequest, messageId: "m-1", requestId: "r-1", traceparent: "",
                         source: NodeAddress(node: "client-a", account: "111111111111"),
                         destination: NodeAddress(node: "runtime-frontend", account: "999999999999"), deadlineUnixMs: 1)
        e.body = [1, 2, 3]
        var w = ByteWriter()
        w.raw(e.routingHeader)
        w.u64(5)
        w.u8(3)
        for (k, v) in [("vpcId", "vpc-2"), ("vpceId", "vpce-1"), ("vpcId", "vpc-3")] { w.string(k); w.string(v) }
        w.u32(3); w.raw([1, 2, 3] as [UInt8])
        let (d, _) = try Envelope.decode(w.bytes)
        #expect(d.stamps.elements.map(\.key) == ["vpcId", "vpceId"] && d.stamps["vpcId"] == "vpc-3")
        #expect(d.lamport == 5 && d.body == [1, 2, 3])
    }

    /// A relay forwards a routing header exactly as received, even when its claims are out of key order (the
    /// decoded envelope holds them normalised): the forwarded frame is the received one, and nothing traps.
    @Test func aRelayForwardsAReceivedHeaderAsItCame() throws {
        var e = Envelope(type: .invokeRequest, messageId: "m-1", requestId: "r-1", traceparent: "",
                         source: NodeAddress(node: "client-a", account: "111111111111"),
                         destination: NodeAddress(node: "runtime-frontend", account: "999999999999"), deadlineUnixMs: 1,
                         lamport: 3, body: [1, 2, 3])
        e.claims = ["a": "1", "b": "2"]
        let sorted: [UInt8] = [0, 1, 0x61, 0, 1, 0x31, 0, 1, 0x62, 0, 1, 0x32], swapped: [UInt8] = [0, 1, 0x62, 0, 1, 0x32, 0, 1, 0x61, 0, 1, 0x31]
        var frame = e.encode()
        let at = try #require((0...(frame.count - sorted.count)).first { Array(frame[$0..<($0 + sorted.count)]) == sorted })
        frame.replaceSubrange(at..<(at + sorted.count), with: swapped)
        let (d, header) = try Envelope.decode(frame)
        #expect(d.claims.elements.map(\.key) == ["a", "b"] && header != d.routingHeader)
        #expect(d.encode(routingHeader: header) == frame)
    }
}
