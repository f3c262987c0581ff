// Policy documents: the public model and the validating parser.

/// The policy language version. Policy variables exist only in 2012-10-17;
/// without a Version element IAM uses 2008-10-17, where `${...}` is literal text.
public enum PolicyVersion: String, Sendable, Hashable {
    case v2012_10_17 = "2012-10-17"
    case v2008_10_17 = "2008-10-17"
}

public enum Effect: String, Sendable, Hashable {
    case allow = "Allow"
    case deny = "Deny"
}

/// What the document is attached to, which decides the Principal rules.
public enum PolicyKind: Sendable, Hashable {
    /// No placement checks.
    case any
    /// Identity-based policy, permissions boundary, session policy or SCP:
    /// no Principal/NotPrincipal; every statement needs Resource or NotResource.
    case identity
    /// Resource-based policy or VPC endpoint policy: every statement needs
    /// Principal or NotPrincipal.
    case resourceBased
}

/// A malformed policy. `description` reads `SOURCE: PATH: MESSAGE`, for example
/// `policy.json: $.Statement[1].Effect: expected "Allow" or "Deny", found "Permit"`;
/// for JSON syntax errors `SOURCE: line L, column C: MESSAGE`.
public struct PolicyParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The label the caller gave (usually a file name).
    public let source: String
    /// JSON path of the offending element, `$` for the document itself.
    public let path: String
    public let message: String
    /// Position in the input when known (always for syntax errors).
    public let line: Int?
    public let column: Int?
    /// True when the input is not JSON at all.
    public let isSyntaxError: Bool

    public init(source: String, path: String, message: String, line: Int? = nil, column: Int? = nil, isSyntaxError: Bool = false) {
        self.source = source
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        self.isSyntaxError = isSyntaxError
    }

    public var description: String {
        if isSyntaxError, let line, let column {
            return "\(source): line \(line), column \(column): \(message)"
        }
        return "\(source): \(path): \(message)"
    }
}

/// One condition as written: operator, key and its values (JSON numbers and
/// booleans normalised to their text, as IAM compares them).
public struct ConditionClause: Sendable, Hashable {
    public let operatorName: String
    public let key: String
    public let values: [String]
}

public struct PolicyStatement: Sendable {
    /// Position in the Statement array (0 when Statement is a single object).
    public let index: Int
    public let sid: String?
    public let effect: Effect
    /// Action or NotAction patterns as written.
    public let actions: [String]
    public let isNotAction: Bool
    /// Resource or NotResource patterns; nil when the statement has neither
    /// (allowed in resource-based policies, where it means the attached resource).
    public let resources: [String]?
    public let isNotResource: Bool
    /// Principal or NotPrincipal entries in display form; nil when absent.
    public let principals: [String]?
    public let isNotPrincipal: Bool
    public let conditions: [ConditionClause]

    /// Compiled matchers (a class, so the evaluation loop retains one reference per statement).
    let compiled: CompiledStatement
    /// JSON path of the statement, for explanations.
    let path: String

    var principalEntries: [PrincipalEntry]? { compiled.principalEntries }
    var compiledConditions: [CompiledCondition] { compiled.conditions }
}

final class CompiledStatement: Sendable {
    let index: Int
    let effect: Effect
    let actionGlobs: [Glob]
    let isNotAction: Bool
    let resourceGlobs: [Glob]?
    let isNotResource: Bool
    let principalEntries: [PrincipalEntry]?
    let isNotPrincipal: Bool
    let conditions: [CompiledCondition]

    init(index: Int, effect: Effect, actionGlobs: [Glob], isNotAction: Bool, resourceGlobs: [Glob]?, isNotResource: Bool,
         principalEntries: [PrincipalEntry]?, isNotPrincipal: Bool, conditions: [CompiledCondition]) {
        self.index = index
        self.effect = effect
        self.actionGlobs = actionGlobs
        self.isNotAction = isNotAction
        self.resourceGlobs = resourceGlobs
        self.isNotResource = isNotResource
        self.principalEntries = principalEntries
        self.isNotPrincipal = isNotPrincipal
        self.conditions = conditions
    }
}

public struct PolicyDocument: Sendable {
    public let version: PolicyVersion
    /// False when the document had no Version element (read as 2008-10-17).
    public let hasVersionElement: Bool
    public let id: String?
    /// Label used in errors and explanations (usually the file name).
    public let source: String
    public let statements: [PolicyStatement]
    let compiled: [CompiledStatement]

    /// Parses and validates a policy. Malformed input throws `PolicyParseError`
    /// naming `source` and the JSON path.
    public init(json: [UInt8], source: String = "policy", kind: PolicyKind = .any) throws(PolicyParseError) {
        let root: JSONNode
        do {
            root = try JSONParser.parse(json)
        } catch {
            let (line, column) = lineAndColumn(of: error.offset, in: json)
            throw PolicyParseError(source: source, path: "$", message: "invalid JSON: \(error.message)", line: line, column: column, isSyntaxError: true)
        }
        var parser = PolicyParser(source: source, bytes: json, kind: kind)
        self = try parser.document(root, path: "$")
    }

    public init(json: String, source: String = "policy", kind: PolicyKind = .any) throws(PolicyParseError) {
        try self.init(json: Array(json.utf8), source: source, kind: kind)
    }

    /// Parses a policy that is part of a larger JSON input (paths and positions
    /// refer to that input).
    init(node: JSONNode, path: String, source: String, bytes: [UInt8], kind: PolicyKind) throws(PolicyParseError) {
        var parser = PolicyParser(source: source, bytes: bytes, kind: kind)
        self = try parser.document(node, path: path)
    }

    init(version: PolicyVersion, hasVersionElement: Bool, id: String?, source: String, statements: [PolicyStatement]) {
        self.version = version
        self.hasVersionElement = hasVersionElement
        self.id = id
        self.source = source
        self.statements = statements
        self.compiled = statements.map(\.compiled)
    }
}

/// JSON path helpers: `.Name` for plain names, `["odd:name"]` otherwise.
func pathMember(_ base: String, _ key: String) -> String {
    let plain = !key.isEmpty && key.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    return plain ? "\(base).\(key)" : "\(base)[\(JSONWriter.quoted(key))]"
}

func pathIndex(_ base: String, _ i: Int) -> String { "\(base)[\(i)]" }

struct PolicyParser {
    let source: String
    let bytes: [UInt8]
    let kind: PolicyKind
    var variables = false

    init(source: String, bytes: [UInt8], kind: PolicyKind) {
        self.source = source
        self.bytes = bytes
        self.kind = kind
    }

    func fail(_ path: String, _ message: String, at offset: Int) -> PolicyParseError {
        let (line, column) = lineAndColumn(of: offset, in: bytes)
        return PolicyParseError(source: source, path: path, message: message, line: line, column: column)
    }

    /// Checks members against the allowed names; rejects duplicates and unknown names.
    func checkMembers(_ members: [JSONMember], allowed: [String], path: String, what: String) throws(PolicyParseError) {
        var seen: Set<String> = []
        for m in members {
            if !seen.insert(m.key).inserted {
                throw fail(pathMember(path, m.key), "duplicate element \(JSONWriter.quoted(m.key)) in \(what); JSON parsers keep only one of them, so this is almost certainly a mistake", at: m.keyOffset)
            }
            if !allowed.contains(m.key) {
                var msg = "unknown element \(JSONWriter.quoted(m.key)) in \(what); allowed: " + allowed.joined(separator: ", ")
                if let fix = allowed.first(where: { $0.lowercased() == m.key.lowercased() }) {
                    msg = "unknown element \(JSONWriter.quoted(m.key)) in \(what) (element names are case-sensitive; did you mean \(JSONWriter.quoted(fix))?)"
                }
                throw fail(pathMember(path, m.key), msg, at: m.keyOffset)
            }
        }
    }

    mutating func document(_ node: JSONNode, path: String) throws(PolicyParseError) -> PolicyDocument {
        guard case .object(let members) = node.kind else {
            throw fail(path, "expected a policy object with Version and Statement, found \(node.typeName)", at: node.offset)
        }
        try checkMembers(members, allowed: ["Version", "Id", "Statement"], path: path, what: "a policy")
        var version = PolicyVersion.v2008_10_17
        var hasVersion = false
        var id: String? = nil
        var statementNode: JSONMember? = nil
        for m in members {
            let p = pathMember(path, m.key)
            switch m.key {
            case "Version":
                guard case .string(let v) = m.value.kind, let parsed = PolicyVersion(rawValue: v) else {
                    throw fail(p, "expected \"2012-10-17\" or \"2008-10-17\", found \(m.value.brief)", at: m.value.offset)
                }
                version = parsed
                hasVersion = true
            case "Id":
                guard case .string(let v) = m.value.kind else {
                    throw fail(p, "expected a string, found \(m.value.typeName)", at: m.value.offset)
                }
                id = v
            default:
                statementNode = m
            }
        }
        guard let statementNode else {
            throw fail(path, "missing Statement element", at: node.offset)
        }
        variables = version == .v2012_10_17
        var statements: [PolicyStatement] = []
        let sp = pathMember(path, "Statement")
        switch statementNode.value.kind {
        case .object:
            statements.append(try statement(statementNode.value, index: 0, path: sp))
        case .array(let items):
            for (i, item) in items.enumerated() {
                statements.append(try statement(item, index: i, path: pathIndex(sp, i)))
            }
        default:
            throw fail(sp, "expected a statement object or an array of statements, found \(statementNode.value.typeName)", at: statementNode.value.offset)
        }
        if kind == .identity {
            var sids: [String: Int] = [:]
            for s in statements {
                guard let sid = s.sid else { continue }
                if let first = sids[sid] {
                    throw PolicyParseError(source: source, path: pathMember(s.path, "Sid"), message: "duplicate Sid \(JSONWriter.quoted(sid)) (also used by statement \(first)); Sids must be unique within an IAM policy")
                }
                sids[sid] = s.index
            }
        }
        return PolicyDocument(version: version, hasVersionElement: hasVersion, id: id, source: source, statements: statements)
    }

    func strings(_ node: JSONNode, path: String, what: String) throws(PolicyParseError) -> [String] {
        switch node.kind {
        case .string(let s): return [s]
        case .array(let items):
            guard !items.isEmpty else { throw fail(path, "\(what) must not be an empty array", at: node.offset) }
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard case .string(let s) = item.kind else {
                    throw fail(pathIndex(path, i), "expected a string in \(what), found \(item.typeName)", at: item.offset)
                }
                out.append(s)
            }
            return out
        default:
            throw fail(path, "expected a string or an array of strings for \(what), found \(node.typeName)", at: node.offset)
        }
    }

    func statement(_ node: JSONNode, index: Int, path: String) throws(PolicyParseError) -> PolicyStatement {
        guard case .object(let members) = node.kind else {
            throw fail(path, "expected a statement object, found \(node.typeName)", at: node.offset)
        }
        let allowed = ["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]
        try checkMembers(members, allowed: allowed, path: path, what: "a statement")
        func member(_ name: String) -> JSONMember? { members.first { $0.key == name } }

        var sid: String? = nil
        if let m = member("Sid") {
            guard case .string(let s) = m.value.kind else {
                throw fail(pathMember(path, "Sid"), "expected a string, found \(m.value.typeName)", at: m.value.offset)
            }
            sid = s
        }

        guard let effectMember = member("Effect") else {
            throw fail(path, "missing Effect (\"Allow\" or \"Deny\")", at: node.offset)
        }
        guard case .string(let effectText) = effectMember.value.kind, let effect = Effect(rawValue: effectText) else {
            throw fail(pathMember(path, "Effect"), "expected \"Allow\" or \"Deny\", found \(effectMember.value.brief)", at: effectMember.value.offset)
        }

        // Action / NotAction
        let action = member("Action")
        let notAction = member("NotAction")
        if action != nil && notAction != nil {
            throw fail(path, "a statement cannot have both Action and NotAction", at: node.offset)
        }
        guard let actionMember = action ?? notAction else {
            throw fail(path, "missing Action or NotAction", at: node.offset)
        }
        let actionPath = pathMember(path, actionMember.key)
        let actions = try strings(actionMember.value, path: actionPath, what: actionMember.key)
        var actionGlobs: [Glob] = []
        for (i, a) in actions.enumerated() {
            let p = actions.count == 1 && !isArray(actionMember.value) ? actionPath : pathIndex(actionPath, i)
            if a != "*" {
                let parts = a.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw fail(p, "invalid action \(JSONWriter.quoted(a)): expected \"service:action\" (for example \"bedrock:InvokeModel\") or \"*\"", at: actionMember.value.offset)
                }
            }
            do { actionGlobs.append(try Glob.compile(a, variables: false, wildcards: true, lowercase: true)) } catch {
                throw fail(p, error.message, at: actionMember.value.offset)
            }
        }

        // Resource / NotResource
        let resource = member("Resource")
        let notResource = member("NotResource")
        if resource != nil && notResource != nil {
            throw fail(path, "a statement cannot have both Resource and NotResource", at: node.offset)
        }
        var resources: [String]? = nil
        var resourceGlobs: [Glob]? = nil
        if let rm = resource ?? notResource {
            let rp = pathMember(path, rm.key)
            let list = try strings(rm.value, path: rp, what: rm.key)
            var globs: [Glob] = []
            for (i, r) in list.enumerated() {
                let p = list.count == 1 && !isArray(rm.value) ? rp : pathIndex(rp, i)
                guard r == "*" || r.hasPrefix("arn:") || r.hasPrefix("*") || r.contains("${") else {
                    throw fail(p, "invalid resource \(JSONWriter.quoted(r)): expected an ARN (such as \"arn:aws:bedrock:us-east-1::foundation-model/anthropic.*\") or \"*\"", at: rm.value.offset)
                }
                do { globs.append(try Glob.compile(r, variables: variables, wildcards: true, lowercase: false)) } catch {
                    throw fail(p, error.message, at: rm.value.offset)
                }
            }
            resources = list
            resourceGlobs = globs
        } else if kind == .identity {
            throw fail(path, "missing Resource or NotResource (identity-based policies must name resources; use \"*\" for all)", at: node.offset)
        }

        // Principal / NotPrincipal
        let principal = member("Principal")
        let notPrincipal = member("NotPrincipal")
        if principal != nil && notPrincipal != nil {
            throw fail(path, "a statement cannot have both Principal and NotPrincipal", at: node.offset)
        }
        var principalEntries: [PrincipalEntry]? = nil
        if let pm = principal ?? notPrincipal {
            if kind == .identity {
                throw fail(pathMember(path, pm.key), "\(pm.key) is not allowed in identity-based policies, permissions boundaries, session policies or SCPs; the principal is the identity the policy is attached to", at: pm.keyOffset)
            }
            principalEntries = try principals(pm.value, path: pathMember(path, pm.key))
        } else if kind == .resourceBased {
            throw fail(path, "missing Principal or NotPrincipal (resource-based and VPC endpoint policies must name principals; use \"*\" for everyone)", at: node.offset)
        }

        // Condition
        var clauses: [ConditionClause] = []
        var compiled: [CompiledCondition] = []
        if let cm = member("Condition") {
            (clauses, compiled) = try conditions(cm.value, path: pathMember(path, "Condition"))
        }

        return PolicyStatement(
            index: index, sid: sid, effect: effect,
            actions: actions, isNotAction: notAction != nil,
            resources: resources, isNotResource: notResource != nil,
            principals: principalEntries?.map(\.display), isNotPrincipal: notPrincipal != nil,
            conditions: clauses,
            compiled: CompiledStatement(index: index, effect: effect, actionGlobs: actionGlobs, isNotAction: notAction != nil,
                                        resourceGlobs: resourceGlobs, isNotResource: notResource != nil,
                                        principalEntries: principalEntries, isNotPrincipal: notPrincipal != nil, conditions: compiled),
            path: path)
    }

    func isArray(_ node: JSONNode) -> Bool {
        if case .array = node.kind { return true }
        return false
    }

    func principals(_ node: JSONNode, path: String) throws(PolicyParseError) -> [PrincipalEntry] {
        switch node.kind {
        case .string(let s):
            guard s == "*" else {
                throw fail(path, "expected \"*\" or an object such as {\"AWS\": \"arn:aws:iam::111122223333:root\"}, found \(JSONWriter.quoted(s))", at: node.offset)
            }
            return [.anyone]
        case .object(let members):
            guard !members.isEmpty else { throw fail(path, "empty principal object", at: node.offset) }
            try checkMembers(members, allowed: ["AWS", "Service", "Federated", "CanonicalUser"], path: path, what: "a principal")
            var out: [PrincipalEntry] = []
            for m in members {
                let mp = pathMember(path, m.key)
                let values = try strings(m.value, path: mp, what: "principal \(m.key)")
                for (i, v) in values.enumerated() {
                    let vp = values.count == 1 && !isArray(m.value) ? mp : pathIndex(mp, i)
                    out.append(try principalEntry(m.key, v, path: vp, offset: m.value.offset))
                }
            }
            return out
        default:
            throw fail(path, "expected \"*\" or a principal object, found \(node.typeName)", at: node.offset)
        }
    }

    func principalEntry(_ type: String, _ v: String, path: String, offset: Int) throws(PolicyParseError) -> PrincipalEntry {
        if v.isEmpty { throw fail(path, "empty principal", at: offset) }
        if v != "*" && (v.contains("*") || v.contains("?")) {
            throw fail(path, "wildcards are not allowed inside a principal (\(JSONWriter.quoted(v))); use \"*\" with a condition such as ArnLike on aws:PrincipalArn", at: offset)
        }
        switch type {
        case "AWS":
            if v == "*" { return .anyone }
            if v.utf8.count == 12, v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return .account(v) }
            if let arn = PrincipalArn.parse(v) {
                switch arn.kind {
                case .root: return .account(arn.account)
                case .user, .role, .assumedRole, .federatedUser: return .arn(arn, v)
                case .samlProvider, .oidcProvider:
                    throw fail(path, "\(JSONWriter.quoted(v)) is an identity provider; name it with \"Federated\", not \"AWS\"", at: offset)
                }
            }
            if v.utf8.count >= 16, v.hasPrefix("A"), v.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }) {
                return .uniqueId(v)
            }
            throw fail(path, "invalid AWS principal \(JSONWriter.quoted(v)): expected a 12-digit account ID, an IAM user/role ARN, an assumed-role session ARN, a federated-user ARN, \"arn:aws:iam::ACCOUNT:root\" or \"*\"", at: offset)
        case "Service":
            if v == "*" { return .anyone }
            return .service(v)
        case "Federated":
            return .federated(v)
        default:
            return .canonicalUser(v)
        }
    }

    /// Normalises a JSON scalar to the text IAM compares.
    func scalarText(_ node: JSONNode, path: String) throws(PolicyParseError) -> String {
        switch node.kind {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        default:
            throw fail(path, "condition values must be strings, numbers or booleans, found \(node.typeName)", at: node.offset)
        }
    }

    func conditions(_ node: JSONNode, path: String) throws(PolicyParseError) -> ([ConditionClause], [CompiledCondition]) {
        guard case .object(let ops) = node.kind else {
            throw fail(path, "expected an object mapping condition operators to {key: value(s)}, found \(node.typeName)", at: node.offset)
        }
        var seen: Set<String> = []
        var clauses: [ConditionClause] = []
        var compiled: [CompiledCondition] = []
        for opMember in ops {
            let opPath = pathMember(path, opMember.key)
            if !seen.insert(opMember.key).inserted {
                throw fail(opPath, "duplicate condition operator \(JSONWriter.quoted(opMember.key)); put all its keys in one block (JSON parsers keep only one)", at: opMember.keyOffset)
            }
            let op: ConditionOperator
            switch ConditionOperator.parse(opMember.key) {
            case .success(let o): op = o
            case .failure(.nullModifier(let raw)):
                throw fail(opPath, "\(JSONWriter.quoted(raw)): the Null operator takes neither IfExists nor ForAllValues/ForAnyValue", at: opMember.keyOffset)
            case .failure(.unknown(let raw)):
                var msg = "unknown condition operator \(JSONWriter.quoted(raw))"
                if let s = ConditionOperator.suggestion(for: raw) { msg += "; did you mean \(JSONWriter.quoted(s))?" }
                throw fail(opPath, msg, at: opMember.keyOffset)
            }
            guard case .object(let keys) = opMember.value.kind else {
                throw fail(opPath, "expected an object mapping condition keys to values, found \(opMember.value.typeName)", at: opMember.value.offset)
            }
            if keys.isEmpty { throw fail(opPath, "\(op.name) has no condition keys", at: opMember.value.offset) }
            var seenKeys: Set<String> = []
            for km in keys {
                let keyPath = pathMember(opPath, km.key)
                if km.key.isEmpty { throw fail(keyPath, "empty condition key", at: km.keyOffset) }
                if !seenKeys.insert(km.key.lowercased()).inserted {
                    throw fail(keyPath, "duplicate condition key \(JSONWriter.quoted(km.key)) under \(op.name) (keys are case-insensitive)", at: km.keyOffset)
                }
                var raw: [String] = []
                var valueNodes: [JSONNode] = []
                switch km.value.kind {
                case .array(let items):
                    guard !items.isEmpty else { throw fail(keyPath, "\(op.name) \(km.key) has an empty value list", at: km.value.offset) }
                    for (i, item) in items.enumerated() {
                        raw.append(try scalarText(item, path: pathIndex(keyPath, i)))
                        valueNodes.append(item)
                    }
                default:
                    raw.append(try scalarText(km.value, path: keyPath))
                    valueNodes.append(km.value)
                }
                do {
                    compiled.append(try CompiledCondition.compile(op: op, key: km.key, values: raw, variables: variables))
                } catch {
                    let p = isArray(km.value) ? pathIndex(keyPath, error.index) : keyPath
                    let offset = error.index < valueNodes.count ? valueNodes[error.index].offset : km.value.offset
                    throw fail(p, error.message, at: offset)
                }
                clauses.append(ConditionClause(operatorName: op.name, key: km.key, values: raw))
            }
        }
        return (clauses, compiled)
    }
}
