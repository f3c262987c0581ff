// JSON string literals (RFC 8259 escaping) for every module that writes JSON by hand: the journal, CloudTrail
// records, the event-stream and HTTP error bodies, the topology's YAML-to-JSON conversions and IAM's CLI output.
// It depends only on ASCIIText (its word tests), so pure engines can share it.

import ASCIIText

public enum JSONText {
    /// Appends `s` as a JSON string literal: `"` and `\` escaped, \n \r \t, other control characters as \u00XX;
    /// everything else, non-ASCII included, passes through as UTF-8.
    public static func appendQuoted(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Fast path: most values (ids, node names, reasons) need no escaping; scan the contiguous UTF-8 directly.
        var s = s
        let clean: Bool = s.withUTF8 { buf in
            guard isPlain(buf) else { return false }
            out.append(contentsOf: buf)
            return true
        }
        if clean {
            out.append(UInt8(ascii: "\""))
            return
        }
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether no byte needs escaping (`"`, `\` or a control character), eight bytes a step: every id, name and
    /// reason of a CloudTrail record or journal line passes through here.
    static func isPlain(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buf.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= buf.count {
            if SWAR.hasJSONSpecial(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { return false }
            i += 8
        }
        while i < buf.count {
            let b = base[i]
            if b < 32 || b == 34 || b == 92 { return false }
            i += 1
        }
        return true
    }

    /// `s` as a JSON string literal.
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendQuoted(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
