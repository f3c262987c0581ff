// privatelink-endpoint: the interface VPC endpoint for com.amazonaws.REGION.bedrock-runtime in the customer's VPC.
//
// It forwards sealed requests from the clients of its VPC to the runtime front end, stamping each with its endpoint
// id and VPC id (so the front end can evaluate aws:SourceVpce / aws:SourceVpc), and relays the answers back. It can
// read the routing header but never the body: the body is sealed end to end between client and front end.
import Envelope
import NodeRuntime

public final class EndpointRole: NodeRole {
    public let endpointId: String
    public let vpcId: String
    public let frontend: String
    /// Hook for the endpoint policy (authorization issue): returns a denial to answer with, or nil to forward.
    public var policyCheck: ((Envelope, Node) -> BedrockError?)?

    public init(node: Node) throws {
        guard let id = node.me.settings["endpointId"], let frontend = node.me.settings["frontend"] else {
            throw NodeStartupError("privatelink-endpoint needs settings.endpointId and settings.frontend")
        }
        endpointId = id
        vpcId = node.me.vpc ?? ""
        self.frontend = frontend
    }

    public func start(node: Node) {
        node.log("endpoint \(endpointId) for com.amazonaws.\(node.manifest.region).bedrock-runtime in \(vpcId) -> \(frontend)")
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        switch link {
        case .service:
            forwardToService(envelope, from: peer, node: node)
        case .upstream:
            relayToClient(envelope, node: node)
        }
    }

    private func answer(_ envelope: Envelope, to peer: String, error: BedrockError, node: Node) {
        let e = Envelope(
            type: .error, messageId: node.ids.next(), inReplyTo: envelope.messageId, requestId: envelope.requestId,
            traceparent: envelope.traceparent, source: node.address, destination: envelope.source,
            deadlineUnixMs: envelope.deadlineUnixMs,
            body: ErrorBody(errorType: error.errorType, message: error.message, httpStatus: error.httpStatus).encode())
        node.send(e, to: peer, link: .service)
    }

    private func forwardToService(_ envelope: Envelope, from peer: String, node: Node) {
        var r = TraceRecord(event: .decision)
        r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.peer = peer
        guard envelope.type == .invokeRequest || envelope.type == .cancel else {
            r.decision = "reject"; r.reason = "\(envelope.type) is not a request this endpoint forwards"
            node.trace(r)
            answer(envelope, to: peer, error: .validation("Unsupported message type."), node: node)
            return
        }
        guard envelope.source.node == peer else {
            r.decision = "reject"; r.reason = "source \(envelope.source.node) is not the authenticated client \(peer)"
            node.trace(r)
            answer(envelope, to: peer, error: .accessDenied("The request source does not match the connection."), node: node)
            return
        }
        guard envelope.destination.node == frontend else {
            r.decision = "reject"; r.reason = "destination \(envelope.destination.node) is not this endpoint's service (\(frontend))"
            node.trace(r)
            answer(envelope, to: peer, error: .validation("The request was not addressed to this endpoint's service."), node: node)
            return
        }
        if envelope.type == .invokeRequest, let check = policyCheck, let denial = check(envelope, node) {
            r.decision = "deny"; r.reason = "VPC endpoint policy: \(denial.message)"
            r.details = [("gate", "vpce-policy"), ("errorType", denial.errorType)]
            node.trace(r)
            answer(envelope, to: peer, error: denial, node: node)
            return
        }
        var forward = envelope
        forward.stamps["vpceId"] = endpointId
        forward.stamps["vpcId"] = vpcId
        forward.stamps["vpceAccount"] = node.me.accountId
        if !node.send(forward, to: frontend, link: .upstream(frontend), decision: "forward",
                      reason: "stamped \(endpointId) / \(vpcId); body is sealed end to end (\(envelope.body.count) bytes, unreadable here)") {
            answer(envelope, to: peer, error: .serviceUnavailable, node: node)
        }
    }

    private func relayToClient(_ envelope: Envelope, node: Node) {
        let client = envelope.destination.node
        guard node.me.admits.contains(client) else {
            var r = TraceRecord(event: .rejected)
            r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "drop"
            r.reason = "answer addressed to \(client), which is not a client of this endpoint"
            node.trace(r)
            return
        }
        node.send(envelope, to: client, link: .service)
    }
}
