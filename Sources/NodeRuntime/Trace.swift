// The hop journal: every node records each send, receive and decision as one JSON line and pushes it to the trace
// collector, which writes the run's trace.jsonl. Records never contain prompt or completion text: only ids, sizes,
// which encryption layers protected the bytes, and decisions with their reasons.
import ASCIIText
#if canImport(Glibc)
import Glibc
#endif

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
    private let accountBytes: [UInt8]
    /// Whether a peer account (bytes from a batch) is this writer's own.
    func isOwnAccount(_ peerAccount: UnsafeBufferPointer<UInt8>) -> Bool {
        guard accountBytes.count == peerAccount.count, let p = peerAccount.baseAddress else { return peerAccount.isEmpty && accountBytes.isEmpty }
        return accountBytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, p, peerAccount.count) == 0 }
    }
    public init(node: String, role: String, account: String, accountKind: String) {
        self.node = node; self.role = role; self.account = account; self.accountKind = accountKind
        accountBytes = Array(account.utf8)
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
/// Batch: magic 0xB7, version 3, then records. Record: u8 event (bit 7: numbers relative to the previous record),
/// wallMs, monoNs and lamport as LEB128 varints (zigzag deltas when relative), bytes as a varint, nine strings
/// (type, peer, peerAccount, messageId, requestId, inReplyTo, traceparent, decision, reason) each a u16 length
/// (at most 0xFFFC) and its bytes, u8 count + layer strings, u8 count + detail key/value strings; u16s are
/// little-endian. A node writes the receive, decision and send of a call one after another, and ids differ from
/// the previous record's in a few characters, so the first seven strings have two shortcuts against the same field
/// of the previous record of the batch: length 0xFFFF "the same", and 0xFFFE followed by u8 shared-prefix bytes,
/// u8 shared-suffix bytes, u16 length and the bytes in between. A layer count of 0x81 / 0x82 stands for the layer
/// lists ["curve"] / ["curve", "e2e-aes-256-gcm"]. The first record of a batch uses no shortcut but the layer codes.
/// Decision, reason and detail strings repeat from call to call (a gate's reasons for the same principal and model):
/// one of at least 16 bytes that the batch holds already, written in full in one of those positions, is length
/// 0xFFFD and the u16 index of that earlier string among the batch's such strings, in order (version 4).
public enum TraceWire {
    public static let magic: UInt8 = 0xB7
    public static let version: UInt8 = 4
    static let backReference: UInt16 = 0xFFFD
    /// Decision, reason and detail strings this long or longer may be written as back-references.
    static let minBackReferenced = 16
    static let events: [TraceRecord.Event] = [.send, .recv, .decision, .refused, .rejected, .error, .start, .stop, .link]
    /// String lengths from here up are markers; longer strings are cut to `maxString` bytes.
    static let maxString = 0xFFFC
    static let sameAsPrevious: UInt16 = 0xFFFF
    static let deltaFromPrevious: UInt16 = 0xFFFE
    /// The event byte's flag for "wallMs, monoNs and lamport are deltas from the previous record".
    static let relativeNumbers: UInt8 = 0x80
    /// How many leading string fields may repeat (type … traceparent).
    static let repeatableFields = 7
    static let layerCodes: [[String]] = [[], ["curve"], ["curve", "e2e-aes-256-gcm"]]

    /// The previous record's numbers, which a batch's next record is written against (only when its writer has a
    /// batch's `WriterMemory`: a record written on its own uses no shortcut).
    struct WriterState {
        var wallMs: UInt64 = 0, monoNs: UInt64 = 0, lamport: UInt64 = 0
        var hasRecord = false
    }

    /// A batch writer's memory, as bytes in buffers of its own (a String per field would be reference counted
    /// and uniqueness-checked at every record): the previous record's repeatable fields (a slot's count is -1 when
    /// unknown, or too long to keep: the next value is then written in full), and the back-reference table, the
    /// batch offsets and lengths of the long strings written in full, found again through a small hash index.
    final class WriterMemory {
        static let slotCapacity = 256
        static let indexSize = 256
        let slots: UnsafeMutablePointer<UInt8>
        let counts: UnsafeMutablePointer<Int>
        let index: UnsafeMutablePointer<Int32>
        /// Where each long string written in full sits in the batch, in order (its index is its reference).
        var refs: [(offset: Int32, count: Int32)] = []

        init() {
            slots = .allocate(capacity: repeatableFields * WriterMemory.slotCapacity)
            counts = .allocate(capacity: repeatableFields)
            index = .allocate(capacity: WriterMemory.indexSize)
            reset()
        }
        deinit { slots.deallocate(); counts.deallocate(); index.deallocate() }

        func reset() {
            counts.update(repeating: -1, count: repeatableFields)
            index.update(repeating: -1, count: WriterMemory.indexSize)
            refs.removeAll(keepingCapacity: true)
        }
        /// Keeps `a` as a slot's previous value (too long to keep: count -1, the next value is written in full).
        @inline(__always) static func remember(_ a: UnsafeBufferPointer<UInt8>, in slot: UnsafeMutablePointer<UInt8>,
                                               count: UnsafeMutablePointer<Int>) {
            guard a.count <= WriterMemory.slotCapacity else { count.pointee = -1; return }
            if let src = a.baseAddress { slot.update(from: src, count: a.count) }
            count.pointee = a.count
        }
        /// Where a string of these bytes would sit in the index: its length and first and last eight bytes.
        @inline(__always) static func hashSlot(_ a: UnsafeBufferPointer<UInt8>) -> Int {
            let raw = UnsafeRawPointer(a.baseAddress!)
            let h = raw.loadUnaligned(as: UInt64.self) &* 0x9E37_79B9_7F4A_7C15
                ^ raw.loadUnaligned(fromByteOffset: a.count - 8, as: UInt64.self) &* 0xC2B2_AE3D_27D4_EB4F
                ^ UInt64(a.count)
            return Int(truncatingIfNeeded: (h ^ (h >> 29)) & UInt64(indexSize - 1))
        }
    }

    public static func beginBatch(_ out: inout [UInt8]) { out.append(magic); out.append(version) }

    /// The zigzag form of `v - previous` (wrapping), so small steps either way take one or two bytes.
    @inline(__always) static func zigzagDelta(_ v: UInt64, from previous: UInt64) -> UInt64 {
        let d = Int64(bitPattern: v &- previous)
        return UInt64(bitPattern: (d << 1) ^ (d >> 63))
    }

    @inline(__always) static func undoZigzag(_ z: UInt64, onto previous: UInt64) -> UInt64 {
        let d = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
        return previous &+ UInt64(bitPattern: d)
    }

    /// One record being written through a pointer into room bounded beforehand (`room`): straight into the batch
    /// (`origin` is where the record starts in it, `batch` the batch's first byte, for back-references), or into
    /// a temporary for a record on its own.
    struct RecordWriter {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int
        var count = 0
        let origin: Int
        let batch: UnsafePointer<UInt8>?
        /// The batch's memory, which the batch keeps alive while a record is written (unowned: no reference
        /// counting per field).
        unowned(unsafe) let memory: WriterMemory?
        /// The memory's previous-field slots and their counts, taken once per record: a field reads them through
        /// these pointers, without a reference to the memory (retained and released per field otherwise).
        let slots: UnsafeMutablePointer<UInt8>?
        let counts: UnsafeMutablePointer<Int>?
        init(base: UnsafeMutablePointer<UInt8>, capacity: Int, origin: Int = 0, batch: UnsafePointer<UInt8>? = nil, memory: WriterMemory? = nil) {
            self.base = base; self.capacity = capacity; self.origin = origin; self.batch = batch; self.memory = memory
            slots = memory?.slots; counts = memory?.counts
        }
        @inline(__always) mutating func u8(_ b: UInt8) {
            precondition(count < capacity, "TraceWire: record larger than its bound")
            base[count] = b; count += 1
        }
        @inline(__always) mutating func u16(_ v: Int) { u8(UInt8(truncatingIfNeeded: v)); u8(UInt8(truncatingIfNeeded: v >> 8)) }
        mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { u8(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
            u8(UInt8(v))
        }
        mutating func bytes(_ p: UnsafeBufferPointer<UInt8>) {
            guard let src = p.baseAddress, !p.isEmpty else { return }
            precondition(count + p.count <= capacity, "TraceWire: record larger than its bound")
            (base + count).update(from: src, count: p.count)
            count += p.count
        }
        /// A length-prefixed string (cut to `maxString` bytes).
        @inline(__always) mutating func string(_ a: UnsafeBufferPointer<UInt8>) {
            let n = min(a.count, TraceWire.maxString)
            u16(n)
            bytes(UnsafeBufferPointer(rebasing: a[0..<n]))
        }
        mutating func string(_ s: String) { ASCII.withUTF8(s) { string($0) } }

        /// A decision, reason or detail string: a back-reference when the batch holds it already, else written in
        /// full (and remembered when it is long enough to be worth a reference). The reader keeps the same table:
        /// every string in these positions of at least `minBackReferenced` bytes, written in full, in order.
        mutating func text(_ s: String) { ASCII.withUTF8(s) { text($0) } }
        mutating func text(_ whole: UnsafeBufferPointer<UInt8>) {
            let a = UnsafeBufferPointer(rebasing: whole[0..<min(whole.count, TraceWire.maxString)])
            guard a.count >= TraceWire.minBackReferenced else { string(a); return }
            if let m = memory, let batch {
                let h = WriterMemory.hashSlot(a)
                let i = Int(m.index[h])
                if i >= 0, Int(m.refs[i].count) == a.count,
                   memcmp(batch + Int(m.refs[i].offset), a.baseAddress!, a.count) == 0 {
                    u16(Int(TraceWire.backReference)); u16(i)
                    return
                }
                if m.refs.count < Int(UInt16.max) {
                    m.index[h] = Int32(m.refs.count)
                    m.refs.append((Int32(origin + count + 2), Int32(a.count)))
                }
            }
            string(a)
        }

        /// A repeatable field: "the same", a delta, or written in full, against that field of the previous record.
        @inline(__always) mutating func field(_ s: String, _ slot: Int) { ASCII.withUTF8(s) { field($0, slot) } }
        mutating func field(_ a: UnsafeBufferPointer<UInt8>, _ slot: Int) {
            guard let counts, let slots else { string(a); return }
            let previous = counts[slot]
            let kept = slots + slot * WriterMemory.slotCapacity
            if a.count > 0 && previous > 0 && a.count <= TraceWire.maxString {
                let p = UnsafeBufferPointer(start: kept, count: previous)
                if previous == a.count && memcmp(kept, a.baseAddress!, a.count) == 0 {
                    u16(Int(sameAsPrevious)); return
                }
                if TraceWire.delta(a, against: p, &self) { WriterMemory.remember(a, in: kept, count: counts + slot); return }
            }
            WriterMemory.remember(UnsafeBufferPointer(rebasing: a[0..<min(a.count, TraceWire.maxString)]), in: kept, count: counts + slot)
            string(a)
        }
    }

    /// Room a record's strings can take written: each in full plus its length, or a delta's six-byte header.
    @inline(__always) static func room(_ s: String) -> Int { min(s.utf8.count, maxString) + 8 }

    /// Calls `write` with a RecordWriter of `bound` bytes and appends what it wrote to `out` (a record on its own).
    @inline(__always)
    static func writeRecord(bound: Int, to out: inout [UInt8], _ write: (inout RecordWriter) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { buf in
            var w = RecordWriter(base: buf.baseAddress!, capacity: bound)
            write(&w)
            out.append(contentsOf: UnsafeBufferPointer(start: buf.baseAddress!, count: w.count))
        }
    }

    /// Writes `a` as the bytes between the prefix and suffix it shares with `b`; false (nothing written) when they
    /// share under eight bytes, where the full string is as short.
    static func delta(_ a: UnsafeBufferPointer<UInt8>, against b: UnsafeBufferPointer<UInt8>, _ w: inout RecordWriter) -> Bool {
        // A cut value is not what the reader holds; write those in full.
        guard a.count <= maxString, b.count <= maxString, let pa = a.baseAddress, let pb = b.baseAddress else { return false }
        let limit = min(a.count, b.count)
        var k = 0
        // Eight bytes a step while they agree (ids share long prefixes: a node's prefix, a request's trace id).
        let ra = UnsafeRawPointer(pa), rb = UnsafeRawPointer(pb)
        while k + 8 <= min(limit, 255), ra.loadUnaligned(fromByteOffset: k, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: k, as: UInt64.self) { k += 8 }
        while k < limit && k < 255 && pa[k] == pb[k] { k += 1 }
        var j = 0
        while j < limit - k && j < 255 && pa[a.count - 1 - j] == pb[b.count - 1 - j] { j += 1 }
        guard k + j >= 8 else { return false }
        let m = a.count - k - j
        w.u16(Int(deltaFromPrevious)); w.u8(UInt8(k)); w.u8(UInt8(j)); w.u16(m)
        w.bytes(UnsafeBufferPointer(start: pa + k, count: m))
        return true
    }

    public static func append(_ r: TraceRecord, to out: inout [UInt8]) {
        writeRecord(bound: bound(of: r), to: &out) { w in
            var none = WriterState()
            write(r, state: &none, to: &w)
        }
    }

    static func bound(of r: TraceRecord) -> Int {
        var bound = 64 + room(r.messageType) + room(r.peer) + room(r.peerAccount) + room(r.messageId) + room(r.requestId)
            + room(r.inReplyTo) + room(r.traceparent) + room(r.decision) + room(r.reason)
        for l in r.layers.prefix(127) { bound += room(l) }
        for (k, v) in r.details.prefix(255) { bound += room(k) + room(v) }
        return bound
    }

    static func write(_ r: TraceRecord, state: inout WriterState, to w: inout RecordWriter) {
        appendHead(r.event, wallMs: r.wallMs, monoNs: r.monoNs, lamport: r.lamport, bytes: r.bytes, type: r.messageType,
                   peer: r.peer, peerAccount: r.peerAccount, messageId: r.messageId, requestId: r.requestId,
                   inReplyTo: r.inReplyTo, traceparent: r.traceparent, decision: r.decision, reason: r.reason,
                   state: &state, to: &w)
        if let code = layerCodes.firstIndex(of: r.layers), code > 0 {
            w.u8(0x80 | UInt8(code))
        } else {
            w.u8(UInt8(min(r.layers.count, 127)))
            for l in r.layers.prefix(127) { w.string(l) }
        }
        w.u8(UInt8(min(r.details.count, 255)))
        for (k, v) in r.details.prefix(255) { w.text(k); w.text(v) }
    }

    /// A send or receive record written straight from the envelope's fields: the same bytes as `append` of the
    /// equivalent TraceRecord, without building one (two of these per message on every node).
    public static func appendTransit(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes: Int,
                                     type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                                     inReplyTo: String, traceparent: String, endToEnd: Bool, decision: String, reason: String,
                                     details: [(String, String)], vpceId: String?, to out: inout [UInt8]) {
        let bound = transitBound(type: type, peer: peer, peerAccount: peerAccount, messageId: messageId, requestId: requestId,
                                 inReplyTo: inReplyTo, traceparent: traceparent, decision: decision, reason: reason,
                                 details: details, vpceId: vpceId)
        writeRecord(bound: bound, to: &out) { w in
            var none = WriterState()
            writeTransit(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: bytes, type: type, peer: peer,
                         peerAccount: peerAccount, messageId: messageId, requestId: requestId, inReplyTo: inReplyTo,
                         traceparent: traceparent, endToEnd: endToEnd, decision: decision, reason: reason, details: details,
                         vpceId: vpceId, state: &none, to: &w)
        }
    }

    @inline(__always)
    static func transitBound(type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                             inReplyTo: String, traceparent: String, decision: String, reason: String,
                             details: [(String, String)], vpceId: String?) -> Int {
        var bound = 96 + room(type) + room(peer) + room(peerAccount) + room(messageId) + room(requestId) + room(inReplyTo)
            + room(traceparent) + room(decision) + room(reason) + (vpceId.map { room("vpceId") + room($0) } ?? 0)
        for (k, v) in details.prefix(254) { bound += room(k) + room(v) }
        return bound
    }

    @inline(__always)
    static func writeTransit(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes: Int,
                             type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                             inReplyTo: String, traceparent: String, endToEnd: Bool, decision: String, reason: String,
                             details: [(String, String)], vpceId: String?, state: inout WriterState, to w: inout RecordWriter) {
        appendHead(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: bytes, type: type, peer: peer,
                   peerAccount: peerAccount, messageId: messageId, requestId: requestId, inReplyTo: inReplyTo,
                   traceparent: traceparent, decision: decision, reason: reason, state: &state, to: &w)
        w.u8(endToEnd ? 0x82 : 0x81)
        w.u8(UInt8(min(details.count + (vpceId == nil ? 0 : 1), 255)))
        for (k, v) in details.prefix(254) { w.text(k); w.text(v) }
        if let vpceId { w.text("vpceId"); w.text(vpceId) }
    }

    /// Everything of a record before its layers and details.
    @inline(__always)
    static func appendHead(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes: Int,
                           type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                           inReplyTo: String, traceparent: String, decision: String, reason: String,
                           state: inout WriterState, to w: inout RecordWriter) {
        let code = UInt8(events.firstIndex(of: event) ?? 0)
        let shortcuts = w.memory != nil
        if shortcuts && state.hasRecord {
            w.u8(code | relativeNumbers)
            w.varint(zigzagDelta(wallMs, from: state.wallMs)); w.varint(zigzagDelta(monoNs, from: state.monoNs))
            w.varint(zigzagDelta(lamport, from: state.lamport))
        } else {
            w.u8(code)
            w.varint(wallMs); w.varint(monoNs); w.varint(lamport)
        }
        if shortcuts { state.wallMs = wallMs; state.monoNs = monoNs; state.lamport = lamport; state.hasRecord = true }
        w.varint(UInt64(UInt32(clamping: bytes)))
        w.field(type, 0); w.field(peer, 1); w.field(peerAccount, 2)
        w.field(messageId, 3); w.field(requestId, 4); w.field(inReplyTo, 5)
        w.field(traceparent, 6)
        w.text(decision); w.text(reason)
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
            var previous = Previous()
            defer { previous.deallocate() }
            let keys = Keys.shared
            while r.offset < buf.count {
                let lineStart = out.count
                do throws(MalformedBatch) {
                    try renderRecord(&r, who, out, &cache, &previous, keys)
                } catch {
                    out.count = lineStart
                    throw error
                }
                count += 1
            }
            return count
        }
    }

    /// The previous record of the batch as the reader rebuilt it: its repeatable fields (absent before the first
    /// record that has the field) and its numbers. The fields live in buffers of their own (a delta edits the
    /// previous value in place), freed by `deallocate`.
    struct Previous {
        struct Slot {
            var bytes: UnsafeMutablePointer<UInt8>
            var count = 0, capacity: Int
            var present = false
            /// Whether the value needs JSON escaping: 0 not yet known, 1 no, 2 yes (a value that repeats in the
            /// next record is checked once).
            var escaping: UInt8 = 0
        }
        let slots: UnsafeMutablePointer<Slot>
        var wallMs: UInt64 = 0, monoNs: UInt64 = 0, lamport: UInt64 = 0
        var hasRecord = false
        /// The batch's back-reference table: offset and length of each long decision, reason or detail string
        /// written in full, in order, and whether it needs escaping (0 not yet known, 1 no, 2 yes), so a string
        /// that repeats is checked once per batch. Behind a pointer, so that this value stays trivial to copy.
        struct Ref { var offset: Int, count: Int, escaping: UInt8 }
        struct Refs {
            var entries: UnsafeMutablePointer<Ref>
            var count = 0, capacity = 64
            mutating func append(_ r: Ref) {
                if count == capacity {
                    let grown = UnsafeMutablePointer<Ref>.allocate(capacity: 2 * capacity)
                    grown.moveInitialize(from: entries, count: count)
                    entries.deallocate()
                    entries = grown
                    capacity *= 2
                }
                (entries + count).initialize(to: r)
                count += 1
            }
        }
        let refs: UnsafeMutablePointer<Refs>

        init() {
            refs = .allocate(capacity: 1)
            refs.initialize(to: Refs(entries: .allocate(capacity: 64)))
            slots = .allocate(capacity: TraceWire.repeatableFields)
            for i in 0..<TraceWire.repeatableFields { (slots + i).initialize(to: Slot(bytes: .allocate(capacity: 128), capacity: 128)) }
        }
        func deallocate() {
            for i in 0..<TraceWire.repeatableFields { slots[i].bytes.deallocate() }
            slots.deallocate()
            refs.pointee.entries.deallocate()
            refs.deallocate()
        }
        func isPresent(_ slot: Int) -> Bool { slots[slot].present }
        func count(_ slot: Int) -> Int { slots[slot].count }
        func value(_ slot: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: slots[slot].bytes, count: slots[slot].count) }

        private func reserve(_ slot: Int, _ n: Int) {
            guard n > slots[slot].capacity else { return }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 2 * slots[slot].capacity))
            grown.update(from: slots[slot].bytes, count: slots[slot].count)
            slots[slot].bytes.deallocate()
            slots[slot].bytes = grown
            slots[slot].capacity = max(n, 2 * slots[slot].capacity)
        }
        func set(_ slot: Int, _ v: UnsafeBufferPointer<UInt8>) {
            reserve(slot, v.count)
            if let src = v.baseAddress { slots[slot].bytes.update(from: src, count: v.count) }
            slots[slot].count = v.count
            slots[slot].present = true
            slots[slot].escaping = 0
        }
        /// Keeps `prefix` leading and `suffix` trailing bytes (checked by the first pass) with `middle` between.
        func edit(_ slot: Int, prefix: Int, suffix: Int, middle: UnsafeBufferPointer<UInt8>) {
            let old = slots[slot].count, n = prefix + middle.count + suffix
            reserve(slot, n)
            let p = slots[slot].bytes
            (p + prefix + middle.count).update(from: p + old - suffix, count: suffix)   // memmove: may overlap
            if let src = middle.baseAddress { (p + prefix).update(from: src, count: middle.count) }
            slots[slot].count = n
            slots[slot].escaping = 0
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
        mutating func u16(_ what: StaticString) throws(MalformedBatch) -> Int {
            try need(2, what)
            defer { offset += 2 }
            return Int(buf[offset]) | Int(buf[offset + 1]) << 8
        }
        mutating func varint(_ what: StaticString) throws(MalformedBatch) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<10 {
                let b = try u8(what)
                v |= UInt64(b & 0x7F) << (7 * UInt64(i))
                if b & 0x80 == 0 { return v }
            }
            throw MalformedBatch(offset: offset - 1, problem: "\(what) is longer than ten bytes")
        }
        mutating func string(_ what: StaticString) throws(MalformedBatch) -> UnsafeBufferPointer<UInt8> {
            let at = offset
            let n = try u16(what)
            guard n <= TraceWire.maxString else { throw MalformedBatch(offset: at, problem: "\(what) has the marker length \(n) where no shortcut is allowed") }
            try need(n, what)
            defer { offset += n }
            return UnsafeBufferPointer(rebasing: buf[offset..<(offset + n)])
        }

        /// A decision, reason or detail string, in full or as a back-reference (checked against the table, which
        /// grows by each long string written in full), with its table entry (-1: a short string, not in the table).
        mutating func text(_ what: StaticString, _ previous: Previous) throws(MalformedBatch) -> (bytes: UnsafeBufferPointer<UInt8>, entry: Int) {
            let at = offset
            let n = try u16(what)
            let refs = previous.refs
            if n == Int(TraceWire.backReference) {
                let i = try u16(what)
                guard i < refs.pointee.count else {
                    throw MalformedBatch(offset: at, problem: "\(what) refers to string \(i) of the batch, which holds \(refs.pointee.count)")
                }
                let e = refs.pointee.entries[i]
                return (UnsafeBufferPointer(start: buf.baseAddress! + e.offset, count: e.count), i)
            }
            guard n <= TraceWire.maxString else { throw MalformedBatch(offset: at, problem: "\(what) has the marker length \(n) where no shortcut is allowed") }
            try need(n, what)
            defer { offset += n }
            var entry = -1
            if n >= TraceWire.minBackReferenced {
                entry = refs.pointee.count
                refs.pointee.append(Previous.Ref(offset: offset, count: n, escaping: 0))
            }
            return (UnsafeBufferPointer(rebasing: buf[offset..<(offset + n)]), entry)
        }

        /// A repeatable field, checked against the previous record's and applied to it: "the same", a delta, or a
        /// new value.
        mutating func repeatable(_ slot: Int, _ previous: Previous) throws(MalformedBatch) {
            let name = TraceWire.repeatableNames[slot]
            let at = offset
            let n = try u16(name)
            switch n {
            case Int(TraceWire.sameAsPrevious), Int(TraceWire.deltaFromPrevious):
                guard previous.isPresent(slot) else {
                    throw MalformedBatch(offset: at, problem: "\(name) repeats a previous record, but there is none")
                }
                if n == Int(TraceWire.sameAsPrevious) { return }
                let previousCount = previous.count(slot)
                let k = Int(try u8(name)), j = Int(try u8(name))
                guard k + j <= previousCount else {
                    throw MalformedBatch(offset: at, problem: "\(name) shares \(k + j) bytes with the previous record's \(previousCount)")
                }
                let m = try u16(name)
                guard k + j + m <= TraceWire.maxString else { throw MalformedBatch(offset: at, problem: "\(name) is longer than \(TraceWire.maxString) bytes") }
                try need(m, name)
                previous.edit(slot, prefix: k, suffix: j, middle: UnsafeBufferPointer(rebasing: buf[offset..<(offset + m)]))
                offset += m
            case 0...TraceWire.maxString:
                try need(n, name)
                previous.set(slot, UnsafeBufferPointer(rebasing: buf[offset..<(offset + n)]))
                offset += n
            default:
                throw MalformedBatch(offset: at, problem: "\(name) has the reserved length \(n)")
            }
        }
    }

    /// Room for a record's fixed parts (keys, four numbers, the timestamp, the event, the crossing flag, a layer
    /// list by code, the closing), reserved once per line; each string reserves its own room (every byte may become
    /// a 6-byte escape) before it is written.
    static let fixedRoom = 512

    static let repeatableNames: [StaticString] = ["type", "peer", "peerAccount", "messageId", "requestId", "inReplyTo", "traceparent"]

    static func renderRecord(_ r: inout Reader, _ who: TraceIdentity, _ out: LineBuffer,
                             _ cache: inout (second: UInt64, prefix: String),
                             _ previous: inout Previous, _ keys: Keys) throws(MalformedBatch) {
        // One pass: every check as the record is read; room is reserved before each piece is written (a line cut
        // short by an error is dropped by the caller, and the batch ends there).
        let recordStart = r.offset
        let eventByte = try r.u8("event")
        let e = Int(eventByte & ~relativeNumbers)
        guard e < events.count else { throw MalformedBatch(offset: recordStart, problem: "unknown event \(eventByte)") }
        let relative = eventByte & relativeNumbers != 0
        if relative && !previous.hasRecord {
            throw MalformedBatch(offset: recordStart, problem: "numbers are relative to a previous record, but there is none")
        }
        var wall = try r.varint("wallMs"), mono = try r.varint("monoNs"), lamport = try r.varint("lamport")
        let bytes = try r.varint("bytes")
        for slot in 0..<repeatableFields { try r.repeatable(slot, previous) }
        let decision = try r.text("decision", previous), reason = try r.text("reason", previous)
        let layerByte = try r.u8("layers")
        let layersAt = r.offset
        if layerByte & 0x80 != 0 {
            guard Int(layerByte & 0x7F) < layerCodes.count else {
                throw MalformedBatch(offset: r.offset - 1, problem: "unknown layer code \(layerByte)")
            }
        } else {
            for _ in 0..<Int(layerByte) { _ = try r.string("layer") }
        }
        if relative {
            wall = undoZigzag(wall, onto: previous.wallMs)
            mono = undoZigzag(mono, onto: previous.monoNs)
            lamport = undoZigzag(lamport, onto: previous.lamport)
        }
        previous.wallMs = wall; previous.monoNs = mono; previous.lamport = lamport; previous.hasRecord = true

        // The line. Field order is the trace.jsonl schema (docs/architecture.md); keys are pre-encoded with their
        // punctuation.
        out.reserve(fixedRoom + who.renderedFields.count)
        out.put(keys.ts)
        appendTimestamp(wall, out, &cache)
        out.put(keys.wallMs); out.putDecimal(wall)
        out.put(keys.monoNs); out.putDecimal(mono)
        out.put(who.renderedFields)
        out.put(keys.events[e])
        repeatable(keys.type, 0, previous, out)
        repeatable(keys.peer, 1, previous, out)
        let peerAccount = previous.value(2)
        repeatable(keys.peerAccount, 2, previous, out)
        out.reserve(fixedRoom)
        if peerAccount.count > 0 {
            out.put(who.isOwnAccount(peerAccount) ? keys.crossesFalse : keys.crossesTrue)
        }
        repeatable(keys.messageId, 3, previous, out)
        repeatable(keys.requestId, 4, previous, out)
        repeatable(keys.inReplyTo, 5, previous, out)
        repeatable(keys.traceparent, 6, previous, out)
        out.reserve(fixedRoom)
        if bytes > 0 { out.put(keys.bytes); out.putDecimal(bytes) }
        if layerByte & 0x80 != 0 {
            let code = Int(layerByte & 0x7F)
            if code > 0 { out.put(keys.layerLists[code]) }
        } else if layerByte > 0 {
            out.put(keys.layers)
            var layers = Reader(buf: r.buf, offset: layersAt)   // read (and checked) above
            for i in 0..<Int(layerByte) {
                let layer = try layers.string("layer")
                out.reserve(6 * layer.count + 4)
                if i > 0 { out.put(UInt8(ascii: ",")) }
                out.putQuoted(layer)
            }
            out.put(UInt8(ascii: "]"))
        }
        text(keys.decision, decision, previous, out)
        text(keys.reason, reason, previous, out)
        out.reserve(fixedRoom)
        if lamport > 0 { out.put(keys.lamport); out.putDecimal(lamport) }
        let detailCount = Int(try r.u8("details"))
        for _ in 0..<detailCount {
            let key = try r.text("detail key", previous), value = try r.text("detail value", previous)
            out.reserve(6 * (key.bytes.count + value.bytes.count) + 8)
            out.put(UInt8(ascii: ","))
            quoted(key, previous, out); out.put(UInt8(ascii: ":"))
            quoted(value, previous, out)
        }
        out.reserve(2)
        out.put(UInt8(ascii: "}")); out.put(10)
    }

    /// A repeatable field from the previous-record slots, checked for escaping once while its value stays.
    @inline(__always) static func repeatable(_ key: [UInt8], _ slot: Int, _ previous: Previous, _ out: LineBuffer) {
        let s = previous.slots + slot
        let v = UnsafeBufferPointer(start: s.pointee.bytes, count: s.pointee.count)
        guard v.count > 0 else { return }
        out.reserve(key.count + 6 * v.count + 2)
        out.put(key)
        out.putQuoted(v, escaping: &s.pointee.escaping)
    }

    @inline(__always) static func text(_ key: [UInt8], _ t: (bytes: UnsafeBufferPointer<UInt8>, entry: Int),
                                       _ previous: Previous, _ out: LineBuffer) {
        guard t.bytes.count > 0 else { return }
        out.reserve(key.count + 6 * t.bytes.count + 2)
        out.put(key)
        quoted(t, previous, out)
    }

    /// A string of the back-reference table is checked for escaping once per batch.
    @inline(__always) static func quoted(_ t: (bytes: UnsafeBufferPointer<UInt8>, entry: Int), _ previous: Previous, _ out: LineBuffer) {
        guard t.entry >= 0 else { out.putQuoted(t.bytes); return }
        out.putQuoted(t.bytes, escaping: &previous.refs.pointee.entries[t.entry].escaping)
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

    /// Keys pre-encoded with their punctuation, held in one value that a render fetches once per batch (each
    /// static of its own would be a lazy global checked on every access, twenty times per line).
    struct Keys {
        static func k(_ name: String, comma: Bool = true) -> [UInt8] { Array(((comma ? "," : "") + "\"\(name)\":").utf8) }
        let ts = Array("{\"ts\":".utf8)
        let wallMs = k("wallMs"), monoNs = k("monoNs"), type = k("type"), peer = k("peer"), peerAccount = k("peerAccount")
        let messageId = k("messageId"), requestId = k("requestId"), inReplyTo = k("inReplyTo")
        let traceparent = k("traceparent"), bytes = k("bytes"), decision = k("decision"), reason = k("reason")
        let lamport = k("lamport")
        let layers = Array(",\"layers\":[".utf8)
        /// The layer lists of the layer codes, rendered.
        let layerLists: [[UInt8]] = TraceWire.layerCodes.map { list in
            Array((",\"layers\":[" + list.map { "\"\($0)\"" }.joined(separator: ",") + "]").utf8)
        }
        let crossesTrue = Array(",\"crossesAccountBoundary\":true".utf8)
        let crossesFalse = Array(",\"crossesAccountBoundary\":false".utf8)
        let events: [[UInt8]] = TraceWire.events.map { Array(",\"event\":\"\($0.rawValue)\"".utf8) }
        static let shared = Keys()
    }
}

/// A node's batch being written: the previous record's repeatable fields and numbers are remembered, so a field
/// that repeats (the request id and trace context of the hops of one call, most often) is a two-byte marker, an id
/// that differs in a few characters is written as just those, and times are small deltas.
public struct TraceBatch {
    /// The batch, written in place (a record is bounded, the room reserved, and written straight into it).
    private let buffer = LineBuffer(capacity: 64 * 1024)
    private var state = TraceWire.WriterState()
    private let memory = TraceWire.WriterMemory()
    /// Between `begin` and `removeAll`: records use the shortcuts against `memory` and `state`.
    private var begun = false
    public init() {}

    public var isEmpty: Bool { buffer.count == 0 }
    public var count: Int { buffer.count }
    /// The batch as sent.
    public var bytes: [UInt8] { Array(buffer.bytes) }

    public mutating func begin() {
        buffer.removeAll()
        buffer.reserve(2)
        buffer.put(TraceWire.magic); buffer.put(TraceWire.version)
        memory.reset()
        state = TraceWire.WriterState()
        begun = true
    }

    public mutating func removeAll() { buffer.removeAll(); begun = false }

    /// A writer for one record of at most `bound` bytes, reserved in the batch; `commit` keeps what it wrote. Not a
    /// closure: a closure's captures (a transit record's eleven Strings) were retained and released per record.
    @inline(__always) private mutating func openRecord(bound: Int) -> TraceWire.RecordWriter {
        let (base, origin) = buffer.openRoom(bound)
        return TraceWire.RecordWriter(base: base + origin, capacity: bound, origin: origin, batch: UnsafePointer(base),
                                      memory: begun ? memory : nil)
    }
    @inline(__always) private func commit(_ w: TraceWire.RecordWriter) { buffer.commit(w.count, of: w.capacity) }

    public mutating func append(_ r: TraceRecord) {
        var w = openRecord(bound: TraceWire.bound(of: r))
        TraceWire.write(r, state: &state, to: &w)
        commit(w)
    }

    public mutating func appendTransit(_ event: TraceRecord.Event, wallMs: UInt64, monoNs: UInt64, lamport: UInt64, bytes n: Int,
                                       type: String, peer: String, peerAccount: String, messageId: String, requestId: String,
                                       inReplyTo: String, traceparent: String, endToEnd: Bool, decision: String, reason: String,
                                       details: [(String, String)], vpceId: String?) {
        let bound = TraceWire.transitBound(type: type, peer: peer, peerAccount: peerAccount, messageId: messageId,
                                           requestId: requestId, inReplyTo: inReplyTo, traceparent: traceparent,
                                           decision: decision, reason: reason, details: details, vpceId: vpceId)
        var w = openRecord(bound: bound)
        TraceWire.writeTransit(event, wallMs: wallMs, monoNs: monoNs, lamport: lamport, bytes: n, type: type, peer: peer,
                               peerAccount: peerAccount, messageId: messageId, requestId: requestId, inReplyTo: inReplyTo,
                               traceparent: traceparent, endToEnd: endToEnd, decision: decision, reason: reason,
                               details: details, vpceId: vpceId, state: &state, to: &w)
        commit(w)
    }

    /// Calls `body` with the batch's bytes (no copy).
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R { try body(buffer.bytes) }
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

    /// "00", "01" … "99", for writing numbers two digits at a time (per buffer: a static would be a lazy global
    /// checked on every access).
    private let digitPairs: UnsafeMutablePointer<UInt8>

    public init(capacity: Int = 64 * 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
        digitPairs = .allocate(capacity: 200)
        for n in 0..<100 {
            digitPairs[2 * n] = 48 + UInt8(n / 10)
            digitPairs[2 * n + 1] = 48 + UInt8(n % 10)
        }
    }
    deinit { base.deallocate(); digitPairs.deallocate() }

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

    /// Lets `body` write at most `room` bytes (reserved beforehand) at `origin` of the buffer starting at `base`,
    /// and keeps the count it returns.
    /// Reserves `room` bytes and says where they start (`base + origin`); `commit` keeps what was written there. Two
    /// steps rather than a closure, so a writer's captures are not retained per record.
    @inline(__always) func openRoom(_ room: Int) -> (base: UnsafeMutablePointer<UInt8>, origin: Int) {
        reserve(room)
        return (base, count)
    }
    @inline(__always) func commit(_ written: Int, of room: Int) {
        precondition(written <= room && count + written <= capacity, "LineBuffer: write past the reserved room")
        count += written
    }
    public func removeAll() { count = 0 }

    // Callers have reserved the room (`reserve`); the precondition keeps a wrong bound from writing past the end.
    @inline(__always) func put(_ b: UInt8) {
        precondition(count < capacity, "LineBuffer: write past the reserved room")
        base[count] = b; count += 1
    }
    @inline(__always) func put(_ p: UnsafeBufferPointer<UInt8>) {
        guard let src = p.baseAddress, p.count > 0 else { return }
        let n = p.count
        precondition(count + n <= capacity, "LineBuffer: write past the reserved room")
        let dst = UnsafeMutableRawPointer(base + count)
        if n >= 8 && n <= 16 {
            // Most pieces are keys and ids of 8–16 bytes: two overlapping word copies, not a call to memcpy.
            let raw = UnsafeRawPointer(src)
            let head = raw.loadUnaligned(as: UInt64.self), tail = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            dst.storeBytes(of: head, as: UInt64.self)
            dst.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
        } else if n < 8 {
            for i in 0..<n { dst.storeBytes(of: src[i], toByteOffset: i, as: UInt8.self) }
        } else {
            dst.copyMemory(from: src, byteCount: n)
        }
        count += n
    }
    @inline(__always) func put(_ a: [UInt8]) { a.withUnsafeBufferPointer { put($0) } }

    /// `v` in decimal (after `reserve`: at most 20 bytes). In chunks of eight digits written with 32-bit
    /// arithmetic, two digits at a time (the numbers here are 13–19 digits: times in ms and ns); only the leading
    /// chunk's length is counted.
    public func putDecimal(_ v: UInt64) {
        precondition(count + 20 <= capacity, "LineBuffer: write past the reserved room")
        if v < 100_000_000 { putLeading(UInt32(v)); return }
        let high = v / 100_000_000, low = UInt32(v % 100_000_000)
        if high < 100_000_000 {
            putLeading(UInt32(high))
        } else {
            putLeading(UInt32(high / 100_000_000))   // at most 1844
            putEight(UInt32(high % 100_000_000))
        }
        putEight(low)
    }

    /// Exactly eight digits of `x` (< 10^8), leading zeros included.
    @inline(__always) private func putEight(_ x: UInt32) {
        putFour(x / 10_000)
        putFour(x % 10_000)
    }

    @inline(__always) private func putFour(_ x: UInt32) {
        let a = Int(x / 100) * 2, b = Int(x % 100) * 2
        base[count] = digitPairs[a]; base[count + 1] = digitPairs[a + 1]
        base[count + 2] = digitPairs[b]; base[count + 3] = digitPairs[b + 1]
        count += 4
    }

    /// `x` (< 10^8) without leading zeros.
    private func putLeading(_ x: UInt32) {
        if x < 10 { base[count] = 48 + UInt8(x); count += 1; return }
        var digits = 2
        var bound: UInt32 = 100
        while digits < 8 && x >= bound { digits += 1; bound &*= 10 }
        var y = x
        var i = count + digits
        while y >= 100 {
            let pair = Int(y % 100) * 2
            y /= 100
            i -= 2
            base[i] = digitPairs[pair]; base[i + 1] = digitPairs[pair + 1]
        }
        if y >= 10 {
            i -= 2
            base[i] = digitPairs[Int(y) * 2]; base[i + 1] = digitPairs[Int(y) * 2 + 1]
        } else {
            i -= 1
            base[i] = 48 + UInt8(y)
        }
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

    /// `putQuoted` of a value seen before: `escaping` remembers whether it needs escaping (0 not yet known, 1 no,
    /// 2 yes), so a value that repeats is checked once.
    @inline(__always) func putQuoted(_ b: UnsafeBufferPointer<UInt8>, escaping: inout UInt8) {
        if escaping == 0 { escaping = LineBuffer.needsEscaping(b) ? 2 : 1 }
        if escaping == 2 { putQuoted(b); return }
        put(UInt8(ascii: "\"")); put(b); put(UInt8(ascii: "\""))
    }

    /// Whether any byte is a control character, `"`, `\` or non-ASCII; eight bytes per step (ASCIIText's word
    /// tests), since every field of every line passes through here.
    static func needsEscaping(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = b.baseAddress else { return false }
        var i = 0
        let raw = UnsafeRawPointer(p)
        @inline(__always) func wordNeeds(_ w: UInt64) -> Bool { SWAR.hasHigh(w) || SWAR.hasJSONSpecial(w) }
        if b.count >= 8 {
            while i + 8 <= b.count {
                if wordNeeds(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return true }
                i += 8
            }
            // The last bytes as the final (overlapping) word: the test is a yes/no over its bytes.
            return i < b.count && wordNeeds(raw.loadUnaligned(fromByteOffset: b.count - 8, as: UInt64.self))
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
