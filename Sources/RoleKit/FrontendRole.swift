// runtime-frontend: the Bedrock runtime API front end in the Bedrock service account.
//
// For each sealed request that a PrivateLink endpoint forwards it: checks the endpoint's stamp against the
// topology, opens the end-to-end seal, routes the HTTP request to an operation, runs the gates (the seam for SigV4,
// IAM, model access and guardrails), picks a live model host serving the model, forwards the model-native body,
// and seals the answer back to the client. It enforces each call's deadline, retries on another host when one
// dies, and writes one CloudTrail-shaped audit record per call. It keeps no prompt or completion: a pending call
// holds the request only until the host answers, and nothing with content is logged or traced.
import Envelope
import EventStream
import FoundationEssentials
import NodeRuntime
import SimCrypto

public final class FrontendRole: NodeRole {
    /// A call in flight. A class: it is looked up on every message of the call, and a struct would be copied
    /// (with every reference it holds retained) on each lookup.
    final class PendingCall {
        var call: FrontendCall
        let inbound: Envelope          // the client's request (ids, traceparent, deadline)
        let sessionId: SealSessionID
        let endpointPeer: String
        var host: String
        var modelMessageId: String
        var attempts: Int
        let startedNs: UInt64
        var timerToken: UInt64
        init(call: FrontendCall, inbound: Envelope, sessionId: SealSessionID, endpointPeer: String, host: String,
             modelMessageId: String, attempts: Int, startedNs: UInt64, timerToken: UInt64) {
            self.call = call; self.inbound = inbound; self.sessionId = sessionId; self.endpointPeer = endpointPeer
            self.host = host; self.modelMessageId = modelMessageId; self.attempts = attempts; self.startedNs = startedNs
            self.timerToken = timerToken
        }
        /// What goes to the model host: the native path ("invoke" or "invoke-with-response-stream"), body and Accept.
        var forwardAction = "invoke"
        var forwardBody: [UInt8] = []
        var forwardAccept: String?
        /// Set for InvokeModelWithResponseStream and ConverseStream.
        var stream: StreamState?
    }

    /// A streamed answer in progress: events go to the client as each native chunk arrives, except that with a
    /// stream filter (a guardrail) a window of events is held until its text has been assessed.
    final class StreamState {
        let translator: StreamTranslator
        let assessor: StreamTextAssessor?
        let filterName: String
        var headSent = false
        var chunks = 0
        var held: [UInt8] = []
        var unassessedCharacters = 0
        init(translator: StreamTranslator, assessor: StreamTextAssessor?, filterName: String) {
            self.translator = translator; self.assessor = assessor; self.filterName = filterName
        }
    }

    private let sessions: FrontendSealSessions
    private var gates: [FrontendGate]
    private let operations: [LocalOperation]
    private let responseFilters: [ResponseFilter]
    private let upstreamHandlers: [(Envelope, String, Node) -> Bool]
    private let timerHandlers: [(UInt64, Node) -> Bool]
    private let streamFilters: [StreamOutputFilter]
    private let audit: AuditTrail
    private var pending: [String: PendingCall] = [:]          // by requestId
    /// Decodes requests and model answers reusing the Strings of headers that repeat from call to call.
    private let decoder = EnvelopeDecoder()
    private var byModelMessage: [String: String] = [:]        // model-request message id -> requestId
    private var timerRequests: [UInt64: String] = [:]
    private var nextToken: UInt64 = 1
    private var hostsByModel: [String: [String]] = [:]
    /// The endpoint id the topology gives each PrivateLink endpoint node (checked against its stamp on every call).
    private var endpointIds: [String: String] = [:]
    private var roundRobin: [String: Int] = [:]
    private let region: String
    public static let maxAttempts = 3
    public static let maxPending = 10_000

    public init(node: Node, extensions: FrontendExtensions = FrontendExtensions()) throws {
        guard let keyFile = node.me.settings["e2eSecretKeyFile"] else { throw NodeStartupError("runtime-frontend needs settings.e2eSecretKeyFile") }
        let hex = try String(contentsOfFile: keyFile, encoding: .utf8).trimmedASCIIWhitespace
        guard let raw = bytes(fromHex: hex), raw.count == 32 else { throw NodeStartupError("\(keyFile): expected 64 hex characters") }
        sessions = FrontendSealSessions(staticKey: try X25519PrivateKey(rawRepresentation: raw))
        region = node.manifest.region
        audit = AuditTrail(runDirectory: node.manifest.runDirectory, region: region)
        let region = self.region
        gates = extensions.preGates + [ModelIdentifierGate(isKnown: { Catalog.lookup($0, region: region) != nil })] + extensions.gates
        operations = extensions.operations
        responseFilters = extensions.responseFilters
        upstreamHandlers = extensions.upstreamHandlers
        timerHandlers = extensions.timerHandlers
        streamFilters = extensions.streamFilters
        for n in node.manifest.nodes { if let id = n.settings["endpointId"] { endpointIds[n.name] = id } }
        for peer in node.me.connects {
            guard let host = node.manifest.node(named: peer) else { continue }
            for m in host.models { hostsByModel[m.id, default: []].append(peer) }
        }
    }

    public func start(node: Node) {
        // Audit records are written `auditFlushIntervalMs` after the first of them is buffered (a timer), or at the
        // end of a loop iteration once `auditFlushBytes` wait: under load a loop iteration handles about one call,
        // and a write per iteration was an ext4 append per call.
        let audit = self.audit
        node.iterationEndHandlers.append { if audit.pendingBytes >= FrontendRole.auditFlushBytes { audit.flush() } }
        node.log("serving \(hostsByModel.count) model(s) through \(node.me.connects.count) model host(s); gates: \(gates.map(\.name).joined(separator: ", "))")
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        switch (link, envelope.type) {
        case (.service, .invokeRequest): handleRequest(envelope, routingHeader: routingHeader, from: peer, node: node)
        case (.upstream(let host), .modelResponse): handleModelResponse(envelope, from: host, node: node)
        case (.upstream(let host), .awsResponse) where byModelMessage[envelope.inReplyTo] != nil:
            handleForwardedResponse(envelope, from: host, node: node)
        case (.upstream(let host), .streamChunk): handleStreamChunk(envelope, from: host, node: node)
        case (.service, .cancel): handleCancel(envelope, routingHeader: routingHeader, from: peer, node: node)
        case (.upstream(let host), .error) where byModelMessage[envelope.inReplyTo] != nil: handleHostError(envelope, from: host, node: node)
        case (.upstream(let peer), _) where upstreamHandlers.contains(where: { $0(envelope, peer, node) }): return
        case (.upstream(let host), .error): handleHostError(envelope, from: host, node: node)
        default:
            node.rejectUnexpected(envelope, from: peer)
        }
    }

    // MARK: requests

    /// Refuses a frame. Duplicates and replays are dropped without an answer (as a TLS record layer drops them):
    /// an answer would carry the original's message id and could end the genuine request.
    private func reject(_ envelope: Envelope, from peer: String, node: Node, kind: String, reason: String, error: BedrockError, answer: Bool = true) {
        var r = TraceRecord(event: .rejected)
        r.messageType = envelope.type.description; r.peer = peer; r.peerAccount = node.peerAccount(peer)
        r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "reject"; r.reason = reason
        r.details = [("check", kind), ("errorType", error.errorType)]
        node.trace(r)
        node.log("rejected \(envelope.messageId) from \(peer): \(reason)")
        guard answer else { return }
        node.answer(envelope, with: error, to: peer)
    }

    private func handleRequest(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, node: Node) {
        // Misrouted: sealed for another front end (the routing header is authenticated, so this is what the client meant).
        guard envelope.destination.node == node.me.name else {
            reject(envelope, from: peer, node: node, kind: "routing",
                   reason: "misrouted: addressed to \(envelope.destination), not \(node.address)",
                   error: .validation("The request was not addressed to this endpoint."))
            return
        }
        // The stamp must be the one the topology gives the endpoint node that forwarded it.
        let expectedVpce = endpointIds[peer]
        guard let stamped = envelope.stamps["vpceId"], stamped == expectedVpce else {
            reject(envelope, from: peer, node: node, kind: "endpoint-stamp",
                   reason: "endpoint stamp '\(envelope.stamps["vpceId"] ?? "none")' does not match \(peer)'s endpoint id '\(expectedVpce ?? "none")'",
                   error: .accessDenied("The request did not arrive through a recognised VPC endpoint."))
            return
        }
        guard pending.count < FrontendRole.maxPending else {
            reject(envelope, from: peer, node: node, kind: "capacity", reason: "\(pending.count) calls in flight", error: .throttling)
            return
        }
        guard pending[envelope.requestId] == nil else {
            reject(envelope, from: peer, node: node, kind: "duplicate", reason: "request id \(envelope.requestId) is already in flight",
                   error: .validation("Duplicate request id."), answer: false)
            return
        }
        let opened: (plaintext: [UInt8], sessionId: SealSessionID)
        do {
            opened = try sessions.open(envelope.body, routingHeader: routingHeader)
        } catch {
            reject(envelope, from: peer, node: node, kind: "e2e-seal", reason: "end-to-end seal rejected: \(error.description)",
                   error: .validation("The request could not be authenticated at the transport layer (\(error.kind.rawValue))."),
                   answer: error.kind != .replayed)
            return
        }
        let request: HTTPRequest
        do { request = try decoder.request(opened.plaintext) } catch {
            reject(envelope, from: peer, node: node, kind: "http", reason: "malformed sealed request: \(error.description)",
                   error: .validation("Malformed request: \(error.description)"))
            return
        }
        var call = FrontendCall(
            requestId: envelope.requestId, request: request, operationName: "Unknown", runtimeOperation: nil,
            iamAction: "", resourceArn: "*", modelId: "", sourceVpce: stamped, sourceVpc: envelope.stamps["vpcId"],
            sourceEndpointNode: peer, clientNode: envelope.source.node, clientAccount: envelope.source.account, claims: envelope.claims)
        // Route: a local operation (control plane, ApplyGuardrail ...) or a runtime operation on a model.
        var local: LocalOperation?
        // Runtime model paths never match a local operation: skip the path matching on the hot path (outside the
        // loop: a `where` clause is tested after each element, an existential, is copied out of the array).
        if !request.path.hasPrefix("/model/") {
            for op in operations {
                guard let params = op.match(method: request.method, path: request.path) else { continue }
                local = op
                call.pathParameters = params
                call.operationName = op.name
                let auth = op.authorization(for: call, region: region)
                call.iamAction = auth.action
                call.resourceArn = auth.resource
                op.annotate(&call)
                break
            }
        }
        if local == nil {
            switch RuntimeRouter.route(request) {
            case .success(let r):
                call.runtimeOperation = r.operation
                call.operationName = r.operation.rawValue
                call.modelId = r.modelId
                call.iamAction = r.operation.iamAction
                call.resourceArn = resourceArn(of: r.modelId)
            case .failure(let err):
                respondError(err, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node, reason: "routing")
                return
            }
        }
        // Passing gates are journaled together in one record (one line per call instead of one per gate); a gate
        // that denies or answers gets a record of its own naming it.
        // The reasons are gathered and their text is built once per distinct set (most calls repeat the last one).
        passReasons.removeAll(keepingCapacity: true)
        var passStart = 0
        func journalPassed() {
            guard !passReasons.isEmpty else { return }
            let (reason, details) = passedText(from: passStart)
            var g = TraceRecord(event: .decision)
            g.messageId = envelope.messageId; g.requestId = envelope.requestId; g.decision = "allow"
            g.reason = reason; g.details = details
            node.trace(g)
            passReasons.removeAll(keepingCapacity: true)
        }
        for (index, gate) in gates.enumerated() {
            let decision = gate.evaluate(&call, node: node)
            if case .pass(let reason) = decision {
                if passReasons.isEmpty { passStart = index }
                passReasons.append(reason)
                continue
            }
            var r = TraceRecord(event: .decision)
            r.messageId = envelope.messageId; r.requestId = envelope.requestId
            r.details = [("gate", gate.name), ("operation", call.operationName)]
            if !call.modelId.isEmpty { r.details.append(("modelId", call.modelId)) }
            journalPassed()
            switch decision {
            case .pass: break
            case .deny(let error, let reason):
                r.decision = "deny"; r.reason = reason; r.details.append(("errorType", error.errorType))
                node.trace(r)
                respondError(error, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node, reason: gate.name)
                return
            case .respond(var response, let reason):
                r.decision = "intervene"; r.reason = reason
                node.trace(r)
                if call.runtimeOperation == .invokeModelWithResponseStream || call.runtimeOperation == .converseStream, response.status == 200 {
                    response = FrontendRole.streamedAnswer(response, call: call, region: region)
                }
                if response.header("x-amzn-RequestId") == nil { response.headers.append(HTTPHeader("x-amzn-RequestId", call.requestId)) }
                sendSealed(response, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node,
                           error: nil, reason: gate.name)
                return
            }
        }
        journalPassed()
        if let op = local as? ForwardingOperation {
            switch op.forwardTarget(for: call, node: node) {
            case .failure(let err):
                respondError(err, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node, reason: op.name)
            case .success(let target):
                forward(call, to: target, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node)
            }
            return
        }
        if let op = local {
            var response: HTTPResponse
            do { response = try op.handle(call, node: node) } catch { response = error.httpResponse(requestId: call.requestId) }
            if response.header("x-amzn-RequestId") == nil { response.headers.append(HTTPHeader("x-amzn-RequestId", call.requestId)) }
            let err = BedrockError.from(response)
            sendSealed(response, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node,
                       error: err, reason: "served locally by \(op.name)")
            return
        }
        // What the model host gets: the native body (Converse is translated here), on the invoke or stream path.
        var forwardAction = "invoke"
        var forwardBody = call.request.body
        var forwardAccept = call.request.header("Accept")
        var stream: StreamState?
        switch call.runtimeOperation {
        case .countTokens?:
            switch RuntimeTranslation.countTokens(modelId: call.modelId, region: region, body: call.request.body) {
            case .success(let body):
                var response = HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json"),
                                                                   HTTPHeader("x-amzn-RequestId", call.requestId)], body: body)
                response.headers.append(HTTPHeader("X-Amzn-Bedrock-Invocation-Latency", "0"))
                sendSealed(response, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node,
                           error: nil, reason: "input tokens counted at the front end")
            case .failure(let err):
                respondError(err, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node, reason: "count-tokens")
            }
            return
        case .converse?, .converseStream?:
            switch RuntimeTranslation.converseToNative(modelId: call.modelId, region: region, body: call.request.body) {
            case .success(let native): forwardBody = native
            case .failure(let err):
                respondError(err, call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, node: node, reason: "converse")
                return
            }
            forwardAccept = "application/json"
        default: break
        }
        if call.runtimeOperation == .invokeModelWithResponseStream || call.runtimeOperation == .converseStream {
            forwardAction = "invoke-with-response-stream"
            if call.runtimeOperation == .invokeModelWithResponseStream { forwardAccept = call.request.header("X-Amzn-Bedrock-Accept") }
            var assessor: StreamTextAssessor?
            var filterName = ""
            for f in streamFilters {
                if let a = f.begin(call, node: node) { assessor = a; filterName = f.name; break }
            }
            stream = StreamState(translator: StreamTranslator(modelId: call.modelId, region: region, converse: call.runtimeOperation == .converseStream),
                                 assessor: assessor, filterName: filterName)
        }
        let canonical = call.attributes["routeModelId"] ?? Catalog.lookup(call.modelId, region: region)?.modelId ?? call.modelId
        guard let hosts = call.attributes["routeHost"].map({ [$0] }) ?? hostsByModel[canonical], !hosts.isEmpty else {
            respondError(.resourceNotFound("Model \(canonical) is not served in this Region."), call: call, inbound: envelope,
                         sessionId: opened.sessionId, endpointPeer: peer, node: node, reason: "routing")
            return
        }
        let token = nextToken; nextToken += 1
        let p = PendingCall(call: call, inbound: envelope, sessionId: opened.sessionId, endpointPeer: peer, host: "",
                            modelMessageId: "", attempts: 0, startedNs: SimClock.monotonicNanoseconds(), timerToken: token)
        p.call.attributes["canonicalModelId"] = canonical
        p.forwardAction = forwardAction
        p.forwardBody = forwardBody
        p.forwardAccept = forwardAccept
        p.stream = stream
        let now = SimClock.unixMilliseconds()
        let remaining = envelope.deadlineUnixMs > now ? Double(envelope.deadlineUnixMs - now) : 0
        timerRequests[token] = envelope.requestId
        node.schedule(afterMs: remaining, token: token)
        pending[envelope.requestId] = p
        dispatch(requestId: envelope.requestId, hosts: hosts, excluding: [], node: node)
    }

    /// Sends the call to the next live host serving its model, or answers with the reason none can take it.
    /// The reasons of the gates that passed, from gate `passStart` on, and their journal text: "[gate] reason; …"
    /// and the gate names, kept for the last set seen (reasons are mostly the gates' cached Strings, so comparing
    /// them is cheap).
    private var passReasons: [String] = []
    private var lastPassed: (start: Int, reasons: [String], reason: String, details: [(String, String)])?
    private func passedText(from start: Int) -> (String, [(String, String)]) {
        if let last = lastPassed, last.start == start, last.reasons == passReasons { return (last.reason, last.details) }
        var reason = ""
        reason.reserveCapacity(passReasons.reduce(0) { $0 + $1.utf8.count + 32 })
        var names = ""
        for (k, r) in passReasons.enumerated() {
            let name = gates[start + k].name
            if k > 0 { reason += "; "; names += "," }
            reason += "["; reason += name; reason += "] "; reason += r
            names += name
        }
        let details = [("gate", names)]
        lastPassed = (start, passReasons, reason, details)
        return (reason, details)
    }

    /// CloudTrail `requestParameters` of a call that names only its model, serialized, per model id.
    private var modelOnlyParameters = BoundedCache<String, [UInt8]>(limit: 4096)

    /// The foundation-model ARN a runtime call on `modelId` is authorized against, per model id.
    private var resourceArns = BoundedCache<String, String>(limit: 4096)
    private func resourceArn(of modelId: String) -> String {
        resourceArns.value(for: modelId) {
            Catalog.lookup(modelId, region: region).map { "arn:aws:bedrock:\(region)::foundation-model/\($0.modelId)" }
                ?? (modelId.hasPrefix("arn:") ? modelId : "arn:aws:bedrock:\(region)::foundation-model/\(modelId)")
        }
    }

    /// The model host's path per model and action (the model id percent-encoded), and a routing record's reason and
    /// details per route: the same few on every call.
    private struct HostPath: Hashable { let modelId: String, action: String }
    private var hostPaths = BoundedCache<HostPath, String>(limit: 4096)
    private func hostPath(_ modelId: String, _ action: String) -> String {
        hostPaths.value(for: HostPath(modelId: modelId, action: action)) {
            "/model/\(RuntimeRouter.percentEncodeSegment(modelId))/\(action)"
        }
    }
    private struct RouteNote: Hashable { let modelId: String, host: String, attempt: Int, live: Int }
    private var routeNotes = BoundedCache<RouteNote, (String, [(String, String)])>(limit: 4096)

    private func dispatch(requestId: String, hosts: [String], excluding: Set<String>, node: Node) {
        guard let p = pending[requestId] else { return }
        let live = hosts.filter { node.isUp($0) && !excluding.contains($0) }
        guard !live.isEmpty else {
            finish(requestId, node: node, error: p.attempts == 0 ? .modelNotReady : .serviceUnavailable,
                   reason: p.attempts == 0 ? "no live host serves \(p.call.modelId)" : "the model host failed and no other host is available")
            return
        }
        let i = roundRobin[p.call.modelId, default: 0]
        roundRobin[p.call.modelId] = i &+ 1
        let host = live[i % live.count]
        let modelId = p.call.attributes["canonicalModelId"] ?? p.call.modelId
        var headers: [HTTPHeader] = []
        headers.reserveCapacity(3)
        let converse = p.call.runtimeOperation == .converse || p.call.runtimeOperation == .converseStream
        if let ct = converse ? "application/json" : p.call.request.header("Content-Type") { headers.append(HTTPHeader("Content-Type", ct)) }
        // A dedicated (provisioned) host checks the owner again.
        if p.call.attributes["routeHost"] != nil { headers.append(HTTPHeader("x-sim-caller-account", p.call.callerAccount)) }
        if let accept = p.forwardAccept { headers.append(HTTPHeader("Accept", accept)) }
        let forward = HTTPRequest(method: "POST", path: hostPath(modelId, p.forwardAction), headers: headers, body: p.forwardBody)
        let hostAccount = node.peerAccount(host)
        let messageId = node.ids.next()
        let e = Envelope(
            type: .modelRequest, messageId: messageId, inReplyTo: p.inbound.messageId, requestId: requestId,
            traceparent: p.inbound.traceparent, source: node.address,
            destination: NodeAddress(node: host, account: hostAccount), deadlineUnixMs: p.inbound.deadlineUnixMs,
            body: forward.encode())
        p.attempts += 1
        p.host = host
        if !p.modelMessageId.isEmpty { byModelMessage[p.modelMessageId] = nil }
        p.modelMessageId = messageId   // (p is the pending call itself, a reference: nothing to store back)
        byModelMessage[messageId] = requestId
        let route = RouteNote(modelId: modelId, host: host, attempt: p.attempts, live: live.count)
        let (reason, details) = routeNotes.value(for: route) {
            ("attempt \(p.attempts): \(modelId) -> \(host) (\(live.count) live host(s))", [("modelId", modelId)])
        }
        if !node.send(e, to: host, link: .upstream(host), decision: "route", reason: reason, details: details) {
            dispatch(requestId: requestId, hosts: hosts, excluding: excluding.union([host]), node: node)
        }
    }

    private func handleModelResponse(_ envelope: Envelope, from host: String, node: Node) {
        guard let requestId = byModelMessage[envelope.inReplyTo], let p = pending[requestId], p.host == host else {
            var r = TraceRecord(event: .rejected)
            r.peer = host; r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "drop"
            r.reason = "late or unknown model response (the call already ended)"
            node.trace(r)
            return
        }
        let response: HTTPResponse
        do { response = try decoder.response(envelope.body) } catch {
            finish(requestId, node: node, error: .internalFailure("The model host returned a malformed response."), reason: "malformed model response: \(error.description)")
            return
        }
        if let err = BedrockError.from(response) {
            finish(requestId, node: node, error: err, reason: "model host answered \(err.errorType)")
            return
        }
        if let stream = p.stream {
            endStream(requestId, stream: stream, host: host, node: node)
            return
        }
        var out = HTTPResponse(status: 200, headers: [], body: response.body)
        out.headers.reserveCapacity(6)   // the five below (and a filter's): one allocation, not one per power of two
        out.headers.append(HTTPHeader("Content-Type", response.header("Content-Type") ?? "application/json"))
        out.headers.append(HTTPHeader("x-amzn-RequestId", requestId))
        for h in ["X-Amzn-Bedrock-Input-Token-Count", "X-Amzn-Bedrock-Output-Token-Count"] {
            if let v = response.header(h) { out.headers.append(HTTPHeader(h, v)) }
        }
        let latencyMs = (SimClock.monotonicNanoseconds() - p.startedNs) / 1_000_000
        out.headers.append(HTTPHeader("X-Amzn-Bedrock-Invocation-Latency", String(latencyMs)))
        for f in responseFilters {
            guard let (decision, reason) = f.filter(p.call, response: &out, node: node) else { continue }
            var r = TraceRecord(event: .decision)
            r.requestId = requestId; r.decision = decision; r.reason = reason; r.details = [("filter", f.name)]
            node.trace(r)
        }
        if p.call.runtimeOperation == .converse {
            // The Converse shape of the (filtered) native answer.
            let input = Int(response.header("X-Amzn-Bedrock-Input-Token-Count") ?? "") ?? 0
            let output = Int(response.header("X-Amzn-Bedrock-Output-Token-Count") ?? "") ?? 0
            switch RuntimeTranslation.converseResponse(modelId: p.call.modelId, region: region, nativeBody: out.body, inputTokens: input,
                                                       outputTokens: output, latencyMs: Int(latencyMs)) {
            case .success(let body):
                out.body = body
                out.headers.removeAll { $0.name == "Content-Type" }
                out.headers.append(HTTPHeader("Content-Type", "application/json"))
            case .failure(let err):
                finish(requestId, node: node, error: err, reason: "the model's answer has no Converse form")
                return
            }
        }
        finish(requestId, node: node, response: out, reason: answeredBy.value(for: host) { "answered by \(host)" })
    }

    /// The response record's reason per model host (the same text on every call it answers).
    private var answeredBy = BoundedCache<String, String>(limit: 256)

    /// Forwards a control-plane call (ForwardingOperation) with the caller's identity, as an aws-request.
    private func forward(_ call: FrontendCall, to target: String, inbound: Envelope, sessionId: SealSessionID, endpointPeer: String, node: Node) {
        let token = nextToken; nextToken += 1
        var request = call.request
        // The caller's identity is the one the SigV4 gate authenticated, never a header the client sent.
        request.headers.removeAll { $0.name.lowercased().hasPrefix("x-sim-") }
        request.setHeader("x-sim-caller-account", call.callerAccount)
        if let arn = call.attributes["principalArn"] { request.setHeader("x-sim-principal", arn) }
        if let v = call.sourceVpce { request.setHeader("x-sim-source-vpce", v) }
        let messageId = node.ids.next()
        let p = PendingCall(call: call, inbound: inbound, sessionId: sessionId, endpointPeer: endpointPeer, host: target,
                            modelMessageId: messageId, attempts: 1, startedNs: SimClock.monotonicNanoseconds(), timerToken: token)
        p.call.attributes["forwarded"] = "1"
        let now = SimClock.unixMilliseconds()
        timerRequests[token] = call.requestId
        node.schedule(afterMs: inbound.deadlineUnixMs > now ? Double(inbound.deadlineUnixMs - now) : 0, token: token)
        pending[call.requestId] = p
        byModelMessage[messageId] = call.requestId
        let e = Envelope(type: .awsRequest, messageId: messageId, inReplyTo: inbound.messageId, requestId: call.requestId,
                         traceparent: inbound.traceparent, source: node.address,
                         destination: NodeAddress(node: target, account: node.peerAccount(target)), deadlineUnixMs: inbound.deadlineUnixMs,
                         body: request.encode())
        var r = TraceRecord(event: .decision)
        r.messageId = messageId; r.requestId = call.requestId; r.decision = "route"; r.peer = target; r.peerAccount = node.peerAccount(target)
        r.reason = "\(call.operationName) -> \(target)"
        node.trace(r)
        if !node.send(e, to: target, link: .upstream(target)) {
            finish(call.requestId, node: node, error: .serviceUnavailable, reason: "\(target) is not reachable")
        }
    }

    private func handleForwardedResponse(_ envelope: Envelope, from host: String, node: Node) {
        guard let requestId = byModelMessage[envelope.inReplyTo], let p = pending[requestId], p.host == host else { return }
        guard var response = try? HTTPResponse.decode(envelope.body) else {
            finish(requestId, node: node, error: .internalFailure("The service returned a malformed response."), reason: "malformed answer from \(host)")
            return
        }
        if response.header("x-amzn-RequestId") == nil { response.headers.append(HTTPHeader("x-amzn-RequestId", requestId)) }
        finish(requestId, node: node, response: response, error: BedrockError.from(response), reason: "answered by \(host)")
    }

    private func handleHostError(_ envelope: Envelope, from host: String, node: Node) {
        guard let requestId = byModelMessage[envelope.inReplyTo], let p = pending[requestId], p.host == host else { return }
        let body = (try? ErrorBody.decode(envelope.body)) ?? ErrorBody(errorType: "InternalServerException", message: "model host error", httpStatus: 500)
        finish(requestId, node: node, error: BedrockError(body.errorType, body.httpStatus, body.message), reason: "model host refused the frame")
        _ = p
    }

    public func linkChanged(peer: String, up: Bool, node: Node) {
        guard !up else { return }
        // A host died: every call waiting on it is retried elsewhere (InvokeModel is idempotent) or ends cleanly.
        let affected = pending.filter { $0.value.host == peer }.map(\.key)
        for requestId in affected {
            guard let p = pending[requestId] else { continue }
            let canonical = p.call.attributes["canonicalModelId"] ?? p.call.modelId
            var r = TraceRecord(event: .decision)
            r.requestId = requestId; r.peer = peer; r.decision = "retry"
            r.reason = "model host \(peer) went away mid-request (attempt \(p.attempts))"
            node.trace(r)
            if let st = p.stream, st.chunks > 0 {
                finish(requestId, node: node, error: .serviceUnavailable, reason: "model host \(peer) failed mid-stream")
            } else if p.attempts >= FrontendRole.maxAttempts {
                finish(requestId, node: node, error: .serviceUnavailable, reason: "model host \(peer) failed; retries exhausted")
            } else {
                dispatch(requestId: requestId, hosts: hostsByModel[canonical] ?? [], excluding: [peer], node: node)
            }
        }
    }

    public func timerFired(_ token: UInt64, node: Node) {
        if token == auditFlushToken {
            auditFlushToken = 0
            if audit.hasPending { audit.flush() }
            return
        }
        if timerHandlers.contains(where: { $0(token, node) }) { return }
        guard let requestId = timerRequests.removeValue(forKey: token), pending[requestId] != nil else { return }
        finish(requestId, node: node, error: .modelTimeout, reason: "deadline passed")
    }

    // MARK: streams

    /// The head of a streamed answer: HTTP 200 with the event-stream content type (and the model's own content
    /// type in X-Amzn-Bedrock-Content-Type for InvokeModelWithResponseStream).
    static func streamHead(_ call: FrontendCall) -> [HTTPHeader] {
        var h = [HTTPHeader("Content-Type", BedrockEvents.contentType), HTTPHeader("x-amzn-RequestId", call.requestId)]
        if call.runtimeOperation == .invokeModelWithResponseStream { h.append(HTTPHeader("X-Amzn-Bedrock-Content-Type", "application/json")) }
        return h
    }

    /// A whole answer (e.g. a guardrail blocking the input) as a one-piece event stream.
    static func streamedAnswer(_ response: HTTPResponse, call: FrontendCall, region: String) -> HTTPResponse {
        let t = StreamTranslator(modelId: call.modelId, region: region, converse: call.runtimeOperation == .converseStream)
        let body: [UInt8]
        if call.runtimeOperation == .converseStream {
            let text = RuntimeTranslation.completionText(response.body, modelId: call.modelId, region: region)
            body = t.blockedEvents(message: text, latencyMs: 0)
        } else {
            body = StreamTranslator.encode(BedrockEvents.chunk(response.body))
        }
        return HTTPResponse(status: 200, headers: streamHead(call), body: body)
    }

    /// Seals one piece of a stream to the client: the first carries the HTTP head.
    private func sendStreamPiece(_ bytes: [UInt8], _ p: PendingCall, _ st: StreamState, node: Node) {
        guard !bytes.isEmpty else { return }
        let plain: [UInt8]
        if st.headSent { plain = bytes } else {
            plain = HTTPResponse(status: 200, headers: FrontendRole.streamHead(p.call), body: bytes).encode()
            st.headSent = true
        }
        var e = p.inbound.reply(.streamChunk, messageId: node.ids.next(), from: node.address)
        guard let sealed = try? sessions.seal(plain, sessionId: p.sessionId, routingHeader: e.routingHeader) else { return }
        e.body = sealed
        node.send(e, to: p.endpointPeer, link: .service)
    }

    private func handleStreamChunk(_ envelope: Envelope, from host: String, node: Node) {
        guard let requestId = byModelMessage[envelope.inReplyTo], let p = pending[requestId], p.host == host, let st = p.stream else {
            var r = TraceRecord(event: .rejected)
            r.peer = host; r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "drop"
            r.reason = "stream chunk for a call that already ended"
            node.trace(r)
            return
        }
        st.chunks += 1
        let (bytes, text) = st.translator.events(forNative: envelope.body)
        guard let assessor = st.assessor else {
            sendStreamPiece(bytes, p, st, node: node)
            return
        }
        st.held += bytes
        st.unassessedCharacters += text.count
        if st.unassessedCharacters >= assessor.windowCharacters { assessWindow(requestId, p, st, assessor, node: node) }
    }

    /// Assesses the text so far; releases the held events, or ends the stream with the blocked messaging.
    /// Returns false when the stream was stopped.
    @discardableResult
    private func assessWindow(_ requestId: String, _ p: PendingCall, _ st: StreamState, _ assessor: StreamTextAssessor, node: Node) -> Bool {
        st.unassessedCharacters = 0
        var r = TraceRecord(event: .decision)
        r.requestId = requestId; r.details = [("filter", st.filterName), ("window", String(st.translator.text.count))]
        switch assessor.assess(accumulatedText: st.translator.text) {
        case .pass(let reason):
            r.decision = "allow"; r.reason = reason
            node.trace(r)
            sendStreamPiece(st.held, p, st, node: node)
            st.held.removeAll()
            return true
        case .block(let message, let reason):
            r.decision = "intervene"; r.reason = reason
            node.trace(r)
            st.held.removeAll()
            let latency = Int((SimClock.monotonicNanoseconds() - p.startedNs) / 1_000_000)
            let closing = st.translator.blockedEvents(message: message, latencyMs: latency)
            pending[requestId] = nil
            byModelMessage[p.modelMessageId] = nil
            timerRequests[p.timerToken] = nil
            cancelAtHost(p, node: node)
            endStreamToClient(p, st, closing: closing, reason: "stream stopped by \(st.filterName)", node: node)
            return false
        }
    }

    /// The model host finished the stream.
    private func endStream(_ requestId: String, stream st: StreamState, host: String, node: Node) {
        guard let p = pending[requestId] else { return }
        if let assessor = st.assessor, !assessWindow(requestId, p, st, assessor, node: node) { return }
        pending[requestId] = nil
        byModelMessage[p.modelMessageId] = nil
        timerRequests[p.timerToken] = nil
        let latency = Int((SimClock.monotonicNanoseconds() - p.startedNs) / 1_000_000)
        endStreamToClient(p, st, closing: st.translator.closingEvents(latencyMs: latency), reason: "streamed by \(host) (\(st.chunks) chunks)", node: node)
    }

    /// The last sealed piece: an invoke-response whose body holds the final events (or the whole stream, when it
    /// is so short that no piece went out before).
    private func endStreamToClient(_ p: PendingCall, _ st: StreamState, closing: [UInt8], reason: String, node: Node) {
        var response = HTTPResponse(status: 200, body: closing)
        if !st.headSent { response.headers = FrontendRole.streamHead(p.call) }
        response.headers.append(HTTPHeader("X-Amzn-Bedrock-Input-Token-Count", String(st.translator.inputTokens)))
        response.headers.append(HTTPHeader("X-Amzn-Bedrock-Output-Token-Count", String(st.translator.outputTokens)))
        sendSealed(response, call: p.call, inbound: p.inbound, sessionId: p.sessionId, endpointPeer: p.endpointPeer, node: node,
                   error: nil, reason: reason)
    }

    /// Tells the model host to drop a call (its caller went away, or the stream was stopped).
    private func cancelAtHost(_ p: PendingCall, node: Node) {
        guard !p.host.isEmpty, !p.modelMessageId.isEmpty else { return }
        let e = Envelope(
            type: .cancel, messageId: node.ids.next(), inReplyTo: p.modelMessageId, requestId: p.call.requestId,
            traceparent: p.inbound.traceparent, source: node.address,
            destination: NodeAddress(node: p.host, account: node.peerAccount(p.host)), deadlineUnixMs: p.inbound.deadlineUnixMs)
        node.send(e, to: p.host, link: .upstream(p.host))
    }

    /// The client went away mid-call: free the call here and at the model host. Only the session that sent the
    /// request can cancel it (the cancel is sealed in that session).
    private func handleCancel(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, node: Node) {
        guard let p = pending[envelope.requestId], p.endpointPeer == peer, p.inbound.messageId == envelope.inReplyTo else {
            var r = TraceRecord(event: .decision)
            r.requestId = envelope.requestId; r.decision = "drop"; r.reason = "cancel for no call in flight (already answered)"
            node.trace(r)
            return
        }
        guard let opened = try? sessions.open(envelope.body, routingHeader: routingHeader), opened.sessionId == p.sessionId else {
            var r = TraceRecord(event: .rejected)
            r.requestId = envelope.requestId; r.decision = "reject"; r.reason = "cancel not sealed by the session that sent the request"
            node.trace(r)
            return
        }
        pending[envelope.requestId] = nil
        byModelMessage[p.modelMessageId] = nil
        timerRequests[p.timerToken] = nil
        cancelAtHost(p, node: node)
        var r = TraceRecord(event: .decision)
        r.requestId = envelope.requestId; r.peer = p.host; r.decision = "cancel"
        r.reason = "the client went away; call freed here and at \(p.host.isEmpty ? "no host" : p.host)"
        node.trace(r)
        recordAudit(call: p.call, error: BedrockError("ClientDisconnected", 499, "The client closed the connection before the answer ended."), node: node)
    }

    // MARK: answers

    private func respondError(_ error: BedrockError, call: FrontendCall, inbound: Envelope, sessionId: SealSessionID, endpointPeer: String, node: Node, reason: String) {
        sendSealed(error.httpResponse(requestId: call.requestId), call: call, inbound: inbound, sessionId: sessionId,
                   endpointPeer: endpointPeer, node: node, error: error, reason: reason)
    }

    private func finish(_ requestId: String, node: Node, response: HTTPResponse? = nil, error: BedrockError? = nil, reason: String) {
        guard let p = pending.removeValue(forKey: requestId) else { return }
        byModelMessage[p.modelMessageId] = nil
        timerRequests[p.timerToken] = nil
        if let st = p.stream, st.headSent, response == nil {
            // The stream already began: the error ends it as an exception event, as the service does mid-stream.
            let e = error ?? .internalFailure("no response")
            cancelAtHost(p, node: node)
            let event = StreamTranslator.encode(BedrockEvents.exception(e.errorType, message: e.message))
            sendSealed(HTTPResponse(status: 200, body: event), call: p.call, inbound: p.inbound, sessionId: p.sessionId,
                       endpointPeer: p.endpointPeer, node: node, error: e, reason: reason)
            return
        }
        if response == nil, error == .modelTimeout { cancelAtHost(p, node: node) }   // the host need not finish it
        let out = response ?? (error ?? .internalFailure("no response")).httpResponse(requestId: requestId)
        sendSealed(out, call: p.call, inbound: p.inbound, sessionId: p.sessionId, endpointPeer: p.endpointPeer, node: node,
                   error: error, reason: reason)
    }

    private static let okDetails = [("httpStatus", "200")]

    private func sendSealed(_ response: HTTPResponse, call: FrontendCall, inbound: Envelope, sessionId: SealSessionID, endpointPeer: String,
                            node: Node, error: BedrockError?, reason: String) {
        var e = inbound.reply(.invokeResponse, messageId: node.ids.next(), from: node.address)
        let header = e.routingHeader
        do {
            e.body = try sessions.seal(response.encode(), sessionId: sessionId, routingHeader: header)
        } catch {
            node.log("cannot seal response for \(call.requestId): \(error)")
            return
        }
        var details = response.status == 200 ? FrontendRole.okDetails : [("httpStatus", String(response.status))]
        if let error { details.append(("errorType", error.errorType)) }
        node.send(e, to: endpointPeer, link: .service, decision: error == nil ? "respond" : "error", reason: reason, details: details,
                  routingHeader: header)
        recordAudit(call: call, error: error, node: node)
    }

    public func stop(node: Node) { audit.flush() }

    /// How long an audit record may wait for others before the trail is written (CloudTrail itself delivers events
    /// minutes after the call), and how many bytes make the front end write at once.
    public static let auditFlushIntervalMs = 2.0
    public static let auditFlushBytes = 256 * 1024
    /// The timer that writes the buffered audit records (0: none scheduled).
    private var auditFlushToken: UInt64 = 0

    private func recordAudit(call: FrontendCall, error: BedrockError?, node: Node) {
        var identity = call.userIdentity
        let identityJSON = identity.isEmpty ? nil : call.userIdentityJSON
        if identity.isEmpty {
            // Until SigV4 authentication fills it, the caller is known only as its account (from the endpoint stamp).
            identity = ["type": .string("AWSAccount"), "accountId": .string(call.clientAccount), "principalId": .string(call.clientAccount)]
        }
        var params: [String: JSONValue] = call.auditParameters
        let guardrail = call.request.header("X-Amzn-Bedrock-GuardrailIdentifier"), version = call.request.header("X-Amzn-Bedrock-GuardrailVersion")
        // The usual parameters, only the model id, are serialized once per model.
        var paramsJSON: [UInt8]?
        if params.isEmpty && guardrail == nil && version == nil && !call.modelId.isEmpty {
            paramsJSON = modelOnlyParameters.value(for: call.modelId) { JSONValue.object(["modelId": .string(call.modelId)]).serialized() }
        } else {
            if !call.modelId.isEmpty { params["modelId"] = .string(call.modelId) }
            if let g = guardrail { params["guardrailIdentifier"] = .string(g) }
            if let v = version { params["guardrailVersion"] = .string(v) }
        }
        var entry = AuditTrail.Entry(
            eventName: call.operationName, requestId: call.requestId,
            recipientAccountId: call.callerAccount, userIdentity: identity,
            sourceIPAddress: call.attributes["sourceIp"] ?? call.clientNode, userAgent: call.request.header("User-Agent") ?? "",
            requestParameters: params)
        entry.requestParametersJSON = paramsJSON
        if let c = call.attributes["eventCategory"] { entry.eventCategory = c }
        if let r = call.attributes["readOnly"] { entry.readOnly = r == "true" }
        entry.userIdentityJSON = identityJSON
        entry.vpcEndpointId = call.sourceVpce
        entry.vpcEndpointAccountId = call.sourceVpce != nil ? call.clientAccount : nil
        entry.errorCode = error?.errorType
        entry.errorMessage = error?.message
        audit.record(entry)
        if auditFlushToken == 0 {
            auditFlushToken = nextToken; nextToken += 1
            node.schedule(afterMs: FrontendRole.auditFlushIntervalMs, token: auditFlushToken)
        }
    }
}
