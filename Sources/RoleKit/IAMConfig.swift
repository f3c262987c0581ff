// The compiled authorization configuration of a run, written by `bedrock-sim up` and read by the nodes:
//   RUN_DIR/iam.json               principals (no secrets), their policies, SCP levels per account, endpoint policies
//   RUN_DIR/keys/credentials.json  access key id -> secret (+ session token), mode 0600 (front end and clients)
//   RUN_DIR/model-access.json      model access state per account and region (seeded at up, changed at run time)
// Policies travel as their JSON text and are parsed again (with IAMPolicy) by each node at start.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import IAMPolicy
import NodeRuntime

public struct IAMConfig: Codable, Sendable {
    public struct Policy: Codable, Sendable {
        public var name: String
        /// File path or topology location, shown in denials' trace records.
        public var source: String
        public var json: String
        public init(name: String, source: String, json: String) { self.name = name; self.source = source; self.json = json }
    }

    public struct Principal: Codable, Sendable {
        /// `IAMUser` or `AssumedRole` (CloudTrail userIdentity.type).
        public var type: String
        /// User name or session name.
        public var name: String
        public var accountId: String
        public var arn: String
        /// CloudTrail principalId / aws:userid.
        public var userId: String
        public var roleName: String?
        public var roleArn: String?
        public var roleId: String?
        public var accessKeyIds: [String]
        public var policies: [Policy]
        public var permissionsBoundary: Policy?
        public var sessionPolicy: Policy?
        public var tags: [String: String]
        public init(type: String, name: String, accountId: String, arn: String, userId: String, roleName: String?, roleArn: String?,
                    roleId: String?, accessKeyIds: [String], policies: [Policy], permissionsBoundary: Policy?, sessionPolicy: Policy?,
                    tags: [String: String]) {
            self.type = type; self.name = name; self.accountId = accountId; self.arn = arn; self.userId = userId
            self.roleName = roleName; self.roleArn = roleArn; self.roleId = roleId; self.accessKeyIds = accessKeyIds
            self.policies = policies; self.permissionsBoundary = permissionsBoundary; self.sessionPolicy = sessionPolicy; self.tags = tags
        }
    }

    /// An IAM role: its trust policy (who may assume it, e.g. bedrock.amazonaws.com for a service role), its
    /// identity-based policies and boundary (what a session of it may do) and tags.
    public struct Role: Codable, Sendable {
        public var name: String
        public var accountId: String
        public var arn: String
        public var roleId: String
        public var trustPolicy: Policy
        public var policies: [Policy]
        public var permissionsBoundary: Policy?
        public var tags: [String: String]
        public init(name: String, accountId: String, arn: String, roleId: String, trustPolicy: Policy, policies: [Policy],
                    permissionsBoundary: Policy?, tags: [String: String]) {
            self.name = name; self.accountId = accountId; self.arn = arn; self.roleId = roleId; self.trustPolicy = trustPolicy
            self.policies = policies; self.permissionsBoundary = permissionsBoundary; self.tags = tags
        }
    }

    public struct SCPLevel: Codable, Sendable {
        public var orgIdentifier: String
        public var policies: [Policy]
        public init(orgIdentifier: String, policies: [Policy]) { self.orgIdentifier = orgIdentifier; self.policies = policies }
    }

    public var region: String
    public var organizationId: String?
    /// In topology order: users, then role sessions, per account.
    public var principals: [Principal]
    /// Per member account id, root first.
    public var scpLevels: [String: [SCPLevel]]
    /// Per VPC endpoint id (every endpoint of the run; the default full-access policy where none was given).
    public var endpointPolicies: [String: Policy]
    /// Every IAM role of the run (with or without sessions); nil in an iam.json written before roles were compiled.
    public var roles: [Role]?

    public init(region: String, organizationId: String?, principals: [Principal], scpLevels: [String: [SCPLevel]],
                endpointPolicies: [String: Policy], roles: [Role] = []) {
        self.region = region; self.organizationId = organizationId; self.principals = principals
        self.scpLevels = scpLevels; self.endpointPolicies = endpointPolicies; self.roles = roles
    }

    public static func path(runDirectory: String) -> String { runDirectory + "/iam.json" }

    public static func load(runDirectory: String) throws -> IAMConfig {
        let p = path(runDirectory: runDirectory)
        guard let data = FileManager.default.contents(atPath: p) else { throw NodeStartupError("cannot read \(p)") }
        do { return try JSONDecoder().decode(IAMConfig.self, from: data) } catch { throw NodeStartupError("\(p): \(error)") }
    }

    public func write(runDirectory: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: URL(fileURLWithPath: IAMConfig.path(runDirectory: runDirectory)), options: .atomic)
    }
}

/// Access keys and their secrets (the only file with secrets; mode 0600).
public struct CredentialStore: Codable, Sendable {
    public struct Credential: Codable, Sendable {
        public var principalArn: String
        public var secretAccessKey: String
        public var sessionToken: String?
        public var expired: Bool
        public init(principalArn: String, secretAccessKey: String, sessionToken: String?, expired: Bool) {
            self.principalArn = principalArn; self.secretAccessKey = secretAccessKey; self.sessionToken = sessionToken; self.expired = expired
        }
    }
    public var keys: [String: Credential]
    public init(keys: [String: Credential]) { self.keys = keys }

    public static func path(runDirectory: String) -> String { runDirectory + "/keys/credentials.json" }

    public static func load(runDirectory: String) throws -> CredentialStore {
        let p = path(runDirectory: runDirectory)
        guard let data = FileManager.default.contents(atPath: p) else { throw NodeStartupError("cannot read \(p)") }
        do { return try JSONDecoder().decode(CredentialStore.self, from: data) } catch { throw NodeStartupError("\(p): \(error)") }
    }

    public func write(runDirectory: String) throws {
        let p = CredentialStore.path(runDirectory: runDirectory)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try enc.encode(self)
        guard FileManager.default.createFile(atPath: p, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw NodeStartupError("cannot write \(p)")
        }
        chmod(p, 0o600)
    }
}

// MARK: - Parsed form used on the request path

/// A principal with its policies parsed, ready for evaluation.
public final class ResolvedPrincipal: Sendable {
    public let config: IAMConfig.Principal
    public let info: PrincipalInfo
    public let identityPolicies: [PolicyDocument]
    public let boundary: [PolicyDocument]
    public let sessionPolicy: PolicyDocument?
    /// aws:PrincipalTag/KEY context entries (keys in lowercase).
    public let tagContext: [String: ContextValue]
    /// What IAM derives from the principal, computed once rather than on every authorization.
    public let prepared: PreparedPrincipal

    init(_ p: IAMConfig.Principal) throws {
        config = p
        info = PrincipalInfo(arn: p.arn, accountId: p.accountId, type: p.type == "AssumedRole" ? .assumedRole : .user,
                             roleArn: p.roleArn, userId: p.userId)
        prepared = PreparedPrincipal(info)
        identityPolicies = try p.policies.map { try PolicyDocument(json: $0.json, source: $0.source, kind: .identity) }
        boundary = try p.permissionsBoundary.map { [try PolicyDocument(json: $0.json, source: $0.source, kind: .identity)] } ?? []
        sessionPolicy = try p.sessionPolicy.map { try PolicyDocument(json: $0.json, source: $0.source, kind: .identity) }
        var tags: [String: ContextValue] = [:]
        // Lowercase, as IAM compares condition keys (the request context lowercases them anyway).
        for (k, v) in p.tags { tags["aws:principaltag/\(k)".lowercased()] = .single(v) }
        tagContext = tags
    }

    /// The request context AWS populates for a call by this principal (the front end and the VPC endpoint's policy
    /// both evaluate with it): principal tags, aws:SecureTransport (the SDK endpoint's claim, bound to the sealed
    /// request as AAD), aws:RequestedRegion, aws:CurrentTime, aws:EpochTime, aws:SourceVpce and aws:SourceVpc. Keys
    /// are in IAM's lowercase form (condition keys are case-insensitive), so nothing is folded per call.
    func requestContext(region: String, claims: StringPairs, sourceVpce: String?, sourceVpc: String?,
                        nowMs: UInt64 = SimClock.unixMilliseconds()) -> [String: ContextValue] {
        var context = tagContext
        context.reserveCapacity(context.count + 9)
        context["aws:securetransport"] = claims["secureTransport"] == "false" ? "false" : "true"
        context["aws:requestedregion"] = .single(region)
        context["aws:currenttime"] = .single(SimClock.iso8601(unixMs: nowMs, fractional: false))
        context["aws:epochtime"] = .single(String(nowMs / 1000))
        if let v = sourceVpce { context["aws:sourcevpce"] = .single(v) }
        if let v = sourceVpc, !v.isEmpty { context["aws:sourcevpc"] = .single(v) }
        return context
    }

    /// CloudTrail `userIdentity`.
    public func userIdentity(accessKeyId: String) -> [String: JSONValue] {
        var o: [String: JSONValue] = [
            "type": .string(config.type), "principalId": .string(config.userId), "arn": .string(config.arn),
            "accountId": .string(config.accountId), "accessKeyId": .string(accessKeyId),
        ]
        if config.type == "AssumedRole" {
            o["sessionContext"] = .object([
                "sessionIssuer": .object([
                    "type": .string("Role"), "principalId": .string(config.roleId ?? ""), "arn": .string(config.roleArn ?? ""),
                    "accountId": .string(config.accountId), "userName": .string(config.roleName ?? ""),
                ]),
                "attributes": .object(["mfaAuthenticated": .string("false")]),
            ])
        } else {
            o["userName"] = .string(config.name)
        }
        return o
    }
}

/// iam.json parsed once per process: principals by ARN and by access key, SCP levels, endpoint policies.
public final class IAMDirectory: Sendable {
    public let config: IAMConfig
    public let byArn: [String: ResolvedPrincipal]
    public let byAccessKey: [String: ResolvedPrincipal]
    public let scpLevels: [String: [SCPLevel]]
    public let endpointPolicies: [String: (policy: IAMConfig.Policy, document: PolicyDocument)]
    /// Every IAM role by ARN, with its trust policy, permissions, boundary and tags.
    public let roles: [String: IAMRoleRecord]
    /// The policy AWS attaches to a new endpoint: full access.
    public static let defaultEndpointPolicy = IAMConfig.Policy(
        name: "default VPC endpoint policy", source: "default VPC endpoint policy (full access)",
        json: #"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#)

    public init(config: IAMConfig) throws {
        self.config = config
        var arn: [String: ResolvedPrincipal] = [:]
        var key: [String: ResolvedPrincipal] = [:]
        for p in config.principals {
            let r = try ResolvedPrincipal(p)
            arn[p.arn] = r
            for k in p.accessKeyIds { key[k] = r }
        }
        byArn = arn
        byAccessKey = key
        var levels: [String: [SCPLevel]] = [:]
        for (account, ls) in config.scpLevels {
            levels[account] = try ls.map { l in
                SCPLevel(orgIdentifier: l.orgIdentifier, policies: try l.policies.map { try PolicyDocument(json: $0.json, source: $0.source, kind: .identity) })
            }
        }
        scpLevels = levels
        var eps: [String: (IAMConfig.Policy, PolicyDocument)] = [:]
        for (id, p) in config.endpointPolicies {
            eps[id] = (p, try PolicyDocument(json: p.json, source: p.source, kind: .resourceBased))
        }
        endpointPolicies = eps
        var rs: [String: IAMRoleRecord] = [:]
        for r in config.roles ?? [] {
            var tags: [String: ContextValue] = [:]
            for (k, v) in r.tags { tags["aws:PrincipalTag/\(k)"] = .single(v) }
            rs[r.arn] = IAMRoleRecord(
                arn: r.arn, trustPolicy: try PolicyDocument(json: r.trustPolicy.json, source: r.trustPolicy.source, kind: .resourceBased),
                permissions: try r.policies.map { try PolicyDocument(json: $0.json, source: $0.source, kind: .identity) },
                boundary: try r.permissionsBoundary.map { [try PolicyDocument(json: $0.json, source: $0.source, kind: .identity)] } ?? [],
                tagContext: tags)
        }
        roles = rs
    }

    public convenience init(runDirectory: String) throws {
        try self.init(config: IAMConfig.load(runDirectory: runDirectory))
    }

    /// The endpoint's policy, or the default full-access policy.
    public func endpointPolicy(_ vpceId: String) -> (policy: IAMConfig.Policy, document: PolicyDocument)? {
        if let p = endpointPolicies[vpceId] { return p }
        guard let doc = try? PolicyDocument(json: IAMDirectory.defaultEndpointPolicy.json, source: IAMDirectory.defaultEndpointPolicy.source,
                                            kind: .resourceBased) else { return nil }
        return (IAMDirectory.defaultEndpointPolicy, doc)
    }
}

// MARK: - AWS-style denial messages

public enum AccessDeniedMessage {
    /// "a service control policy", "an identity-based policy" ...
    public static func policyPhrase(_ t: PolicyType) -> (article: String, noun: String) {
        switch t {
        case .identity: return ("an", "identity-based policy")
        case .resource: return ("a", "resource-based policy")
        case .vpce: return ("a", "VPC endpoint policy")
        case .scp: return ("a", "service control policy")
        case .boundary: return ("a", "permissions boundary")
        case .session: return ("a", "session policy")
        }
    }

    /// The policy type AWS names in the message when several blocked the request.
    public static func deciding(_ result: EvaluationResult) -> PolicyType? {
        for t in [PolicyType.scp, .vpce, .resource, .identity, .boundary, .session] where result.blockedBy.contains(t) { return t }
        return result.blockedBy.first
    }

    /// AWS's enhanced access-denied message: `User: ARN is not authorized to perform: ACTION on resource: RES because
    /// no identity-based policy allows the ACTION action` / `... with an explicit deny in a service control policy`.
    /// Cross-account requests get no reason (AWS adds it only within an account or organization).
    public static func render(principalArn: String, action: String, resource: String, result: EvaluationResult,
                              crossAccount: Bool = false) -> String {
        var s = "User: \(principalArn) is not authorized to perform: \(action) on resource: \(resource)"
        guard !crossAccount, let t = deciding(result) else { return s }
        let (article, noun) = policyPhrase(t)
        if result.decision == .explicitlyDenied {
            s += " with an explicit deny in \(article) \(noun)"
        } else {
            s += " because no \(noun) allows the \(action) action"
        }
        return s
    }

    /// "policy `SOURCE` statement N (Sid "X")" for the statements that decided a denial.
    public static func decidingStatements(_ result: EvaluationResult) -> String {
        let matched = result.matchedStatements
        let deny = matched.filter { $0.effect == .deny }
        let pick = deny.isEmpty ? [] : deny
        guard !pick.isEmpty else { return "" }
        return pick.map { m in
            "\(m.policyType.rawValue) policy \(m.source.isEmpty ? m.policy : m.source) statement \(m.index)" + (m.sid.map { " (Sid \"\($0)\")" } ?? "")
        }.joined(separator: "; ")
    }
}
