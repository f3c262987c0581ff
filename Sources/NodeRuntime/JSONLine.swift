// A minimal, allocation-light JSON object writer for trace records, which are written on the hot path of every hop.

import ASCIIText
import JSONText

public struct JSONLine {
    public private(set) var bytes: [UInt8]
    private var first = true

    public init(capacity: Int = 384) { bytes = [UInt8](); bytes.reserveCapacity(capacity); bytes.append(UInt8(ascii: "{")) }

    private mutating func key(_ k: String) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        ASCII.append(k, to: &bytes)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func string(_ k: String, _ v: String) { key(k); Self.appendQuoted(v, to: &bytes) }
    public mutating func stringIfPresent(_ k: String, _ v: String?) { if let v, !v.isEmpty { string(k, v) } }
    public mutating func int(_ k: String, _ v: Int) { key(k); bytes.append(contentsOf: String(v).utf8) }
    public mutating func uint(_ k: String, _ v: UInt64) { key(k); bytes.append(contentsOf: String(v).utf8) }
    public mutating func bool(_ k: String, _ v: Bool) { key(k); bytes.append(contentsOf: (v ? "true" : "false").utf8) }
    public mutating func strings(_ k: String, _ v: [String]) {
        key(k); bytes.append(UInt8(ascii: "["))
        for (i, s) in v.enumerated() { if i > 0 { bytes.append(UInt8(ascii: ",")) }; Self.appendQuoted(s, to: &bytes) }
        bytes.append(UInt8(ascii: "]"))
    }
    /// Inserts an already-encoded JSON value.
    public mutating func raw(_ k: String, _ json: [UInt8]) { key(k); bytes.append(contentsOf: json) }

    public mutating func finish() -> [UInt8] { bytes.append(UInt8(ascii: "}")); return bytes }

    public static func appendQuoted(_ s: String, to out: inout [UInt8]) { JSONText.appendQuoted(s, to: &out) }

    /// `appendQuoted` for UTF-8 bytes received from elsewhere (a node's trace batch): ASCII without escapes is
    /// copied as is; anything else goes through String, which repairs invalid UTF-8, so the line stays valid JSON.
    public static func appendQuoted(bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        if LineBuffer.needsEscaping(bytes) {
            appendQuoted(String(decoding: bytes, as: UTF8.self), to: &out)
            return
        }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: bytes)
        out.append(UInt8(ascii: "\""))
    }

    /// Decimal digits of `v`, without going through String.
    public static func appendDecimal(_ v: UInt64, to out: inout [UInt8]) {
        if v < 10 { out.append(48 + UInt8(v)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            // Filled from the end, then appended in one piece.
            var i = 20
            var x = v
            while x > 0 { i -= 1; buf[i] = 48 + UInt8(truncatingIfNeeded: x % 10); x /= 10 }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<20]))
        }
    }

    public static func quoted(_ s: String) -> String { JSONText.quoted(s) }
}
