// Condition operators, compiled at parse time, and their evaluation.
//
// Semantics (IAM User Guide, "IAM JSON policy elements: Condition operators",
// "Condition element", "Single-valued vs. multivalued context keys"):
// - keys under one operator AND; operators in one Condition AND;
// - several values for one key OR; for a negated operator (StringNotEquals,
//   NotIpAddress, ...) the key must match none of them (NOR);
// - a key absent from the request: positive operators are false, negated operators
//   are true; `...IfExists` makes an absent key true; `Null` tests presence;
// - `ForAllValues:` is true when every request value matches (and when the key is
//   absent or has no values); `ForAnyValue:` is true when at least one does (false
//   when absent or empty). For a negated operator the per-value test is "matches
//   none of the policy values".
// - A plain (non-set) operator on a key with several request values is not defined
//   by the docs ("Multivalued context keys require a condition set operator").
//   We read a positive operator as true when any request value matches, and a
//   negated operator as its exact complement (true only when no request value
//   matches any policy value), so that `X` and `NotX` never both hold.

enum SetQualifier: Sendable, Equatable {
    case none, forAllValues, forAnyValue
}

enum Comparison: Sendable, Equatable {
    case equals, lessThan, lessThanEquals, greaterThan, greaterThanEquals
}

enum OperatorFamily: Sendable, Equatable {
    case stringEquals
    case stringEqualsIgnoreCase
    case stringLike
    case numeric(Comparison)
    case date(Comparison)
    case bool
    case binary
    case ipAddress
    case arn
    case null
}

struct ConditionOperator: Sendable, Equatable {
    /// Canonical spelling, such as `ForAnyValue:StringNotEqualsIfExists`.
    let name: String
    /// Base operator without qualifier and IfExists, such as `StringNotEquals`.
    let base: String
    let family: OperatorFamily
    let negated: Bool
    let ifExists: Bool
    let qualifier: SetQualifier

    /// Policy variables are substituted only for string, ARN and Bool operators
    /// (IAM User Guide, "Where you can use policy variables" and "Condition operators").
    var acceptsVariables: Bool {
        switch family {
        case .stringEquals, .stringEqualsIgnoreCase, .stringLike, .arn, .bool: return true
        default: return false
        }
    }

    private static let table: [(String, OperatorFamily, Bool)] = [
        ("StringEquals", .stringEquals, false),
        ("StringNotEquals", .stringEquals, true),
        ("StringEqualsIgnoreCase", .stringEqualsIgnoreCase, false),
        ("StringNotEqualsIgnoreCase", .stringEqualsIgnoreCase, true),
        ("StringLike", .stringLike, false),
        ("StringNotLike", .stringLike, true),
        ("NumericEquals", .numeric(.equals), false),
        ("NumericNotEquals", .numeric(.equals), true),
        ("NumericLessThan", .numeric(.lessThan), false),
        ("NumericLessThanEquals", .numeric(.lessThanEquals), false),
        ("NumericGreaterThan", .numeric(.greaterThan), false),
        ("NumericGreaterThanEquals", .numeric(.greaterThanEquals), false),
        ("DateEquals", .date(.equals), false),
        ("DateNotEquals", .date(.equals), true),
        ("DateLessThan", .date(.lessThan), false),
        ("DateLessThanEquals", .date(.lessThanEquals), false),
        ("DateGreaterThan", .date(.greaterThan), false),
        ("DateGreaterThanEquals", .date(.greaterThanEquals), false),
        ("Bool", .bool, false),
        ("BinaryEquals", .binary, false),
        ("IpAddress", .ipAddress, false),
        ("NotIpAddress", .ipAddress, true),
        ("ArnEquals", .arn, false),
        ("ArnLike", .arn, false),
        ("ArnNotEquals", .arn, true),
        ("ArnNotLike", .arn, true),
        ("Null", .null, false),
    ]

    static let baseNames: [String] = table.map { $0.0 }

    enum ParseProblem: Error { case unknown(String), nullModifier(String) }

    /// Operator names are matched case-insensitively and reported in canonical case.
    static func parse(_ raw: String) -> Result<ConditionOperator, ParseProblem> {
        var rest = Substring(raw)
        var qualifier = SetQualifier.none
        var prefix = ""
        if let colon = rest.firstIndex(of: ":") {
            let q = rest[..<colon].lowercased()
            if q == "forallvalues" {
                qualifier = .forAllValues
                prefix = "ForAllValues:"
            } else if q == "foranyvalue" {
                qualifier = .forAnyValue
                prefix = "ForAnyValue:"
            } else {
                return .failure(.unknown(raw))
            }
            rest = rest[rest.index(after: colon)...]
        }
        var ifExists = false
        var lower = rest.lowercased()
        if lower.hasSuffix("ifexists") {
            ifExists = true
            lower = String(lower.dropLast(8))
        }
        guard let entry = table.first(where: { $0.0.lowercased() == lower }) else { return .failure(.unknown(raw)) }
        if entry.1 == .null && (ifExists || qualifier != .none) { return .failure(.nullModifier(raw)) }
        let name = prefix + entry.0 + (ifExists ? "IfExists" : "")
        return .success(ConditionOperator(name: name, base: entry.0, family: entry.1, negated: entry.2, ifExists: ifExists, qualifier: qualifier))
    }

    /// Closest known operator name, for "did you mean" hints.
    static func suggestion(for raw: String) -> String? {
        var candidate = raw
        var prefix = ""
        if let colon = raw.firstIndex(of: ":") {
            prefix = String(raw[...colon])
            candidate = String(raw[raw.index(after: colon)...])
        }
        let lower = candidate.lowercased()
        var best: (String, Int)? = nil
        for base in baseNames {
            for name in [base, base + "IfExists"] {
                let d = editDistance(lower, name.lowercased())
                if best == nil || d < best?.1 ?? Int.max { best = (name, d) }
            }
        }
        guard let (name, d) = best, d <= max(2, lower.count / 4) else { return nil }
        let fixedPrefix: String
        switch prefix.lowercased() {
        case "": fixedPrefix = ""
        case let p where editDistance(p, "forallvalues:") <= 3: fixedPrefix = "ForAllValues:"
        case let p where editDistance(p, "foranyvalue:") <= 3: fixedPrefix = "ForAnyValue:"
        default: fixedPrefix = prefix
        }
        return fixedPrefix + name
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars)
    let y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count)
    var cur = Array(repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// Policy values pre-parsed for their operator family.
enum CompiledValues: Sendable {
    case strings([Glob])
    case numbers([Double])
    case dates([Double])
    case binaries([[UInt8]])
    case networks([IPNetwork])
    case arns([ArnPattern])
    case nulls([Bool])
}

final class CompiledCondition: Sendable {
    let op: ConditionOperator
    /// The key as written in the policy.
    let key: String
    /// Lowercased: condition key names are case-insensitive.
    let keyLower: String
    /// The values as written (normalised to strings).
    let rawValues: [String]
    let values: CompiledValues

    init(op: ConditionOperator, key: String, keyLower: String, rawValues: [String], values: CompiledValues) {
        self.op = op
        self.key = key
        self.keyLower = keyLower
        self.rawValues = rawValues
        self.values = values
    }

    /// Compiles one operator/key/values triple. Throws a message for a value
    /// that does not fit the operator, with the index of the offending value.
    static func compile(op: ConditionOperator, key: String, values raw: [String], variables: Bool) throws(ConditionValueError) -> CompiledCondition {
        let vars = variables && op.acceptsVariables
        let compiled: CompiledValues
        switch op.family {
        case .stringEquals, .stringEqualsIgnoreCase, .stringLike:
            var globs: [Glob] = []
            for (i, v) in raw.enumerated() {
                do {
                    globs.append(try Glob.compile(v, variables: vars, wildcards: op.family == .stringLike,
                                                  lowercase: op.family == .stringEqualsIgnoreCase))
                } catch {
                    throw ConditionValueError(index: i, message: error.message)
                }
            }
            compiled = .strings(globs)
        case .bool:
            var globs: [Glob] = []
            for (i, v) in raw.enumerated() {
                let g: Glob
                do { g = try Glob.compile(v, variables: vars, wildcards: false, lowercase: true) } catch {
                    throw ConditionValueError(index: i, message: error.message)
                }
                if g.staticOps != nil, v.lowercased() != "true", v.lowercased() != "false" {
                    throw ConditionValueError(index: i, message: "\(op.name) expects \"true\" or \"false\", found \(JSONWriter.quoted(v))")
                }
                globs.append(g)
            }
            compiled = .strings(globs)
        case .numeric:
            var nums: [Double] = []
            for (i, v) in raw.enumerated() {
                guard let n = NumericValue.parse(v) else {
                    throw ConditionValueError(index: i, message: "\(op.name) expects a number, found \(JSONWriter.quoted(v))\(v.contains("${") ? " (policy variables are not allowed with numeric operators)" : "")")
                }
                nums.append(n)
            }
            compiled = .numbers(nums)
        case .date:
            var dates: [Double] = []
            for (i, v) in raw.enumerated() {
                guard let d = DateValue.parse(v) else {
                    throw ConditionValueError(index: i, message: "\(op.name) expects an ISO 8601 date (such as \"2024-01-31T12:00:00Z\") or epoch seconds, found \(JSONWriter.quoted(v))")
                }
                dates.append(d)
            }
            compiled = .dates(dates)
        case .binary:
            var bins: [[UInt8]] = []
            for (i, v) in raw.enumerated() {
                guard let b = Base64.decode(v) else {
                    throw ConditionValueError(index: i, message: "\(op.name) expects base64, found \(JSONWriter.quoted(v))")
                }
                bins.append(b)
            }
            compiled = .binaries(bins)
        case .ipAddress:
            var nets: [IPNetwork] = []
            for (i, v) in raw.enumerated() {
                guard let n = IPNetwork.parse(v) else {
                    throw ConditionValueError(index: i, message: "\(op.name) expects an IPv4 or IPv6 address or CIDR range (such as \"203.0.113.0/24\" or \"2001:db8::/32\"), found \(JSONWriter.quoted(v))")
                }
                nets.append(n)
            }
            compiled = .networks(nets)
        case .arn:
            var arns: [ArnPattern] = []
            for (i, v) in raw.enumerated() {
                do { arns.append(try ArnPattern.compile(v, variables: vars)) } catch {
                    throw ConditionValueError(index: i, message: error.message)
                }
            }
            compiled = .arns(arns)
        case .null:
            var flags: [Bool] = []
            for (i, v) in raw.enumerated() {
                switch v.lowercased() {
                case "true": flags.append(true)
                case "false": flags.append(false)
                default: throw ConditionValueError(index: i, message: "Null expects \"true\" (key absent) or \"false\" (key present), found \(JSONWriter.quoted(v))")
                }
            }
            compiled = .nulls(flags)
        }
        return CompiledCondition(op: op, key: key, keyLower: key.lowercased(), rawValues: raw, values: compiled)
    }

    // MARK: Evaluation

    /// True when the condition holds for the request.
    @inline(__always)
    func evaluate(_ ctx: ResolvedContext) -> Bool {
        evaluateDetailed(ctx).holds
    }

    enum Presence { case absent, empty, values }

    struct Outcome {
        let holds: Bool
        let presence: Presence
    }

    func evaluateDetailed(_ ctx: ResolvedContext) -> Outcome {
        let found = ctx.lookup(keyLower)
        if case .nulls(let flags) = values {
            let absent: Bool
            switch found {
            case nil: absent = true
            case .multiple(let vs)?: absent = vs.isEmpty
            case .single?: absent = false
            }
            return Outcome(holds: flags.contains(absent), presence: absent ? .absent : .values)
        }
        guard let found else {
            if op.ifExists { return Outcome(holds: true, presence: .absent) }
            switch op.qualifier {
            case .forAllValues: return Outcome(holds: true, presence: .absent)
            case .forAnyValue: return Outcome(holds: false, presence: .absent)
            case .none: return Outcome(holds: op.negated, presence: .absent)
            }
        }
        switch op.qualifier {
        case .forAllValues, .forAnyValue:
            let requestValues: [String]
            switch found {
            // "If the key values in the request resolve to an empty data set (for
            // example, an empty string)" (IAM User Guide, multi-value conditions).
            case .single(let s): requestValues = s.isEmpty ? [] : [s]
            case .multiple(let vs): requestValues = vs
            }
            if requestValues.isEmpty {
                return Outcome(holds: op.qualifier == .forAllValues, presence: .empty)
            }
            if op.qualifier == .forAllValues {
                for v in requestValues where matchesAny(v, ctx) == op.negated { return Outcome(holds: false, presence: .values) }
                return Outcome(holds: true, presence: .values)
            } else {
                for v in requestValues where matchesAny(v, ctx) != op.negated { return Outcome(holds: true, presence: .values) }
                return Outcome(holds: false, presence: .values)
            }
        case .none:
            switch found {
            case .single(let s):
                return Outcome(holds: matchesAny(s, ctx) != op.negated, presence: .values)
            case .multiple(let vs):
                if vs.isEmpty {
                    return Outcome(holds: op.ifExists || op.negated, presence: .empty)
                }
                var any = false
                for v in vs where matchesAny(v, ctx) { any = true; break }
                return Outcome(holds: any != op.negated, presence: .values)
            }
        }
    }

    /// Positive sense: does request value `v` match at least one policy value?
    @inline(__always)
    func matchesAny(_ v: String, _ ctx: ResolvedContext) -> Bool {
        switch values {
        case .strings(let globs):
            if op.family == .stringEqualsIgnoreCase || op.family == .bool {
                let folded = v.lowercased()
                for g in globs where g.matches(folded, ctx) { return true }
                return false
            }
            for g in globs where g.matches(v, ctx) { return true }
            return false
        case .numbers(let nums):
            guard let x = NumericValue.parse(v) else { return false }
            guard case .numeric(let cmp) = op.family else { return false }
            for n in nums where compare(x, n, cmp) { return true }
            return false
        case .dates(let dates):
            guard let x = DateValue.parse(v) else { return false }
            guard case .date(let cmp) = op.family else { return false }
            for d in dates where compare(x, d, cmp) { return true }
            return false
        case .binaries(let bins):
            let bytes = Base64.decode(v) ?? Array(v.utf8)
            return bins.contains(bytes)
        case .networks(let nets):
            guard let addr = IPNetwork.parse(v) else { return false }
            for n in nets where n.isIPv4 == addr.isIPv4 && n.contains(addr) { return true }
            return false
        case .arns(let arns):
            for a in arns where a.matches(v, ctx) { return true }
            return false
        case .nulls:
            return false
        }
    }

    @inline(__always)
    private func compare(_ x: Double, _ y: Double, _ c: Comparison) -> Bool {
        switch c {
        case .equals: return x == y
        case .lessThan: return x < y
        case .lessThanEquals: return x <= y
        case .greaterThan: return x > y
        case .greaterThanEquals: return x >= y
        }
    }

    // MARK: Explanation

    /// `StringEquals aws:SourceVpce ["vpce-1"]`
    var summary: String {
        let vals = rawValues.count == 1 ? JSONWriter.quoted(rawValues[0]) : "[" + rawValues.map(JSONWriter.quoted).joined(separator: ", ") + "]"
        return "\(op.name) \(key) \(vals)"
    }

    /// Why the condition came out as it did, in one clause.
    func explain(_ ctx: ResolvedContext) -> String {
        let outcome = evaluateDetailed(ctx)
        let verdict = outcome.holds ? "true" : "false"
        let found = ctx.lookup(keyLower)
        var requestText = ""
        switch found {
        case .single(let s)?: requestText = "request has \(key) = \(JSONWriter.quoted(s))"
        case .multiple(let vs)?: requestText = "request has \(key) = [" + vs.map(JSONWriter.quoted).joined(separator: ", ") + "]"
        case nil: requestText = "\(key) is not in the request context"
        }
        var why = ""
        if case .nulls = values {
            why = "Null tests whether the key is absent"
        } else {
            switch outcome.presence {
            case .absent:
                if op.ifExists { why = "...IfExists is true when the key is absent" }
                else if op.qualifier == .forAllValues { why = "ForAllValues is true when the key is absent" }
                else if op.qualifier == .forAnyValue { why = "ForAnyValue is false when the key is absent" }
                else if op.negated { why = "a negated operator is true when the key is absent" }
                else { why = "a positive operator is false when the key is absent" }
            case .empty:
                why = op.qualifier == .forAllValues ? "ForAllValues is true for an empty value set" : "the key has no values"
            case .values:
                var unresolved: [String] = []
                if case .strings(let globs) = values {
                    for g in globs { for v in g.variables where ctx.variableValue(v) == nil { unresolved.append("${\(v.display)}") } }
                } else if case .arns(let arns) = values {
                    for a in arns { for v in a.whole.variables where ctx.variableValue(v) == nil { unresolved.append("${\(v.display)}") } }
                }
                if !unresolved.isEmpty {
                    why = "policy variable \(unresolved.joined(separator: ", ")) has no value, so that policy value matches nothing"
                }
            }
        }
        return "\(summary) is \(verdict): \(requestText)" + (why.isEmpty ? "" : " (\(why))")
    }
}

struct ConditionValueError: Error {
    let index: Int
    let message: String
}
