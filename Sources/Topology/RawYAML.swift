/// A YAML value as written, with its position: kept for sections a later issue will define
/// (`principals`, `organization`) so that issue can validate them with exact lines.
public struct RawYAML: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let key: RawYAML
        public let value: RawYAML
    }

    public enum Value: Sendable, Hashable {
        /// The scalar's text and its resolved YAML tag (e.g. `tag:yaml.org,2002:str`, `...:int`, `...:null`).
        case scalar(String, tag: String)
        case sequence([RawYAML])
        /// Entries in file order.
        case mapping([Entry])
    }

    public let value: Value
    public let line: Int
    public let column: Int

    public init(_ value: Value, line: Int, column: Int) {
        self.value = value
        self.line = line
        self.column = column
    }

    public var string: String? {
        if case let .scalar(text, _) = value { return text }
        return nil
    }

    public var sequence: [RawYAML]? {
        if case let .sequence(items) = value { return items }
        return nil
    }

    public var mapping: [Entry]? {
        if case let .mapping(entries) = value { return entries }
        return nil
    }

    /// The value of the first entry whose key is the scalar `key`.
    public subscript(key: String) -> RawYAML? {
        mapping?.first { $0.key.string == key }?.value
    }
}
