// The node runtime: one process, one libzmq context, one I/O thread (the process's main thread) that owns every
// socket and runs the role's state machine. Nothing here runs on Swift's cooperative pool, so a blocking libzmq
// call can never starve other tasks (see ../shared/reference/swift-zeromq-openssl.md).
//
// Sockets per node, all CURVE-encrypted:
//   service  ROUTER bound on servicePort, ZAP domain "service": admits only the nodes the topology links here
//   upstream DEALER per peer in `connects`, routing id = this node's name, monitored for link up/down
//   control  ROUTER bound on controlPort, ZAP domain "control": admits only the operator key (bedrock-sim)
//   trace    PUSH to the trace collector (the collector itself binds PULL, ZAP domain "trace")
// A ZAP handler (RFC 27) on inproc://zeromq.zap.01 answers every handshake; each socket sets ZAP_ENFORCE_DOMAIN so a
// missing handler fails closed.
import CSystemShims
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import ZMQ

/// What a role implements. Every callback runs on the node's I/O thread, one at a time, to completion.
public protocol NodeRole: AnyObject {
    func start(node: Node)
    /// A decoded envelope arrived on the service socket (`via` is the admitted peer) or from an upstream peer.
    func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node)
    /// An operator command on the control socket. Reply now or later with `node.replyControl`.
    func control(_ request: ControlRequest, node: Node)
    func linkChanged(peer: String, up: Bool, node: Node)
    func timerFired(_ token: UInt64, node: Node)
    func stop(node: Node)
}

extension NodeRole {
    public func start(node: Node) {}
    public func control(_ request: ControlRequest, node: Node) {
        node.replyControl(request, json: ["error": "unknown command '\(request.command)' for role \(node.me.role)"])
    }
    public func linkChanged(peer: String, up: Bool, node: Node) {}
    public func timerFired(_ token: UInt64, node: Node) {}
    public func stop(node: Node) {}
}

public enum Link: Sendable, Equatable {
    case service
    case upstream(String)
}

public struct ControlRequest {
    public let routingId: [UInt8]
    public let messageId: String
    public let command: String
    /// The command's JSON object, as sent.
    public let body: [UInt8]
}

public struct NodeStartupError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public final class Node {
    public let manifest: RunManifest
    public let me: ManifestNode
    public let account: ManifestAccount
    public let address: NodeAddress
    public private(set) var lamport: UInt64 = 0
    public var ids: MessageIdGenerator
    public let startedAtMs = SimClock.monotonicMilliseconds()
    /// The collector writes records locally instead of pushing them.
    public var localTraceSink: (([UInt8]) -> Void)?
    /// Called at the end of every loop iteration, after the messages of that iteration were handled: roles batch
    /// their own writes (the audit trail) per iteration this way.
    public var iterationEndHandlers: [() -> Void] = []
    /// Extra sockets a role polls (e.g. the collector's PULL); handler gets each message.
    public var extraSockets: [(Socket, (Message) -> Void)] = []

    let context: Context
    private let zapSocket: Socket
    public private(set) var serviceSocket: Socket?
    private var upstreams: [String: Socket] = [:]
    private var upstreamUp: [String: Bool] = [:]
    private var monitors: [(Socket, String)] = []
    private let controlSocket: Socket
    private var traceSocket: Socket?
    private let signalFd: Int32
    private var running = true
    private var encoder: TraceEncoder
    /// Trace records are batched and pushed at most every `traceFlushIntervalNs` (or at 256 KiB), so the journal
    /// costs the hot path one message per interval rather than one per hop. 20 ms against 5 ms: the collector's CPU
    /// per call 17 % lower (eight alternating benchmark pairs), at most 15 ms more before a record is in trace.jsonl.
    private var traceFlushDueNs: UInt64 = 0
    public static let traceFlushIntervalNs: UInt64 = 20_000_000
    static let traceBatchLimit = 256 * 1024
    private var traceBatch = TraceBatch()
    private var traceDropped = 0
    private var timers = TimerHeap()
    private let secretKey: String
    /// Public key -> node name, per ZAP domain.
    private var admitted: [String: [String: String]] = [:]
    private var knownKeys: [String: String] = [:]
    private var refusalLog: [String: (lastMs: UInt64, count: Int)] = [:]
    public var logPrefix: String
    /// Red-team wiretap: when settings.wiretap is "1", every frame this node sends or receives on its service and
    /// upstream links is appended, exactly as the node process sees it, to RUN_DIR/wiretap/NODE.frames.
    private var wiretap: Int32?

    public init(manifestPath: String, nodeName: String) throws {
        // Block termination signals before libzmq starts its threads, so they arrive on our signalfd.
        signalFd = sim_make_shutdown_signalfd()
        guard signalFd >= 0 else { throw NodeStartupError("cannot create signalfd") }
        let manifest = try RunManifest.load(path: manifestPath)
        guard let me = manifest.node(named: nodeName) else { throw NodeStartupError("node '\(nodeName)' is not in \(manifestPath)") }
        guard let account = manifest.account(id: me.accountId) else { throw NodeStartupError("account \(me.accountId) of \(nodeName) is not in the manifest") }
        self.manifest = manifest
        self.me = me
        self.account = account
        self.address = NodeAddress(node: me.name, account: me.accountId)
        self.ids = MessageIdGenerator()
        self.encoder = TraceEncoder(node: me.name, role: me.role, account: me.accountId, accountKind: account.kind)
        self.logPrefix = "\(me.name)[\(me.role)]"
        secretKey = try String(contentsOfFile: me.curveSecretKeyFile, encoding: .utf8).trimmedASCIIWhitespace
        guard secretKey.count == 40 else { throw NodeStartupError("\(me.curveSecretKeyFile): expected a 40-character Z85 CURVE secret key") }
        for n in manifest.nodes { knownKeys[n.curvePublicKey] = n.name }
        knownKeys[manifest.operatorPublicKey] = "operator"

        if me.settings["wiretap"] == "1" {
            let dir = manifest.runDirectory + "/wiretap"
            POSIX.makeDirectory(dir)
            wiretap = POSIX.openAppend(dir + "/\(me.name).frames")
        }
        context = try Context(ioThreads: 1)
        // The ZAP handler must be bound before any CURVE server socket accepts a connection.
        zapSocket = try Socket(context: context, type: .router)
        try zapSocket.bind(ZAPRequest.endpoint)

        var service: [String: String] = [:]
        for name in me.admits { if let peer = manifest.node(named: name) { service[peer.curvePublicKey] = name } }
        admitted["service"] = service
        admitted["control"] = [manifest.operatorPublicKey: "operator"]

        controlSocket = try Socket(context: context, type: .router)
        try controlSocket.makeCurveServer(secretKey: secretKey, zapDomain: "control")
        try controlSocket.setMaxMessageSize(Int64(EnvelopeLimits.maxFrameBytes))
        try controlSocket.bind(me.controlEndpoint)

        // A role may bind its own socket on the service port instead (the collector's PULL).
        if let endpoint = me.serviceEndpoint, me.settings["serviceSocket"] != "role" {
            let s = try Socket(context: context, type: .router)
            try s.makeCurveServer(secretKey: secretKey, zapDomain: "service")
            try s.setMaxMessageSize(Int64(EnvelopeLimits.maxFrameBytes))
            try s.setHighWaterMarks(send: 10_000, receive: 10_000)
            // Replies to a peer that has gone away are dropped rather than queued forever.
            try s.setOption(33 /* ZMQ_ROUTER_MANDATORY */, 1)
            try s.bind(endpoint)
            serviceSocket = s
        }
        for peerName in me.connects {
            guard let peer = manifest.node(named: peerName), let endpoint = peer.serviceEndpoint else {
                throw NodeStartupError("\(me.name) connects to '\(peerName)', which has no service endpoint in the manifest")
            }
            try connectUpstream(peer: peer, endpoint: endpoint)
        }
        if me.role != "trace-collector", let collector = manifest.collector, let endpoint = collector.serviceEndpoint {
            let s = try Socket(context: context, type: .push)
            try s.makeCurveClient(serverPublicKey: collector.curvePublicKey, publicKey: me.curvePublicKey, secretKey: secretKey)
            try s.setHighWaterMarks(send: 100_000, receive: 1000)
            try s.connect(endpoint)
            traceSocket = s
        }
    }

    /// Admits every node of the manifest on a ZAP domain (the collector's "trace" socket).
    public func admitAllNodes(domain: String) {
        var all: [String: String] = [:]
        for n in manifest.nodes { all[n.curvePublicKey] = n.name }
        admitted[domain] = all
    }

    /// A CURVE server socket for a role's own use (e.g. the collector's PULL), bound and polled by this node.
    public func bindExtraServer(type: SocketType, endpoint: String, zapDomain: String, handler: @escaping (Message) -> Void) throws {
        let s = try Socket(context: context, type: type)
        try s.makeCurveServer(secretKey: secretKey, zapDomain: zapDomain)
        try s.setMaxMessageSize(Int64(EnvelopeLimits.maxFrameBytes))
        try s.setHighWaterMarks(send: 1000, receive: 200_000)
        try s.bind(endpoint)
        extraSockets.append((s, handler))
    }

    private func connectUpstream(peer: ManifestNode, endpoint: String) throws {
        let s = try Socket(context: context, type: .dealer)
        try s.makeCurveClient(serverPublicKey: peer.curvePublicKey, publicKey: me.curvePublicKey, secretKey: secretKey)
        try s.setOption(Int32(5) /* ZMQ_IDENTITY / ROUTING_ID */, bytes: Array(me.name.utf8))
        // Queue only on completed connections: a send to a peer that is down fails at once instead of waiting.
        try s.setOption(39 /* ZMQ_IMMEDIATE */, 1)
        try s.setOption(18 /* ZMQ_RECONNECT_IVL */, 100)
        try s.setOption(21 /* ZMQ_RECONNECT_IVL_MAX */, 2000)
        try s.setMaxMessageSize(Int64(EnvelopeLimits.maxFrameBytes))
        try s.setHighWaterMarks(send: 10_000, receive: 10_000)
        let monitorEndpoint = "inproc://monitor-\(peer.name)"
        try s.monitor(endpoint: monitorEndpoint, events: MonitorEvent.mask)
        let m = try Socket(context: context, type: .pair)
        try m.connect(monitorEndpoint)
        try s.connect(endpoint)
        upstreams[peer.name] = s
        upstreamUp[peer.name] = false
        monitors.append((m, peer.name))
    }

    public func isUp(_ peer: String) -> Bool { upstreamUp[peer] ?? false }
    public var upstreamNames: [String] { Array(upstreams.keys).sorted() }

    // MARK: logging and tracing

    /// One log line on stderr (the supervisor sends it to logs/NODE.log). Never pass content here.
    public func log(_ message: String) {
        let line = "\(SimClock.iso8601(unixMs: SimClock.unixMilliseconds())) \(logPrefix) \(message)\n"
        POSIX.writeStderr(line)
    }

    /// `settings.trace` in the run manifest: "full" (default) or "off" (benchmarks measuring the bare path).
    private lazy var tracingEnabled: Bool = manifest.settings["trace"] != "off"

    public func trace(_ record: TraceRecord) {
        guard tracingEnabled || record.event == .start || record.event == .stop else { return }
        var r = record
        if r.lamport == 0 { r.lamport = lamport }
        if r.monoNs == 0 { r.monoNs = SimClock.monotonicNanoseconds() }
        if r.wallMs == 0 { r.wallMs = SimClock.unixMilliseconds() }
        journal(monoNs: r.monoNs) { $0.append(r) }
    }

    /// Appends one record, written by `write`, to the journal: binary on the wire (TraceWire), so a hop only copies
    /// bytes and the collector renders JSON; the collector itself renders its own records at once.
    private func journal(monoNs: UInt64, _ write: (inout TraceBatch) -> Void) {
        openJournalRecord(monoNs: monoNs)
        write(&traceBatch)
        closeJournalRecord()
    }

    /// Before a record: the batch begun (and its flush due within `traceFlushIntervalNs`).
    @inline(__always) private func openJournalRecord(monoNs: UInt64) {
        if traceBatch.isEmpty { traceFlushDueNs = monoNs + Node.traceFlushIntervalNs; traceBatch.begin() }
    }

    /// After a record: the collector renders its own at once (a batch of one); other nodes push a full batch.
    @inline(__always) private func closeJournalRecord() {
        if let sink = localTraceSink {
            sink(encoder.line(ofBatch: traceBatch.bytes))
            traceBatch.removeAll()
        } else if traceBatch.count > Node.traceBatchLimit {
            flushTrace()
        }
    }

    private var hasPendingTrace: Bool { !traceBatch.isEmpty }

    private func flushTrace() {
        guard !traceBatch.isEmpty, let s = traceSocket else { traceBatch.removeAll(); return }
        do { try traceBatch.withBytes { try s.send(bytes: $0) } } catch { traceDropped += 1 }
        traceBatch.removeAll()
    }

    /// Journals a frame a role does not handle (a type or link it does not expect from that peer): a `rejected`
    /// record, no answer.
    public func rejectUnexpected(_ envelope: Envelope, from peer: String) {
        var r = TraceRecord(event: .rejected)
        r.peer = peer; r.peerAccount = peerAccount(peer); r.messageId = envelope.messageId; r.requestId = envelope.requestId
        r.decision = "reject"; r.reason = "unexpected \(envelope.type) from \(peer)"
        trace(r)
    }

    private func tap(_ direction: String, _ peer: String, _ bytes: [UInt8]) {
        guard let w = wiretap else { return }
        POSIX.writeAll(w, Array("\(direction) \(peer) \(bytes.count)\n".utf8) + bytes + [10])
    }

    /// Account of each node of the run (asked on every traced send and receive).
    private lazy var accountOfNode: [String: String] = Dictionary(manifest.nodes.map { ($0.name, $0.accountId) }, uniquingKeysWith: { a, _ in a })

    /// The last few peers asked about and their accounts: a node's records name the same few peers (a relay
    /// alternates between two), and comparing node names (small Strings) costs less than hashing them.
    private var recentPeerAccounts: [(peer: String, account: String)] = []
    public func peerAccount(_ peer: String) -> String {
        for i in recentPeerAccounts.indices where recentPeerAccounts[i].peer == peer { return recentPeerAccounts[i].account }
        let account = peer == "operator" ? "" : accountOfNode[peer] ?? ""
        if recentPeerAccounts.count == 4 { recentPeerAccounts.removeFirst() }
        recentPeerAccounts.append((peer, account))
        return account
    }

    /// Whether a message type is sealed end to end between client and front end (besides CURVE on the link).
    static func isEndToEnd(_ type: MessageType) -> Bool {
        type == .invokeRequest || type == .invokeResponse
    }

    // MARK: sending

    /// Sends an envelope to a peer: on the service socket by routing id, or on the upstream DEALER to that peer.
    /// Returns false (and traces why) when the peer is not reachable now. A decision taken at the moment of sending
    /// (forward, route, respond) rides on the send record instead of a record of its own.
    ///
    /// The frame is handed to libzmq at the end of the loop iteration (or once `outboxLimit` frames are waiting),
    /// together with the others of that iteration, the way a NIO channel flushes at the end of a read: libzmq's I/O
    /// thread then wakes once and writes them in one batch, and the peer reads them in one. Reachability is still
    /// decided now (an upstream peer must accept a message at once, as ZMQ_IMMEDIATE makes it), so callers can
    /// retry elsewhere as before. `routingHeader`, when given, is the envelope's routing header already serialized
    /// (see `Envelope.encode(routingHeader:)`).
    @discardableResult
    public func send(_ e: Envelope, to peer: String, link: Link, reasonOnFailure: String = "",
                     decision: String = "", reason: String = "", details: [(String, String)] = [],
                     routingHeader: [UInt8]? = nil) -> Bool {
        lamport += 1
        let socket: Socket
        switch link {
        case .service:
            guard let s = serviceSocket else { return false }
            socket = s
        case .upstream(let name):
            guard let s = upstreams[name] else { return false }
            socket = s
        }
        if case .upstream = link, outboxWaiting(on: socket) == 0, !checkCanSend(socket) {
            traceSendFailure(type: e.type, peer: peer, messageId: e.messageId, requestId: e.requestId,
                             why: "\(peer) is not connected or its queue is full")
            if !decision.isEmpty {
                var d = TraceRecord(event: .decision)
                d.messageId = e.messageId; d.requestId = e.requestId; d.peer = peer; d.peerAccount = peerAccount(peer)
                d.decision = decision; d.reason = reason; d.details = details
                trace(d)
            }
            return false
        }
        let bytes = e.encode(routingHeader: routingHeader, lamport: lamport)
        tap("send", peer, bytes)
        let sentNs = SimClock.monotonicNanoseconds()
        outbox.append(Outgoing(socket: socket, routed: link == .service, frame: bytes,
                               peer: peer, type: e.type, messageId: e.messageId, requestId: e.requestId))
        traceTransit(.send, e, bytes: bytes.count, peer: peer, monoNs: sentNs, wallMs: SimClock.unixMilliseconds(),
                     decision: decision, reason: reason, details: details)
        if outbox.count >= Node.outboxLimit { flushOutbox() }
        return true
    }

    /// A frame waiting for the end of the iteration.
    private struct Outgoing {
        let socket: Socket
        /// Sent on the ROUTER: the peer's name is the routing-id frame (written from the String's bytes at flush,
        /// not copied into an array per message).
        let routed: Bool
        let frame: [UInt8]
        let peer: String
        let type: MessageType
        let messageId: String
        let requestId: String
    }
    private var outbox: [Outgoing] = []
    private let envelopeDecoder = EnvelopeDecoder()

    /// A socket the loop reads, with its ZMQ_FD (polled with poll(2): one system call per wait, where zmq_poll
    /// reads every socket's ZMQ_EVENTS, a poll and a getpid each, twice per blocking wait).
    private struct Readable { let socket: Socket; let kind: Int; let fd: Int32 }
    private var readables: [Readable] = []
    private var readableIndex: [ObjectIdentifier: Int] = [:]
    /// Per readable socket: its ZMQ_FD cannot be trusted until ZMQ_EVENTS is read (it fired, or the socket was
    /// used for a send, which may have consumed the fd's signal).
    private var needsCheck: [Bool] = []

    private func touched(_ socket: Socket) {
        if let i = readableIndex[ObjectIdentifier(socket)] { needsCheck[i] = true }
    }
    /// Most frames held before they are handed to libzmq: bounds the delay a long iteration adds. Measured on the
    /// benchmark (alternating builds): 8 beat both 32 (the busy front end held its output back long enough to idle
    /// the other core) and 3 (more wake-ups per message).
    public static let outboxLimit = 8

    private func checkCanSend(_ socket: Socket) -> Bool {
        touched(socket)
        return socket.canSend
    }

    /// The `error` record of a frame that could not be handed to libzmq.
    private func traceSendFailure(type: MessageType, peer: String, messageId: String, requestId: String, why: String) {
        var r = TraceRecord(event: .error)
        r.messageType = type.description; r.peer = peer; r.peerAccount = peerAccount(peer)
        r.messageId = messageId; r.requestId = requestId; r.reason = "send failed: \(why)"
        trace(r)
    }

    /// Frames already waiting for `socket` (an upstream DEALER that accepted the first accepts the rest: its
    /// high-water mark is far above the outbox limit).
    private func outboxWaiting(on socket: Socket) -> Int {
        var n = 0
        for o in outbox where o.socket === socket { n += 1 }
        return n
    }

    /// Hands every waiting frame to libzmq. A frame refused now (its peer went away within the iteration) gets an
    /// error record; its call ends at its deadline, as a frame lost on a dropped connection does.
    func flushOutbox() {
        guard !outbox.isEmpty else { return }
        for o in outbox {
            touched(o.socket)
            do {
                if o.routed {
                    var peer = o.peer
                    try peer.withUTF8 { id in try o.frame.withUnsafeBufferPointer { try o.socket.send(id, $0) } }
                } else {
                    try o.frame.withUnsafeBufferPointer { try o.socket.send(bytes: $0) }
                }
            } catch {
                traceSendFailure(type: o.type, peer: o.peer, messageId: o.messageId, requestId: o.requestId, why: "\(error)")
            }
        }
        outbox.removeAll(keepingCapacity: true)
    }

    /// Sends the transport-level `error` envelope back to whoever sent `frames` (best effort).
    private func sendTransportError(peer: String, link: Link, inReplyTo: String, requestId: String, errorType: String, message: String, status: Int) {
        let e = Envelope(
            type: .error, messageId: ids.next(), inReplyTo: inReplyTo, requestId: requestId, traceparent: "",
            source: address, destination: NodeAddress(node: peer, account: peerAccount(peer)),
            deadlineUnixMs: SimClock.unixMilliseconds() + 5000,
            body: ErrorBody(errorType: errorType, message: message, httpStatus: status).encode())
        send(e, to: peer, link: link)
    }

    public func replyControl(_ request: ControlRequest, json: [String: Any]) {
        let body = PlainJSON.serialize(json)
        replyControl(request, body: body)
    }

    public func replyControl(_ request: ControlRequest, body: [UInt8]) {
        let e = Envelope(
            type: .controlReply, messageId: ids.next(), inReplyTo: request.messageId, requestId: "", traceparent: "",
            source: address, destination: NodeAddress(node: "operator", account: ""),
            deadlineUnixMs: SimClock.unixMilliseconds() + 60_000, body: body)
        try? controlSocket.send([request.routingId, e.encode()])
        touched(controlSocket)
    }

    // MARK: plain file descriptors (e.g. the SDK endpoint's listener and TLS connections)

    /// Readiness of a watched fd, as handed to its handler.
    public struct FDEvents: OptionSet, Sendable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let readable = FDEvents(rawValue: Poller.readable)
        public static let writable = FDEvents(rawValue: Poller.writable)
        /// An error or hang-up on the fd: read it to find out which.
        public static let failed = FDEvents(rawValue: Poller.failed)
    }

    private var watches: [Int32: (events: FDEvents, handler: (FDEvents) -> Void)] = [:] {
        didSet { watchGeneration &+= 1 }
    }
    /// Bumped on every change of `watches` (fd added or removed, interest changed): the loop rebuilds its poll set.
    private var watchGeneration: UInt64 = 0
    private var pollSetWatchGeneration: UInt64 = .max

    /// Polls `fd` with the node's sockets and calls `handler` on the I/O thread when it is ready for `events`.
    /// Calling it again for the same fd replaces the interest and handler. The handler must never block.
    public func watch(fd: Int32, events: FDEvents, handler: @escaping (FDEvents) -> Void) {
        watches[fd] = (events, handler)
    }

    /// Changes only the interest of a watched fd (e.g. add `.writable` while output is queued).
    public func updateWatch(fd: Int32, events: FDEvents) {
        watches[fd]?.events = events
    }

    /// Stops polling `fd` (call before closing it).
    public func unwatch(fd: Int32) { watches[fd] = nil }

    // MARK: timers

    /// Calls `role.timerFired(token)` after `delayMs` milliseconds.
    public func schedule(afterMs delayMs: Double, token: UInt64) {
        timers.push(dueNs: SimClock.monotonicNanoseconds() + UInt64(max(0, delayMs) * 1_000_000), token: token)
    }

    // MARK: the loop

    public func stopRunning() { running = false }

    /// Runs until SIGTERM/SIGINT/SIGHUP or a shutdown command. Returns the process exit status.
    public func run(role: NodeRole) -> Int32 {
        var r = TraceRecord(event: .start)
        r.reason = "pid \(getpid())"
        trace(r)
        log("started (pid \(getpid()), control \(me.controlEndpoint)\(me.serviceEndpoint.map { ", service \($0)" } ?? ""))")
        role.start(node: self)
        var pollSetSize = -1
        var watched: [(fd: Int32, events: FDEvents)] = []
        var upstreamList: [(key: String, value: Socket)] = []
        // poll(2) entries: one per readable socket (its ZMQ_FD), then the signalfd, then the watched fds.
        var pfds: [pollfd] = []
        while running {
            // The set changes only when a role binds another socket or watches another fd; rebuild it then.
            let size = upstreams.count + monitors.count + extraSockets.count + (serviceSocket == nil ? 0 : 1)
            if size != pollSetSize || watchGeneration != pollSetWatchGeneration {
                pollSetSize = size
                pollSetWatchGeneration = watchGeneration
                var list: [(Socket, Int)] = [(zapSocket, 0), (controlSocket, 1)]
                if let s = serviceSocket { list.append((s, 3)) }
                upstreamList = upstreams.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
                for (i, u) in upstreamList.enumerated() { list.append((u.value, 100 + i)) }
                for (i, m) in monitors.enumerated() { list.append((m.0, 10_000 + i)) }
                for (i, x) in extraSockets.enumerated() { list.append((x.0, 20_000 + i)) }
                readables = list.map { Readable(socket: $0.0, kind: $0.1, fd: $0.0.fileDescriptor) }
                readableIndex = Dictionary(uniqueKeysWithValues: readables.enumerated().map { (ObjectIdentifier($0.element.socket), $0.offset) })
                needsCheck = [Bool](repeating: true, count: readables.count)
                watched = watches.map { (fd: $0.key, events: $0.value.events) }
                pfds = readables.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                pfds.append(pollfd(fd: signalFd, events: Int16(POLLIN), revents: 0))
                for w in watched {
                    var e: Int16 = 0
                    if w.events.contains(.readable) { e |= Int16(POLLIN) }
                    if w.events.contains(.writable) { e |= Int16(POLLOUT) }
                    pfds.append(pollfd(fd: w.fd, events: e, revents: 0))
                }
            }
            var timeout: Int32 = 1000
            if needsCheck.contains(true) { timeout = 0 }
            if timeout > 0, let due = timers.nextDueNs {
                let now = SimClock.monotonicNanoseconds()
                timeout = due <= now ? 0 : Int32(min(1000, (due - now) / 1_000_000 + 1))
            }
            if timeout > 0, hasPendingTrace {
                let now = SimClock.monotonicNanoseconds()
                timeout = traceFlushDueNs <= now ? 0 : min(timeout, Int32((traceFlushDueNs - now) / 1_000_000 + 1))
            }
            for i in pfds.indices { pfds[i].revents = 0 }
            let ready = POSIX.poll(&pfds, timeoutMs: timeout)
            if ready < 0 { log("poll failed: errno \(errno)"); break }
            var idleRecheck = false
            if ready == 0 && timeout >= 1000 {
                // Idle for a second: read every socket's state once more (cheap when idle; a safety net, since a
                // ZMQ_FD edge is only trustworthy after ZMQ_EVENTS was read). Finding a message this way is logged.
                for i in needsCheck.indices { needsCheck[i] = true }
                idleRecheck = true
            }
            for i in readables.indices where pfds[i].revents != 0 { needsCheck[i] = true }
            if pfds[readables.count].revents != 0 {
                let sig = sim_read_signalfd(signalFd)
                log("signal \(sig): shutting down")
                running = false
            }
            for (k, w) in watched.enumerated() {
                let raw = pfds[readables.count + 1 + k].revents
                var r: FDEvents = []
                if raw & Int16(POLLIN) != 0 { r.insert(.readable) }
                if raw & Int16(POLLOUT) != 0 { r.insert(.writable) }
                if raw & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { r.insert(.failed) }
                // A handler may have unwatched (and closed) this fd while handling an earlier one.
                guard !r.isEmpty, let current = watches[w.fd] else { continue }
                current.handler(r)
            }
            // Sockets whose state may have changed: ZMQ_EVENTS processes their pending commands and says whether a
            // message waits. A drain that stops at its budget leaves the socket to be checked again.
            for i in readables.indices where needsCheck[i] {
                needsCheck[i] = false
                let r = readables[i]
                // A message that arrived just after the idle wait ended has signalled its fd: not a missed wake-up.
                let signalled = idleRecheck && POSIX.isReadable(r.fd)
                guard r.socket.pendingEvents & Poller.readable != 0 else { continue }
                if idleRecheck && !signalled {
                    log("a message waited on socket kind \(r.kind) without its ZMQ_FD firing (found by the idle re-check)")
                }
                let more: Bool
                switch r.kind {
                case 0: more = drainZAP()
                case 1: more = drainControl(role: role)
                case 3: more = drainService(role: role)
                case 100..<10_000: more = drainUpstream(upstreamList[r.kind - 100].key, upstreamList[r.kind - 100].value, role: role)
                case 10_000..<20_000: more = drainMonitor(monitors[r.kind - 10_000], role: role)
                default:
                    let handler = extraSockets[r.kind - 20_000].1
                    var budget = 10_000
                    // With metadata: a role such as the collector needs the CURVE-authenticated sender (User-Id).
                    while budget > 0, let m = try? r.socket.receive(dontWait: true, wantMetadata: true) { handler(m); budget -= 1 }
                    more = budget == 0
                }
                if more { needsCheck[i] = true }
            }
            let now = SimClock.monotonicNanoseconds()
            var fired = 0
            while let token = timers.popDue(nowNs: now), fired < 10_000 { role.timerFired(token, node: self); fired += 1 }
            flushOutbox()
            for handler in iterationEndHandlers { handler() }
            if hasPendingTrace && SimClock.monotonicNanoseconds() >= traceFlushDueNs { flushTrace() }
        }
        role.stop(node: self)
        flushOutbox()
        var s = TraceRecord(event: .stop)
        s.reason = traceDropped > 0 ? "\(traceDropped) trace batches dropped" : "clean shutdown"
        trace(s)
        flushTrace()
        log("stopped")
        closeAll()
        return 0
    }

    private func closeAll() {
        for (m, _) in monitors { m.close() }
        for (_, u) in upstreams { u.close() }
        serviceSocket?.close()
        controlSocket.close()
        traceSocket?.close()
        for (s, _) in extraSockets { s.close() }
        zapSocket.close()
        context.terminate()
    }

    // MARK: inbound

    private func drainZAP() -> Bool {
        var budget = 1000
        while budget > 0, let m = try? zapSocket.receive(dontWait: true) {
            budget -= 1
            guard let req = ZAPRequest.parse(m) else { continue }
            let key = req.clientPublicKey ?? ""
            if req.mechanism == "CURVE", let name = admitted[req.domain]?[key] {
                try? zapSocket.send(req.reply(status: 200, text: "OK", userId: name))
            } else {
                try? zapSocket.send(req.reply(status: 400, text: "not admitted on this link", userId: ""))
                noteRefusal(domain: req.domain, key: key, address: req.address, mechanism: req.mechanism)
            }
        }
        return budget == 0
    }

    /// Traces a refused handshake, at most once per peer per 5 seconds (libzmq retries every few hundred ms).
    private func noteRefusal(domain: String, key: String, address: String, mechanism: String) {
        let who = knownKeys[key] ?? (key.isEmpty ? "unknown (\(mechanism))" : "unknown key \(key.prefix(8))…")
        let id = domain + "|" + who
        let now = SimClock.monotonicMilliseconds()
        var entry = refusalLog[id] ?? (lastMs: 0, count: 0)
        entry.count += 1
        defer { refusalLog[id] = entry }
        guard entry.lastMs == 0 || now - entry.lastMs >= 5000 else { return }
        entry.lastMs = now
        var r = TraceRecord(event: .refused)
        r.peer = who
        r.peerAccount = knownKeys[key].map { peerAccount($0) } ?? ""
        r.decision = "deny"
        r.reason = "CURVE handshake refused by ZAP: \(who) is not admitted on the \(domain) socket of \(me.name)"
        r.details = [("zapDomain", domain), ("attempts", String(entry.count)), ("peerAddress", address)]
        trace(r)
        log("refused \(who) on \(domain) socket (\(entry.count) attempt(s))")
    }

    private func decode(_ payload: [UInt8], peer: String, link: Link) -> (Envelope, [UInt8])? {
        do {
            let (e, header) = try envelopeDecoder.decode(payload)
            return (e, header)
        } catch {
            var r = TraceRecord(event: .rejected)
            r.peer = peer; r.peerAccount = peerAccount(peer); r.bytes = payload.count
            r.decision = "reject"; r.reason = "malformed frame: \(error.description)"
            trace(r)
            log("rejected malformed frame from \(peer): \(error.description)")
            sendTransportError(peer: peer, link: link, inReplyTo: "", requestId: "", errorType: "ValidationException",
                               message: "Malformed frame: \(error.description)", status: 400)
            return nil
        }
    }

    private func noteReceive(_ e: Envelope, bytes: Int, peer: String) {
        lamport = max(lamport, e.lamport) + 1
        traceTransit(.recv, e, bytes: bytes, peer: peer, monoNs: SimClock.monotonicNanoseconds(), wallMs: SimClock.unixMilliseconds(),
                     decision: "", reason: "", details: [])
    }

    /// The send/recv record of one message, appended to the journal without building a TraceRecord.
    private func traceTransit(_ event: TraceRecord.Event, _ e: Envelope, bytes: Int, peer: String, monoNs: UInt64, wallMs: UInt64,
                              decision: String, reason: String, details: [(String, String)]) {
        guard tracingEnabled else { return }
        let account = peerAccount(peer)
        // Written into the batch here, not through `journal`'s closure: capturing the envelope there copied four of
        // its Strings per record.
        openJournalRecord(monoNs: monoNs)
        traceBatch.appendTransit(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: bytes, type: e.type.description,
                                 peer: peer, peerAccount: account, messageId: e.messageId, requestId: e.requestId,
                                 inReplyTo: e.inReplyTo, traceparent: e.traceparent, endToEnd: Node.isEndToEnd(e.type),
                                 decision: decision, reason: reason, details: details, vpceId: e.stamps["vpceId"])
        closeJournalRecord()
    }

    private func drainService(role: NodeRole) -> Bool {
        guard let s = serviceSocket else { return false }
        var budget = 512
        while budget > 0 {
            budget -= 1
            let m: Message?
            do { m = try s.receive(dontWait: true, wantMetadata: true) } catch { log("service receive: \(error)"); return false }
            guard let m else { return false }
            guard m.frames.count == 2 else {
                let peer = m.userId ?? "unknown"
                var r = TraceRecord(event: .rejected)
                r.peer = peer; r.peerAccount = peerAccount(peer); r.bytes = m.byteCount
                r.decision = "reject"; r.reason = "malformed frame: expected 1 payload frame, got \(m.frames.count - 1)"
                trace(r)
                if let routing = m.frames.first, !routing.isEmpty, String(decoding: routing, as: UTF8.self) == peer {
                    sendTransportError(peer: peer, link: .service, inReplyTo: "", requestId: "", errorType: "ValidationException",
                                       message: "Malformed frame: expected exactly one payload frame", status: 400)
                }
                continue
            }
            let routing = String(decoding: m.frames[0], as: UTF8.self)
            guard let peer = m.userId, peer == routing else {
                var r = TraceRecord(event: .rejected)
                r.peer = m.userId ?? "unknown"; r.decision = "reject"
                r.reason = "routing id '\(routing)' does not match the authenticated peer '\(m.userId ?? "none")'"
                trace(r)
                continue
            }
            tap("recv", peer, m.frames[1])
            guard let (e, header) = decode(m.frames[1], peer: peer, link: .service) else { continue }
            noteReceive(e, bytes: m.frames[1].count, peer: peer)
            role.receive(e, routingHeader: header, from: peer, link: .service, node: self)
        }
        return true
    }

    private func drainUpstream(_ peer: String, _ s: Socket, role: NodeRole) -> Bool {
        var budget = 512
        while budget > 0 {
            budget -= 1
            let m: Message?
            do { m = try s.receive(dontWait: true) } catch { log("upstream \(peer) receive: \(error)"); return false }
            guard let m else { return false }
            guard m.frames.count == 1 else {
                var r = TraceRecord(event: .rejected)
                r.peer = peer; r.peerAccount = peerAccount(peer); r.decision = "reject"
                r.reason = "malformed frame: expected 1 frame, got \(m.frames.count)"
                trace(r)
                continue
            }
            tap("recv", peer, m.frames[0])
            guard let (e, header) = decode(m.frames[0], peer: peer, link: .upstream(peer)) else { continue }
            noteReceive(e, bytes: m.frames[0].count, peer: peer)
            role.receive(e, routingHeader: header, from: peer, link: .upstream(peer), node: self)
        }
        return true
    }

    private func drainMonitor(_ monitor: (Socket, String), role: NodeRole) -> Bool {
        while let m = try? monitor.0.receive(dontWait: true) {
            guard let (event, _) = MonitorEvent.decode(m) else { continue }
            let peer = monitor.1
            switch event {
            case .handshakeSucceeded:
                if upstreamUp[peer] != true {
                    upstreamUp[peer] = true
                    var r = TraceRecord(event: .link); r.peer = peer; r.peerAccount = peerAccount(peer)
                    r.decision = "up"; r.reason = "CURVE handshake with \(peer) succeeded"; trace(r)
                    role.linkChanged(peer: peer, up: true, node: self)
                }
            case .disconnected, .closed:
                if upstreamUp[peer] == true {
                    upstreamUp[peer] = false
                    var r = TraceRecord(event: .link); r.peer = peer; r.peerAccount = peerAccount(peer)
                    r.decision = "down"; r.reason = "connection to \(peer) lost"; trace(r)
                    log("link to \(peer) down")
                    role.linkChanged(peer: peer, up: false, node: self)
                }
            case .handshakeFailedAuth(let status):
                let now = SimClock.monotonicMilliseconds()
                let id = "out|" + peer
                var entry = refusalLog[id] ?? (lastMs: 0, count: 0)
                entry.count += 1
                if entry.lastMs == 0 || now - entry.lastMs >= 5000 {
                    entry.lastMs = now
                    var r = TraceRecord(event: .refused); r.peer = peer; r.peerAccount = peerAccount(peer)
                    r.decision = "denied"; r.reason = "\(peer) refused our CURVE handshake (ZAP status \(status))"
                    r.details = [("attempts", String(entry.count))]
                    trace(r)
                    log("\(peer) refused the handshake (ZAP \(status))")
                }
                refusalLog[id] = entry
            default: break
            }
        }
        return false
    }

    private func drainControl(role: NodeRole) -> Bool {
        var budget = 64
        while budget > 0, let m = try? controlSocket.receive(dontWait: true, wantMetadata: true) {
            budget -= 1
            guard m.frames.count == 2, m.userId == "operator" else { continue }
            guard let (e, _) = try? Envelope.decode(m.frames[1]), e.type == .control else {
                var r = TraceRecord(event: .rejected); r.peer = "operator"; r.decision = "reject"
                r.reason = "malformed control frame"; trace(r)
                let err = Envelope(type: .controlReply, messageId: ids.next(), requestId: "", traceparent: "", source: address,
                                   destination: NodeAddress(node: "operator", account: ""), deadlineUnixMs: 0,
                                   body: Array(#"{"error":"malformed control frame"}"#.utf8))
                try? controlSocket.send([m.frames[0], err.encode()])
                continue
            }
            struct Command: Decodable { var command: String? }
            let command = (try? JSONDecoder().decode(Command.self, from: Data(e.body)))?.command ?? ""
            let request = ControlRequest(routingId: m.frames[0], messageId: e.messageId, command: command, body: e.body)
            switch command {
            case "ping":
                // Ready = every link this node needs is up (a role whose links are expected to be refused says so).
                let ready = me.settings["linksOptional"] == "1" || upstreamUp.values.allSatisfy { $0 }
                replyControl(request, json: [
                    "ready": ready,
                    "node": me.name, "role": me.role, "account": me.accountId, "pid": Int(getpid()),
                    "uptimeMs": Int(SimClock.monotonicMilliseconds() - startedAtMs),
                    "residentBytes": Int(sim_resident_bytes_of(getpid())),
                    "cpuMicros": POSIX.processCPUMicroseconds(),
                    "links": Dictionary(uniqueKeysWithValues: upstreamUp.map { ($0.key, $0.value) }),
                ])
            case "shutdown":
                replyControl(request, json: ["node": me.name, "stopping": true])
                running = false
            default:
                role.control(request, node: self)
            }
        }
        return budget == 0
    }
}

/// A small binary min-heap of (due time, token): the node's timers.
struct TimerHeap {
    private var items: [(UInt64, UInt64)] = []
    var nextDueNs: UInt64? { items.first?.0 }

    mutating func push(dueNs: UInt64, token: UInt64) {
        items.append((dueNs, token))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].0 <= items[i].0 { break }
            items.swapAt(p, i); i = p
        }
    }

    mutating func popDue(nowNs: UInt64) -> UInt64? {
        guard let first = items.first, first.0 <= nowNs else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count && items[l].0 < items[m].0 { m = l }
                if r < items.count && items[r].0 < items[m].0 { m = r }
                if m == i { break }
                items.swapAt(m, i); i = m
            }
        }
        return first.1
    }
}

/// Shared entry point of every role executable: `ROLE --manifest PATH --node NAME`.
public enum NodeMain {
    /// `niceness`: the process's nice value, set with SCHED_BATCH before any other thread exists, so libzmq's I/O
    /// thread has it too (Linux keeps nice per thread; a thread inherits its creator's).
    public static func run(roleName: String, niceness: Int32 = 0, makeRole: (Node) throws -> NodeRole) -> Never {
        let args = CommandLine.arguments
        func value(_ flag: String) -> String? {
            guard let i = args.firstIndex(of: flag), i + 1 < args.count else { return nil }
            return args[i + 1]
        }
        guard let manifest = value("--manifest"), let name = value("--node") else {
            POSIX.writeStderr("usage: \(roleName) --manifest RUN_DIR/manifest.json --node NAME\n")
            exit(64)
        }
        // A peer closing a connection must never kill the node.
        signal(SIGPIPE, SIG_IGN)
        // SCHED_BATCH (before libzmq's I/O thread starts, so it inherits it): a node woken by a message does not
        // preempt the node or I/O thread running on that core, it runs when that one's slice ends, with the
        // messages that arrived meanwhile. A topology puts a dozen busy threads on few cores, and preempting on
        // every hop cost 12 % of the CPU per call (sixteen alternating benchmark pairs); on an idle core a woken
        // node runs at once, so latency at one request in flight does not change.
        let failure = sim_use_batch_scheduling()
        if failure != 0 {
            POSIX.writeStderr("\(roleName): SCHED_BATCH refused (errno \(failure)); running under the default policy\n")
        }
        if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        // Die with the supervisor, even if it is killed with SIGKILL: no orphan nodes.
        _ = sim_set_parent_death_signal(SIGTERM)
        if let expected = POSIX.environment("BEDROCK_SIM_SUPERVISOR_PID"), let pid = Int32(expected), getppid() != pid {
            exit(0)
        }
        do {
            let node = try Node(manifestPath: manifest, nodeName: name)
            guard node.me.role == roleName else {
                throw NodeStartupError("node '\(name)' has role '\(node.me.role)', not '\(roleName)'")
            }
            let role = try makeRole(node)
            exit(node.run(role: role))
        } catch {
            POSIX.writeStderr("\(roleName) \(name): cannot start: \(error)\n")
            exit(1)
        }
    }
}
