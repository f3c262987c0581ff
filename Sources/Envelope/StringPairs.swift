// An envelope's claims and stamps: a few (at most EnvelopeLimits.maxStamps) string pairs, kept sorted by key.
//
// A Dictionary here cost every hop a hash table built on decode, hashed lookups, and a sort on encode (the wire
// order is by key, and a Dictionary's order is per process). Kept sorted, the pairs are written in order as they
// are, read into place in order, and looked up by comparing a handful of short keys.

public struct StringPairs: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: String)
    /// Sorted by key, keys unique.
    public private(set) var elements: [Element] = []

    public init() {}
    public init(dictionaryLiteral pairs: (String, String)...) {
        for (k, v) in pairs { self[k] = v }
    }
    public init(_ dictionary: [String: String]) {
        elements.reserveCapacity(dictionary.count)
        for (k, v) in dictionary { self[k] = v }
    }

    public var count: Int { elements.count }
    /// Bytes the pairs take in a frame after their count byte (read in place, no element copied).
    var wireSize: Int {
        var n = 0
        for i in elements.indices { n += 4 + elements[i].key.utf8.count + elements[i].value.utf8.count }
        return n
    }
    public var isEmpty: Bool { elements.isEmpty }
    public var dictionary: [String: String] { Dictionary(elements, uniquingKeysWith: { _, last in last }) }
    public func makeIterator() -> IndexingIterator<[Element]> { elements.makeIterator() }
    public mutating func reserveCapacity(_ n: Int) { elements.reserveCapacity(n) }

    /// The value of `key`; setting nil removes it, setting a value replaces the key's or inserts it in order.
    public subscript(key: String) -> String? {
        get {
            for e in elements where e.key == key { return e.value }
            return nil
        }
        set {
            var i = 0
            while i < elements.count && elements[i].key < key { i += 1 }
            let found = i < elements.count && elements[i].key == key
            switch (found, newValue) {
            case (true, let v?): elements[i].value = v
            case (true, nil): elements.remove(at: i)
            case (false, let v?): elements.insert((key, v), at: i)
            case (false, nil): break
            }
        }
    }

    /// Appends a pair read from the wire: in order after the last one, as an encoder writes them (the usual case,
    /// no search); otherwise placed as the subscript would (a later duplicate key replaces the earlier value).
    mutating func appendDecoded(_ key: String, _ value: String) {
        if let last = elements.last, last.key >= key { self[key] = value } else { elements.append((key, value)) }
    }

    public static func == (a: StringPairs, b: StringPairs) -> Bool {
        a.elements.count == b.elements.count && zip(a.elements, b.elements).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public var description: String { "[" + elements.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]" }
}

extension ByteWriter {
    /// The pairs as the envelope carries them: a count byte, then key and value strings in key order (at most
    /// `EnvelopeLimits.maxStamps` pairs; more are a programming error the limit cuts).
    mutating func pairs(_ p: StringPairs) {
        let n = min(p.count, EnvelopeLimits.maxStamps)
        u8(UInt8(n))
        for i in 0..<n { string(p.elements[i].key); string(p.elements[i].value) }
    }
}
