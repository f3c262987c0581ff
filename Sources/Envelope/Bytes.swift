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

public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    // Integers in one append each (appending byte by byte checks capacity and uniqueness per byte).
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    public mutating func raw(_ b: some Collection<UInt8>) { bytes.append(contentsOf: b) }
    /// A string of at most 65,535 UTF-8 bytes, length-prefixed. Longer strings are a programming error.
    public mutating func string(_ s: String) {
        let n = s.utf8.count
        precondition(n <= Int(UInt16.max), "wire strings are limited to 65535 bytes")
        // Appended from the String's contiguous bytes at once (appending its UTF8View goes element by element).
        u16(UInt16(n)); ASCII.withUTF8(s) { bytes.append(contentsOf: $0) }
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
