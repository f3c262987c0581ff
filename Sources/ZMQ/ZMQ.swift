// A thin Swift binding of the libzmq patterns the simulator uses. This is the only target that imports CZeroMQ.
//
// Threading: a `Context` may be shared between threads; a `Socket` is owned by exactly one thread (libzmq sockets
// are not thread-safe). Every call here may block only where it says so; node code calls them from its own
// dedicated I/O thread, never from Swift's cooperative pool.
import CZeroMQ
#if canImport(Glibc)
import Glibc
#endif

/// A libzmq failure: which operation failed and libzmq's own description of the errno.
public struct ZMQError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code))) (errno \(code))" }
    public var isWouldBlock: Bool { code == EAGAIN }
    public var isInterrupted: Bool { code == EINTR }
    public var isTerminated: Bool { code == ETERM }

    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, code: czmq_errno()) }
}

public enum ZMQ {
    public static var version: String { "\(czmq_version_major()).\(czmq_version_minor())" }
    public static var hasCurve: Bool { czmq_has_curve() != 0 }

    /// A new CURVE keypair, both halves Z85-encoded (40 characters).
    public static func curveKeypair() throws -> (publicKey: String, secretKey: String) {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return (string(fromNulTerminated: pub), string(fromNulTerminated: sec))
    }

    /// Z85 encoding of 32 raw key bytes (as ZAP delivers a client's public key).
    public static func z85Encode(_ bytes: [UInt8]) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var out = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        let ok = bytes.withUnsafeBufferPointer { zmq_z85_encode(&out, $0.baseAddress, $0.count) != nil }
        return ok ? string(fromNulTerminated: out) : nil
    }

    static func string(fromNulTerminated chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// One libzmq context per process.
public final class Context: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private var terminated = false

    public init(ioThreads: Int32 = 1) throws {
        guard let h = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        handle = h
        zmq_ctx_set(h, ZMQ_IO_THREADS, ioThreads)
        // Limit how many sockets a process may open; nodes open a handful.
        zmq_ctx_set(h, ZMQ_MAX_SOCKETS, 1024)
    }

    /// Terminates the context; every socket must be closed first (or have linger 0) or this blocks.
    public func terminate() {
        guard !terminated else { return }
        terminated = true
        while zmq_ctx_term(handle) != 0 && czmq_errno() == EINTR {}
    }

    deinit { terminate() }
}

public enum SocketType: Int32, Sendable {
    case pair = 0, pub = 1, sub = 2, req = 3, rep = 4, dealer = 5, router = 6, pull = 7, push = 8
}

/// A received multipart message, with the metadata libzmq attaches.
public struct Message: Sendable {
    public var frames: [[UInt8]]
    /// The ZAP user id that authenticated the sending peer (set by our ZAP handler), if any.
    public var userId: String?
    /// The peer's address as libzmq reports it.
    public var peerAddress: String?
    public var byteCount: Int { frames.reduce(0) { $0 + $1.count } }
}

public final class Socket {
    public let type: SocketType
    let handle: UnsafeMutableRawPointer
    private var closed = false

    public init(context: Context, type: SocketType) throws {
        guard let h = zmq_socket(context.handle, type.rawValue) else { throw ZMQError.last("zmq_socket") }
        handle = h
        self.type = type
        // A dead peer must never make process exit hang (libzmq's default linger is infinite).
        try setOption(ZMQ_LINGER, 0)
    }

    deinit {
        close()
        receiveStorage?.deallocate()
    }

    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    // MARK: options

    public func setOption(_ option: Int32, _ value: Int32) throws {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(\(option))")
        }
    }

    public func setOption(_ option: Int32, bytes: [UInt8]) throws {
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw ZMQError.last("zmq_setsockopt(\(option))") }
    }

    public func setOption(_ option: Int32, string: String) throws { try setOption(option, bytes: Array(string.utf8)) }

    public func getInt(_ option: Int32) throws -> Int32 {
        var v: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, option, &v, &size) == 0 else { throw ZMQError.last("zmq_getsockopt(\(option))") }
        return v
    }

    public func getString(_ option: Int32) throws -> String {
        var buf = [CChar](repeating: 0, count: 512)
        var size = buf.count
        guard zmq_getsockopt(handle, option, &buf, &size) == 0 else { throw ZMQError.last("zmq_getsockopt(\(option))") }
        return ZMQ.string(fromNulTerminated: buf)
    }

    /// The endpoint actually bound (useful after binding to port `*`).
    public var lastEndpoint: String { (try? getString(ZMQ_LAST_ENDPOINT)) ?? "" }

    /// Makes this socket a CURVE server whose handshakes are authorised by the ZAP handler for `zapDomain`.
    /// Setting the domain together with ZAP_ENFORCE_DOMAIN makes the socket fail closed when no handler is bound.
    public func makeCurveServer(secretKey: String, zapDomain: String) throws {
        try setOption(ZMQ_CURVE_SERVER, 1)
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
        try setOption(ZMQ_ZAP_DOMAIN, string: zapDomain)
        try setOption(CZMQ_ZAP_ENFORCE_DOMAIN, 1)
    }

    /// Makes this socket a CURVE client of a server whose public key is known.
    public func makeCurveClient(serverPublicKey: String, publicKey: String, secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVERKEY, string: serverPublicKey)
        try setOption(ZMQ_CURVE_PUBLICKEY, string: publicKey)
        try setOption(ZMQ_CURVE_SECRETKEY, string: secretKey)
    }

    public func setHighWaterMarks(send: Int32, receive: Int32) throws {
        try setOption(ZMQ_SNDHWM, send)
        try setOption(ZMQ_RCVHWM, receive)
    }

    /// How long a blocking receive waits before it gives up (ZMQ_RCVTIMEO; -1, the default, waits for ever).
    public func setReceiveTimeout(milliseconds: Int32) throws { try setOption(ZMQ_RCVTIMEO, milliseconds) }

    /// Largest inbound message libzmq will accept; larger ones drop the connection before allocation.
    public func setMaxMessageSize(_ bytes: Int64) throws {
        var v = bytes
        guard zmq_setsockopt(handle, ZMQ_MAXMSGSIZE, &v, MemoryLayout<Int64>.size) == 0 else {
            throw ZMQError.last("zmq_setsockopt(MAXMSGSIZE)")
        }
    }

    // MARK: endpoints

    public func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_bind(\(endpoint))") }
    }

    public func connect(_ endpoint: String) throws {
        guard zmq_connect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_connect(\(endpoint))") }
    }

    public func disconnect(_ endpoint: String) throws {
        guard zmq_disconnect(handle, endpoint) == 0 else { throw ZMQError.last("zmq_disconnect(\(endpoint))") }
    }

    /// Starts a monitor publishing `events` (a mask within ZMQ_EVENT_ALL) on an inproc PAIR endpoint.
    public func monitor(endpoint: String, events: Int32) throws {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else { throw ZMQError.last("zmq_socket_monitor") }
    }

    // MARK: messaging

    /// Sends all frames as one multipart message. With `dontWait` a full queue throws EAGAIN instead of blocking.
    public func send(_ frames: [[UInt8]], dontWait: Bool = true) throws {
        precondition(!frames.isEmpty, "a message has at least one frame")
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
            if i < frames.count - 1 { flags |= ZMQ_SNDMORE }
            let rc = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            if rc < 0 { throw ZMQError.last("zmq_send") }
        }
    }

    /// Sends a one-frame message from bytes the caller owns (zmq_send copies them).
    public func send(bytes: UnsafeBufferPointer<UInt8>, dontWait: Bool = true) throws {
        let rc = zmq_send(handle, bytes.baseAddress, bytes.count, dontWait ? ZMQ_DONTWAIT : 0)
        if rc < 0 { throw ZMQError.last("zmq_send") }
    }

    /// Sends a two-frame message (a ROUTER's routing id and the payload) from bytes the caller owns, without
    /// building an array of frames (a node's routing id comes straight from the peer name's String storage).
    public func send(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>, dontWait: Bool = true) throws {
        let flags: Int32 = dontWait ? ZMQ_DONTWAIT : 0
        if zmq_send(handle, first.baseAddress, first.count, flags | ZMQ_SNDMORE) < 0 { throw ZMQError.last("zmq_send") }
        if zmq_send(handle, second.baseAddress, second.count, flags) < 0 { throw ZMQError.last("zmq_send") }
    }

    /// The zmq_msg_t receives use, allocated once per socket (a socket is used from one thread only).
    private var receiveStorage: UnsafeMutablePointer<zmq_msg_t>?
    private var receiveBuffer: UnsafeMutablePointer<zmq_msg_t> {
        if let m = receiveStorage { return m }
        let m = UnsafeMutablePointer<zmq_msg_t>.allocate(capacity: 1)
        receiveStorage = m
        return m
    }

    /// Receives one multipart message. With `dontWait` returns nil when nothing is queued. With `wantMetadata` the
    /// message carries the peer's ZAP User-Id, and with `wantPeerAddress` its address too.
    public func receive(dontWait: Bool = true, wantMetadata: Bool = false, wantPeerAddress: Bool = false) throws -> Message? {
        var frames: [[UInt8]] = []
        frames.reserveCapacity(2)   // a ROUTER's routing id and payload: one allocation, not a grow
        var userId: String?
        var peer: String?
        let msg = receiveBuffer
        while true {
            zmq_msg_init(msg)
            defer { zmq_msg_close(msg) }
            let flags: Int32 = (dontWait && frames.isEmpty) ? ZMQ_DONTWAIT : 0
            let rc = zmq_msg_recv(msg, handle, flags)
            if rc < 0 {
                let err = ZMQError.last("zmq_msg_recv")
                if err.isWouldBlock && frames.isEmpty { return nil }
                throw err
            }
            let size = zmq_msg_size(msg)
            if size > 0, let data = zmq_msg_data(msg) {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            // A ROUTER builds the routing-id frame itself, without metadata: read it from the payload frames.
            if wantMetadata && userId == nil {
                if let p = zmq_msg_gets(msg, "User-Id") { userId = recentUserId(p) }
                if wantPeerAddress, let p = zmq_msg_gets(msg, "Peer-Address") { peer = String(cString: p) }
            }
            if zmq_msg_more(msg) == 0 { break }
        }
        return Message(frames: frames, userId: userId, peerAddress: peer)
    }

    /// The last User-Id this socket reported: peers repeat from message to message, and a name of more than
    /// 15 bytes ("runtime-frontend") would otherwise be a new String (an allocation) per message.
    private var lastUserId = ""
    private func recentUserId(_ p: UnsafePointer<CChar>) -> String {
        let same = lastUserId.utf8.withContiguousStorageIfAvailable { b -> Bool in
            let n = strlen(p)
            return n == b.count && (n == 0 || memcmp(p, b.baseAddress!, n) == 0)
        } ?? false
        if !same { lastUserId = String(cString: p) }
        return lastUserId
    }

    /// Moves every message waiting on this socket to `destination`, frame by frame without copying (zmq_msg_send
    /// hands the received message over, as zmq_proxy does); returns how many messages moved. A relay that does
    /// nothing else (the benchmark's baseline).
    public func forwardAll(to destination: Socket) throws -> Int {
        var moved = 0
        while try moveOne(to: destination, firstReceiveFlags: ZMQ_DONTWAIT) { moved += 1 }
        return moved
    }

    /// Waits for the next message on this socket (at most ZMQ_RCVTIMEO) and moves it to `destination` frame by frame
    /// without copying, as the C reference's echo server does with blocking zmq_msg_recv / zmq_msg_send. False when
    /// the wait timed out.
    public func forwardNext(to destination: Socket) throws -> Bool {
        try moveOne(to: destination, firstReceiveFlags: 0)
    }

    /// Moves one multipart message; false when its first frame's receive would block (or timed out).
    private func moveOne(to destination: Socket, firstReceiveFlags: Int32) throws -> Bool {
        let msg = receiveBuffer
        var more = true
        var first = true
        while more {
            zmq_msg_init(msg)
            if zmq_msg_recv(msg, handle, first ? firstReceiveFlags : 0) < 0 {
                let err = ZMQError.last("zmq_msg_recv")
                zmq_msg_close(msg)
                if err.isWouldBlock && first { return false }
                throw err
            }
            more = zmq_msg_more(msg) != 0
            first = false
            // On success the message belongs to libzmq (and `msg` is empty again); on failure it is still ours.
            if zmq_msg_send(msg, destination.handle, more ? ZMQ_SNDMORE : 0) < 0 {
                let err = ZMQError.last("zmq_msg_send")
                zmq_msg_close(msg)
                throw err
            }
        }
        return true
    }

    /// The socket's ZMQ_FD: readable when the socket's state may have changed (an edge, not a level). After it fires,
    /// and after any send or receive on the socket, `pendingEvents` must be read before the fd can be trusted again.
    public var fileDescriptor: Int32 { (try? getInt(ZMQ_FD)) ?? -1 }
    /// ZMQ_EVENTS (`Poller.readable` | `Poller.writable`): processes the socket's pending libzmq commands first.
    public var pendingEvents: Int16 { Int16(truncatingIfNeeded: (try? getInt(ZMQ_EVENTS)) ?? 0) }
    /// Whether one message can be sent now without blocking: for a DEALER with ZMQ_IMMEDIATE, that a connection to its
    /// peer is complete and its queue is below the high-water mark.
    public var canSend: Bool { pendingEvents & Poller.writable != 0 }
}

/// One entry of a poll set: a socket or a plain file descriptor.
public enum PollTarget {
    case socket(Socket)
    case fd(Int32)
}

public enum Poller {
    /// Interest and readiness flags for `PollSet`: libzmq's, which differ from poll(2)'s.
    public static let readable: Int16 = Int16(ZMQ_POLLIN)
    public static let writable: Int16 = Int16(ZMQ_POLLOUT)
    public static let failed: Int16 = Int16(ZMQ_POLLERR)

    /// Blocks up to `timeoutMs` (-1 = forever) and returns, for each target, whether it is readable.
    /// Call only from a dedicated thread.
    public static func poll(_ targets: [PollTarget], timeoutMs: Int) throws -> [Bool] {
        let set = PollSet()
        set.reset(targets, events: [])
        try set.wait(timeoutMs: timeoutMs)
        return (0..<set.count).map { set.revents($0) & readable != 0 }
    }
}

/// A poll set kept between calls: the node's loop polls the same sockets on every iteration, so the zmq_pollitem_t
/// array is built once (and rebuilt only when the set changes) instead of on every wait.
public final class PollSet {
    private var items: [zmq_pollitem_t] = []
    public init() {}

    public var count: Int { items.count }

    /// Replaces the set: each target with its interest (`Poller.readable` | `Poller.writable`; readable where
    /// `events` has no entry).
    public func reset(_ targets: [PollTarget], events: [Int16]) {
        items = targets.enumerated().map { i, t -> zmq_pollitem_t in
            let e = i < events.count ? events[i] : Int16(ZMQ_POLLIN)
            switch t {
            case .socket(let s): return zmq_pollitem_t(socket: s.handle, fd: -1, events: e, revents: 0)
            case .fd(let fd): return zmq_pollitem_t(socket: nil, fd: fd, events: e, revents: 0)
            }
        }
    }

    /// Blocks up to `timeoutMs`; afterwards `revents(i)` says what entry `i` is ready for. An interrupted wait
    /// reports nothing ready.
    public func wait(timeoutMs: Int) throws {
        for i in items.indices { items[i].revents = 0 }
        let rc = zmq_poll(&items, Int32(items.count), timeoutMs)
        if rc < 0 {
            let err = ZMQError.last("zmq_poll")
            if err.isInterrupted { return }
            throw err
        }
    }

    public func revents(_ i: Int) -> Int16 { items[i].revents }
}

/// Socket monitor events the runtime cares about.
public enum MonitorEvent: Sendable, Equatable {
    case connected, disconnected, accepted, closed
    case handshakeSucceeded
    case handshakeFailedAuth(status: Int32)
    case handshakeFailedNoDetail
    case handshakeFailedProtocol
    case other(UInt16)

    public static let mask: Int32 = Int32(ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_ACCEPTED
        | ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
        | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)

    /// Decodes a monitor message: frame 0 is a 16-bit event id plus a 32-bit value, frame 1 the endpoint.
    public static func decode(_ message: Message) -> (MonitorEvent, endpoint: String)? {
        guard message.frames.count >= 2, message.frames[0].count >= 6 else { return nil }
        let f = message.frames[0]
        let id = UInt16(f[0]) | UInt16(f[1]) << 8
        let value = Int32(bitPattern: UInt32(f[2]) | UInt32(f[3]) << 8 | UInt32(f[4]) << 16 | UInt32(f[5]) << 24)
        let endpoint = String(decoding: message.frames[1], as: UTF8.self)
        let event: MonitorEvent
        switch Int32(id) {
        case ZMQ_EVENT_CONNECTED: event = .connected
        case ZMQ_EVENT_DISCONNECTED: event = .disconnected
        case ZMQ_EVENT_ACCEPTED: event = .accepted
        case ZMQ_EVENT_CLOSED: event = .closed
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: event = .handshakeSucceeded
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: event = .handshakeFailedAuth(status: value)
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: event = .handshakeFailedNoDetail
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: event = .handshakeFailedProtocol
        default: event = .other(id)
        }
        return (event, endpoint)
    }
}

/// The ZAP (RFC 27) request libzmq sends to the handler at inproc://zeromq.zap.01 for each handshake.
public struct ZAPRequest: Sendable {
    public let routing: [[UInt8]]   // ROUTER envelope up to and including the empty delimiter
    public let requestId: [UInt8]
    public let domain: String
    public let address: String
    public let mechanism: String
    public let clientPublicKey: String?   // Z85

    public static let endpoint = "inproc://zeromq.zap.01"

    /// Parses a message received on a ROUTER bound at `endpoint`.
    public static func parse(_ message: Message) -> ZAPRequest? {
        guard let delimiter = message.frames.firstIndex(where: { $0.isEmpty }) else { return nil }
        let body = Array(message.frames[(delimiter + 1)...])
        guard body.count >= 6, String(decoding: body[0], as: UTF8.self) == "1.0" else { return nil }
        let mechanism = String(decoding: body[5], as: UTF8.self)
        var key: String?
        if mechanism == "CURVE", body.count >= 7 { key = ZMQ.z85Encode(body[6]) }
        return ZAPRequest(
            routing: Array(message.frames[...delimiter]), requestId: body[1],
            domain: String(decoding: body[2], as: UTF8.self), address: String(decoding: body[3], as: UTF8.self),
            mechanism: mechanism, clientPublicKey: key)
    }

    /// The reply frames: status 200 admits the peer as `userId`; 400 refuses it.
    public func reply(status: Int, text: String, userId: String) -> [[UInt8]] {
        routing + [Array("1.0".utf8), requestId, Array(String(status).utf8), Array(text.utf8), Array(userId.utf8), []]
    }
}
