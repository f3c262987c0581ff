// Bounded big-endian byte reader and writer for the wire formats. Every read checks its bounds and fails with a
// description of what was being read, so a malformed frame becomes a clear error instead of a crash.
import ASCIIText
#if canImport(Glibc)
import Glibc
#endif

public struct WireFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    public let field: String
    public let problem: String
    public init(field: String, problem: String) { self.field = field; self.problem = problem }
    public var description: String { "malformed \(field): \(problem)" }
}

/// Writes a wire format through a pointer: each field is a bounds check and a store (appending to an Array checked
/// uniqueness and capacity and called memcpy per field: about 100 instructions a field, 24k a call over the path).
/// Either owns a growing buffer (`init(capacity:)`, read out with `bytes`), or writes into scratch room and returns
/// the array (`build(capacity:)`). Noncopyable: the buffer has one owner.
public struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Whether `base` is this writer's own allocation (freed with it), not room lent to it (scratch, or a new array's).
    private var owned: Bool
    public private(set) var count = 0

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        owned = true
    }
    private init(into storage: UnsafeMutablePointer<UInt8>, capacity: Int) {
        base = storage; self.capacity = capacity; owned = false
    }
    deinit { if owned { base.deallocate() } }

    /// A new array of what `write` writes in at most `capacity` bytes (an encoder passes its exact size). Up to a
    /// KiB it is written into scratch room on the stack and copied out; larger, straight into the new array's
    /// storage (that allocation is not specialised and looks the storage type up at run time, about 700
    /// instructions: more than copying a small message, less than a frame's copy and a heap scratch buffer). A
    /// writer that outgrows its room moves to a buffer of its own; nothing is lost.
    @inline(__always)   // into the encoder: the closure's copy of the envelope was made twice per frame, once now
    public static func build(capacity: Int, _ write: (inout ByteWriter) throws -> Void) rethrows -> [UInt8] {
        if capacity <= 1024 {
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(capacity, 1)) { scratch in
                var w = ByteWriter(into: scratch.baseAddress!, capacity: scratch.count)
                try write(&w)
                return w.bytes
            }
        }
        var spilled: [UInt8]?
        let written = try [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var w = ByteWriter(into: buffer.baseAddress!, capacity: capacity)
            try write(&w)
            if w.owned { spilled = w.bytes; initialized = 0 } else { initialized = w.count }
        }
        return spilled ?? written
    }

    /// A copy of what was written.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Where the next `n` bytes go (the buffer grows, into one of this writer's own, when they do not fit).
    @inline(__always) private mutating func room(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(count + n) }
        return base + count
    }
    private mutating func grow(_ needed: Int) {
        let newCapacity = max(capacity * 2, needed)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        if owned { base.deallocate() }
        base = grown; capacity = newCapacity; owned = true
    }

    public mutating func u8(_ v: UInt8) { room(1).pointee = v; count += 1 }
    public mutating func u16(_ v: UInt16) { UnsafeMutableRawPointer(room(2)).storeBytes(of: v.bigEndian, as: UInt16.self); count += 2 }
    public mutating func u32(_ v: UInt32) { UnsafeMutableRawPointer(room(4)).storeBytes(of: v.bigEndian, as: UInt32.self); count += 4 }
    public mutating func u64(_ v: UInt64) { UnsafeMutableRawPointer(room(8)).storeBytes(of: v.bigEndian, as: UInt64.self); count += 8 }
    public mutating func raw(_ b: UnsafeBufferPointer<UInt8>) {
        guard let source = b.baseAddress, !b.isEmpty else { return }
        room(b.count).update(from: source, count: b.count); count += b.count
    }
    public mutating func raw(_ b: [UInt8]) { b.withUnsafeBufferPointer { raw($0) } }
    public mutating func raw(_ b: some Collection<UInt8>) {
        if b.withContiguousStorageIfAvailable({ raw($0) }) != nil { return }
        for x in b { u8(x) }
    }
    /// Lets `fill` write at most `n` bytes in place (a cipher writing its output straight into the frame); keeps the
    /// count it returns.
    public mutating func append(room n: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) throws -> Int) rethrows {
        let start = room(n)
        let written = try fill(UnsafeMutableBufferPointer(start: start, count: n))
        precondition(written >= 0 && written <= n, "ByteWriter: wrote past the room it was given")
        count += written
    }
    /// A string of at most 65,535 UTF-8 bytes, length-prefixed. Longer strings are a programming error.
    public mutating func string(_ s: String) {
        ASCII.withUTF8(s) { utf8 in
            precondition(utf8.count <= Int(UInt16.max), "wire strings are limited to 65535 bytes")
            u16(UInt16(utf8.count)); raw(utf8)
        }
    }
    public mutating func blob32(_ b: [UInt8]) { u32(UInt32(b.count)); raw(b) }
}

public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public init(_ bytes: [UInt8], offset: Int = 0) { self.bytes = bytes; self.offset = offset }
    public var remaining: Int { bytes.count - offset }
    public var isAtEnd: Bool { offset == bytes.count }

    mutating func need(_ n: Int, _ field: @autoclosure () -> String) throws(WireFormatError) {
        guard n >= 0, remaining >= n else {
            throw WireFormatError(field: field(), problem: "needs \(n) bytes at offset \(offset), only \(remaining) left")
        }
    }
    public mutating func u8(_ field: @autoclosure () -> String) throws(WireFormatError) -> UInt8 {
        try need(1, field()); defer { offset += 1 }; return bytes[offset]
    }
    public mutating func u16(_ field: @autoclosure () -> String) throws(WireFormatError) -> UInt16 {
        try need(2, field()); defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    public mutating func u32(_ field: @autoclosure () -> String) throws(WireFormatError) -> UInt32 {
        try need(4, field()); defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
            | UInt32(bytes[offset + 3])
    }
    public mutating func u64(_ field: @autoclosure () -> String) throws(WireFormatError) -> UInt64 {
        let hi = try u32(field()); let lo = try u32(field()); return UInt64(hi) << 32 | UInt64(lo)
    }
    public mutating func raw(_ n: Int, _ field: @autoclosure () -> String) throws(WireFormatError) -> [UInt8] {
        try need(n, field()); defer { offset += n }
        let start = offset
        return bytes.withUnsafeBufferPointer { Array(UnsafeBufferPointer(rebasing: $0[start..<(start + n)])) }
    }
    /// Validated straight from the frame's bytes (no intermediate array).
    public mutating func string(_ field: @autoclosure () -> String, max: Int = 4096) throws(WireFormatError) -> String {
        try string(field(), max: max, recent: nil, slot: 0)
    }

    /// `string`; with `recent`, the String in its `slot` when the bytes are the same (keeping a new one there
    /// otherwise), so a field that repeats from frame to frame is not allocated again.
    mutating func string(_ field: @autoclosure () -> String, max: Int, recent: EnvelopeDecoder?, slot: Int) throws(WireFormatError) -> String {
        let n = Int(try u16(field()))
        guard n <= max else { throw WireFormatError(field: field(), problem: "length \(n) exceeds limit \(max)") }
        try need(n, field())
        let start = offset
        if let recent {
            var cached = recent.recent[slot]
            let same = cached.utf8.count == n && cached.withUTF8 { c in
                bytes.withUnsafeBufferPointer { b in n == 0 || memcmp(c.baseAddress!, b.baseAddress! + start, n) == 0 }
            }
            if same { offset += n; return cached }
        }
        let s = bytes.withUnsafeBufferPointer { ASCII.string(validatingUTF8: UnsafeBufferPointer(rebasing: $0[start..<(start + n)])) }
        guard let s else { throw WireFormatError(field: field(), problem: "is not valid UTF-8") }
        offset += n
        recent?.recent[slot] = s
        return s
    }

    public mutating func blob32(_ field: @autoclosure () -> String, max: Int) throws(WireFormatError) -> [UInt8] {
        let n = Int(try u32(field()))
        guard n <= max else { throw WireFormatError(field: field(), problem: "length \(n) exceeds limit \(max)") }
        return try raw(n, field())
    }
}
