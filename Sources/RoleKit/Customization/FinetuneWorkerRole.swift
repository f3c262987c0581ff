import Envelope
import NodeRuntime

public final class FinetuneWorkerRole: NodeRole {
    public init(node: Node) throws {}
    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {}
}
