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

/// Who wrote a record: the fields the collector adds to every line of that node.
public struct TraceIdentity: Sendable {
    public let node: String
    public let role: String
    public let account: String
    public let accountKind: String
    /// `,"node":…,"role":…,"account":…,"accountKind":…` as every line of this writer carries it.
    let renderedFields: [UInt8]
    public init(node: String, role: String, account: String, accountKind: String) {
        self.node = node; self.role = role; self.account = account; self.accountKind = accountKind
        var f: [UInt8] = []
        for (k, v) in [("node", node), ("role", role), ("account", account), ("accountKind", accountKind)] {
            f.append(contentsOf: Array(",\"\(k)\":".utf8)); JSONLine.appendQuoted(v, to: &f)
        }
        renderedFields = f
    }
}

/// The journal on the wire between a node and the collector: a compact binary batch (length-prefixed fields, no
/// escaping, no number formatting), so the hot path of every hop only copies bytes. The collector renders each
/// record as the trace.jsonl line, adding the writer's identity (from the CURVE-authenticated peer, never from the
/// batch itself) and the human-readable timestamp.
///
/// Batch: magic 0xB7, version 2, then records. Record: u8 event, u64 wallMs, u64 monoNs, u64 lamport, u32 bytes,
/// nine u16-length strings (type, peer, peerAccount, messageId, requestId, inReplyTo, traceparent, decision,
/// reason), u8 count + layer strings, u8 count + detail key/value strings. Integers are little-endian. Two
/// shortcuts keep the hops of one call small (a node writes the receive, decision and send of a call one after
/// another): the length 0xFFFF stands for "this field of the previous record of the batch" for the first seven
/// strings (the first record of a batch cannot use it), and a layer count of 0x81 / 0x82 stands for the layer
/// lists ["curve"] / ["curve", "e2e-aes-256-gcm"].
public enum TraceWire {
    public static let magic: UInt8 = 0xB7
    public static let version: UInt8 = 2
    static let events: [TraceRecord.Event] = [.send, .recv, .decision, .refused, .rejected, .error, .start, .stop, .link]
    /// The length that means "same as in the previous record"; longer strings are cut one byte shorter.
    static let sameAsPrevious: UInt16 = 0xFFFF
    /// How many leading string fields may repeat (type … traceparent).
    static let repeatableFields = 7
    static let layerCodes: [[String]] = [[], ["curve"], ["curve", "e2e-aes-256-gcm"]]

    public static func beginBatch(_ out: inout [UInt8]) { out.append(magic); out.append(version) }

    @inline(__always) static func u64(_ v: UInt64, _ out: inout [UInt8]) {
        withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }

    @inline(__always) static func string(_ s: String, _ out: inout [UInt8]) {
        let max = Int(sameAsPrevious) - 1
        let n = min(s.utf8.count, max)
        out.append(UInt8(truncatingIfNeeded: n)); out.append(UInt8(truncatingIfNeeded: n >> 8))
        if n == s.utf8.count { out.append(contentsOf: s.utf8) } else { out.append(contentsOf: s.utf8.prefix(n)) }
    }

    /// A repeatable field: the marker when it equals that field of the previous record (`previous` holds one entry
    /// per repeatable field for a batch that uses the shortcut, none for a record written on its own).
    @inline(__always) static func field(_ s: String, _ slot: Int, _ previous: inout [String], _ out: inout [UInt8]) {
        if !previous.isEmpty {
            if !s.isEmpty && s == previous[slot] { out.append(0xFF); out.append(0xFF); return }
            previous[slot] = s
        }
        string(s, &out)
    }

    public static func append(_ r: TraceRecord, to out: inout [UInt8]) {
        var none: [String] = []
        append(r, to: &out, previous: &none)
    }

    static func append(_ r: TraceRecord, to out: inout [UInt8], previous: inout [String]) {
        appendHead(r.event, wallMs: r.wallMs, monoNs: r.monoNs, lamport: r.lamport, bytes: r.bytes, type: r.messageType,
                   peer: r.peer, peerAccount: r.peerAccount, messageId: r.messageId, requestId: r.requestId,
                   inReplyTo: r.inReplyTo, traceparent: r.traceparent, decision: r.decision, reason: r.reason,
                   previous: &previous, to: &out)
        if let code = layerCodes.firstIndex(of: r.layers), code > 0 {
            out.append(0x80 | UInt8(code))
        } else {
            out.append(UInt8(min(r.layers.count, 127)))
            for l in r.layers.prefix(127) { string(l, &out) }
        }
        out.append(UInt8(min(r.details.count, 255)))
        for (k, v) in r.details.prefix(255) { string(k, &out); string(v, &out) }
    }

    /// A send or receive record written straight from the envelope's fields: the same bytes as `append` of the
    /// equivalent TraceRecord, without building one (two of these per message on every node).
    public static func appendTransit(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes: Int,
                                     type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                                     inReplyTo: String, traceparent: String, endToEnd: Bool, decision: String, reason: String,
                                     details: [(String, String)], vpceId: String?, to out: inout [UInt8]) {
        var none: [String] = []
        appendTransit(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: bytes, type: type, peer: peer,
                      peerAccount: peerAccount, messageId: messageId, requestId: requestId, inReplyTo: inReplyTo,
                      traceparent: traceparent, endToEnd: endToEnd, decision: decision, reason: reason, details: details,
                      vpceId: vpceId, previous: &none, to: &out)
    }

    static func appendTransit(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes: Int,
                              type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                              inReplyTo: String, traceparent: String, endToEnd: Bool, decision: String, reason: String,
                              details: [(String, String)], vpceId: String?, previous: inout [String], to out: inout [UInt8]) {
        appendHead(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: bytes, type: type, peer: peer,
                   peerAccount: peerAccount, messageId: messageId, requestId: requestId, inReplyTo: inReplyTo,
                   traceparent: traceparent, decision: decision, reason: reason, previous: &previous, to: &out)
        out.append(endToEnd ? 0x82 : 0x81)
        out.append(UInt8(min(details.count + (vpceId == nil ? 0 : 1), 255)))
        for (k, v) in details.prefix(254) { string(k, &out); string(v, &out) }
        if let vpceId { string("vpceId", &out); string(vpceId, &out) }
    }

    /// Everything of a record before its layers and details.
    @inline(__always)
    static func appendHead(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes: Int,
                           type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                           inReplyTo: String, traceparent: String, decision: String, reason: String,
                           previous: inout [String], to out: inout [UInt8]) {
        out.append(UInt8(events.firstIndex(of: event) ?? 0))
        u64(wallMs, &out); u64(monoNs, &out); u64(lamport, &out)
        withUnsafeBytes(of: UInt32(clamping: bytes).littleEndian) { out.append(contentsOf: $0) }
        field(type, 0, &previous, &out); field(peer, 1, &previous, &out); field(peerAccount, 2, &previous, &out)
        field(messageId, 3, &previous, &out); field(requestId, 4, &previous, &out); field(inReplyTo, 5, &previous, &out)
        field(traceparent, 6, &previous, &out)
        string(decision, &out); string(reason, &out)
    }


    public struct MalformedBatch: Error, CustomStringConvertible {
        public let offset: Int
        public let problem: String
        public var description: String { "malformed trace batch at byte \(offset): \(problem)" }
    }

    /// Renders every record of `batch` as one JSON line (newline-terminated) onto `out`; returns how many.
    /// Lines rendered before a malformed record stay in `out`; the error says where the batch went wrong.
    public static func render(batch: [UInt8], as who: TraceIdentity, into out: inout [UInt8],
                              cache: inout (second: UInt64, prefix: String)) throws(MalformedBatch) -> Int {
        let buffer = LineBuffer(capacity: 4 * batch.count + 1024)
        defer { out.append(contentsOf: buffer.bytes) }
        return try render(batch: batch, as: who, into: buffer, cache: &cache)
    }

    /// Same, onto a `LineBuffer` (the collector keeps one: rendering is most of its work, about 10 KB of JSON per
    /// call, and writing through a pointer into reserved space avoids Array's checks on every append).
    public static func render(batch: [UInt8], as who: TraceIdentity, into out: LineBuffer,
                              cache: inout (second: UInt64, prefix: String)) throws(MalformedBatch) -> Int {
        try batch.withUnsafeBufferPointer { (buf) throws(MalformedBatch) -> Int in
            guard buf.count >= 2, buf[0] == magic else { throw MalformedBatch(offset: 0, problem: "not a trace batch") }
            guard buf[1] == version else { throw MalformedBatch(offset: 1, problem: "unsupported version \(buf[1])") }
            var r = Reader(buf: buf, offset: 2)
            var count = 0
            // The repeatable fields of the previous record (nil before the first).
            var previous = [UnsafeBufferPointer<UInt8>?](repeating: nil, count: repeatableFields)
            while r.offset < buf.count {
                let lineStart = out.count
                do throws(MalformedBatch) {
                    try renderRecord(&r, who, out, &cache, &previous)
                } catch {
                    out.count = lineStart
                    throw error
                }
                count += 1
            }
            return count
        }
    }

    struct Reader {
        let buf: UnsafeBufferPointer<UInt8>
        var offset: Int
        mutating func need(_ n: Int, _ what: StaticString) throws(MalformedBatch) {
            guard buf.count - offset >= n else { throw MalformedBatch(offset: offset, problem: "truncated \(what)") }
        }
        mutating func u8(_ what: StaticString) throws(MalformedBatch) -> UInt8 {
            try need(1, what); defer { offset += 1 }; return buf[offset]
        }
        mutating func skip(_ n: Int, _ what: StaticString) throws(MalformedBatch) { try need(n, what); offset += n }
        /// Whether the next string is the "same as the previous record" marker (consumed if so).
        mutating func isRepeat(_ what: StaticString) throws(MalformedBatch) -> Bool {
            try need(2, what)
            guard buf[offset] == 0xFF && buf[offset + 1] == 0xFF else { return false }
            offset += 2
            return true
        }
        /// A repeatable field: its bytes, or the previous record's (checked by the first pass); remembered.
        mutating func repeatable(_ slot: Int, _ previous: inout [UnsafeBufferPointer<UInt8>?]) throws(MalformedBatch) -> UnsafeBufferPointer<UInt8> {
            let v = try isRepeat(TraceWire.repeatableNames[slot]) ? previous[slot]! : try string(TraceWire.repeatableNames[slot])
            previous[slot] = v
            return v
        }
        mutating func uint(_ width: Int, _ what: StaticString) throws(MalformedBatch) -> UInt64 {
            try need(width, what)
            let raw = UnsafeRawPointer(buf.baseAddress!) + offset
            offset += width
            switch width {
            case 8: return UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            case 4: return UInt64(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
            case 2: return UInt64(UInt16(littleEndian: raw.loadUnaligned(as: UInt16.self)))
            default:
                var v: UInt64 = 0
                for i in 0..<width { v |= UInt64(raw.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
                return v
            }
        }
        mutating func string(_ what: StaticString) throws(MalformedBatch) -> UnsafeBufferPointer<UInt8> {
            let n = Int(try uint(2, what))
            try need(n, what)
            defer { offset += n }
            return UnsafeBufferPointer(rebasing: buf[offset..<(offset + n)])
        }
    }

    /// Room one record's line can take at most: every byte of the record may become a 6-byte escape (or a
    /// 3-byte replacement character), plus keys, numbers and the writer's identity.
    static func bound(_ recordBytes: Int, _ who: TraceIdentity) -> Int { 6 * recordBytes + who.renderedFields.count + 1024 }

    static let repeatableNames: [StaticString] = ["type", "peer", "peerAccount", "messageId", "requestId", "inReplyTo", "traceparent"]

    static func renderRecord(_ r: inout Reader, _ who: TraceIdentity, _ out: LineBuffer,
                             _ cache: inout (second: UInt64, prefix: String),
                             _ previous: inout [UnsafeBufferPointer<UInt8>?]) throws(MalformedBatch) {
        // First pass: the record's extent (so one reservation bounds the whole line) and every check. A repeated
        // field's bytes are elsewhere in the batch, so they count towards the bound too.
        let recordStart = r.offset
        var scan = r
        var repeated = 0
        let e = Int(try scan.u8("event"))
        guard e < events.count else { throw MalformedBatch(offset: scan.offset - 1, problem: "unknown event \(e)") }
        try scan.skip(8 + 8 + 8 + 4, "fixed fields")
        for slot in 0..<repeatableFields {
            if try scan.isRepeat(repeatableNames[slot]) {
                guard let p = previous[slot] else {
                    throw MalformedBatch(offset: scan.offset - 2, problem: "\(repeatableNames[slot]) repeats a previous record, but there is none")
                }
                repeated += p.count
            } else {
                _ = try scan.string(repeatableNames[slot])
            }
        }
        _ = try scan.string("decision"); _ = try scan.string("reason")
        let layerByte = try scan.u8("layers")
        if layerByte & 0x80 != 0 {
            guard Int(layerByte & 0x7F) < layerCodes.count else {
                throw MalformedBatch(offset: scan.offset - 1, problem: "unknown layer code \(layerByte)")
            }
        } else {
            for _ in 0..<Int(layerByte) { _ = try scan.string("layer") }
        }
        let detailCount = Int(try scan.u8("details"))
        for _ in 0..<detailCount { _ = try scan.string("detail key"); _ = try scan.string("detail value") }
        out.reserve(bound(scan.offset - recordStart + repeated + 64, who))

        // Second pass: the line. Field order is the trace.jsonl schema (docs/architecture.md); keys are
        // pre-encoded with their punctuation.
        r.offset += 1
        let wall = try r.uint(8, "wallMs"), mono = try r.uint(8, "monoNs"), lamport = try r.uint(8, "lamport")
        let bytes = try r.uint(4, "bytes")
        var fields: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>,
                     UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>)
        fields.0 = try r.repeatable(0, &previous); fields.1 = try r.repeatable(1, &previous); fields.2 = try r.repeatable(2, &previous)
        fields.3 = try r.repeatable(3, &previous); fields.4 = try r.repeatable(4, &previous); fields.5 = try r.repeatable(5, &previous)
        fields.6 = try r.repeatable(6, &previous)
        let (type, peer, peerAccount, messageId, requestId, inReplyTo, traceparent) = fields
        let decision = try r.string("decision"), reason = try r.string("reason")
        out.put(Keys.ts)
        appendTimestamp(wall, out, &cache)
        out.put(Keys.wallMs); out.putDecimal(wall)
        out.put(Keys.monoNs); out.putDecimal(mono)
        out.put(who.renderedFields)
        out.put(Keys.events[e])
        field(Keys.type, type, out)
        field(Keys.peer, peer, out)
        field(Keys.peerAccount, peerAccount, out)
        if peerAccount.count > 0 {
            out.put(peerAccount.elementsEqual(who.account.utf8) ? Keys.crossesFalse : Keys.crossesTrue)
        }
        field(Keys.messageId, messageId, out)
        field(Keys.requestId, requestId, out)
        field(Keys.inReplyTo, inReplyTo, out)
        field(Keys.traceparent, traceparent, out)
        if bytes > 0 { out.put(Keys.bytes); out.putDecimal(bytes) }
        r.offset += 1
        if layerByte & 0x80 != 0 {
            let code = Int(layerByte & 0x7F)
            if code > 0 { out.put(Keys.layerLists[code]) }
        } else if layerByte > 0 {
            out.put(Keys.layers)
            for i in 0..<Int(layerByte) {
                if i > 0 { out.put(UInt8(ascii: ",")) }
                out.putQuoted(try r.string("layer"))
            }
            out.put(UInt8(ascii: "]"))
        }
        field(Keys.decision, decision, out)
        field(Keys.reason, reason, out)
        if lamport > 0 { out.put(Keys.lamport); out.putDecimal(lamport) }
        r.offset += 1
        for _ in 0..<detailCount {
            out.put(UInt8(ascii: ","))
            out.putQuoted(try r.string("detail key")); out.put(UInt8(ascii: ":"))
            out.putQuoted(try r.string("detail value"))
        }
        out.put(UInt8(ascii: "}")); out.put(10)
    }

    @inline(__always) static func field(_ key: [UInt8], _ v: UnsafeBufferPointer<UInt8>, _ out: LineBuffer) {
        guard v.count > 0 else { return }
        out.put(key)
        out.putQuoted(v)
    }

    /// `"2026-11-27T01:02:03.456Z"`, the second's prefix cached.
    static func appendTimestamp(_ wallMs: UInt64, _ out: LineBuffer, _ cache: inout (second: UInt64, prefix: String)) {
        let second = wallMs / 1000
        if cache.second != second || cache.prefix.isEmpty {
            let full = SimClock.iso8601(unixMs: second * 1000, fractional: false)
            cache = (second, String(full.dropLast()))   // without the trailing Z
        }
        let ms = Int(wallMs % 1000)
        out.put(UInt8(ascii: "\""))
        var prefix = cache.prefix
        prefix.withUTF8 { out.put($0) }
        out.put(UInt8(ascii: "."))
        out.put(48 + UInt8(ms / 100)); out.put(48 + UInt8(ms / 10 % 10)); out.put(48 + UInt8(ms % 10))
        out.put(UInt8(ascii: "Z")); out.put(UInt8(ascii: "\""))
    }

    enum Keys {
        static func k(_ name: String, comma: Bool = true) -> [UInt8] { Array(((comma ? "," : "") + "\"\(name)\":").utf8) }
        static let ts = Array("{\"ts\":".utf8)
        static let wallMs = k("wallMs"), monoNs = k("monoNs"), type = k("type"), peer = k("peer"), peerAccount = k("peerAccount")
        static let messageId = k("messageId"), requestId = k("requestId"), inReplyTo = k("inReplyTo")
        static let traceparent = k("traceparent"), bytes = k("bytes"), decision = k("decision"), reason = k("reason")
        static let lamport = k("lamport")
        static let layers = Array(",\"layers\":[".utf8)
        /// The layer lists of the layer codes, rendered.
        static let layerLists: [[UInt8]] = TraceWire.layerCodes.map { list in
            Array((",\"layers\":[" + list.map { "\"\($0)\"" }.joined(separator: ",") + "]").utf8)
        }
        static let crossesTrue = Array(",\"crossesAccountBoundary\":true".utf8)
        static let crossesFalse = Array(",\"crossesAccountBoundary\":false".utf8)
        static let events: [[UInt8]] = TraceWire.events.map { Array(",\"event\":\"\($0.rawValue)\"".utf8) }
    }
}

/// A node's batch being written: the previous record's repeatable fields are remembered, so a field that repeats
/// (the request id and trace context of the hops of one call, most often) is written as a two-byte marker.
public struct TraceBatch {
    public private(set) var bytes: [UInt8] = []
    private var previous: [String] = []
    public init() {}

    public var isEmpty: Bool { bytes.isEmpty }
    public var count: Int { bytes.count }

    public mutating func begin() {
        bytes.removeAll(keepingCapacity: true)
        TraceWire.beginBatch(&bytes)
        previous = [String](repeating: "", count: TraceWire.repeatableFields)
        if bytes.capacity < 64 * 1024 { bytes.reserveCapacity(64 * 1024) }
    }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true); previous = [] }

    public mutating func append(_ r: TraceRecord) { TraceWire.append(r, to: &bytes, previous: &previous) }

    public mutating func appendTransit(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes n: Int,
                                       type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                                       inReplyTo: String, traceparent: String, endToEnd: Bool, decision: String, reason: String,
                                       details: [(String, String)], vpceId: String?) {
        TraceWire.appendTransit(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: n, type: type, peer: peer,
                                peerAccount: peerAccount, messageId: messageId, requestId: requestId, inReplyTo: inReplyTo,
                                traceparent: traceparent, endToEnd: endToEnd, decision: decision, reason: reason,
                                details: details, vpceId: vpceId, previous: &previous, to: &bytes)
    }
}

/// Encodes records for one node as trace.jsonl lines (the collector's own records, and tests).
public struct TraceEncoder {
    public let identity: TraceIdentity
    private var secondCache: (second: UInt64, prefix: String) = (0, "")

    public init(node: String, role: String, account: String, accountKind: String) {
        identity = TraceIdentity(node: node, role: role, account: account, accountKind: accountKind)
    }

    public mutating func encode(_ r: TraceRecord) -> [UInt8] {
        var r = r
        if r.wallMs == 0 { r.wallMs = SimClock.unixMilliseconds() }
        if r.monoNs == 0 { r.monoNs = SimClock.monotonicNanoseconds() }
        var batch: [UInt8] = []
        TraceWire.beginBatch(&batch)
        TraceWire.append(r, to: &batch)
        return line(ofBatch: batch)
    }

    /// The trace.jsonl line (without its newline) of a batch holding one record.
    public mutating func line(ofBatch batch: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        _ = try? TraceWire.render(batch: batch, as: identity, into: &out, cache: &secondCache)
        if out.last == 10 { out.removeLast() }
        return out
    }
}

/// A byte buffer written through a pointer: `reserve` once for a bounded piece, then `put` without further checks.
public final class LineBuffer {
    // Unchecked: one owner on one thread; dynamic exclusivity checks on every byte written cost more than the write.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    /// Bytes written so far; setting it lower drops the rest.
    @exclusivity(unchecked) public var count = 0

    public init(capacity: Int = 64 * 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }
    deinit { base.deallocate() }

    /// Makes room for `n` more bytes.
    public func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        let newCapacity = max(capacity * 2, count + n)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// What was written.
    public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    public func removeAll() { count = 0 }

    // Callers have reserved the room (`reserve`); the precondition keeps a wrong bound from writing past the end.
    @inline(__always) func put(_ b: UInt8) {
        precondition(count < capacity, "LineBuffer: write past the reserved room")
        base[count] = b; count += 1
    }
    @inline(__always) func put(_ p: UnsafeBufferPointer<UInt8>) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        precondition(count + p.count <= capacity, "LineBuffer: write past the reserved room")
        (base + count).update(from: src, count: p.count)
        count += p.count
    }
    @inline(__always) func put(_ a: [UInt8]) { a.withUnsafeBufferPointer { put($0) } }

    func putDecimal(_ v: UInt64) {
        precondition(count + 20 <= capacity, "LineBuffer: write past the reserved room")
        if v < 10 { base[count] = 48 + UInt8(v); count += 1; return }
        var digits = 0
        var x = v
        while x > 0 { digits += 1; x /= 10 }
        x = v
        var i = count + digits
        while x > 0 { i -= 1; base[i] = 48 + UInt8(truncatingIfNeeded: x % 10); x /= 10 }
        count += digits
    }

    /// A JSON string literal of UTF-8 bytes received from elsewhere: ASCII without escapes is copied as is;
    /// anything else goes through `JSONLine.appendQuoted`, which repairs invalid UTF-8 (at most 6 bytes per byte).
    func putQuoted(_ b: UnsafeBufferPointer<UInt8>) {
        if LineBuffer.needsEscaping(b) {
            var escaped: [UInt8] = []
            JSONLine.appendQuoted(bytes: b, to: &escaped)
            put(escaped)
            return
        }
        put(UInt8(ascii: "\"")); put(b); put(UInt8(ascii: "\""))
    }

    /// Whether any byte is a control character, `"`, `\` or non-ASCII; eight bytes per step (the classic
    /// "has a zero byte" word tests), since every field of every line passes through here.
    static func needsEscaping(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = b.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= b.count {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // ≥ 0x80 | < 0x20 (subtracting 0x20 borrows into the high bit) | '"' | '\\'
            if w & highs != 0 || (w &- 0x2020_2020_2020_2020) & ~w & highs != 0
                || hasZero(w ^ 0x2222_2222_2222_2222) || hasZero(w ^ 0x5C5C_5C5C_5C5C_5C5C) { return true }
            i += 8
        }
        while i < b.count {
            let x = p[i]
            if x < 32 || x == 34 || x == 92 || x >= 0x80 { return true }
            i += 1
        }
        return false
    }
}

/// Prints what the journal costs per record on each side (figures only, no assertions): a node appending a
/// send record to its batch, and the collector rendering it as a trace.jsonl line.
public enum TraceWireBenchmark {
    public static func run(records: Int = 200_000) -> String {
        let n = max(records, 1000)
        let who = TraceIdentity(node: "runtime-frontend", role: "runtime-frontend", account: "999999999999", accountKind: "bedrock-service")
        let details: [(String, String)] = [("gate", "route")]
        let messageIds = (0..<10).map { "runtime-frontend-25ed1887-\($0)" }
        let requestIds = (0..<10).map { "52fda85a-5ac2-4c22-a237-00000000000\($0)" }
        let traceparents = (0..<10).map { "00-6bdfd62fb94913e0000000000000000\($0)-6bdfd62fb94913e0-01" }
        var batch = TraceBatch()
        // A batch as a node sends one: a few milliseconds of its records (one call's records share its ids).
        let perBatch = 200
        let appendNs = best {
            for i in 0..<n {
                if i % perBatch == 0 { batch.begin() }
                batch.appendTransit(i % 2 == 0 ? .recv : .send, wallMs: 1_795_740_168_815 + UInt64(i / 100),
                                    monoNs: 16_583_892_688_439 + UInt64(i), lamport: UInt64(i), bytes: 2069, type: "invoke-request",
                                    peer: i % 2 == 0 ? "vpce-a" : "escrow-amazon-1", peerAccount: i % 2 == 0 ? "111111111111" : "222222222222",
                                    messageId: messageIds[i % 10], requestId: requestIds[(i / 2) % 10], inReplyTo: "",
                                    traceparent: traceparents[(i / 2) % 10], endToEnd: i % 2 == 0, decision: i % 2 == 0 ? "" : "route",
                                    reason: i % 2 == 0 ? "" : "escrow-amazon-1 serves amazon.titan-text-express-v1 (on-demand, 1 of 1 hosts up)",
                                    details: i % 2 == 0 ? [] : details, vpceId: "vpce-0a1b2c3d4e5f60001")
            }
        }
        let out = LineBuffer()
        var cache: (second: UInt64, prefix: String) = (0, "")
        var lineBytes = 0
        let renderNs = best {
            for _ in 0..<(n / perBatch) {
                out.removeAll()
                _ = try? TraceWire.render(batch: batch.bytes, as: who, into: out, cache: &cache)
            }
            lineBytes = out.count * (n / perBatch)
        }
        func f(_ ns: Double) -> String { "\((ns / Double(n) * 10).rounded() / 10) ns/record" }
        return """
            TraceWire benchmark (\(n) receive/send records in batches of \(perBatch), \(batch.count / perBatch) bytes each on the wire, \(lineBytes / n) bytes per trace.jsonl line; best of 5)
            node appends a record  \(f(appendNs))
            collector renders a line  \(f(renderNs))
            """
    }

    private static func best(_ body: () -> Void) -> Double {
        var times: [Double] = []
        for _ in 0..<5 {
            let t0 = SimClock.monotonicNanoseconds()
            body()
            times.append(Double(SimClock.monotonicNanoseconds() - t0))
        }
        return times.min()!
    }
}
