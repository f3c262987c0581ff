/// One finding about a topology file, positioned at the offending key or value.
public struct TopologyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public let file: String
    /// 1-based; 0 when the finding is not tied to a position (e.g. an unreadable file).
    public let line: Int
    /// 1-based, counted in Unicode scalars (as libyaml does).
    public let column: Int
    /// Dotted path of the key, e.g. `nodes[3].account`; empty for YAML syntax errors.
    public let key: String
    public let message: String
    public let severity: Severity

    public init(file: String, line: Int, column: Int, key: String, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
        self.severity = severity
    }

    /// `Topologies/x.yaml:12:5: nodes[3].account: unknown account 'customer-c' (known: ...)`;
    /// warnings carry `warning: ` before the key.
    public var description: String {
        var text = line > 0 ? "\(file):\(line):\(column): " : "\(file): "
        if severity == .warning { text += "warning: " }
        if !key.isEmpty { text += "\(key): " }
        return text + message
    }
}

/// All errors found in a topology file (nothing may start when this is thrown), sorted by position.
public struct TopologyErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [TopologyError]
    /// Warnings found along the way (also reported when there are errors).
    public let warnings: [TopologyError]

    public init(errors: [TopologyError], warnings: [TopologyError] = []) {
        self.errors = errors
        self.warnings = warnings
    }

    /// One finding per line, errors and warnings merged in file order.
    public var description: String {
        (errors + warnings).sorted(by: TopologyError.positionOrder).map(\.description).joined(separator: "\n")
    }
}

extension TopologyError {
    static func positionOrder(_ a: TopologyError, _ b: TopologyError) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}
