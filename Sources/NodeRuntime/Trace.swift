// The hop journal: every node records each send, receive and decision as one JSON line and pushes it to the trace
// collector, which writes the run's trace.jsonl. Records never contain prompt or completion text: only ids, sizes,
// which encryption layers protected the bytes, and decisions with their reasons.

/// One journal record. Field names are the trace.jsonl schema documented in docs/architecture.md.
public struct TraceRecord: Sendable {
    public enum Event: String, Sendable {
        case send, recv, decision, refused, rejected, error, start, stop, link
    }
    public var event: Event
    public var messageType: String = ""
    public var peer: String = ""
    public var peerAccount: String = ""
    public var messageId: String = ""
    public var requestId: String = ""
    public var inReplyTo: String = ""
    public var traceparent: String = ""
    public var bytes: Int = 0
    public var layers: [String] = []
    public var decision: String = ""
    public var reason: String = ""
    public var lamport: UInt64 = 0
    /// Extra string fields (errorType, modelId, vpceId ...). Never content.
    public var details: [(String, String)] = []
    /// When the event happened (CLOCK_MONOTONIC ns); 0 means "when encoded".
    public var monoNs: UInt64 = 0
    public var wallMs: UInt64 = 0

    public init(event: Event) { self.event = event }
}

/// Encodes records for one node; the collector appends them verbatim.
public struct TraceEncoder {
    public let node: String
    public let role: String
    public let account: String
    public let accountKind: String
    private var secondCache: (second: UInt64, prefix: String) = (0, "")

    public init(node: String, role: String, account: String, accountKind: String) {
        self.node = node; self.role = role; self.account = account; self.accountKind = accountKind
    }

    public mutating func encode(_ r: TraceRecord) -> [UInt8] {
        let wall = r.wallMs != 0 ? r.wallMs : SimClock.unixMilliseconds()
        var j = JSONLine()
        j.string("ts", SimClock.iso8601Fast(unixMs: wall, cache: &secondCache))
        j.uint("wallMs", wall)
        j.uint("monoNs", r.monoNs != 0 ? r.monoNs : SimClock.monotonicNanoseconds())
        j.string("node", node)
        j.string("role", role)
        j.string("account", account)
        j.string("accountKind", accountKind)
        j.string("event", r.event.rawValue)
        j.stringIfPresent("type", r.messageType)
        j.stringIfPresent("peer", r.peer)
        j.stringIfPresent("peerAccount", r.peerAccount)
        if !r.peerAccount.isEmpty { j.bool("crossesAccountBoundary", r.peerAccount != account) }
        j.stringIfPresent("messageId", r.messageId)
        j.stringIfPresent("requestId", r.requestId)
        j.stringIfPresent("inReplyTo", r.inReplyTo)
        j.stringIfPresent("traceparent", r.traceparent)
        if r.bytes > 0 { j.int("bytes", r.bytes) }
        if !r.layers.isEmpty { j.strings("layers", r.layers) }
        j.stringIfPresent("decision", r.decision)
        j.stringIfPresent("reason", r.reason)
        if r.lamport > 0 { j.uint("lamport", r.lamport) }
        for (k, v) in r.details { j.string(k, v) }
        return j.finish()
    }
}
