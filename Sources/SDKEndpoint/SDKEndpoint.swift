// The SDK endpoint of a customer's client host: an HTTPS listener on loopback where an unchanged AWS SDK (boto3, the
// aws CLI) reaches bedrock-runtime and bedrock, as it would reach them through the PrivateLink endpoint's private
// DNS name from an instance in the VPC.
//
// Every HTTP request is carried exactly as received (method, raw path, query, headers, body) into the sealed
// envelope: the client does not re-sign, so the front end verifies the SDK's own SigV4 signature, and the PrivateLink
// endpoint still sees only ciphertext. The answer (status, headers, body) is written back; a streamed answer arrives
// as sealed pieces and each is written at once as an HTTP chunk. A connection that closes while its request is in
// flight cancels the request everywhere. Everything runs on the node's I/O thread (Node.watch); nothing blocks.
import Envelope
import EventStream
import HTTPWire
import NodeRuntime
import RoleKit
import TLSServer
#if canImport(Glibc)
import Glibc
#endif

public final class SDKEndpoint: ClientExternalSink {
    final class Connection {
        let transport: SDKTransport
        var parser: HTTPRequestParser
        var queued: [HTTPWire.HTTPRequest] = []
        /// The request being answered: its handle, request id, whether the connection stays open, and the stream state.
        var inflight: (handle: UInt64, requestId: String, keepAlive: Bool)?
        var streamHeadSent = false
        var closeAfterFlush = false
        var continueSent = false
        init(_ t: SDKTransport, limits: HTTPParserLimits) { transport = t; parser = HTTPRequestParser(limits: limits) }
    }

    public let port: UInt16
    public let secure: Bool
    private let listener: LoopbackListener
    private let context: TLSServerContext?
    private weak var role: ClientRole?
    private let node: Node
    private let region: String
    private let deadlineMs: UInt64
    private var connections: [Int32: Connection] = [:]
    private var byHandle: [UInt64: Int32] = [:]
    private var nextHandle: UInt64 = 1
    private let limits: HTTPParserLimits

    /// Starts listening when the node's settings name an SDK port (`sdkPort`; `sdkTLS` "0" for plain HTTP, else
    /// `sdkCertFile` / `sdkKeyFile`); returns nil when they do not.
    public static func install(node: Node, role: ClientRole) throws -> SDKEndpoint? {
        guard let p = node.me.settings["sdkPort"], let port = UInt16(p) else { return nil }
        let endpoint = try SDKEndpoint(node: node, role: role, port: port)
        role.externalSink = endpoint
        return endpoint
    }

    init(node: Node, role: ClientRole, port: UInt16) throws {
        self.node = node
        self.role = role
        region = node.manifest.region
        deadlineMs = UInt64(node.me.settings["sdkDeadlineMs"].flatMap { Int($0) } ?? 60_000)
        secure = node.me.settings["sdkTLS"] != "0"
        if secure {
            guard let certFile = node.me.settings["sdkCertFile"], let keyFile = node.me.settings["sdkKeyFile"] else {
                throw NodeStartupError("the SDK endpoint needs settings.sdkCertFile and settings.sdkKeyFile (or sdkTLS: 0)")
            }
            let cert = try String(contentsOfFile: certFile, encoding: .utf8)
            let key = try String(contentsOfFile: keyFile, encoding: .utf8)
            context = try TLSServerContext(identity: TLSServerIdentity(certificatePEM: cert, privateKeyPEM: key))
        } else {
            context = nil
        }
        var l = HTTPParserLimits()
        // The sealed request must fit the envelope's 6 MiB body with its headers.
        l.maxBodyBytes = 5 * 1024 * 1024
        limits = l
        listener = try LoopbackListener(port: port)
        self.port = listener.port
        node.watch(fd: listener.fd, events: .readable) { [unowned self] _ in self.acceptAll() }
        node.log("SDK endpoint listening on \(secure ? "https" : "http")://127.0.0.1:\(self.port)\(secure ? " (TLS 1.2+)" : " (plain HTTP: aws:SecureTransport is false)")")
    }

    // MARK: connections

    private func acceptAll() {
        var budget = 64
        while budget > 0, let fd = listener.accept() {
            budget -= 1
            let transport: SDKTransport
            if let context {
                guard let tls = try? TLSConnection(context: context, fd: fd) else { _ = Glibc.close(fd); continue }
                transport = TLSTransport(tls)
            } else {
                transport = PlainTransport(fd: fd)
            }
            let c = Connection(transport, limits: limits)
            connections[fd] = c
            node.watch(fd: fd, events: transport.pollInterest) { [unowned self] _ in self.service(fd) }
        }
    }

    private func service(_ fd: Int32) {
        guard let c = connections[fd] else { return }
        let t = c.transport
        if !t.handshakeDone {
            switch t.handshake() {
            case .done:
                break
            case .wouldBlock:
                node.updateWatch(fd: fd, events: t.pollInterest)
                return
            case .closed:
                drop(c, reason: nil)
                return
            case .failed(let why):
                // e.g. a TLS 1.1 client: "unsupported protocol". Logged and traced; the listener stays up.
                var r = TraceRecord(event: .refused)
                r.decision = "deny"; r.reason = "SDK endpoint TLS handshake refused: \(why)"
                r.details = [("gate", "sdk-tls")]
                node.trace(r)
                node.log("SDK endpoint: TLS handshake refused: \(why)")
                drop(c, reason: nil)
                return
            }
        }
        reading: while !c.closeAfterFlush {
            switch t.read() {
            case .data(let bytes):
                c.parser.append(bytes)
                do {
                    while let request = try c.parser.next() {
                        c.queued.append(request)
                        c.continueSent = false
                    }
                    if let head = c.parser.pendingHead, !c.continueSent,
                       head.headers["Expect"]?.lowercased() == "100-continue" {
                        c.continueSent = true
                        t.queue(HTTPResponseWriter.continueResponse)
                    }
                } catch {
                    // Malformed framing: answer once with the 400-class status and close this connection only.
                    var r = TraceRecord(event: .rejected)
                    r.decision = "reject"; r.reason = "SDK endpoint: malformed HTTP request: \(error.description)"
                    r.details = [("gate", "sdk-http"), ("httpStatus", String(error.status))]
                    node.trace(r)
                    c.queued.removeAll()
                    if c.inflight == nil { t.queue(HTTPResponseWriter.parseErrorResponse(error, requestId: SimIds.uuid())) }
                    c.closeAfterFlush = true
                    break reading
                }
            case .wouldBlock:
                break reading
            case .closed:
                drop(c, reason: "the SDK closed the connection")
                return
            case .failed(let why):
                drop(c, reason: "connection failed: \(why)")
                return
            }
        }
        dispatchNext(c)
        finishIO(c)
    }

    /// Flushes, closes when done and asked to, and sets the poll interest.
    private func finishIO(_ c: Connection) {
        let t = c.transport
        switch t.flush() {
        case .done:
            if c.closeAfterFlush && c.inflight == nil { drop(c, reason: nil); return }
        case .wouldBlock:
            break
        case .closed:
            drop(c, reason: "the SDK closed the connection"); return
        case .failed(let why):
            drop(c, reason: "write failed: \(why)"); return
        }
        node.updateWatch(fd: t.fd, events: t.pollInterest)
    }

    private func drop(_ c: Connection, reason: String?) {
        let fd = c.transport.fd
        node.unwatch(fd: fd)
        connections[fd] = nil
        if let inflight = c.inflight {
            byHandle[inflight.handle] = nil
            role?.cancel(requestId: inflight.requestId, node: node)
            node.log("SDK connection closed with request \(inflight.requestId) in flight (\(reason ?? "closed")): cancelled")
        }
        c.inflight = nil
        c.transport.close()
    }

    // MARK: requests

    private func dispatchNext(_ c: Connection) {
        guard c.inflight == nil, !c.queued.isEmpty, let role else { return }
        let request = c.queued.removeFirst()
        let sealed = SealedRequest(method: request.method, path: request.path, query: request.query,
                                   headers: request.headers.map { SealedHeader($0.name, $0.value) }, body: request.body)
        var claims: StringPairs = ["secureTransport": c.transport.isSecure ? "true" : "false"]
        if let key = SDKEndpoint.accessKeyId(authorization: request.headers["Authorization"]) { claims["accessKeyId"] = key }
        if let (action, resource) = ClientAuthorization.classify(sealed, region: region), resource.utf8.count <= 500 {
            claims["action"] = action
            claims["resource"] = resource
        }
        let handle = nextHandle
        nextHandle += 1
        byHandle[handle] = c.transport.fd
        c.inflight = (handle, "", request.keepAlive)
        c.streamHeadSent = false
        var r = TraceRecord(event: .decision)
        r.decision = "sdk-request"
        r.reason = "\(request.method) \(request.path) from the SDK over \(c.transport.protocolVersion ?? (c.transport.isSecure ? "TLS" : "plain HTTP")), forwarded as received (the SDK's own SigV4 signature)"
        let requestId = role.sendExternal(sealed, claims: claims, deadlineMs: deadlineMs, handle: handle, node: node)
        if c.inflight?.handle == handle { c.inflight?.requestId = requestId }
        r.requestId = requestId
        node.trace(r)
    }

    /// The access key id in `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, …`.
    static func accessKeyId(authorization: String?) -> String? {
        guard let a = authorization else { return nil }
        let marker = Array("Credential=".utf8)
        let bytes = Array(a.utf8)
        guard bytes.count > marker.count,
              let at = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) }) else { return nil }
        let rest = bytes[(at + marker.count)...]
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return nil }
        let key = String(decoding: rest[..<slash], as: UTF8.self)
        return key.isEmpty || key.utf8.count > 128 ? nil : key
    }

    // MARK: answers (ClientExternalSink)

    public func clientResponse(handle: UInt64, requestId: String, result: Result<SealedResponse, BedrockError>, node: Node) {
        guard let fd = byHandle.removeValue(forKey: handle), let c = connections[fd], let inflight = c.inflight, inflight.handle == handle else { return }
        let t = c.transport
        if c.streamHeadSent {
            switch result {
            case .success(let response):
                t.queue(HTTPResponseWriter.chunk(response.body))
            case .failure(let err):
                // A failure after the stream began is an exception event, as the service sends one mid-stream.
                if let bytes = try? BedrockEvents.exception(err.errorType, message: err.message).encoded() { t.queue(HTTPResponseWriter.chunk(bytes)) }
            }
            t.queue(HTTPResponseWriter.lastChunk)
        } else {
            let response: SealedResponse
            switch result {
            case .success(let r): response = r
            case .failure(let err): response = err.httpResponse(requestId: requestId)
            }
            var headers = SDKEndpoint.headers(response, requestId: requestId)
            if !inflight.keepAlive { headers.set("Connection", "close") }
            t.queue(HTTPResponseWriter.serialize(status: response.status, headers: headers, body: response.body))
        }
        c.inflight = nil
        c.streamHeadSent = false
        if !inflight.keepAlive { c.closeAfterFlush = true }
        dispatchNext(c)
        finishIO(c)
    }

    public func clientStreamChunk(handle: UInt64, requestId: String, plaintext: [UInt8], node: Node) {
        guard let fd = byHandle[handle], let c = connections[fd], c.inflight?.handle == handle else { return }
        let t = c.transport
        if !c.streamHeadSent {
            guard let head = try? SealedResponse.decode(plaintext) else { return }
            var headers = SDKEndpoint.headers(head, requestId: requestId)
            if c.inflight?.keepAlive == false { headers.set("Connection", "close") }
            t.queue(HTTPResponseWriter.chunkedHead(status: head.status, headers: headers) + HTTPResponseWriter.chunk(head.body))
            c.streamHeadSent = true
        } else {
            t.queue(HTTPResponseWriter.chunk(plaintext))
        }
        finishIO(c)
    }

    static func headers(_ response: SealedResponse, requestId: String) -> HTTPHeaders {
        var h = HTTPHeaders()
        for header in response.headers {
            switch header.name.lowercased() {
            case "content-length", "transfer-encoding", "connection": continue
            default: h.add(header.name, header.value)
            }
        }
        if h["x-amzn-RequestId"] == nil { h.add("x-amzn-RequestId", requestId) }
        if h["Date"] == nil { h.add("Date", SDKEndpoint.httpDate()) }
        return h
    }

    static func httpDate() -> String {
        var t = time(nil)
        var tmv = tm()
        gmtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%a, %d %b %Y %H:%M:%S GMT", &tmv)
        return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
