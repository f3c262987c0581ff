// The transport's security properties, in-process over loopback TCP: CURVE with a ZAP allow-list admits exactly the
// listed keys, and a CURVE server whose ZAP handler is missing fails closed.
import Foundation
import Testing
import ZMQ

/// Connects a CURVE client and reports whether the server accepted its handshake (monitor events).
func handshake(context: Context, endpoint: String, serverPublicKey: String, client: (publicKey: String, secretKey: String),
               serve: (() -> Void)? = nil) throws -> Bool? {
    let s = try Socket(context: context, type: .dealer)
    defer { s.close() }
    try s.makeCurveClient(serverPublicKey: serverPublicKey, publicKey: client.publicKey, secretKey: client.secretKey)
    let monitorEndpoint = "inproc://m-\(UInt32.random(in: 0...UInt32.max))"
    try s.monitor(endpoint: monitorEndpoint, events: MonitorEvent.mask)
    let m = try Socket(context: context, type: .pair)
    defer { m.close() }
    try m.connect(monitorEndpoint)
    try s.connect(endpoint)
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        serve?()
        guard (try? Poller.poll([.socket(m)], timeoutMs: 20))?.first == true, let msg = try? m.receive(),
              let (event, _) = MonitorEvent.decode(msg) else { continue }
        switch event {
        case .handshakeSucceeded: return true
        case .handshakeFailedAuth, .handshakeFailedNoDetail: return false
        default: continue
        }
    }
    return nil
}

@Suite("ZAP allow-lists", .serialized)
struct ZAPTests {
    @Test func aCurveServerWithoutAZAPHandlerFailsClosed() throws {
        let context = try Context()
        defer { context.terminate() }
        let server = try ZMQ.curveKeypair()
        let s = try Socket(context: context, type: .router)
        defer { s.close() }
        try s.makeCurveServer(secretKey: server.secretKey, zapDomain: "service")   // no handler bound in this context
        try s.bind("tcp://127.0.0.1:*")
        let accepted = try handshake(context: context, endpoint: s.lastEndpoint, serverPublicKey: server.publicKey, client: try ZMQ.curveKeypair())
        #expect(accepted == false, "a CURVE server with no ZAP handler admitted a client")
    }

    @Test func theZAPHandlerAdmitsListedKeysAndRefusesOthers() throws {
        let context = try Context()
        defer { context.terminate() }
        let zap = try Socket(context: context, type: .router)
        defer { zap.close() }
        try zap.bind(ZAPRequest.endpoint)
        let server = try ZMQ.curveKeypair()
        let allowed = try ZMQ.curveKeypair(), stranger = try ZMQ.curveKeypair()
        let s = try Socket(context: context, type: .router)
        defer { s.close() }
        try s.makeCurveServer(secretKey: server.secretKey, zapDomain: "service")
        try s.bind("tcp://127.0.0.1:*")
        var seen: [String] = []
        let serve = {
            while let m = try? zap.receive(dontWait: true), let req = ZAPRequest.parse(m) {
                let ok = req.clientPublicKey == allowed.publicKey && req.domain == "service"
                seen.append(req.clientPublicKey ?? "")
                try? zap.send(req.reply(status: ok ? 200 : 400, text: ok ? "OK" : "no", userId: ok ? "peer" : ""))
            }
        }
        #expect(try handshake(context: context, endpoint: s.lastEndpoint, serverPublicKey: server.publicKey, client: allowed, serve: serve) == true)
        #expect(try handshake(context: context, endpoint: s.lastEndpoint, serverPublicKey: server.publicKey, client: stranger, serve: serve) == false)
        #expect(seen.contains(allowed.publicKey) && seen.contains(stranger.publicKey))
    }

    @Test func z85EncodingMatchesTheRFC32Vector() {
        // ZeroMQ RFC 32 (Z85): the 8 bytes 86 4F D2 6F B5 59 F7 5B encode to "HelloWorld".
        #expect(ZMQ.z85Encode([0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]) == "HelloWorld")
        #expect(ZMQ.z85Encode([1, 2, 3]) == nil)
    }
}
