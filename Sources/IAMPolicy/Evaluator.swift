// The request model and the evaluation logic
// (IAM User Guide: "Policy evaluation logic", "Cross-account policy evaluation
// logic", "Permissions boundaries", "Session policies"; Organizations SCPs;
// VPC endpoint policies).
import ASCIIText

/// A request-context value: one string, or several for a multivalued key
/// (such as `aws:TagKeys`).
public enum ContextValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    case single(String)
    case multiple([String])

    public init(stringLiteral value: String) { self = .single(value) }
    public init(arrayLiteral elements: String...) { self = .multiple(elements) }

    public var values: [String] {
        switch self {
        case .single(let s): return [s]
        case .multiple(let vs): return vs
        }
    }
}

/// Context keys with lowercased names (IAM key names are case-insensitive),
/// plus the keys IAM derives from the principal.
/// The keys a condition can read, in three layers looked up in order (the request's own keys, the resource's
/// owner, the principal's derived keys) rather than merged into one dictionary on every request.
struct ResolvedContext: Sendable {
    /// The request's keys, lowercase.
    let given: [String: ContextValue]
    let resourceAccount: String?
    /// The principal's keys, computed once per principal (`PreparedPrincipal`).
    let derived: [String: ContextValue]

    init(given: [String: ContextValue], resourceAccount: String?, derived: [String: ContextValue]) {
        self.given = given; self.resourceAccount = resourceAccount; self.derived = derived
    }

    /// One layer of lowercase keys (tests of single conditions).
    init(values: [String: ContextValue]) { self.init(given: values, resourceAccount: nil, derived: [:]) }

    @inline(__always)
    func lookup(_ lowerKey: String) -> ContextValue? {
        if let v = given[lowerKey] { return v }
        if let owner = resourceAccount, lowerKey == "aws:resourceaccount" { return .single(owner) }
        return derived[lowerKey]
    }

    /// A variable resolves only to a single-valued key (multivalued keys cannot be
    /// policy variables); otherwise to its default, or nil.
    @inline(__always)
    func variableValue(_ v: PolicyVariable) -> String? {
        if case .single(let s)? = lookup(v.key) { return s }
        return v.defaultValue
    }
}

public struct RequestContext: Sendable {
    /// `service:Action`, such as `bedrock:InvokeModel`.
    public let action: String
    /// The resource ARN (or `*` for actions without resource-level permissions).
    public let resource: String
    /// Account that owns the resource; when nil, the account field of `resource`.
    /// An empty account (AWS-owned resources such as foundation models) means no
    /// resource owner to cross into: the request is evaluated as same-account.
    public let resourceAccount: String?
    public let principal: PrincipalInfo
    /// Request context keys as given.
    public let context: [String: ContextValue]

    let actionLower: String
    let resolved: ResolvedContext
    let caller: CallerIdentity
    let owningAccount: String?

    /// Keys IAM derives from the principal are added unless `context` already has
    /// them: aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
    /// aws:username (IAM users), aws:userid (when known), aws:PrincipalIsAWSService,
    /// aws:PrincipalServiceName (services), aws:ResourceAccount (when known).
    /// Time keys (aws:CurrentTime, aws:EpochTime) are not invented: give them.
    public init(action: String, resource: String, resourceAccount: String? = nil,
                principal: PrincipalInfo, context: [String: ContextValue] = [:]) {
        self.init(action: action, resource: resource, resourceAccount: resourceAccount, prepared: PreparedPrincipal(principal), context: context)
    }

    /// The same, for a principal whose derived keys were computed once (a front end keeps one per principal).
    public init(action: String, resource: String, resourceAccount: String? = nil,
                prepared: PreparedPrincipal, context: [String: ContextValue] = [:]) {
        self.action = action
        self.resource = resource
        self.resourceAccount = resourceAccount
        self.principal = prepared.info
        self.context = context
        actionLower = asciiLowercased(action)
        caller = prepared.caller

        var owner = resourceAccount
        if owner == nil { owner = RequestContext.accountField(ofARN: resource) }
        if owner?.isEmpty == true { owner = nil }
        owningAccount = owner

        // Keys arrive lowercase from the front end; others are lowered here (condition keys are case-insensitive).
        var given = context
        if context.keys.contains(where: { k in k.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } }) {
            given = [:]
            given.reserveCapacity(context.count)
            for (k, v) in context { given[asciiLowercased(k)] = v }
        }
        resolved = ResolvedContext(given: given, resourceAccount: owner, derived: prepared.derived)
    }
}

extension RequestContext {
    /// The account field of `arn:partition:service:region:account:resource` (nil when `text` is not an ARN of six
    /// fields); a byte scan, since it runs on every authorization.
    public static func accountField(ofARN text: String) -> String? {
        var colons: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
        var count = 0
        var i = 0
        for b in text.utf8 {
            if b == UInt8(ascii: ":") {
                switch count {
                case 0: colons.0 = i
                case 1: colons.1 = i
                case 2: colons.2 = i
                case 3: colons.3 = i
                default: colons.4 = i
                }
                count += 1
                if count == 5 { break }
            }
            i += 1
        }
        guard count == 5, colons.0 == 3, text.utf8.starts(with: "arn".utf8) else { return nil }
        let u = text.utf8
        let start = u.index(u.startIndex, offsetBy: colons.3 + 1), end = u.index(u.startIndex, offsetBy: colons.4)
        return String(text[start..<end])
    }
}

/// A principal with what IAM derives from it (caller identity, aws:Principal* keys) computed once.
public struct PreparedPrincipal: Sendable {
    public let info: PrincipalInfo
    let caller: CallerIdentity
    let derived: [String: ContextValue]

    public init(_ principal: PrincipalInfo) {
        info = principal
        let caller = CallerIdentity(principal)
        self.caller = caller
        var values: [String: ContextValue] = [:]
        func derive(_ k: String, _ v: String?) {
            if let v { values[k.lowercased()] = .single(v) }
        }
        derive("aws:PrincipalArn", principal.type == .service || principal.type == .anonymous ? nil : principal.principalArn)
        derive("aws:PrincipalAccount", caller.account)
        derive("aws:PrincipalType", principal.contextPrincipalType)
        derive("aws:PrincipalIsAWSService", principal.type == .service ? "true" : "false")
        if principal.type == .service { derive("aws:PrincipalServiceName", principal.arn) }
        if principal.type == .user, let p = caller.parsed { derive("aws:username", p.name) }
        derive("aws:userid", principal.userId)
        derived = values
    }
}

/// Lowercases a condition key or action: ASCII letters on bytes (keys and actions are ASCII; the string itself when
/// nothing changes), anything non-ASCII through the full Unicode `lowercased()`.
@inline(__always)
func asciiLowercased(_ s: String) -> String {
    s.utf8.contains(where: { $0 >= 0x80 }) ? s.lowercased() : ASCII.lowercased(s)
}

/// The SCPs attached at one level of the organization (root, an OU, the account).
public struct SCPLevel: Sendable {
    /// Such as `r-abcd`, `ou-abcd-11111111` or the account ID; used in explanations.
    public var orgIdentifier: String
    public var policies: [PolicyDocument]

    public init(orgIdentifier: String, policies: [PolicyDocument]) {
        self.orgIdentifier = orgIdentifier
        self.policies = policies
    }
}

public struct EvaluationInput: Sendable {
    public var request: RequestContext
    /// Policies attached to the caller (user, its groups, or the role).
    public var identityPolicies: [PolicyDocument]
    /// The policy on the resource, if it has one.
    public var resourcePolicy: PolicyDocument?
    /// Policies of the VPC endpoints on the path; empty when the call does not
    /// go through an endpoint. Each endpoint must allow.
    public var endpointPolicies: [PolicyDocument]
    /// The permissions boundary of the user or role (several documents are read
    /// as one boundary: any Allow among them counts).
    public var permissionBoundaries: [PolicyDocument]
    /// SCP levels from the organization root down to the account; every level
    /// must allow. SCPs apply to the caller's account.
    public var serviceControlPolicies: [SCPLevel]
    /// Session policy passed to AssumeRole*/GetFederationToken.
    public var sessionPolicy: PolicyDocument?
    /// For resources whose policy must itself allow (KMS key policies, IAM role
    /// trust policies): an identity-based Allow alone is not enough.
    public var resourcePolicyRequired: Bool

    public init(request: RequestContext, identityPolicies: [PolicyDocument] = [], resourcePolicy: PolicyDocument? = nil,
                endpointPolicies: [PolicyDocument] = [], permissionBoundaries: [PolicyDocument] = [],
                serviceControlPolicies: [SCPLevel] = [], sessionPolicy: PolicyDocument? = nil,
                resourcePolicyRequired: Bool = false) {
        self.request = request
        self.identityPolicies = identityPolicies
        self.resourcePolicy = resourcePolicy
        self.endpointPolicies = endpointPolicies
        self.permissionBoundaries = permissionBoundaries
        self.serviceControlPolicies = serviceControlPolicies
        self.sessionPolicy = sessionPolicy
        self.resourcePolicyRequired = resourcePolicyRequired
    }
}

public enum PolicyType: String, Sendable, Hashable, CaseIterable {
    case identity
    case resource
    case vpce
    case scp
    case boundary
    case session
}

public enum Decision: String, Sendable, Hashable {
    case allowed = "Allowed"
    case implicitlyDenied = "ImplicitlyDenied"
    case explicitlyDenied = "ExplicitlyDenied"
}

/// A statement that applied to the request (action, resource, principal and
/// every condition matched).
public struct MatchedStatement: Sendable, Hashable {
    public let policyType: PolicyType
    /// Position in the input: `identityPolicies[0]`, `resourcePolicy`,
    /// `serviceControlPolicies[1].policies[0]`, ...
    public let policy: String
    /// The document's `source` label (file name).
    public let source: String
    /// The document's `Id` element.
    public let policyId: String?
    public let sid: String?
    /// Index in the Statement array.
    public let index: Int
    public let effect: Effect
}

public struct EvaluationResult: Sendable {
    public let decision: Decision
    /// Policy types whose Deny, or missing Allow, decided a denial; empty when allowed.
    public let blockedBy: [PolicyType]
    /// Statements that applied (in policy-type order: identity, resource, vpce, scp, boundary, session).
    public var matchedStatements: [MatchedStatement] { explainer.matchedStatements() }
    /// Which policy and statement decided, and why. Built on first use from the
    /// retained evaluation trace, so the hot path does no string work.
    public var explanation: String { explainer.explanation(decision, reasons) }

    public var isAllowed: Bool { decision == .allowed }

    let explainer: Explainer
    let reasons: Reasons
}

/// Why the decision came out as it did, rendered lazily.
enum Reasons: Sendable {
    case deny
    case scp(level: Int, id: String)
    case vpce(doc: Int)
    case allow(route: String)
    case implicit([ReasonItem])
}

enum ReasonItem: Sendable {
    case text(String)
    case missing(PolicyType, doc: Int?, what: String)
    case session(federated: Bool)
}

/// A statement hit, kept as indices until the result is built.
struct Hit {
    let type: PolicyType
    let level: Int
    let doc: Int
    let stmt: Int
    let effect: Effect
    let grant: PrincipalGrant
}

/// A statement whose action, resource and principal matched but a condition failed.
struct NearMiss {
    let type: PolicyType
    let level: Int
    let doc: Int
    let stmt: Int
    let condition: Int
}

public enum PolicyEvaluator {
    enum StatementOutcome {
        case notApplicable
        case conditionFailed(Int)
        case applies(PrincipalGrant)
    }

    /// Whether `s` applies to the request. `withPrincipal` for resource-side policies.
    @inline(__always)
    static func match(_ s: CompiledStatement, _ req: RequestContext, withPrincipal: Bool) -> StatementOutcome {
        var actionHit = false
        for g in s.actionGlobs where g.matches(req.actionLower, req.resolved) { actionHit = true; break }
        if actionHit == s.isNotAction { return .notApplicable }
        if let globs = s.resourceGlobs {
            var hit = false
            for g in globs where g.matches(req.resource, req.resolved) { hit = true; break }
            if hit == s.isNotResource { return .notApplicable }
        }
        var grant = PrincipalGrant.direct
        if withPrincipal {
            guard let entries = s.principalEntries else { return .notApplicable }
            if s.isNotPrincipal {
                if req.caller.notPrincipalUnlisted(entries).isEmpty { return .notApplicable }
            } else {
                guard let g = req.caller.grant(for: entries) else { return .notApplicable }
                grant = g
            }
        }
        for (i, c) in s.conditions.enumerated() where !c.evaluate(req.resolved) {
            return .conditionFailed(i)
        }
        return .applies(grant)
    }

    static func scan(_ doc: PolicyDocument, type: PolicyType, level: Int, docIndex: Int, _ req: RequestContext,
                     withPrincipal: Bool, hits: inout [Hit], misses: inout [NearMiss]) {
        for s in doc.compiled {
            switch match(s, req, withPrincipal: withPrincipal) {
            case .notApplicable: continue
            case .conditionFailed(let c):
                misses.append(NearMiss(type: type, level: level, doc: docIndex, stmt: s.index, condition: c))
            case .applies(let g):
                hits.append(Hit(type: type, level: level, doc: docIndex, stmt: s.index, effect: s.effect, grant: g))
            }
        }
    }

    public static func evaluate(_ input: EvaluationInput) -> EvaluationResult {
        let req = input.request
        let callerType = req.principal.type
        var hits: [Hit] = []
        var misses: [NearMiss] = []
        hits.reserveCapacity(8)

        // Identity-side policies exist only for IAM identities (and the root user's
        // account); services, federated providers and anonymous callers have none.
        let hasIdentitySide: Bool
        switch callerType {
        case .service, .federated, .canonicalUser, .anonymous: hasIdentitySide = false
        default: hasIdentitySide = true
        }

        if hasIdentitySide {
            for (i, d) in input.identityPolicies.enumerated() {
                scan(d, type: .identity, level: 0, docIndex: i, req, withPrincipal: false, hits: &hits, misses: &misses)
            }
        }
        if let rp = input.resourcePolicy {
            scan(rp, type: .resource, level: 0, docIndex: 0, req, withPrincipal: true, hits: &hits, misses: &misses)
        }
        for (i, d) in input.endpointPolicies.enumerated() {
            scan(d, type: .vpce, level: 0, docIndex: i, req, withPrincipal: true, hits: &hits, misses: &misses)
        }
        if hasIdentitySide {
            for (l, level) in input.serviceControlPolicies.enumerated() {
                for (i, d) in level.policies.enumerated() {
                    scan(d, type: .scp, level: l, docIndex: i, req, withPrincipal: false, hits: &hits, misses: &misses)
                }
            }
            if callerType != .root {
                for (i, d) in input.permissionBoundaries.enumerated() {
                    scan(d, type: .boundary, level: 0, docIndex: i, req, withPrincipal: false, hits: &hits, misses: &misses)
                }
            }
            if let sp = input.sessionPolicy {
                scan(sp, type: .session, level: 0, docIndex: 0, req, withPrincipal: false, hits: &hits, misses: &misses)
            }
        }

        let ctx = Explainer(input: input, hits: hits, misses: misses)

        // 1. An explicit Deny in any applicable policy wins.
        var denyTypes: [PolicyType] = []
        for h in hits where h.effect == .deny && !denyTypes.contains(h.type) { denyTypes.append(h.type) }
        if !denyTypes.isEmpty {
            return ctx.result(.explicitlyDenied, blockedBy: PolicyType.allCases.filter(denyTypes.contains), reasons: .deny)
        }

        // 2. Every SCP level must allow (SCPs bound principals of member accounts).
        if hasIdentitySide {
            for (l, level) in input.serviceControlPolicies.enumerated()
            where !hits.contains(where: { $0.type == .scp && $0.level == l && $0.effect == .allow }) {
                return ctx.result(.implicitlyDenied, blockedBy: [.scp], reasons: .scp(level: l, id: level.orgIdentifier))
            }
        }

        // 3. Every VPC endpoint on the path must allow.
        for i in input.endpointPolicies.indices where !hits.contains(where: { $0.type == .vpce && $0.doc == i && $0.effect == .allow }) {
            return ctx.result(.implicitlyDenied, blockedBy: [.vpce], reasons: .vpce(doc: i))
        }

        // 4. Identity side, resource side.
        let identityAllow = hasIdentitySide && (callerType == .root || hits.contains { $0.type == .identity && $0.effect == .allow })
        let boundaryOK = input.permissionBoundaries.isEmpty || callerType == .root
            || hits.contains { $0.type == .boundary && $0.effect == .allow }
        let sessionOK: Bool
        if input.sessionPolicy != nil {
            sessionOK = hits.contains { $0.type == .session && $0.effect == .allow }
        } else {
            // A GetFederationToken session without a session policy has no permissions.
            sessionOK = callerType != .federatedUser
        }
        let identityPath = identityAllow && boundaryOK && sessionOK
        var resourceGrant: PrincipalGrant? = nil
        for h in hits where h.type == .resource && h.effect == .allow {
            if let g = resourceGrant, g >= h.grant { continue }
            resourceGrant = h.grant
        }
        let crossAccount: Bool = {
            guard hasIdentitySide, let owner = req.owningAccount, let mine = req.caller.account else { return false }
            return owner != mine
        }()

        var allowed: Bool
        var route = ""
        if !hasIdentitySide {
            allowed = resourceGrant != nil
            route = "the resource-based policy allows the \(callerType.rawValue.lowercased()) principal"
        } else if crossAccount {
            allowed = identityPath && resourceGrant != nil
            route = "cross-account: the caller's identity-based policies allow it in account \(req.caller.account ?? "?") and the resource-based policy of account \(req.owningAccount ?? "?") allows it"
        } else {
            let viaResource: Bool
            switch resourceGrant {
            case .direct?: viaResource = true
            case .entity?: viaResource = boundaryOK && sessionOK
            case .account?, nil: viaResource = false
            }
            if input.resourcePolicyRequired {
                allowed = viaResource || (resourceGrant == .account && identityPath)
            } else {
                allowed = identityPath || viaResource
            }
            if viaResource {
                route = resourceGrant == .direct
                    ? "the resource-based policy names this principal directly, which grants access on its own within the account"
                    : "the resource-based policy names the role (or the IAM user behind the session), which grants access within the account subject to the permissions boundary and session policy"
            } else {
                route = "an identity-based policy allows it" + (callerType == .root ? " (the root user has full access in its own account)" : "")
            }
        }
        if allowed {
            return ctx.result(.allowed, blockedBy: [], reasons: .allow(route: route))
        }

        // Implicit deny: name what was missing.
        var blocked: [PolicyType] = []
        var reasons: [ReasonItem] = []
        if !hasIdentitySide {
            blocked = [.resource]
            reasons.append(input.resourcePolicy == nil
                ? .text("a \(callerType.rawValue.lowercased()) principal has no identity-based policies and there is no resource-based policy to grant access")
                : .missing(.resource, doc: 0, what: "no statement of the resource-based policy allows this principal"))
        } else if crossAccount {
            if !identityAllow {
                blocked.append(.identity)
                reasons.append(.missing(.identity, doc: nil, what: "cross-account access needs an Allow in the caller's identity-based policies (account \(req.caller.account ?? "?")) and none applies"))
            }
            if !boundaryOK { blocked.append(.boundary); reasons.append(.missing(.boundary, doc: nil, what: "the permissions boundary does not allow it")) }
            if !sessionOK { blocked.append(.session); reasons.append(.session(federated: input.sessionPolicy == nil)) }
            if resourceGrant == nil {
                blocked.append(.resource)
                reasons.append(input.resourcePolicy == nil
                    ? .text("cross-account access needs the resource owner's (account \(req.owningAccount ?? "?")) resource-based policy to allow it, and the resource has no resource-based policy")
                    : .missing(.resource, doc: 0, what: "cross-account access needs the resource-based policy of account \(req.owningAccount ?? "?") to allow this principal, and no statement does"))
            }
        } else {
            if input.resourcePolicyRequired && resourceGrant == nil {
                blocked.append(.resource)
                reasons.append(input.resourcePolicy == nil
                    ? .text("this resource's policy must allow access and there is none")
                    : .missing(.resource, doc: 0, what: "this resource's policy must allow access (an identity-based Allow alone is not enough) and no statement allows this principal"))
            }
            // When the resource policy names the role, the boundary or session policy
            // is what blocks; an identity Allow would not help.
            if !identityAllow && resourceGrant != .entity {
                blocked.append(.identity)
                reasons.append(.missing(.identity, doc: nil, what: "no identity-based policy allows it"))
                if input.resourcePolicy != nil && resourceGrant == nil && !input.resourcePolicyRequired {
                    blocked.append(.resource)
                    reasons.append(.missing(.resource, doc: 0, what: "the resource-based policy does not allow this principal either"))
                } else if resourceGrant == .account {
                    reasons.append(.text("the resource-based policy names only the account, which delegates to the account's identity-based policies"))
                }
            }
            if !boundaryOK {
                blocked.append(.boundary)
                reasons.append(.missing(.boundary, doc: nil, what: "the permissions boundary does not allow it; a boundary caps identity-based permissions (and resource-based grants to the role or user behind a session)"))
            }
            if !sessionOK {
                blocked.append(.session)
                reasons.append(.session(federated: input.sessionPolicy == nil))
            }
            if identityAllow && boundaryOK && sessionOK && input.resourcePolicyRequired && resourceGrant == .account {
                // Cannot happen (allowed above); kept for completeness.
            }
        }
        let order = PolicyType.allCases
        return ctx.result(.implicitlyDenied, blockedBy: order.filter(blocked.contains), reasons: .implicit(reasons))
    }
}

/// Builds labels and explanation text (only after the decision is known).
struct Explainer {
    let input: EvaluationInput
    let hits: [Hit]
    let misses: [NearMiss]

    func document(_ type: PolicyType, level: Int, doc: Int) -> PolicyDocument? {
        switch type {
        case .identity: return input.identityPolicies.indices.contains(doc) ? input.identityPolicies[doc] : nil
        case .resource: return input.resourcePolicy
        case .vpce: return input.endpointPolicies.indices.contains(doc) ? input.endpointPolicies[doc] : nil
        case .boundary: return input.permissionBoundaries.indices.contains(doc) ? input.permissionBoundaries[doc] : nil
        case .session: return input.sessionPolicy
        case .scp:
            guard input.serviceControlPolicies.indices.contains(level) else { return nil }
            let ps = input.serviceControlPolicies[level].policies
            return ps.indices.contains(doc) ? ps[doc] : nil
        }
    }

    static func label(_ type: PolicyType, level: Int, doc: Int) -> String {
        switch type {
        case .identity: return "identityPolicies[\(doc)]"
        case .resource: return "resourcePolicy"
        case .vpce: return "endpointPolicies[\(doc)]"
        case .boundary: return "permissionBoundaries[\(doc)]"
        case .session: return "sessionPolicy"
        case .scp: return "serviceControlPolicies[\(level)].policies[\(doc)]"
        }
    }

    func statement(_ type: PolicyType, level: Int, doc: Int, stmt: Int) -> PolicyStatement? {
        guard let d = document(type, level: level, doc: doc) else { return nil }
        return d.statements.first { $0.index == stmt }
    }

    func name(_ type: PolicyType, level: Int, doc: Int, stmt: Int) -> String {
        var s = "\(Explainer.label(type, level: level, doc: doc)) statement \(stmt)"
        if let st = statement(type, level: level, doc: doc, stmt: stmt), let sid = st.sid { s += " (Sid \(JSONWriter.quoted(sid)))" }
        if let d = document(type, level: level, doc: doc), d.source != "policy", d.source != Explainer.label(type, level: level, doc: doc) {
            s += " [\(d.source)]"
        }
        return s
    }

    func conditionText(_ st: PolicyStatement) -> String {
        guard !st.compiledConditions.isEmpty else { return "" }
        let parts = st.compiledConditions.map { $0.explain(input.request.resolved) }
        return "; conditions: " + parts.joined(separator: "; ")
    }

    func denyReasons() -> [String] {
        var out: [String] = []
        for h in hits where h.effect == .deny {
            var line = "explicit Deny in \(name(h.type, level: h.level, doc: h.doc, stmt: h.stmt))"
            if let st = statement(h.type, level: h.level, doc: h.doc, stmt: h.stmt) {
                if st.isNotPrincipal, let entries = st.principalEntries {
                    let unlisted = input.request.caller.notPrincipalUnlisted(entries)
                    line += " (NotPrincipal does not list " + unlisted.joined(separator: ", ") + "; AWS may check the account, the role and the session separately, so each must be listed to be exempt)"
                }
                line += conditionText(st)
            }
            out.append(line)
        }
        out.append("an explicit Deny overrides every Allow")
        return out
    }

    func allowReasons(route: String) -> [String] {
        var out = ["allowed because \(route)"]
        for h in hits where h.effect == .allow {
            var line = "Allow in \(name(h.type, level: h.level, doc: h.doc, stmt: h.stmt))"
            if h.type == .resource {
                switch h.grant {
                case .direct: line += " (principal named directly)"
                case .entity: line += " (principal named by role or source user ARN)"
                case .account: line += " (principal named by account)"
                }
            }
            if let st = statement(h.type, level: h.level, doc: h.doc, stmt: h.stmt), !st.compiledConditions.isEmpty {
                line += conditionText(st)
            }
            out.append(line)
        }
        return out
    }

    func nearMisses(_ type: PolicyType, doc: Int?) -> [String] {
        var out: [String] = []
        for m in misses where m.type == type && (doc == nil || m.doc == doc) {
            guard let st = statement(m.type, level: m.level, doc: m.doc, stmt: m.stmt), st.effect == .allow,
                  m.condition < st.compiledConditions.count else { continue }
            let c = st.compiledConditions[m.condition]
            out.append("\(name(m.type, level: m.level, doc: m.doc, stmt: m.stmt)) matches the action and resource but its condition \(c.explain(input.request.resolved))")
            if out.count == 3 { break }
        }
        return out
    }

    func missingAllow(_ type: PolicyType, doc: Int?, what: String) -> String {
        let near = nearMisses(type, doc: doc)
        var s = what
        if near.isEmpty {
            let count: Int
            switch type {
            case .identity: count = input.identityPolicies.count
            case .boundary: count = input.permissionBoundaries.count
            default: count = 1
            }
            if type == .identity && count == 0 { s += " (the caller has no identity-based policies)" }
            else { s += " (no Allow statement matches action \(input.request.action) on \(input.request.resource))" }
        } else {
            s += " (" + near.joined(separator: "; ") + ")"
        }
        return s
    }

    func scpMissing(level: Int, id: String) -> String {
        let near = misses.filter { $0.type == .scp && $0.level == level }
        var s = "no SCP attached at organization level \(level) (\(id)) allows \(input.request.action); every level from the root to the account must allow"
        if !near.isEmpty {
            let texts = nearMisses(.scp, doc: nil)
            if !texts.isEmpty { s += " (" + texts.joined(separator: "; ") + ")" }
        }
        return s
    }

    func sessionMissing(federated: Bool) -> String {
        if federated {
            return "a federated-user session (GetFederationToken) without a session policy has no permissions"
        }
        return missingAllow(.session, doc: 0, what: "the session policy does not allow it; session permissions are the intersection of the identity-based policies and the session policy")
    }

    /// Capitalises the first letter of a clause.
    func sentence(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst()
    }

    func result(_ decision: Decision, blockedBy: [PolicyType], reasons: Reasons) -> EvaluationResult {
        EvaluationResult(decision: decision, blockedBy: blockedBy, explainer: self, reasons: reasons)
    }

    func matchedStatements() -> [MatchedStatement] {
        var matched: [MatchedStatement] = []
        matched.reserveCapacity(hits.count)
        for t in PolicyType.allCases {
            for h in hits where h.type == t {
                let d = document(h.type, level: h.level, doc: h.doc)
                let st = statement(h.type, level: h.level, doc: h.doc, stmt: h.stmt)
                matched.append(MatchedStatement(policyType: h.type, policy: Explainer.label(h.type, level: h.level, doc: h.doc),
                                                source: d?.source ?? "", policyId: d?.id, sid: st?.sid, index: h.stmt, effect: h.effect))
            }
        }
        return matched
    }

    func explanation(_ decision: Decision, _ reasons: Reasons) -> String {
        var lines: [String]
        switch reasons {
        case .deny: lines = denyReasons()
        case .scp(let level, let id): lines = [scpMissing(level: level, id: id)]
        case .vpce(let doc):
            lines = [missingAllow(.vpce, doc: doc, what: "the VPC endpoint policy endpointPolicies[\(doc)] does not allow this principal, action and resource; an endpoint policy must allow every request that passes through the endpoint")]
        case .allow(let route): lines = allowReasons(route: route)
        case .implicit(let items):
            lines = items.map { item in
                switch item {
                case .text(let t): return t
                case .missing(let type, let doc, let what): return missingAllow(type, doc: doc, what: what)
                case .session(let federated): return sessionMissing(federated: federated)
                }
            }
        }
        let req = input.request
        var head = "\(decision.rawValue): \(req.principal.arn) calling \(req.action) on \(req.resource)"
        if let owner = req.owningAccount, let mine = req.caller.account, owner != mine, req.principal.type != .service {
            head += " (cross-account: caller in \(mine), resource in \(owner))"
        }
        return head + ". " + lines.map(sentence).joined(separator: ". ") + "."
    }
}
