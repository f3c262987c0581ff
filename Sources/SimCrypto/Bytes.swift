/// Calls `body` with the collection's bytes, without copying when the storage is already contiguous.
@inline(__always)
func withBytes<C: Collection<UInt8>, R>(_ bytes: C, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    if let result = try bytes.withContiguousStorageIfAvailable({ try body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    return try Array(bytes).withUnsafeBytes(body)
}

/// A nibble's lowercase hex digit as UTF-8 ('0'… / 'a'-10…).
@inline(__always) private func hexDigit(_ n: UInt8) -> UInt8 { n < 10 ? 0x30 + n : 0x57 + n }

/// Lowercase hex of `bytes` (e.g. `[0xab, 0x01]` → `"ab01"`).
public func hexString(_ bytes: some Collection<UInt8>) -> String {
    // Contiguous bytes (an array, a slice of one) take the buffer path: iterating a collection this generic code
    // was not specialised for allocated once per byte (32 allocations for a SHA-256 digest, measured).
    if let s = bytes.withContiguousStorageIfAvailable({ hexString(buffer: $0) }) { return s }
    return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
        var i = 0
        for byte in bytes {
            buffer[i] = hexDigit(byte >> 4)
            buffer[i + 1] = hexDigit(byte & 0x0f)
            i += 2
        }
        return i
    }
}

/// Non-generic fast path for arrays (generic code is not specialised across module boundaries).
public func hexString(_ bytes: [UInt8]) -> String {
    bytes.withUnsafeBufferPointer { hexString(buffer: $0) }
}

func hexString(buffer bytes: UnsafeBufferPointer<UInt8>) -> String {
    String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
        for i in 0..<bytes.count {
            buffer[2 * i] = hexDigit(bytes[i] >> 4)
            buffer[2 * i + 1] = hexDigit(bytes[i] & 0x0f)
        }
        return bytes.count * 2
    }
}

/// Appends the lowercase hex of `bytes` to `out` as UTF-8 (no intermediate String).
public func appendHex(_ bytes: [UInt8], to out: inout [UInt8]) {
    // Written through a pointer into a temporary and appended at once (an append per digit checks capacity and
    // uniqueness each time).
    bytes.withUnsafeBufferPointer { b in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(2 * b.count, 1)) { t in
            for i in 0..<b.count {
                t[2 * i] = hexDigit(b[i] >> 4)
                t[2 * i + 1] = hexDigit(b[i] & 0x0f)
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: t[0..<(2 * b.count)]))
        }
    }
}

/// Bytes from a hex string (upper or lower case, no separators); nil if the length is odd or a
/// character is not a hex digit.
public func bytes(fromHex hex: some StringProtocol) -> [UInt8]? {
    let utf8 = Array(hex.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(utf8.count / 2)
    var i = 0
    while i < utf8.count {
        guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
