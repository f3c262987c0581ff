// Offline simulation for `bedrock-sim iam simulate FILE`: JSON cases in, one
// compact JSON result line per case out. Decisions are results, not errors;
// only malformed input throws.

/// Malformed simulation input. `description` reads `SOURCE: PATH: MESSAGE`, such as
/// `input.json: $[2].identityPolicies[0].Statement[0].Effect: expected "Allow" or "Deny", found "Permit"`;
/// for JSON syntax errors `SOURCE: line L, column C: MESSAGE`.
public struct SimulationInputError: Error, Sendable, Hashable, CustomStringConvertible {
    public let source: String
    public let path: String
    public let message: String
    public let line: Int?
    public let column: Int?
    public let isSyntaxError: Bool

    public init(source: String, path: String, message: String, line: Int? = nil, column: Int? = nil, isSyntaxError: Bool = false) {
        self.source = source
        self.path = path
        self.message = message
        self.line = line
        self.column = column
        self.isSyntaxError = isSyntaxError
    }

    init(_ e: PolicyParseError) {
        self.init(source: e.source, path: e.path, message: e.message, line: e.line, column: e.column, isSyntaxError: e.isSyntaxError)
    }

    public var description: String {
        if isSyntaxError, let line, let column {
            return "\(source): line \(line), column \(column): \(message)"
        }
        return "\(source): \(path): \(message)"
    }
}

public enum IAMSimulation {
    /// Input: one case object or an array of them:
    /// `{"request": {"action", "resource", "resourceAccount"?, "principal": ARN string
    /// (or {"arn", "type"?, "accountId"?, "roleArn"?, "sourceUserArn"?, "userId"?}),
    /// "context"?: {key: string | [strings]}}, "identityPolicies"?: [policy],
    /// "resourcePolicy"?: policy, "endpointPolicies"?: [policy], "permissionBoundaries"?: [policy],
    /// "serviceControlPolicies"?: [{"orgIdentifier", "policies": [policy]}], "sessionPolicy"?: policy,
    /// "resourcePolicyRequired"?: bool}`.
    /// Output: one compact JSON object per case:
    /// `{"decision","blockedBy","matchedStatements":[{"policyType","policy","sid","statementIndex","effect"}],"explanation"}`.
    public static func run(json: [UInt8], source: String) throws(SimulationInputError) -> [String] {
        let cases = try parse(json: json, source: source)
        return cases.map { render(PolicyEvaluator.evaluate($0)) }
    }

    /// Parses the cases without evaluating them.
    public static func parse(json: [UInt8], source: String) throws(SimulationInputError) -> [EvaluationInput] {
        let root: JSONNode
        do {
            root = try JSONParser.parse(json)
        } catch {
            let (line, column) = lineAndColumn(of: error.offset, in: json)
            throw SimulationInputError(source: source, path: "$", message: "invalid JSON: \(error.message)", line: line, column: column, isSyntaxError: true)
        }
        let reader = CaseReader(source: source, bytes: json)
        switch root.kind {
        case .object:
            return [try reader.readCase(root, path: "$")]
        case .array(let items):
            guard !items.isEmpty else { throw reader.fail("$", "expected at least one simulation case, found an empty array", at: root.offset) }
            var out: [EvaluationInput] = []
            for (i, item) in items.enumerated() { out.append(try reader.readCase(item, path: pathIndex("$", i))) }
            return out
        default:
            throw reader.fail("$", "expected a simulation case object or an array of them, found \(root.typeName)", at: root.offset)
        }
    }

    /// One compact JSON line.
    public static func render(_ r: EvaluationResult) -> String {
        var out = "{\"decision\":" + JSONWriter.quoted(r.decision.rawValue)
        out += ",\"blockedBy\":[" + r.blockedBy.map { JSONWriter.quoted($0.rawValue) }.joined(separator: ",") + "]"
        out += ",\"matchedStatements\":["
        out += r.matchedStatements.map { m in
            "{\"policyType\":" + JSONWriter.quoted(m.policyType.rawValue)
                + ",\"policy\":" + JSONWriter.quoted(m.policy)
                + ",\"sid\":" + (m.sid.map(JSONWriter.quoted) ?? "null")
                + ",\"statementIndex\":\(m.index)"
                + ",\"effect\":" + JSONWriter.quoted(m.effect.rawValue) + "}"
        }.joined(separator: ",")
        out += "],\"explanation\":" + JSONWriter.quoted(r.explanation) + "}"
        return out
    }
}

struct CaseReader {
    let source: String
    let bytes: [UInt8]

    func fail(_ path: String, _ message: String, at offset: Int) -> SimulationInputError {
        let (line, column) = lineAndColumn(of: offset, in: bytes)
        return SimulationInputError(source: source, path: path, message: message, line: line, column: column)
    }

    func object(_ node: JSONNode, path: String, what: String, allowed: [String]) throws(SimulationInputError) -> [String: JSONMember] {
        guard case .object(let members) = node.kind else {
            throw fail(path, "expected \(what) object, found \(node.typeName)", at: node.offset)
        }
        var out: [String: JSONMember] = [:]
        for m in members {
            if out[m.key] != nil { throw fail(pathMember(path, m.key), "duplicate element \(JSONWriter.quoted(m.key))", at: m.keyOffset) }
            guard allowed.contains(m.key) else {
                var msg = "unknown element \(JSONWriter.quoted(m.key)) in \(what); allowed: " + allowed.joined(separator: ", ")
                if let fix = allowed.min(by: { editDistance($0.lowercased(), m.key.lowercased()) < editDistance($1.lowercased(), m.key.lowercased()) }),
                   editDistance(fix.lowercased(), m.key.lowercased()) <= 3 {
                    msg = "unknown element \(JSONWriter.quoted(m.key)) in \(what); did you mean \(JSONWriter.quoted(fix))?"
                }
                throw fail(pathMember(path, m.key), msg, at: m.keyOffset)
            }
            out[m.key] = m
        }
        return out
    }

    func string(_ m: JSONMember, path: String) throws(SimulationInputError) -> String {
        guard case .string(let s) = m.value.kind else {
            throw fail(path, "expected a string, found \(m.value.typeName)", at: m.value.offset)
        }
        return s
    }

    func policy(_ node: JSONNode, path: String, kind: PolicyKind) throws(SimulationInputError) -> PolicyDocument {
        // Label the document by its place in the case so explanations need no file name.
        let label = path.split(separator: ".", maxSplits: 1).last.map(String.init) ?? path
        do {
            let doc = try PolicyDocument(node: node, path: path, source: source, bytes: bytes, kind: kind)
            return PolicyDocument(version: doc.version, hasVersionElement: doc.hasVersionElement, id: doc.id, source: label, statements: doc.statements)
        } catch {
            throw SimulationInputError(error)
        }
    }

    func policies(_ m: JSONMember?, path: String, kind: PolicyKind) throws(SimulationInputError) -> [PolicyDocument] {
        guard let m else { return [] }
        guard case .array(let items) = m.value.kind else {
            throw fail(path, "expected an array of policies, found \(m.value.typeName)", at: m.value.offset)
        }
        var out: [PolicyDocument] = []
        for (i, item) in items.enumerated() { out.append(try policy(item, path: pathIndex(path, i), kind: kind)) }
        return out
    }

    func readCase(_ node: JSONNode, path: String) throws(SimulationInputError) -> EvaluationInput {
        let members = try object(node, path: path, what: "a simulation case", allowed: [
            "request", "identityPolicies", "resourcePolicy", "endpointPolicies", "permissionBoundaries",
            "serviceControlPolicies", "sessionPolicy", "resourcePolicyRequired",
        ])
        guard let reqMember = members["request"] else { throw fail(path, "missing request", at: node.offset) }
        let request = try readRequest(reqMember.value, path: pathMember(path, "request"))
        let identity = try policies(members["identityPolicies"], path: pathMember(path, "identityPolicies"), kind: .identity)
        var resource: PolicyDocument? = nil
        if let m = members["resourcePolicy"], !isNull(m.value) {
            resource = try policy(m.value, path: pathMember(path, "resourcePolicy"), kind: .resourceBased)
        }
        let endpoints = try policies(members["endpointPolicies"], path: pathMember(path, "endpointPolicies"), kind: .resourceBased)
        let boundaries = try policies(members["permissionBoundaries"], path: pathMember(path, "permissionBoundaries"), kind: .identity)
        var session: PolicyDocument? = nil
        if let m = members["sessionPolicy"], !isNull(m.value) {
            session = try policy(m.value, path: pathMember(path, "sessionPolicy"), kind: .identity)
        }
        var scps: [SCPLevel] = []
        if let m = members["serviceControlPolicies"] {
            let sp = pathMember(path, "serviceControlPolicies")
            guard case .array(let levels) = m.value.kind else {
                throw fail(sp, "expected an array of {\"orgIdentifier\", \"policies\"} levels (organization root first), found \(m.value.typeName)", at: m.value.offset)
            }
            for (i, levelNode) in levels.enumerated() {
                let lp = pathIndex(sp, i)
                let lm = try object(levelNode, path: lp, what: "an SCP level", allowed: ["orgIdentifier", "policies"])
                var orgId = "level \(i)"
                if let o = lm["orgIdentifier"] { orgId = try string(o, path: pathMember(lp, "orgIdentifier")) }
                guard let pm = lm["policies"] else { throw fail(lp, "missing policies", at: levelNode.offset) }
                scps.append(SCPLevel(orgIdentifier: orgId, policies: try policies(pm, path: pathMember(lp, "policies"), kind: .identity)))
            }
        }
        var required = false
        if let m = members["resourcePolicyRequired"] {
            guard case .bool(let b) = m.value.kind else {
                throw fail(pathMember(path, "resourcePolicyRequired"), "expected true or false, found \(m.value.typeName)", at: m.value.offset)
            }
            required = b
        }
        return EvaluationInput(request: request, identityPolicies: identity, resourcePolicy: resource, endpointPolicies: endpoints,
                               permissionBoundaries: boundaries, serviceControlPolicies: scps, sessionPolicy: session,
                               resourcePolicyRequired: required)
    }

    func isNull(_ n: JSONNode) -> Bool {
        if case .null = n.kind { return true }
        return false
    }

    func readRequest(_ node: JSONNode, path: String) throws(SimulationInputError) -> RequestContext {
        let m = try object(node, path: path, what: "a request", allowed: ["action", "resource", "resourceAccount", "principal", "context"])
        guard let a = m["action"] else { throw fail(path, "missing action (such as \"bedrock:InvokeModel\")", at: node.offset) }
        let action = try string(a, path: pathMember(path, "action"))
        let parts = action.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw fail(pathMember(path, "action"), "expected \"service:Action\" such as \"bedrock:InvokeModel\", found \(JSONWriter.quoted(action))", at: a.value.offset)
        }
        guard let r = m["resource"] else { throw fail(path, "missing resource (an ARN, or \"*\" for actions without resource-level permissions)", at: node.offset) }
        let resource = try string(r, path: pathMember(path, "resource"))
        var resourceAccount: String? = nil
        if let ra = m["resourceAccount"], !isNull(ra.value) { resourceAccount = try string(ra, path: pathMember(path, "resourceAccount")) }
        guard let p = m["principal"] else { throw fail(path, "missing principal (an ARN such as \"arn:aws:sts::111122223333:assumed-role/App/session\")", at: node.offset) }
        let principal = try readPrincipal(p.value, path: pathMember(path, "principal"))
        var context: [String: ContextValue] = [:]
        if let c = m["context"] {
            let cp = pathMember(path, "context")
            guard case .object(let entries) = c.value.kind else {
                throw fail(cp, "expected an object of context keys, found \(c.value.typeName)", at: c.value.offset)
            }
            var seen: Set<String> = []
            for e in entries {
                let ep = pathMember(cp, e.key)
                if !seen.insert(e.key.lowercased()).inserted {
                    throw fail(ep, "duplicate context key \(JSONWriter.quoted(e.key)) (keys are case-insensitive)", at: e.keyOffset)
                }
                switch e.value.kind {
                case .array(let items):
                    var vs: [String] = []
                    for (i, item) in items.enumerated() { vs.append(try scalar(item, path: pathIndex(ep, i))) }
                    context[e.key] = .multiple(vs)
                default:
                    context[e.key] = .single(try scalar(e.value, path: ep))
                }
            }
        }
        return RequestContext(action: action, resource: resource, resourceAccount: resourceAccount, principal: principal, context: context)
    }

    func scalar(_ n: JSONNode, path: String) throws(SimulationInputError) -> String {
        switch n.kind {
        case .string(let s): return s
        case .number(let s): return s
        case .bool(let b): return b ? "true" : "false"
        default: throw fail(path, "expected a string, number or boolean, found \(n.typeName)", at: n.offset)
        }
    }

    func readPrincipal(_ node: JSONNode, path: String) throws(SimulationInputError) -> PrincipalInfo {
        switch node.kind {
        case .string(let s):
            guard let info = PrincipalInfo.derive(from: s) else {
                throw fail(path, "cannot tell the principal type from \(JSONWriter.quoted(s)); expected an IAM/STS ARN (arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, arn:aws:iam::ACCOUNT:root, ...), a service such as \"bedrock.amazonaws.com\", or \"*\"", at: node.offset)
            }
            return info
        case .object:
            let m = try object(node, path: path, what: "a principal", allowed: ["arn", "type", "accountId", "roleArn", "sourceUserArn", "userId"])
            guard let a = m["arn"] else { throw fail(path, "missing arn", at: node.offset) }
            let arn = try string(a, path: pathMember(path, "arn"))
            var info = PrincipalInfo.derive(from: arn)
            if let t = m["type"] {
                let text = try string(t, path: pathMember(path, "type"))
                guard let type = PrincipalType(rawValue: text) else {
                    throw fail(pathMember(path, "type"), "expected one of " + PrincipalType.allCases.map { JSONWriter.quoted($0.rawValue) }.joined(separator: ", ") + ", found \(JSONWriter.quoted(text))", at: t.value.offset)
                }
                if info == nil { info = PrincipalInfo(arn: arn, type: type) } else { info?.type = type }
            }
            guard var result = info else {
                throw fail(pathMember(path, "arn"), "cannot tell the principal type from \(JSONWriter.quoted(arn)); give \"type\"", at: a.value.offset)
            }
            if let v = m["accountId"] { result.accountId = try string(v, path: pathMember(path, "accountId")) }
            if let v = m["roleArn"] { result.roleArn = try string(v, path: pathMember(path, "roleArn")) }
            if let v = m["sourceUserArn"] { result.sourceUserArn = try string(v, path: pathMember(path, "sourceUserArn")) }
            if let v = m["userId"] { result.userId = try string(v, path: pathMember(path, "userId")) }
            return result
        default:
            throw fail(path, "expected a principal ARN string or object, found \(node.typeName)", at: node.offset)
        }
    }
}
