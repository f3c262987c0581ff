// trace-collector: receives every node's journal records over a CURVE PULL socket and appends them to the run's
// trace.jsonl. It is the simulator's observer, not part of Bedrock: it lives in its own "simulator" account.
import Envelope
#if canImport(Glibc)
import Glibc
#endif
import NodeRuntime

public final class CollectorRole: NodeRole {
    /// The observer must not perturb what it observes: the collector process (its libzmq I/O thread too) yields the
    /// CPU to the request path. Its input is batched and queued, so it catches up when the nodes are idle; nothing
    /// is dropped below the queues' high-water marks.
    public static let niceness: Int32 = 5

    private let log: StreamingLog
    private var lines = 0
    private var rejectedBatches = 0
    private var identities: [String: TraceIdentity] = [:]
    private var secondCache: (second: UInt64, prefix: String) = (0, "")
    private let out = LineBuffer()

    public init(node: Node) throws {
        let path = node.manifest.runDirectory + "/trace.jsonl"
        guard let fd = POSIX.openAppend(path) else { throw NodeStartupError("cannot open \(path)") }
        log = StreamingLog(fd: fd)
        for n in node.manifest.nodes {
            identities[n.name] = TraceIdentity(node: n.name, role: n.role, account: n.accountId,
                                               accountKind: node.manifest.account(id: n.accountId)?.kind ?? "")
        }
        let log = self.log
        node.localTraceSink = { line in log.append(line + [10]) }
        node.admitAllNodes(domain: "trace")
        guard let endpoint = node.me.serviceEndpoint else { throw NodeStartupError("trace-collector needs a service port") }
        // The node's service socket is not used; the collector binds a PULL socket on the service port instead.
        try node.bindExtraServer(type: .pull, endpoint: endpoint, zapDomain: "trace") { [weak self, weak node] message in
            guard let self, let node else { return }
            for frame in message.frames where !frame.isEmpty { self.append(frame, from: message.userId, node: node) }
        }
    }

    /// Renders one node's binary batch (TraceWire) as trace.jsonl lines. The writer is the CURVE-authenticated peer,
    /// so a node cannot journal in another node's name; a malformed batch keeps the lines before the damage and
    /// gets a `rejected` record of its own.
    private func append(_ batch: [UInt8], from peer: String?, node: Node) {
        guard let peer, let who = identities[peer] else {
            reject(peer ?? "unknown", "the sender is not a node of this run", node: node)
            return
        }
        out.removeAll()
        do {
            lines += try TraceWire.render(batch: batch, as: who, into: out, cache: &secondCache)
        } catch {
            reject(peer, error.description, node: node)
        }
        if out.count > 0 { log.append(out.bytes) }
    }

    private func reject(_ peer: String, _ reason: String, node: Node) {
        rejectedBatches += 1
        var r = TraceRecord(event: .rejected)
        r.peer = peer; r.peerAccount = node.peerAccount(peer); r.decision = "reject"; r.reason = reason
        node.trace(r)
        node.log("rejected a trace batch from \(peer): \(reason)")
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {}

    public func control(_ request: ControlRequest, node: Node) {
        switch request.command {
        case "flush":
            fsync(log.fd)
            node.replyControl(request, json: ["lines": lines, "rejectedBatches": rejectedBatches])
        default:
            node.replyControl(request, json: ["error": "unknown command"])
        }
    }

    public func stop(node: Node) { fsync(log.fd) }
}
