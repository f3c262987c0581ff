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
    /// What the endpoint policy decided for one request.
    public enum PolicyOutcome {
        /// Forward it; the decision's reason and details ride on the forwarding send record.
        case forward(reason: String, details: [(String, String)])
        /// Answer with this error; the reason goes to the deny record.
        case deny(BedrockError, reason: String, details: [(String, String)])
    }

    /// The fixed part of every forwarding record's reason.
    private lazy var stampNote = "stamped \(endpointId) / \(vpcId); body is sealed end to end ("

    /// Hook for the endpoint policy (authorization issue).
    public var policyCheck: ((Envelope, Node) -> PolicyOutcome)?

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
            forwardToService(envelope, routingHeader: routingHeader, from: peer, node: node)
        case .upstream:
            relayToClient(envelope, routingHeader: routingHeader, node: node)
        }
    }

    private func answer(_ envelope: Envelope, to peer: String, error: BedrockError, node: Node) {
        node.answer(envelope, with: error, to: peer)
    }

    /// The routing header is forwarded as received (only the hop part changes), not written again.
    private func forwardToService(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, node: Node) {
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
        var policyNote: String?
        var policyDetails: [(String, String)] = []
        if envelope.type == .invokeRequest, let check = policyCheck {
            switch check(envelope, node) {
            case .deny(let denial, let reason, let details):
                r.decision = "deny"; r.reason = reason
                r.details = details + [("errorType", denial.errorType)]
                node.trace(r)
                answer(envelope, to: peer, error: denial, node: node)
                return
            case .forward(let reason, let details):
                policyNote = reason
                policyDetails = details
            }
        }
        var forward = envelope
        forward.stamps.reserveCapacity(forward.stamps.count + 3)
        forward.stamps["vpceId"] = endpointId
        forward.stamps["vpcId"] = vpcId
        forward.stamps["vpceAccount"] = node.me.accountId
        // The policy decision and the forwarding happen at the same instant: one record says both.
        let reason = forwardNote(policyNote, envelope.body.count)
        if !node.send(forward, to: frontend, link: .upstream(frontend), decision: "forward", reason: reason, details: policyDetails,
                      routingHeader: routingHeader) {
            answer(envelope, to: peer, error: .serviceUnavailable, node: node)
        }
    }

    /// The forwarding record's reason per policy note and sealed-body size (the same on every call of a client; no
    /// content).
    private struct ForwardNote: Hashable { let policy: String?, bytes: Int }
    private var forwardNotes = BoundedCache<ForwardNote, String>(limit: 1024)
    private func forwardNote(_ policyNote: String?, _ bytes: Int) -> String {
        forwardNotes.value(for: ForwardNote(policy: policyNote, bytes: bytes)) {
            (policyNote.map { $0 + "; " } ?? "") + stampNote + String(bytes) + " bytes, unreadable here)"
        }
    }

    private func relayToClient(_ envelope: Envelope, routingHeader: [UInt8], node: Node) {
        let client = envelope.destination.node
        guard node.me.admits.contains(client) else {
            var r = TraceRecord(event: .rejected)
            r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = "drop"
            r.reason = "answer addressed to \(client), which is not a client of this endpoint"
            node.trace(r)
            return
        }
        node.send(envelope, to: client, link: .service, routingHeader: routingHeader)
    }
}
