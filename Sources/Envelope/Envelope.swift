// The versioned envelope every simulator message travels in.
//
// Layout of one frame (all integers big-endian):
//   routing header  "BSE" version type flags deadline messageId inReplyTo requestId traceparent src dst claims
//   hop part        lamport stamps
//   body            u32 length + bytes (sealed end to end for client <-> front end traffic)
// The routing header is bound as additional authenticated data of the end-to-end seal, so an intermediary that
// rewrites the destination, the message id or the deadline breaks the seal. The hop part is what intermediaries
// legitimately change: each node's Lamport clock, and stamps such as the PrivateLink endpoint's vpce id.

public enum EnvelopeLimits {
    /// Largest frame any socket accepts (libzmq drops larger messages before they are allocated).
    public static let maxFrameBytes = 8 * 1024 * 1024
    /// Largest body; Bedrock's InvokeModel accepts bodies up to a few MiB.
    public static let maxBodyBytes = 6 * 1024 * 1024
    public static let maxStamps = 16
    public static let maxStringBytes = 512
}

public enum MessageType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case invokeRequest = 1      // client -> endpoint -> front end, sealed HTTP request
    case invokeResponse = 2     // front end -> endpoint -> client, sealed HTTP response
    case modelRequest = 3       // front end -> model host
    case modelResponse = 4      // model host -> front end
    case error = 5              // a node refusing a frame it could not process; body is an ErrorBody
    case ping = 6               // health check
    case pong = 7
    case control = 8            // operator -> node command (inject, bench, status)
    case controlReply = 9
    case streamChunk = 10       // a piece of a streamed response, in order, same requestId
    case awsRequest = 20        // an HTTP-shaped AWS API call between service nodes (KMS, S3, customization)
    case awsResponse = 21       // its answer
    case cancel = 11            // the caller went away: drop the request (client -> endpoint -> front end -> host)

    public var description: String {
        switch self {
        case .invokeRequest: "invoke-request"
        case .invokeResponse: "invoke-response"
        case .modelRequest: "model-request"
        case .modelResponse: "model-response"
        case .error: "error"
        case .ping: "ping"
        case .pong: "pong"
        case .control: "control"
        case .controlReply: "control-reply"
        case .streamChunk: "stream-chunk"
        case .awsRequest: "aws-request"
        case .awsResponse: "aws-response"
        case .cancel: "cancel"
        }
    }
}

/// A node as seen on the wire: its name and its AWS account id.
public struct NodeAddress: Sendable, Hashable, CustomStringConvertible {
    public var node: String
    public var account: String
    public init(node: String, account: String) { self.node = node; self.account = account }
    public var description: String { "\(node)@\(account)" }
}

public struct Envelope: Sendable {
    public static let magic: [UInt8] = [0x42, 0x53, 0x45]  // "BSE"
    public static let version: UInt8 = 1

    public var type: MessageType
    public var flags: UInt8 = 0
    public var deadlineUnixMs: UInt64
    public var messageId: String
    public var inReplyTo: String
    /// The AWS request id of the call this message belongs to (x-amzn-RequestId).
    public var requestId: String
    /// W3C trace context of the call.
    public var traceparent: String
    public var source: NodeAddress
    public var destination: NodeAddress
    /// Claims the sender makes in the clear for intermediaries (e.g. the caller's access key id, so the PrivateLink
    /// endpoint can evaluate its endpoint policy). Bound as AAD, so they cannot be altered on the way, and the front
    /// end checks them against what it authenticates.
    public var claims: StringPairs = [:]
    // Hop part (not authenticated end to end).
    public var lamport: UInt64
    public var stamps: StringPairs
    public var body: [UInt8]

    public init(
        type: MessageType, messageId: String, inReplyTo: String = "", requestId: String, traceparent: String,
        source: NodeAddress, destination: NodeAddress, deadlineUnixMs: UInt64, lamport: UInt64 = 0,
        stamps: StringPairs = [:], body: [UInt8] = []
    ) {
        // Each field set here rather than through the full initialiser: delegating copied the whole envelope and
        // destroyed the original (about 600 instructions per message).
        self.type = type; self.messageId = messageId; self.inReplyTo = inReplyTo
        self.requestId = requestId; self.traceparent = traceparent; self.source = source; self.destination = destination
        self.deadlineUnixMs = deadlineUnixMs; self.lamport = lamport; self.stamps = stamps
        self.body = body
    }

    /// Every field at once (the decoder's).
    init(type: MessageType, flags: UInt8, messageId: String, inReplyTo: String, requestId: String, traceparent: String,
         source: NodeAddress, destination: NodeAddress, claims: StringPairs, deadlineUnixMs: UInt64, lamport: UInt64,
         stamps: StringPairs, body: [UInt8]) {
        self.type = type; self.flags = flags; self.messageId = messageId; self.inReplyTo = inReplyTo
        self.requestId = requestId; self.traceparent = traceparent; self.source = source; self.destination = destination
        self.claims = claims; self.deadlineUnixMs = deadlineUnixMs; self.lamport = lamport; self.stamps = stamps
        self.body = body
    }

    /// The answer to this envelope: the same request, trace context and deadline, addressed back to its source.
    public func reply(_ type: MessageType, messageId: String, from source: NodeAddress, body: [UInt8] = []) -> Envelope {
        Envelope(type: type, messageId: messageId, inReplyTo: self.messageId, requestId: requestId, traceparent: traceparent,
                 source: source, destination: self.source, deadlineUnixMs: deadlineUnixMs, body: body)
    }

    /// The routing header bytes: exactly what the end-to-end seal authenticates.
    public var routingHeader: [UInt8] {
        ByteWriter.build(capacity: 256) { writeRoutingHeader(&$0) }
    }

    func writeRoutingHeader(_ w: inout ByteWriter) {
        w.raw(Envelope.magic)
        w.u8(Envelope.version)
        w.u8(type.rawValue)
        w.u8(flags)
        w.u64(deadlineUnixMs)
        w.string(messageId)
        w.string(inReplyTo)
        w.string(requestId)
        w.string(traceparent)
        w.string(source.node); w.string(source.account)
        w.string(destination.node); w.string(destination.account)
        w.pairs(claims)
    }

    public func encode() -> [UInt8] {
        encode(routingHeader: nil)
    }

    /// Same, with this envelope's routing header already serialized (the bytes a seal authenticated, or that a
    /// relay received): copied instead of written field by field again. A relay forwards the header exactly as it
    /// arrived, which is also what the seal authenticated (a received header with claims out of key order is
    /// decoded normalised, but forwarded as sent). Not checked here: a frame may legitimately differ from its
    /// normalised re-encoding, and a check that trapped would let a crafted frame stop the node.
    public func encode(routingHeader header: [UInt8]?) -> [UInt8] { encode(routingHeader: header, lamport: lamport) }

    /// Same, with the hop's Lamport clock given (a sender stamps its own without copying the envelope to set it).
    public func encode(routingHeader header: [UInt8]?, lamport: UInt64) -> [UInt8] {
        // Sized exactly, so the frame is written without growing (and copying) its buffer. (The writer's closure
        // still copies the envelope once per frame, as a closure over a borrowed parameter did too: measured.)
        var size = 13 + body.count
        if let header {
            size += header.count
        } else {
            size += 33 + messageId.utf8.count + inReplyTo.utf8.count + requestId.utf8.count + traceparent.utf8.count
            size += source.node.utf8.count + source.account.utf8.count + destination.node.utf8.count + destination.account.utf8.count
            size += claims.wireSize
        }
        size += stamps.wireSize
        return ByteWriter.build(capacity: size) { w in
            if let header { w.raw(header) } else { writeRoutingHeader(&w) }
            w.u64(lamport)
            w.pairs(stamps)
            w.blob32(body)
        }
    }

    /// Decodes a frame, enforcing every size limit. Returns the envelope and the routing-header bytes (for AAD).
    public static func decode(_ bytes: [UInt8]) throws(WireFormatError) -> (Envelope, routingHeader: [UInt8]) {
        try decode(bytes, recent: nil)
    }

    /// Same, reusing the Strings `recent` holds for fields that repeat from frame to frame.
    static func decode(_ bytes: [UInt8], recent: EnvelopeDecoder?) throws(WireFormatError) -> (Envelope, routingHeader: [UInt8]) {
        guard bytes.count <= EnvelopeLimits.maxFrameBytes else {
            throw WireFormatError(field: "frame", problem: "\(bytes.count) bytes exceeds the \(EnvelopeLimits.maxFrameBytes)-byte limit")
        }
        var r = ByteReader(bytes)
        let magic = try r.raw(3, "magic")
        guard magic == Envelope.magic else { throw WireFormatError(field: "magic", problem: "not a simulator envelope") }
        let version = try r.u8("version")
        guard version == Envelope.version else {
            throw WireFormatError(field: "version", problem: "unsupported envelope version \(version) (this node speaks \(Envelope.version))")
        }
        let rawType = try r.u8("type")
        guard let type = MessageType(rawValue: rawType) else {
            throw WireFormatError(field: "type", problem: "unknown message type \(rawType)")
        }
        let flags = try r.u8("flags")
        let deadline = try r.u64("deadline")
        let max = EnvelopeLimits.maxStringBytes
        let messageId = try r.string("messageId", max: max)
        let inReplyTo = try r.string("inReplyTo", max: max)
        let requestId = try r.string("requestId", max: max)
        let traceparent = try r.string("traceparent", max: max)
        let src = NodeAddress(node: try r.string("source.node", max: max, recent: recent, slot: 0),
                              account: try r.string("source.account", max: max, recent: recent, slot: 1))
        let dst = NodeAddress(node: try r.string("destination.node", max: max, recent: recent, slot: 2),
                              account: try r.string("destination.account", max: max, recent: recent, slot: 3))
        let claimCount = Int(try r.u8("claims.count"))
        guard claimCount <= EnvelopeLimits.maxStamps else {
            throw WireFormatError(field: "claims", problem: "\(claimCount) claims exceeds the limit of \(EnvelopeLimits.maxStamps)")
        }
        var claims = StringPairs()
        claims.reserveCapacity(claimCount)
        for i in 0..<claimCount {
            let k = try r.string("claims[\(i)].key", max: max, recent: recent, slot: 4 + 2 * min(i, 3))
            claims.appendDecoded(k, try r.string("claims[\(i)].value", max: max, recent: recent, slot: 5 + 2 * min(i, 3)))
        }
        let headerEnd = r.offset
        let lamport = try r.u64("lamport")
        let stampCount = Int(try r.u8("stamps.count"))
        guard stampCount <= EnvelopeLimits.maxStamps else {
            throw WireFormatError(field: "stamps", problem: "\(stampCount) stamps exceeds the limit of \(EnvelopeLimits.maxStamps)")
        }
        var stamps = StringPairs()
        stamps.reserveCapacity(stampCount)
        for i in 0..<stampCount {
            let k = try r.string("stamps[\(i)].key", max: max, recent: recent, slot: 12 + 2 * min(i, 3))
            stamps.appendDecoded(k, try r.string("stamps[\(i)].value", max: max, recent: recent, slot: 13 + 2 * min(i, 3)))
        }
        let body = try r.blob32("body", max: EnvelopeLimits.maxBodyBytes)
        guard r.isAtEnd else { throw WireFormatError(field: "frame", problem: "\(r.remaining) trailing bytes") }
        guard !messageId.isEmpty else { throw WireFormatError(field: "messageId", problem: "is empty") }
        let header = bytes.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[0..<headerEnd])) }
        // Built in one initialisation (setting flags and claims afterwards copied the whole envelope; callgrind
        // still shows one copy here, whichever way the result is returned).
        return (Envelope(
            type: type, flags: flags, messageId: messageId, inReplyTo: inReplyTo, requestId: requestId, traceparent: traceparent,
            source: src, destination: dst, claims: claims, deadlineUnixMs: deadline, lamport: lamport, stamps: stamps, body: body),
            header)
    }
}

/// Decodes frames for one node, reusing the String of a field whose bytes are those of that field in an earlier
/// frame: node names, accounts, claims and stamps repeat on every message of a link, and a String of more than 15
/// bytes is an allocation. Not thread-safe: one per node loop.
public final class EnvelopeDecoder {
    /// Where the HTTP message slots start, and how many headers of a message are cached.
    static let httpSlots = 20, httpHeaderSlots = 16
    /// The last value of each repeating field (slots: source node/account, destination node/account, four claim
    /// and four stamp key/value pairs; then an HTTP message's method, path and first 16 header names and values).
    var recent = [String](repeating: "", count: httpSlots + 2 + 2 * httpHeaderSlots)
    public init() {}

    public func decode(_ bytes: [UInt8]) throws(WireFormatError) -> (Envelope, routingHeader: [UInt8]) {
        try Envelope.decode(bytes, recent: self)
    }

    /// An HTTP request or response carried in a body (a header, a host, a content type repeats on every call).
    public func request(_ bytes: [UInt8]) throws(WireFormatError) -> HTTPRequest { try HTTPRequest.decode(bytes, recent: self) }
    public func response(_ bytes: [UInt8]) throws(WireFormatError) -> HTTPResponse { try HTTPResponse.decode(bytes, recent: self) }
}

/// Body of an `error` message and of a refused control command: an AWS-style error type and message.
public struct ErrorBody: Sendable, Equatable {
    public var errorType: String
    public var message: String
    public var httpStatus: Int
    public init(errorType: String, message: String, httpStatus: Int) {
        self.errorType = errorType; self.message = message; self.httpStatus = httpStatus
    }
    public func encode() -> [UInt8] {
        var w = ByteWriter(); w.string(errorType); w.u16(UInt16(clamping: httpStatus)); w.blob32(Array(message.utf8)); return w.bytes
    }
    public static func decode(_ bytes: [UInt8]) throws(WireFormatError) -> ErrorBody {
        var r = ByteReader(bytes)
        let t = try r.string("error.type")
        let s = Int(try r.u16("error.status"))
        let m = try r.blob32("error.message", max: 64 * 1024)
        return ErrorBody(errorType: t, message: String(decoding: m, as: UTF8.self), httpStatus: s)
    }
}
