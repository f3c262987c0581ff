// Who is calling, and how a Principal / NotPrincipal element names them.

/// The kind of caller, as IAM distinguishes them in evaluation.
public enum PrincipalType: String, Sendable, Hashable, CaseIterable {
    /// The AWS account root user (`arn:aws:iam::ACCOUNT:root`).
    case root = "Root"
    /// An IAM user (`arn:aws:iam::ACCOUNT:user/path/name`).
    case user = "User"
    /// An IAM role named directly (rare as a caller; sessions are `assumedRole`).
    case role = "Role"
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    case assumedRole = "AssumedRole"
    /// A GetFederationToken session (`arn:aws:sts::ACCOUNT:federated-user/NAME`).
    case federatedUser = "FederatedUser"
    /// An AWS service principal such as `bedrock.amazonaws.com`.
    case service = "Service"
    /// A web-identity or SAML provider, named by `Principal: {"Federated": ...}`.
    case federated = "Federated"
    /// An S3 canonical user ID.
    case canonicalUser = "CanonicalUser"
    /// An unauthenticated caller.
    case anonymous = "Anonymous"
}

/// Facts about the caller. `PrincipalInfo.derive(from:)` fills these from an ARN.
public struct PrincipalInfo: Sendable, Hashable {
    /// The caller's ARN, service name, provider or canonical ID.
    public var arn: String
    public var accountId: String?
    public var type: PrincipalType
    /// For a role session: the role's ARN. Give it when the role has a path, as
    /// the session ARN omits it (`aws:PrincipalArn` is the role ARN with its path).
    public var roleArn: String?
    /// For a federated-user session: the IAM user who called GetFederationToken.
    public var sourceUserArn: String?
    /// `aws:userid` (for example `AIDA...` or `AROA...:session`), when known.
    public var userId: String?

    public init(arn: String, accountId: String? = nil, type: PrincipalType, roleArn: String? = nil,
                sourceUserArn: String? = nil, userId: String? = nil) {
        self.arn = arn
        self.accountId = accountId
        self.type = type
        self.roleArn = roleArn
        self.sourceUserArn = sourceUserArn
        self.userId = userId
    }

    /// Derives type and account from an ARN or principal string:
    /// `arn:aws:iam::A:root|user/..|role/..`, `arn:aws:sts::A:assumed-role/R/S|federated-user/N`,
    /// `*.amazonaws.com` (service), a SAML/OIDC provider ARN or well-known IdP host
    /// (federated), 64 hex characters (canonical user), `*` or "anonymous".
    /// Returns nil for strings that fit none of these.
    public static func derive(from principal: String) -> PrincipalInfo? {
        let s = trimSpaces(principal)
        if s == "*" || s.lowercased() == "anonymous" {
            return PrincipalInfo(arn: "*", type: .anonymous)
        }
        if let arn = PrincipalArn.parse(s) {
            switch arn.kind {
            case .root: return PrincipalInfo(arn: s, accountId: arn.account, type: .root)
            case .user: return PrincipalInfo(arn: s, accountId: arn.account, type: .user)
            case .role: return PrincipalInfo(arn: s, accountId: arn.account, type: .role)
            case .assumedRole:
                let roleArn = "arn:\(arn.partition):iam::\(arn.account):role/\(arn.name)"
                return PrincipalInfo(arn: s, accountId: arn.account, type: .assumedRole, roleArn: roleArn)
            case .federatedUser: return PrincipalInfo(arn: s, accountId: arn.account, type: .federatedUser)
            case .samlProvider, .oidcProvider: return PrincipalInfo(arn: s, accountId: arn.account, type: .federated)
            }
        }
        if s.hasPrefix("arn:") { return nil }
        let lower = s.lowercased()
        if ["accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com"].contains(lower) {
            return PrincipalInfo(arn: s, type: .federated)
        }
        if lower.hasSuffix(".amazonaws.com") || lower.hasSuffix(".amazonaws.com.cn") {
            return PrincipalInfo(arn: s, type: .service)
        }
        if s.utf8.count == 64, s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }) {
            return PrincipalInfo(arn: s, type: .canonicalUser)
        }
        return nil
    }

    /// `aws:PrincipalArn`: the role ARN for role sessions, else the caller ARN.
    public var principalArn: String {
        if type == .assumedRole, let roleArn { return roleArn }
        return arn
    }

    /// `aws:PrincipalType` values documented by IAM.
    var contextPrincipalType: String? {
        switch type {
        case .root: return "Account"
        case .user: return "User"
        case .assumedRole: return "AssumedRole"
        case .federatedUser: return "FederatedUser"
        case .anonymous: return "Anonymous"
        default: return nil
        }
    }
}

/// An IAM or STS principal ARN split into the parts that matter for matching.
struct PrincipalArn: Sendable, Hashable {
    enum Kind: Sendable, Hashable { case root, user, role, assumedRole, federatedUser, samlProvider, oidcProvider }
    let partition: String
    let account: String
    let kind: Kind
    /// User or role name (path removed), session role name, federated user name, provider name.
    let name: String
    /// Session name for assumed-role ARNs.
    let session: String?

    static func parse(_ s: String) -> PrincipalArn? {
        let parts = s.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, parts[3].isEmpty else { return nil }
        let partition = String(parts[1])
        let service = parts[2]
        let account = String(parts[4])
        guard account.utf8.count == 12, account.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let resource = parts[5]
        if service == "iam" {
            if resource == "root" { return PrincipalArn(partition: partition, account: account, kind: .root, name: "", session: nil) }
            let segs = resource.split(separator: "/", omittingEmptySubsequences: false)
            guard segs.count >= 2, let last = segs.last, !last.isEmpty else { return nil }
            switch segs[0] {
            case "user": return PrincipalArn(partition: partition, account: account, kind: .user, name: String(last), session: nil)
            case "role": return PrincipalArn(partition: partition, account: account, kind: .role, name: String(last), session: nil)
            case "saml-provider": return PrincipalArn(partition: partition, account: account, kind: .samlProvider, name: String(resource.dropFirst(14)), session: nil)
            case "oidc-provider": return PrincipalArn(partition: partition, account: account, kind: .oidcProvider, name: String(resource.dropFirst(14)), session: nil)
            default: return nil
            }
        }
        if service == "sts" {
            let segs = resource.split(separator: "/", omittingEmptySubsequences: false)
            if segs.count == 3, segs[0] == "assumed-role", !segs[1].isEmpty, !segs[2].isEmpty {
                return PrincipalArn(partition: partition, account: account, kind: .assumedRole, name: String(segs[1]), session: String(segs[2]))
            }
            if segs.count == 2, segs[0] == "federated-user", !segs[1].isEmpty {
                return PrincipalArn(partition: partition, account: account, kind: .federatedUser, name: String(segs[1]), session: nil)
            }
        }
        return nil
    }
}

/// One entry of a Principal/NotPrincipal element, compiled.
enum PrincipalEntry: Sendable, Hashable {
    /// `"*"` or `{"AWS": "*"}`: everyone, including anonymous callers.
    case anyone
    /// An account ID or `arn:...:iam::ACCOUNT:root`: any principal of that account.
    case account(String)
    /// A user, role, role session or federated-user ARN.
    case arn(PrincipalArn, String)
    /// A unique ID such as `AROA...` (IAM shows these when the named entity was deleted).
    case uniqueId(String)
    case service(String)
    case federated(String)
    case canonicalUser(String)

    var display: String {
        switch self {
        case .anyone: return "*"
        case .account(let a): return "arn:aws:iam::\(a):root"
        case .arn(_, let text): return text
        case .uniqueId(let u): return u
        case .service(let s): return s
        case .federated(let f): return f
        case .canonicalUser(let c): return c
        }
    }
}

/// How a Principal element matched the caller; decides what else must allow
/// (IAM User Guide, "Policy evaluation logic": resource-based policies and implicit denies).
enum PrincipalGrant: Int, Sendable, Comparable {
    /// The policy names the caller's account: it delegates to the account's IAM
    /// policies, so the identity-based side must allow too.
    case account = 1
    /// The policy names the IAM role behind a role session (or the IAM user behind
    /// a federated-user session): limited by permissions boundary and session policy.
    case entity = 2
    /// The policy names the caller itself (user ARN, role-session ARN, federated-user
    /// ARN, service) or everyone: the grant stands on its own within the account.
    case direct = 3

    static func < (a: PrincipalGrant, b: PrincipalGrant) -> Bool { a.rawValue < b.rawValue }
}

/// The caller as principal matching sees it, computed once per request.
struct CallerIdentity: Sendable {
    let info: PrincipalInfo
    let parsed: PrincipalArn?
    /// The role (for sessions) or source user (for federated users), parsed.
    let entity: PrincipalArn?
    let account: String?
    let uniqueIdPrefix: String?

    init(_ info: PrincipalInfo) {
        self.info = info
        parsed = PrincipalArn.parse(info.arn)
        switch info.type {
        case .assumedRole: entity = info.roleArn.flatMap(PrincipalArn.parse)
        case .federatedUser: entity = info.sourceUserArn.flatMap(PrincipalArn.parse)
        default: entity = nil
        }
        account = info.accountId ?? parsed?.account
        if let uid = info.userId {
            uniqueIdPrefix = String(uid.split(separator: ":", maxSplits: 1).first ?? Substring(uid))
        } else {
            uniqueIdPrefix = nil
        }
    }

    /// Same identity, ignoring IAM paths (names are unique per account and type).
    static func same(_ a: PrincipalArn, _ b: PrincipalArn) -> Bool {
        a.account == b.account && a.kind == b.kind && a.name == b.name && a.session == b.session
    }

    /// The strongest way any entry names this caller, or nil.
    func grant(for entries: [PrincipalEntry]) -> PrincipalGrant? {
        var best: PrincipalGrant? = nil
        func note(_ g: PrincipalGrant) {
            if let b = best, b >= g { return }
            best = g
        }
        for e in entries {
            switch e {
            case .anyone: note(.direct)
            case .account(let a):
                if let account, a == account, info.type != .service, info.type != .anonymous { note(.account) }
                if info.type == .root, let account, a == account { note(.direct) }
            case .arn(let p, _):
                if let parsed, CallerIdentity.same(p, parsed) { note(.direct) }
                if let entity, CallerIdentity.same(p, entity) { note(.entity) }
            case .uniqueId(let u):
                if let uniqueIdPrefix, u == uniqueIdPrefix {
                    note(info.type == .assumedRole || info.type == .federatedUser ? .entity : .direct)
                }
            case .service(let s):
                if info.type == .service, s.lowercased() == info.arn.lowercased() { note(.direct) }
            case .federated(let f):
                if info.type == .federated, f == info.arn { note(.direct) }
            case .canonicalUser(let c):
                if info.type == .canonicalUser, c.lowercased() == info.arn.lowercased() { note(.direct) }
            }
        }
        return best
    }

    /// The identities AWS may check one by one against NotPrincipal: the account,
    /// then the role, then the session (IAM User Guide, "NotPrincipal"). A
    /// NotPrincipal statement exempts the caller only when every one is listed.
    func notPrincipalUnlisted(_ entries: [PrincipalEntry]) -> [String] {
        if entries.contains(.anyone) { return [] }
        var unlisted: [String] = []
        let accountListed = entries.contains { if case .account(let a) = $0 { return a == account } else { return false } }
        switch info.type {
        case .service, .federated, .canonicalUser, .anonymous:
            if grant(for: entries) == nil { unlisted.append(info.arn) }
            return unlisted
        default: break
        }
        if let account, !accountListed { unlisted.append("arn:\(parsed?.partition ?? "aws"):iam::\(account):root") }
        if info.type == .root { return unlisted }
        if let entity {
            let listed = entries.contains { if case .arn(let p, _) = $0 { return CallerIdentity.same(p, entity) } else { return false } }
            if !listed { unlisted.append(info.type == .assumedRole ? (info.roleArn ?? "") : (info.sourceUserArn ?? "")) }
        } else if info.type == .assumedRole {
            unlisted.append(info.principalArn)
        }
        let selfListed = entries.contains { e in
            if case .arn(let p, _) = e, let parsed { return CallerIdentity.same(p, parsed) }
            if case .uniqueId(let u) = e { return u == uniqueIdPrefix }
            return false
        }
        if !selfListed { unlisted.append(info.arn) }
        return unlisted
    }
}
