// bedrock-client: a customer workload in the customer's VPC, and the request injector that bedrock-sim drives.
//
// It builds the HTTP request the AWS SDK would send to bedrock-runtime (POST /model/{modelId}/invoke), seals it end
// to end for the front end, and sends it through its VPC's PrivateLink endpoint. Operator commands on the control
// socket: `invoke` (one call, answered with the response) and `bench` (a closed loop of calls with a window of
// requests in flight, answered with every latency).
import Envelope
import NodeRuntime
import SimCrypto

public final class ClientRole: NodeRole {
    enum Origin {
        case invoke(ControlRequest)
        case bench
        /// A request from the SDK endpoint (SDKEndpoint target), answered through `externalSink`.
        case external(UInt64)
    }
    struct Pending {
        let origin: Origin
        let requestId: String
        let sentNs: UInt64
        let token: UInt64
    }
    /// Receives the answers to requests sent with `sendExternal` (the SDK endpoint).
    public var externalSink: ClientExternalSink?
    /// A class, so recording a completion does not copy the latency arrays.
    final class Bench {
        let request: ControlRequest
        let total: Int
        let window: Int
        let modelId: String
        let body: [UInt8]
        let deadlineMs: UInt64
        var sent = 0
        var done = 0
        var errors: [String: Int] = [:]
        var latenciesNs: [UInt64] = []
        /// Time to every answer, success or error (the kill -9 test checks each ends within its deadline).
        var endNs: [UInt64] = []
        var startedNs: UInt64 = 0
        init(request: ControlRequest, total: Int, window: Int, modelId: String, body: [UInt8], deadlineMs: UInt64) {
            self.request = request; self.total = total; self.window = window; self.modelId = modelId; self.body = body
            self.deadlineMs = deadlineMs
        }
    }

    private let endpoint: String
    private let frontend: NodeAddress
    private let session: ClientSealSession
    private var pending: [String: Pending] = [:]        // by request message id
    /// Decodes answers reusing the Strings of headers that repeat from call to call.
    private let decoder = EnvelopeDecoder()
    private var timers: [UInt64: String] = [:]
    private var nextToken: UInt64 = 1
    private var bench: Bench?
    /// Request ids and trace ids from counters (unique per run, no random call per request).
    private var requestIds = UUIDGenerator()
    private let traceIdPrefix = SimIds.hex(SecureRandom.bytes(8))
    private var traceCounter: UInt64 = 0
    /// Hook for request signing (authorization issue): adds SigV4 headers to the request before sealing.
    public var signer: ((inout HTTPRequest, [String: String]) -> Void)?
    /// Claims sent in the clear (AAD-bound) for the endpoint policy, e.g. the access key id.
    public var claimsProvider: (([String: String]) -> StringPairs)?
    /// Extra operator commands (e.g. the `aws` command of the README section "Fine-tuning, provisioned throughput, customer KMS and S3"): returns true when it handled one.
    public var extraControl: ((ControlRequest, Node) -> Bool)?
    /// Answers on links other than the runtime path (e.g. from the account's kms and s3 nodes): true when consumed.
    public var extraReceive: ((Envelope, String, Node) -> Bool)?
    /// Timers of the extra handlers (tokens they own): true when consumed.
    public var extraTimer: ((UInt64, Node) -> Bool)?
    public static let defaultDeadlineMs: UInt64 = 30_000
    /// The client gives the service this long past the deadline before it gives up on an answer.
    public static let graceMs: Double = 2_000

    public init(node: Node) throws {
        guard let endpoint = node.me.settings["endpoint"], let fe = node.me.settings["frontend"],
              let feNode = node.manifest.node(named: fe), let keyHex = feNode.settings["e2ePublicKey"],
              let key = bytes(fromHex: keyHex) else {
            throw NodeStartupError("bedrock-client needs settings.endpoint, settings.frontend and the front end's e2ePublicKey")
        }
        self.endpoint = endpoint
        frontend = NodeAddress(node: fe, account: feNode.accountId)
        session = try ClientSealSession(frontendPublicKey: key)
        let region = node.manifest.region
        fixed = (runtimeHost: "bedrock-runtime.\(region).amazonaws.com", controlHost: "bedrock.\(region).amazonaws.com",
                 userAgent: "bedrock-sim-client/1.0 (\(node.me.name))")
    }

    public func start(node: Node) {
        node.log("reaching bedrock-runtime through \(endpoint); end-to-end session with \(frontend.node)")
    }

    // MARK: control

    public func control(_ request: ControlRequest, node: Node) {
        let args = (try? JSONValue.parse(request.body)) ?? .object([:])
        switch request.command {
        case "invoke":
            // A runtime call names a model; any other API call (control plane, ApplyGuardrail) gives method and path.
            let modelId = args["modelId"]?.stringValue ?? ""
            let body = args["body"]?.stringValue ?? ""
            guard !modelId.isEmpty || args["path"]?.stringValue != nil else {
                node.replyControl(request, json: ["error": "invoke needs modelId (or method and path)"])
                return
            }
            var headers: [String: String] = [:]
            if case .object(let h)? = args["headers"] { for (k, v) in h { if let s = v.stringValue { headers[k] = s } } }
            let deadline = UInt64(args["deadlineMs"]?.intValue ?? Int(ClientRole.defaultDeadlineMs))
            var options: [String: String] = [:]
            if case .object(let o)? = args["options"] { for (k, v) in o { if let s = v.stringValue { options[k] = s } } }
            send(modelId: modelId, body: Array(body.utf8), headers: headers, path: args["path"]?.stringValue,
                 method: args["method"]?.stringValue ?? "POST", deadlineMs: deadline, options: options, origin: .invoke(request), node: node)
        case "bench":
            guard bench == nil else { node.replyControl(request, json: ["error": "a benchmark is already running"]); return }
            let total = max(1, args["count"]?.intValue ?? 1000)
            let window = max(1, min(1024, args["window"]?.intValue ?? 1))
            let modelId = args["modelId"]?.stringValue ?? "amazon.titan-text-express-v1"
            let body = Array((args["body"]?.stringValue ?? #"{"inputText":"hello"}"#).utf8)
            let deadline = UInt64(max(1, args["deadlineMs"]?.intValue ?? Int(ClientRole.defaultDeadlineMs)))
            let b = Bench(request: request, total: total, window: window, modelId: modelId, body: body, deadlineMs: deadline)
            b.latenciesNs.reserveCapacity(total)
            b.startedNs = SimClock.monotonicNanoseconds()
            bench = b
            pumpBench(node: node)
        default:
            if extraControl?(request, node) == true { return }
            node.replyControl(request, json: ["error": "unknown command '\(request.command)' for bedrock-client"])
        }
    }

    static let runtimePrefixes = ["/model/", "/guardrail/", "/guardrail-checks", "/async-invoke"]
    /// Header values that are the same on every call of this node.
    private let fixed: (runtimeHost: String, controlHost: String, userAgent: String)

    /// `/model/{modelId}/invoke` per model id (the same few on every call).
    private var invokePaths = BoundedCache<String, String>(limit: 1024)
    private func invokePath(_ modelId: String) -> String {
        invokePaths.value(for: modelId) { "/model/\(RuntimeRouter.percentEncodeSegment(modelId))/invoke" }
    }

    private func pumpBench(node: Node) {
        while let b = bench, b.sent < b.total, b.sent - b.done < b.window {
            b.sent += 1
            _ = send(modelId: b.modelId, body: b.body, headers: [:], path: nil, deadlineMs: b.deadlineMs,
                     options: [:], origin: .bench, node: node)
        }
    }

    // MARK: sending

    /// Builds, signs, seals and sends one runtime call. Returns its request id.
    @discardableResult
    func send(modelId: String, body: [UInt8], headers: [String: String], path: String?, method: String = "POST", deadlineMs: UInt64,
              options: [String: String], origin: Origin, node: Node) -> String? {
        let requestId = requestIds.next()
        let target = path ?? invokePath(modelId)
        var http = HTTPRequest(method: method, path: target, body: body)
        http.headers.reserveCapacity(headers.count + 8)   // the four below and the signature's
        // Runtime paths go to bedrock-runtime, everything else to the control plane (both sign as "bedrock").
        let runtime = ClientRole.runtimePrefixes.contains { target.utf8.starts(with: $0.utf8) }
        http.headers.append(HTTPHeader("Host", runtime ? fixed.runtimeHost : fixed.controlHost))
        if !body.isEmpty || method == "POST" || method == "PUT" { http.headers.append(HTTPHeader("Content-Type", "application/json")) }
        http.headers.append(HTTPHeader("Accept", "application/json"))
        http.headers.append(HTTPHeader("User-Agent", fixed.userAgent))
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { http.setHeader(k, v) }
        signer?(&http, options)
        return transmit(http, claims: claimsProvider?(options), requestId: requestId, deadlineMs: deadlineMs, options: options,
                        origin: origin, node: node)
    }

    /// Sends an HTTP request exactly as given (already signed by the SDK that sent it: no re-signing) sealed for the
    /// front end. `handle` comes back with the answer through `externalSink`. Returns the request id.
    @discardableResult
    public func sendExternal(_ http: HTTPRequest, claims: StringPairs, deadlineMs: UInt64, handle: UInt64, node: Node) -> String {
        let requestId = requestIds.next()
        transmit(http, claims: claims, requestId: requestId, deadlineMs: deadlineMs, options: [:], origin: .external(handle), node: node)
        return requestId
    }

    /// The caller of `requestId` went away: forget it and tell the front end (sealed, so only this session can
    /// cancel its own request), which frees it at the model host too.
    public func cancel(requestId: String, node: Node) {
        guard let (messageId, p) = pending.first(where: { $0.value.requestId == requestId }) else { return }
        pending[messageId] = nil
        timers[p.token] = nil
        var e = Envelope(
            type: .cancel, messageId: node.ids.next(), inReplyTo: messageId, requestId: requestId, traceparent: SimIds.traceparent(),
            source: node.address, destination: frontend, deadlineUnixMs: SimClock.unixMilliseconds() + 5000)
        guard let sealed = try? session.seal([], routingHeader: e.routingHeader) else { return }
        e.body = sealed
        var r = TraceRecord(event: .decision)
        r.messageId = messageId; r.requestId = requestId; r.decision = "cancel"; r.reason = "the SDK connection closed before the answer ended"
        node.trace(r)
        node.send(e, to: endpoint, link: .upstream(endpoint))
    }

    /// A W3C traceparent per call, from a counter (no random call per request): "00-" + the 16 random hex digits
    /// and the counter as 16 hex digits (the trace id) + "-" + the random digits again (the parent id) + "-01",
    /// written into one 55-byte String.
    private func nextTraceparent() -> String {
        traceCounter &+= 1
        let counter = traceCounter
        let prefix = traceIdPrefix.utf8
        return String(unsafeUninitializedCapacity: 55) { out in
            var i = 0
            func put(_ b: UInt8) { out[i] = b; i += 1 }
            put(UInt8(ascii: "0")); put(UInt8(ascii: "0")); put(UInt8(ascii: "-"))
            for b in prefix { put(b) }
            for shift in stride(from: 60, through: 0, by: -4) {
                put(SimIds.hexDigit(UInt8(truncatingIfNeeded: (counter >> UInt64(shift)) & 15)))
            }
            put(UInt8(ascii: "-"))
            for b in prefix { put(b) }
            put(UInt8(ascii: "-")); put(UInt8(ascii: "0")); put(UInt8(ascii: "1"))
            return i
        }
    }

    @discardableResult
    private func transmit(_ http: HTTPRequest, claims: StringPairs?, requestId: String, deadlineMs: UInt64, options: [String: String],
                          origin: Origin, node: Node) -> String? {
        var e = Envelope(
            type: .invokeRequest, messageId: node.ids.next(), requestId: requestId, traceparent: nextTraceparent(),
            source: node.address, destination: frontend, deadlineUnixMs: SimClock.unixMilliseconds() + deadlineMs)
        if let claims { e.claims = claims }
        if let wrong = options["misroute"] {  // red-team knob: address the sealed request to another node
            e.destination = NodeAddress(node: wrong, account: node.peerAccount(wrong))
        }
        let header = e.routingHeader
        do {
            e.body = try session.seal(http.encode(), routingHeader: header)
        } catch {
            complete(origin, requestId: requestId, result: .failure(.internalFailure("cannot seal: \(error)")), node: node)
            return nil
        }
        if options["tamper"] == "body" { e.body[e.body.count / 2] ^= 0x01 }        // red-team knobs for tests
        if options["tamper"] == "truncate" { e.body.removeLast(e.body.count / 2) }
        let token = nextToken; nextToken += 1
        pending[e.messageId] = Pending(origin: origin, requestId: requestId, sentNs: SimClock.monotonicNanoseconds(), token: token)
        timers[token] = e.messageId
        node.schedule(afterMs: Double(deadlineMs) + ClientRole.graceMs, token: token)
        if !node.send(e, to: endpoint, link: .upstream(endpoint), routingHeader: header) {
            pending[e.messageId] = nil
            timers[token] = nil
            complete(origin, requestId: requestId, result: .failure(BedrockError("ServiceUnavailableException", 503,
                "Could not connect to the endpoint URL: the PrivateLink endpoint \(endpoint) is not reachable.")), node: node)
            return requestId
        }
        if options["replay"] == "1" {  // send the identical sealed frame again: the front end must reject it
            node.send(e, to: endpoint, link: .upstream(endpoint))
        }
        return requestId
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        if peer != endpoint, extraReceive?(envelope, peer, node) == true { return }
        if envelope.type == .streamChunk {
            receiveChunk(envelope, routingHeader: routingHeader, from: peer, node: node)
            return
        }
        guard let p = pending.removeValue(forKey: envelope.inReplyTo) else {
            var r = TraceRecord(event: .rejected)
            r.peer = peer; r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "drop"
            r.reason = "answer to no pending request (late, duplicate or replayed)"
            node.trace(r)
            return
        }
        timers[p.token] = nil
        switch envelope.type {
        case .invokeResponse:
            do {
                let plain = try session.open(envelope.body, routingHeader: routingHeader)
                let response = try decoder.response(plain)
                complete(p.origin, requestId: p.requestId, result: .success(response), sentNs: p.sentNs, node: node)
            } catch {
                var r = TraceRecord(event: .rejected)
                r.peer = peer; r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "reject"
                r.reason = "response failed end-to-end verification: \(error)"
                node.trace(r)
                complete(p.origin, requestId: p.requestId, result: .failure(.internalFailure("The response failed end-to-end verification.")), sentNs: p.sentNs, node: node)
            }
        case .error:
            let b = (try? ErrorBody.decode(envelope.body)) ?? ErrorBody(errorType: "InternalServerException", message: "malformed error", httpStatus: 500)
            complete(p.origin, requestId: p.requestId, result: .failure(BedrockError(b.errorType, b.httpStatus, b.message)), sentNs: p.sentNs, node: node)
        default:
            complete(p.origin, requestId: p.requestId, result: .failure(.internalFailure("unexpected \(envelope.type)")), sentNs: p.sentNs, node: node)
        }
    }

    /// One piece of a streamed answer: handed to the SDK endpoint as it arrives (the request stays pending).
    private func receiveChunk(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, node: Node) {
        guard let p = pending[envelope.inReplyTo], case .external(let handle) = p.origin else {
            var r = TraceRecord(event: .rejected)
            r.peer = peer; r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "drop"
            r.reason = "stream chunk for no pending streamed request"
            node.trace(r)
            return
        }
        do {
            let plain = try session.open(envelope.body, routingHeader: routingHeader)
            externalSink?.clientStreamChunk(handle: handle, requestId: p.requestId, plaintext: plain, node: node)
        } catch {
            pending[envelope.inReplyTo] = nil
            timers[p.token] = nil
            var r = TraceRecord(event: .rejected)
            r.peer = peer; r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "reject"
            r.reason = "stream chunk failed end-to-end verification: \(error)"
            node.trace(r)
            complete(p.origin, requestId: p.requestId, result: .failure(.internalFailure("The response failed end-to-end verification.")), node: node)
        }
    }

    public func timerFired(_ token: UInt64, node: Node) {
        if extraTimer?(token, node) == true { return }
        guard let messageId = timers.removeValue(forKey: token), let p = pending.removeValue(forKey: messageId) else { return }
        var r = TraceRecord(event: .decision)
        r.messageId = messageId; r.requestId = p.requestId; r.decision = "timeout"; r.reason = "no answer within the deadline"
        node.trace(r)
        complete(p.origin, requestId: p.requestId, result: .failure(BedrockError("ModelTimeoutException", 408,
            "No response was received within the request deadline.")), sentNs: p.sentNs, node: node)
    }

    private func complete(_ origin: Origin, requestId: String, result: Result<HTTPResponse, BedrockError>, sentNs: UInt64 = 0, node: Node) {
        switch origin {
        case .external(let handle):
            externalSink?.clientResponse(handle: handle, requestId: requestId, result: result, node: node)
        case .invoke(let request):
            var reply: [String: Any] = ["requestId": requestId]
            switch result {
            case .success(let response):
                if let err = BedrockError.from(response) {
                    reply["status"] = err.errorType; reply["httpStatus"] = err.httpStatus; reply["message"] = err.message
                } else {
                    reply["status"] = "ok"; reply["httpStatus"] = response.status
                }
                reply["body"] = String(decoding: response.body, as: UTF8.self)
                reply["headers"] = Dictionary(response.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
            case .failure(let err):
                reply["status"] = err.errorType; reply["httpStatus"] = err.httpStatus; reply["message"] = err.message
                reply["body"] = String(decoding: err.httpResponse(requestId: requestId).body, as: UTF8.self)
            }
            node.replyControl(request, json: reply)
        case .bench:
            guard let b = bench else { return }
            b.done += 1
            b.endNs.append(sentNs == 0 ? 0 : SimClock.monotonicNanoseconds() - sentNs)
            switch result {
            case .success(let r) where r.status == 200: b.latenciesNs.append(SimClock.monotonicNanoseconds() - sentNs)
            case .success(let r): b.errors[BedrockError.from(r)?.errorType ?? "HTTP\(r.status)", default: 0] += 1
            case .failure(let e): b.errors[e.errorType, default: 0] += 1
            }
            if b.done == b.total {
                let elapsed = SimClock.monotonicNanoseconds() - b.startedNs
                node.replyControl(b.request, json: [
                    "completed": b.done, "elapsedNs": Int(elapsed), "errors": b.errors,
                    "latenciesNs": b.latenciesNs.map { Int($0) }, "maxEndNs": Int(b.endNs.max() ?? 0),
                ])
                bench = nil
            } else {
                pumpBench(node: node)
            }
        }
    }
}


/// Where the client role delivers the answers to `sendExternal` requests (the SDK endpoint), on the I/O thread.
public protocol ClientExternalSink: AnyObject {
    /// The whole answer, or for a streamed answer its end (the last sealed piece, an HTTPResponse whose body holds
    /// the final bytes of the stream), or a failure.
    func clientResponse(handle: UInt64, requestId: String, result: Result<HTTPResponse, BedrockError>, node: Node)
    /// One sealed piece of a streamed answer, opened: the first is an encoded HTTPResponse (status, headers and the
    /// first bytes), the others raw body bytes.
    func clientStreamChunk(handle: UInt64, requestId: String, plaintext: [UInt8], node: Node)
}
