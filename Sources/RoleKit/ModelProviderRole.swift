// model-provider: a node in a model provider's own AWS account (say, the vendor that trained the model).
// Bedrock's promise is that providers have no access to the model-deployment accounts, so they never see prompts,
// completions or logs. This node tries anyway: it dials every escrow host of its provider and keeps trying. The
// hosts' ZAP handlers refuse its CURVE handshakes; both sides trace the refusals, and it must receive nothing.
import Envelope
import NodeRuntime

public final class ModelProviderRole: NodeRole {
    private var probes = 0
    private var received = 0
    public init(node: Node) {}

    public func start(node: Node) {
        node.log("attempting to reach \(node.me.connects.joined(separator: ", ")) (all should refuse)")
        node.schedule(afterMs: 50, token: 1)
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        // Should never happen; if it does, the trace shows the breach.
        received += 1
        var r = TraceRecord(event: .decision)
        r.peer = peer; r.messageId = envelope.messageId; r.decision = "breach"
        r.reason = "model-provider node received a \(envelope.type) from \(peer)"
        node.trace(r)
    }

    public func timerFired(_ token: UInt64, node: Node) {
        for host in node.me.connects where probes < 1000 {
            probes += 1
            let e = Envelope(type: .modelRequest, messageId: node.ids.next(), requestId: "provider-probe", traceparent: "",
                             source: node.address, destination: NodeAddress(node: host, account: node.peerAccount(host)),
                             deadlineUnixMs: SimClock.unixMilliseconds() + 1000, body: [])
            // With ZMQ_IMMEDIATE this fails at once while the handshake is refused; the runtime traces the failure.
            _ = node.send(e, to: host, link: .upstream(host))
        }
        node.schedule(afterMs: 2000, token: 1)
    }

    public func control(_ request: ControlRequest, node: Node) {
        switch request.command {
        case "stats":
            node.replyControl(request, json: ["received": received, "probes": probes,
                                              "linksUp": node.me.connects.filter { node.isUp($0) }])
        default:
            node.replyControl(request, json: ["error": "unknown command"])
        }
    }
}
