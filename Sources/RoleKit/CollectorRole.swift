// trace-collector: receives every node's journal records over a CURVE PULL socket and appends them to the run's
// trace.jsonl. It is the simulator's observer, not part of Bedrock: it lives in its own "simulator" account.
import Envelope
#if canImport(Glibc)
import Glibc
#endif
import NodeRuntime

public final class CollectorRole: NodeRole {
    private let fd: Int32
    private var lines = 0

    public init(node: Node) throws {
        let path = node.manifest.runDirectory + "/trace.jsonl"
        guard let fd = POSIX.openAppend(path) else { throw NodeStartupError("cannot open \(path)") }
        self.fd = fd
        let write: ([UInt8]) -> Void = { bytes in POSIX.writeAll(fd, bytes) }
        node.localTraceSink = { line in write(line + [10]) }
        node.admitAllNodes(domain: "trace")
        guard let endpoint = node.me.serviceEndpoint else { throw NodeStartupError("trace-collector needs a service port") }
        // The node's service socket is not used; the collector binds a PULL socket on the service port instead.
        try node.bindExtraServer(type: .pull, endpoint: endpoint, zapDomain: "trace") { [weak self] message in
            guard let self else { return }
            for frame in message.frames where !frame.isEmpty {
                var batch = frame
                if batch.last != 10 { batch.append(10) }
                self.lines += 1
                write(batch)
            }
        }
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {}

    public func control(_ request: ControlRequest, node: Node) {
        switch request.command {
        case "flush":
            fsync(fd)
            node.replyControl(request, json: ["batches": lines])
        default:
            node.replyControl(request, json: ["error": "unknown command"])
        }
    }

    public func stop(node: Node) { fsync(fd) }
}
