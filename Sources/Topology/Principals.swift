// The authorization part of a topology: IAM users and roles (with access keys, identity policies, permissions
// boundaries, trust policies, role sessions and their session policies, tags), the AWS Organizations tree with its
// service control policies, per-account model access, and each PrivateLink endpoint's VPC endpoint policy.
//
// `Topology.authorization(baseDirectory:readFile:)` validates the `principals` and `organization` sections and every
// endpoint's `policy` key, reads policy files through the caller's `readFile` (this library does no I/O of its own
// beyond `Topology.load`), parses every policy with IAMPolicy, and reports every problem at once as TopologyErrors:
// `file:line:column: key path: message`, where a policy problem also names the policy file and JSON path.
import IAMPolicy

/// One policy document as the topology gives it, parsed.
public struct TopologyPolicy: Sendable {
    /// A short name: the file name, the `name:` given, or the YAML key path of an inline document.
    public let name: String
    /// Where it came from, for messages and trace records: `policies/x.json` or `Topologies/t.yaml:principals[0]...`.
    public let source: String
    /// The JSON text (inline YAML documents are converted).
    public let json: String
    public let document: PolicyDocument
}

/// An access key pair. Temporary credentials (role sessions) carry a session token.
public struct TopologyAccessKey: Sendable, Hashable {
    /// `AKIA…` (IAM user) or `ASIA…` (role session), 20 characters.
    public let id: String
    public let secret: String
    public let sessionToken: String?
    /// Red-team and test use: the temporary credentials are past their expiry (ExpiredTokenException).
    public let expired: Bool
}

/// A caller that can sign requests: an IAM user, or a session of an IAM role.
public struct TopologyPrincipal: Sendable {
    public enum Kind: String, Sendable { case user = "IAMUser", assumedRole = "AssumedRole" }
    public let kind: Kind
    /// The user name, or the session name.
    public let name: String
    public let account: Account
    /// `arn:aws:iam::ACCOUNT:user/PATH/NAME` or `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
    public let arn: String
    /// CloudTrail `principalId` and `aws:userid`: `AIDA…` for a user, `AROA…:SESSION` for a role session.
    public let userId: String
    /// Role sessions: the role's name, ARN (with its path) and id (`AROA…`).
    public let roleName: String?
    public let roleArn: String?
    public let roleId: String?
    public let accessKeys: [TopologyAccessKey]
    /// The user's or role's identity-based policies.
    public let policies: [TopologyPolicy]
    public let permissionsBoundary: TopologyPolicy?
    /// Role sessions only.
    public let sessionPolicy: TopologyPolicy?
    /// `aws:PrincipalTag/…`: the user's tags, or the role's tags overridden by the session tags.
    public let tags: [String: String]
    public let line: Int
}

public struct TopologyRole: Sendable {
    public let name: String
    public let account: Account
    public let arn: String
    public let roleId: String
    public let trustPolicy: TopologyPolicy
    /// The role's identity-based policies and permissions boundary (what its sessions, and a service that assumes
    /// it, may do), and its tags.
    public let policies: [TopologyPolicy]
    public let permissionsBoundary: TopologyPolicy?
    public let tags: [String: String]
    public let line: Int
}

/// One level of the organization from the root down to the account; every level must allow (SCP semantics).
public struct TopologySCPLevel: Sendable {
    /// `r-…`, `ou-…` or the account id.
    public let orgIdentifier: String
    public let policies: [TopologyPolicy]
}

/// Model access seeded for an account (and the topology's region).
public struct TopologyModelAccess: Sendable, Hashable {
    /// Model ids with an accepted agreement; `*` means every third-party model.
    public let agreements: [String]
    /// The one-time Anthropic use-case form has been submitted.
    public let useCaseSubmitted: Bool
}

/// Everything authorization needs, validated.
public struct AuthorizationModel: Sendable {
    /// Users first, then role sessions, per `principals` entry in file order.
    public let principals: [TopologyPrincipal]
    public let roles: [TopologyRole]
    /// Organization id (`o-…`) when an organization is declared.
    public let organizationId: String?
    /// SCP levels per member account id; accounts outside the organization have none.
    public let scpLevels: [String: [TopologySCPLevel]]
    /// Per account id; accounts not listed have no third-party model access until granted.
    public let modelAccess: [String: TopologyModelAccess]
    /// Per VPC endpoint id; endpoints without a `policy` key use the default full-access policy.
    public let endpointPolicies: [String: TopologyPolicy]

    /// The principals of an account, in file order (the first is a client's default signer).
    public func principals(inAccount id: String) -> [TopologyPrincipal] {
        principals.filter { $0.account.id == id }
    }

    /// A principal by ARN, by name (user or session name, or ROLE/SESSION), or by access key id.
    public func principal(named text: String, account: String? = nil) -> TopologyPrincipal? {
        let pool = account.map { principals(inAccount: $0) } ?? principals
        return pool.first { $0.arn == text }
            ?? pool.first { $0.name == text }
            ?? pool.first { p in p.roleName.map { "\($0)/\(p.name)" } == text }
            ?? pool.first { $0.accessKeys.contains { $0.id == text } }
    }

    /// The default VPC endpoint policy AWS attaches: full access for every principal.
    public static let defaultEndpointPolicyJSON =
        #"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#
    /// The `FullAWSAccess` SCP AWS attaches to every root, OU and account by default.
    public static let fullAWSAccessJSON =
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
}

extension Topology {
    /// Validates the authorization sections. `baseDirectory` is where relative policy `file:` paths start (the
    /// topology file's directory); `readFile` returns a file's bytes, or nil when it cannot be read.
    public func authorization(baseDirectory: String,
                              readFile: @escaping (String) -> [UInt8]?) -> Result<AuthorizationModel, TopologyErrors> {
        var reader = AuthorizationReader(topology: self, baseDirectory: baseDirectory, readFile: readFile)
        return reader.run()
    }
}

// MARK: - Reader

private let policyKeys = ["file", "name", "document"]

struct AuthorizationReader {
    let topology: Topology
    let baseDirectory: String
    let readFile: (String) -> [UInt8]?
    var findings: [TopologyError] = []
    var principals: [TopologyPrincipal] = []
    var roles: [TopologyRole] = []
    var modelAccess: [String: TopologyModelAccess] = [:]
    var scpLevels: [String: [TopologySCPLevel]] = [:]
    var organizationId: String?
    var endpointPolicies: [String: TopologyPolicy] = [:]
    var keyLines: [String: Int] = [:]
    var arnLines: [String: Int] = [:]

    init(topology: Topology, baseDirectory: String, readFile: @escaping (String) -> [UInt8]?) {
        self.topology = topology
        self.baseDirectory = baseDirectory
        self.readFile = readFile
    }

    mutating func run() -> Result<AuthorizationModel, TopologyErrors> {
        var accountsSeen: [String: Int] = [:]
        for (i, entry) in topology.principals.enumerated() {
            walkAccountEntry(entry, path: "principals[\(i)]", seen: &accountsSeen)
        }
        if let org = topology.organization { walkOrganization(org) }
        for node in topology.nodes {
            guard let raw = node.raw["policy"], let id = node.endpointId else { continue }
            let path = "nodes[\(topology.nodes.firstIndex { $0.name == node.name } ?? 0)].policy"
            if let p = policy(raw, path: path, kind: .resourceBased) { endpointPolicies[id] = p }
        }
        let errors = findings.sorted(by: TopologyError.positionOrder)
        guard errors.isEmpty else { return .failure(TopologyErrors(errors: errors)) }
        return .success(AuthorizationModel(principals: principals, roles: roles, organizationId: organizationId,
                                           scpLevels: scpLevels, modelAccess: modelAccess, endpointPolicies: endpointPolicies))
    }

    // MARK: reporting and typed reads

    mutating func error(_ key: String, at node: RawYAML, _ message: String) {
        findings.append(TopologyError(file: topology.file, line: node.line, column: node.column, key: key, message: message))
    }

    func described(_ node: RawYAML) -> String {
        switch node.value {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case let .scalar(text, tag):
            if tag.hasSuffix(":null") { return "null" }
            if tag.hasSuffix(":int") || tag.hasSuffix(":float") { return "a number '\(text)'" }
            if tag.hasSuffix(":bool") { return "a boolean '\(text)'" }
            return "a string '\(text)'"
        }
    }

    func isNull(_ node: RawYAML) -> Bool {
        if case let .scalar(_, tag) = node.value { return tag.hasSuffix(":null") }
        return false
    }

    /// The entries of a mapping with unknown keys reported; nil (and an error) when not a mapping.
    mutating func fields(_ node: RawYAML, _ path: String, allowed: [String], required: [String] = []) -> [String: RawYAML]? {
        guard let entries = node.mapping else {
            error(path, at: node, "expected a mapping, found \(described(node))")
            return nil
        }
        var out: [String: RawYAML] = [:]
        for e in entries {
            guard let key = e.key.string else { continue }
            if !allowed.contains(key) {
                let close = Formats.closest(to: key, in: allowed)
                error(path.isEmpty ? key : "\(path).\(key)", at: e.key,
                      "unknown key '\(key)' (\(close.map { "did you mean '\($0)'?" } ?? "allowed: \(allowed.joined(separator: ", "))"))")
                continue
            }
            out[key] = e.value
        }
        for key in required where out[key] == nil {
            error("\(path).\(key)", at: node, "missing required key '\(key)'")
        }
        return out
    }

    mutating func string(_ node: RawYAML, _ path: String) -> String? {
        guard case let .scalar(text, _) = node.value, !isNull(node) else {
            error(path, at: node, "expected a string, found \(described(node))")
            return nil
        }
        return text
    }

    mutating func list(_ node: RawYAML, _ path: String) -> [RawYAML]? {
        if isNull(node) { return [] }
        guard let items = node.sequence else {
            error(path, at: node, "expected a list, found \(described(node))")
            return nil
        }
        return items
    }

    mutating func bool(_ node: RawYAML, _ path: String) -> Bool? {
        if case let .scalar(text, tag) = node.value, tag.hasSuffix(":bool") || ["true", "false"].contains(text) {
            return ["true", "yes", "on"].contains(text.lowercased())
        }
        error(path, at: node, "expected true or false, found \(described(node))")
        return nil
    }

    mutating func tags(_ node: RawYAML?, _ path: String) -> [String: String] {
        guard let node, !isNull(node) else { return [:] }
        guard let entries = node.mapping else {
            error(path, at: node, "expected a mapping of tag keys to values, found \(described(node))")
            return [:]
        }
        var out: [String: String] = [:]
        for e in entries {
            guard let key = e.key.string, !key.isEmpty, key.count <= 128 else {
                error(path, at: e.key, "tag keys must be 1 to 128 characters")
                continue
            }
            if key.lowercased().hasPrefix("aws:") { error("\(path).\(key)", at: e.key, "tag keys may not start with 'aws:' (reserved by AWS)") }
            guard let value = string(e.value, "\(path).\(key)") else { continue }
            if value.count > 256 { error("\(path).\(key)", at: e.value, "tag values are at most 256 characters") }
            out[key] = value
        }
        return out
    }

    mutating func accountReference(_ node: RawYAML, _ path: String) -> Account? {
        guard let text = string(node, path) else { return nil }
        guard let account = topology.account(named: text) else {
            error(path, at: node, "unknown account '\(text)' (known: \(topology.accounts.map(\.name).joined(separator: ", ")))")
            return nil
        }
        return account
    }

    // MARK: policies

    /// `{file: policies/x.json}`, `{name: N, document: {...}}`, `{name: N, file: ...}`, an inline document
    /// (a mapping with `Statement`), or a JSON string.
    mutating func policy(_ node: RawYAML, path: String, kind: PolicyKind) -> TopologyPolicy? {
        if case let .scalar(text, _) = node.value, !isNull(node) {
            return parse(json: text, name: path, source: "\(topology.file):\(path)", path: path, kind: kind, at: node, inline: nil)
        }
        guard let entries = node.mapping else {
            error(path, at: node, "expected a policy: {file: policies/NAME.json}, {name: N, document: {...}} or an inline document with Statement, found \(described(node))")
            return nil
        }
        let keys = entries.compactMap(\.key.string)
        if keys.contains("Statement") || keys.contains("Version") {
            return parse(json: Self.json(node), name: path, source: "\(topology.file):\(path)", path: path, kind: kind, at: node, inline: node)
        }
        guard let f = fields(node, path, allowed: policyKeys) else { return nil }
        let name = f["name"].flatMap { string($0, "\(path).name") }
        switch (f["file"], f["document"]) {
        case let (file?, nil):
            guard let relative = string(file, "\(path).file") else { return nil }
            let full = relative.hasPrefix("/") ? relative : (baseDirectory.isEmpty ? relative : "\(baseDirectory)/\(relative)")
            guard let bytes = readFile(full) else {
                error("\(path).file", at: file, "cannot read policy file '\(full)'")
                return nil
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                error("\(path).file", at: file, "policy file '\(full)' is not UTF-8 text")
                return nil
            }
            let shortName = String(relative.split(separator: "/").last ?? Substring(relative))
            return parse(json: text, name: name ?? shortName, source: full, path: "\(path).file", kind: kind, at: file, inline: nil)
        case let (nil, document?):
            let json: String
            if case let .scalar(text, _) = document.value, !isNull(document) { json = text } else { json = Self.json(document) }
            return parse(json: json, name: name ?? path, source: "\(topology.file):\(path).document", path: "\(path).document",
                         kind: kind, at: document, inline: document.mapping != nil ? document : nil)
        case (nil, nil):
            error(path, at: node, "a policy needs 'file' (a JSON file under Topologies/policies/) or 'document' (inline)")
        case (_?, _?):
            error(path, at: node, "give either 'file' or 'document', not both")
        }
        return nil
    }

    mutating func parse(json: String, name: String, source: String, path: String, kind: PolicyKind, at node: RawYAML,
                        inline: RawYAML?) -> TopologyPolicy? {
        do {
            let doc = try PolicyDocument(json: json, source: source, kind: kind)
            return TopologyPolicy(name: name, source: source, json: json, document: doc)
        } catch {
            // Point at the offending YAML line for inline documents; for files name the file, JSON path and line.
            var at = node
            if let inline, let located = Self.locate(error.path, in: inline) { at = located }
            var message = "invalid policy: "
            if inline == nil {
                message += "\(source): "
                if let line = error.line { message += error.isSyntaxError ? "line \(line), column \(error.column ?? 0): " : "line \(line): " }
            }
            message += error.isSyntaxError ? error.message : "\(error.path): \(error.message)"
            self.error(path, at: at, message)
            return nil
        }
    }

    /// The YAML node at an IAMPolicy JSON path (`$.Statement[0].Condition["aws:SourceVpce"]`), or the deepest found.
    static func locate(_ jsonPath: String, in root: RawYAML) -> RawYAML? {
        var node = root
        var rest = Substring(jsonPath)
        guard rest.hasPrefix("$") else { return nil }
        rest = rest.dropFirst()
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let key = rest.prefix { $0 != "." && $0 != "[" }
                rest = rest.dropFirst(key.count)
                guard let next = node[String(key)] else { return node }
                node = next
            } else if rest.hasPrefix("[\"") {
                rest = rest.dropFirst(2)
                var key = ""
                while let c = rest.first, c != "\"" {
                    rest = rest.dropFirst()
                    if c == "\\", let n = rest.first { key.append(n); rest = rest.dropFirst() } else { key.append(c) }
                }
                rest = rest.dropFirst(2)  // "]
                guard let next = node[key] else { return node }
                node = next
            } else if rest.hasPrefix("[") {
                rest = rest.dropFirst()
                let digits = rest.prefix { $0 != "]" }
                rest = rest.dropFirst(digits.count + 1)
                guard let i = Int(digits), let items = node.sequence, items.indices.contains(i) else { return node }
                node = items[i]
            } else {
                return node
            }
        }
        return node
    }

    /// JSON text for a YAML value (an inline policy written as YAML).
    static func json(_ node: RawYAML) -> String {
        switch node.value {
        case let .scalar(text, tag):
            if tag.hasSuffix(":null") { return "null" }
            if tag.hasSuffix(":bool") { return ["true", "yes", "on"].contains(text.lowercased()) ? "true" : "false" }
            if tag.hasSuffix(":int") || tag.hasSuffix(":float"), isJSONNumber(text) { return text }
            return jsonQuoted(text)
        case let .sequence(items):
            return "[" + items.map(json).joined(separator: ",") + "]"
        case let .mapping(entries):
            return "{" + entries.map { jsonQuoted($0.key.string ?? "") + ":" + json($0.value) }.joined(separator: ",") + "}"
        }
    }

    static func isJSONNumber(_ s: String) -> Bool {
        var chars = Substring(s)
        if chars.first == "-" { chars = chars.dropFirst() }
        guard let first = chars.first, first.isASCII, first.isNumber else { return false }
        return chars.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-") }
    }

    mutating func policies(_ node: RawYAML?, _ path: String) -> [TopologyPolicy] {
        guard let node, let items = list(node, path) else { return [] }
        return items.enumerated().compactMap { policy($1, path: "\(path)[\($0)]", kind: .identity) }
    }

    // MARK: principals

    static let accountEntryKeys = ["account", "users", "roles", "modelAccess"]

    mutating func walkAccountEntry(_ node: RawYAML, path: String, seen: inout [String: Int]) {
        guard let f = fields(node, path, allowed: Self.accountEntryKeys, required: ["account"]),
              let accountNode = f["account"], let account = accountReference(accountNode, "\(path).account") else { return }
        if account.kind != .customer {
            error("\(path).account", at: accountNode,
                  "account '\(account.name)' is of kind \(account.kind); principals that call Bedrock belong to customer accounts")
        }
        if let first = seen[account.id] {
            error("\(path).account", at: accountNode, "account '\(account.name)' already has a principals entry (line \(first))")
        }
        seen[account.id] = node.line
        if let users = f["users"], let items = list(users, "\(path).users") {
            for (i, u) in items.enumerated() { walkUser(u, path: "\(path).users[\(i)]", account: account) }
        }
        if let rolesNode = f["roles"], let items = list(rolesNode, "\(path).roles") {
            for (i, r) in items.enumerated() { walkRole(r, path: "\(path).roles[\(i)]", account: account) }
        }
        if let access = f["modelAccess"] { walkModelAccess(access, path: "\(path).modelAccess", account: account) }
    }

    /// IAM names: 1 to 64 characters of letters, digits and `+=,.@_-`.
    static func isIAMName(_ s: String) -> Bool {
        (1...64).contains(s.count) && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+=,.@_-".contains($0)) }
    }

    mutating func iamPath(_ node: RawYAML?, _ path: String) -> String {
        guard let node, let text = string(node, path) else { return "/" }
        guard text.hasPrefix("/"), text.hasSuffix("/"), text.count <= 512, !text.contains("//") || text == "/" else {
            error(path, at: node, "an IAM path starts and ends with '/', e.g. /apps/ (got '\(text)')")
            return "/"
        }
        return text
    }

    mutating func name(_ node: RawYAML?, _ path: String, at parent: RawYAML) -> String? {
        guard let node else { return nil }
        guard let text = string(node, path) else { return nil }
        if !Self.isIAMName(text) {
            error(path, at: node, "IAM names are 1 to 64 letters, digits or +=,.@_- (got '\(text)')")
        }
        return text
    }

    mutating func registerArn(_ arn: String, path: String, at node: RawYAML) {
        if let first = arnLines[arn] {
            error(path, at: node, "duplicate principal \(arn) (first defined at line \(first))")
        } else {
            arnLines[arn] = node.line
        }
    }

    mutating func accessKey(_ node: RawYAML, _ path: String, temporary: Bool) -> TopologyAccessKey? {
        let allowed = temporary ? ["id", "secret", "sessionToken", "expired"] : ["id", "secret"]
        guard let f = fields(node, path, allowed: allowed, required: temporary ? ["id", "secret", "sessionToken"] : ["id", "secret"]),
              let idNode = f["id"], let id = string(idNode, "\(path).id"),
              let secretNode = f["secret"], let secret = string(secretNode, "\(path).secret") else { return nil }
        let prefix = temporary ? "ASIA" : "AKIA"
        let body = id.dropFirst(4)
        if !id.hasPrefix(prefix) || body.count != 16 || !body.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) {
            error("\(path).id", at: idNode, "\(temporary ? "a role session's" : "an IAM user's") access key id is \(prefix) followed by 16 uppercase letters or digits (got '\(id)')")
        }
        if let first = keyLines[id] {
            error("\(path).id", at: idNode, "duplicate access key id '\(id)' (first defined at line \(first))")
        } else {
            keyLines[id] = idNode.line
        }
        if secret.count < 16 || secret.count > 128 || secret.contains(where: \.isWhitespace) {
            error("\(path).secret", at: secretNode, "a secret access key is 16 to 128 characters without spaces (AWS issues 40)")
        }
        var token: String?
        if let t = f["sessionToken"] {
            token = string(t, "\(path).sessionToken")
            if let v = token, v.isEmpty || v.contains(where: \.isWhitespace) {
                error("\(path).sessionToken", at: t, "a session token is a non-empty string without spaces")
            }
        }
        let expired = f["expired"].flatMap { bool($0, "\(path).expired") } ?? false
        return TopologyAccessKey(id: id, secret: secret, sessionToken: token, expired: expired)
    }

    static let userKeys = ["name", "path", "accessKeys", "policies", "permissionsBoundary", "tags"]

    mutating func walkUser(_ node: RawYAML, path: String, account: Account) {
        guard let f = fields(node, path, allowed: Self.userKeys, required: ["name", "accessKeys"]),
              let userName = name(f["name"], "\(path).name", at: node) else { return }
        let iamPath = self.iamPath(f["path"], "\(path).path")
        let arn = "arn:aws:iam::\(account.id):user\(iamPath)\(userName)"
        registerArn(arn, path: "\(path).name", at: f["name"] ?? node)
        var keys: [TopologyAccessKey] = []
        if let k = f["accessKeys"], let items = list(k, "\(path).accessKeys") {
            if items.isEmpty { error("\(path).accessKeys", at: k, "expected at least one access key") }
            if items.count > 2 { error("\(path).accessKeys", at: k, "an IAM user has at most 2 access keys") }
            keys = items.enumerated().compactMap { accessKey($1, "\(path).accessKeys[\($0)]", temporary: false) }
        }
        let pols = policies(f["policies"], "\(path).policies")
        let boundary = f["permissionsBoundary"].flatMap { policy($0, path: "\(path).permissionsBoundary", kind: .identity) }
        principals.append(TopologyPrincipal(
            kind: .user, name: userName, account: account, arn: arn, userId: Self.uniqueId("AIDA", arn), roleName: nil, roleArn: nil,
            roleId: nil, accessKeys: keys, policies: pols, permissionsBoundary: boundary, sessionPolicy: nil,
            tags: tags(f["tags"], "\(path).tags"), line: node.line))
    }

    static let roleKeys = ["name", "path", "trustPolicy", "policies", "permissionsBoundary", "tags", "sessions"]
    static let sessionKeys = ["name", "accessKey", "sessionPolicy", "tags"]

    mutating func walkRole(_ node: RawYAML, path: String, account: Account) {
        guard let f = fields(node, path, allowed: Self.roleKeys, required: ["name", "trustPolicy"]),
              let roleName = name(f["name"], "\(path).name", at: node) else { return }
        let iamPath = self.iamPath(f["path"], "\(path).path")
        let roleArn = "arn:aws:iam::\(account.id):role\(iamPath)\(roleName)"
        registerArn(roleArn, path: "\(path).name", at: f["name"] ?? node)
        let roleId = Self.uniqueId("AROA", roleArn)
        let trust = f["trustPolicy"].flatMap { policy($0, path: "\(path).trustPolicy", kind: .resourceBased) }
        let pols = policies(f["policies"], "\(path).policies")
        let boundary = f["permissionsBoundary"].flatMap { policy($0, path: "\(path).permissionsBoundary", kind: .identity) }
        let roleTags = tags(f["tags"], "\(path).tags")
        if let trust {
            roles.append(TopologyRole(name: roleName, account: account, arn: roleArn, roleId: roleId, trustPolicy: trust,
                                      policies: pols, permissionsBoundary: boundary, tags: roleTags, line: node.line))
        }
        guard let s = f["sessions"], let items = list(s, "\(path).sessions") else { return }
        for (i, item) in items.enumerated() {
            let sp = "\(path).sessions[\(i)]"
            guard let sf = fields(item, sp, allowed: Self.sessionKeys, required: ["name", "accessKey"]),
                  let nameNode = sf["name"], let sessionName = string(nameNode, "\(sp).name") else { continue }
            if !(2...64).contains(sessionName.count) || !sessionName.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "=,.@_-".contains($0)) }) {
                error("\(sp).name", at: nameNode, "a role session name is 2 to 64 letters, digits or =,.@_- (got '\(sessionName)')")
            }
            let arn = "arn:aws:sts::\(account.id):assumed-role/\(roleName)/\(sessionName)"
            registerArn(arn, path: "\(sp).name", at: nameNode)
            let key = sf["accessKey"].flatMap { accessKey($0, "\(sp).accessKey", temporary: true) }
            let sessionPolicy = sf["sessionPolicy"].flatMap { policy($0, path: "\(sp).sessionPolicy", kind: .identity) }
            // Session tags override the role's tags with the same key.
            let merged = roleTags.merging(tags(sf["tags"], "\(sp).tags")) { _, session in session }
            principals.append(TopologyPrincipal(
                kind: .assumedRole, name: sessionName, account: account, arn: arn, userId: "\(roleId):\(sessionName)",
                roleName: roleName, roleArn: roleArn, roleId: roleId, accessKeys: key.map { [$0] } ?? [], policies: pols,
                permissionsBoundary: boundary, sessionPolicy: sessionPolicy, tags: merged, line: item.line))
        }
    }

    mutating func walkModelAccess(_ node: RawYAML, path: String, account: Account) {
        // Shorthand: `modelAccess: all` accepts every agreement and submits the use-case form.
        if case let .scalar(text, _) = node.value, !isNull(node) {
            guard text == "all" || text == "none" else {
                error(path, at: node, "expected 'all', 'none' or a mapping {agreements: [...], useCaseSubmitted: true}, found \(described(node))")
                return
            }
            modelAccess[account.id] = TopologyModelAccess(agreements: text == "all" ? ["*"] : [], useCaseSubmitted: text == "all")
            return
        }
        guard let f = fields(node, path, allowed: ["agreements", "useCaseSubmitted"]) else { return }
        var agreements: [String] = []
        if let a = f["agreements"], let items = list(a, "\(path).agreements") {
            for (i, item) in items.enumerated() {
                guard let id = string(item, "\(path).agreements[\(i)]") else { continue }
                if id != "*" && !id.contains(".") {
                    error("\(path).agreements[\(i)]", at: item, "expected a foundation model id such as anthropic.claude-3-haiku-20240307-v1:0, or '*'")
                }
                agreements.append(id)
            }
        }
        let useCase = f["useCaseSubmitted"].flatMap { bool($0, "\(path).useCaseSubmitted") } ?? false
        modelAccess[account.id] = TopologyModelAccess(agreements: agreements, useCaseSubmitted: useCase)
    }

    // MARK: organization

    static let orgKeys = ["id", "root", "policies", "units", "accounts"]

    /// organization:
    ///   id: o-a1b2c3d4e5          (optional)
    ///   root: r-a1b2              (optional, default r-0000)
    ///   policies: [...]           (SCPs at the root; default FullAWSAccess)
    ///   units: [{id: ou-…, parent: r-…|ou-…, policies: [...]}]
    ///   accounts: [{account: customer-a, unit: ou-…, policies: [...]}]   (member accounts; default FullAWSAccess)
    mutating func walkOrganization(_ node: RawYAML) {
        guard let f = fields(node, "organization", allowed: Self.orgKeys) else { return }
        if f.isEmpty { return }  // `organization: {}`: no organization
        if let idNode = f["id"], let id = string(idNode, "organization.id") {
            if !id.hasPrefix("o-") || id.count < 12 { error("organization.id", at: idNode, "an organization id is o- followed by 10 to 32 lowercase letters or digits") }
            organizationId = id
        }
        var rootId = "r-0000"
        if let r = f["root"], let text = string(r, "organization.root") {
            if !text.hasPrefix("r-") { error("organization.root", at: r, "a root id starts with r-, e.g. r-a1b2") }
            rootId = text
        }
        let full = try? PolicyDocument(json: AuthorizationModel.fullAWSAccessJSON, source: "FullAWSAccess", kind: .identity)
        let fullPolicy = full.map { TopologyPolicy(name: "FullAWSAccess", source: "FullAWSAccess", json: AuthorizationModel.fullAWSAccessJSON, document: $0) }
        func levelPolicies(_ node: RawYAML?, _ path: String, reader: inout AuthorizationReader) -> [TopologyPolicy] {
            guard let node else { return fullPolicy.map { [$0] } ?? [] }
            guard let items = reader.list(node, path) else { return [] }
            return items.enumerated().compactMap { reader.policy($1, path: "\(path)[\($0)]", kind: .identity) }
        }
        let rootPolicies = levelPolicies(f["policies"], "organization.policies", reader: &self)
        struct Unit { let id: String; let parent: String; let policies: [TopologyPolicy]; let node: RawYAML; let path: String }
        var units: [String: Unit] = [:]
        if let u = f["units"], let items = list(u, "organization.units") {
            for (i, item) in items.enumerated() {
                let p = "organization.units[\(i)]"
                guard let uf = fields(item, p, allowed: ["id", "name", "parent", "policies"], required: ["id"]),
                      let idNode = uf["id"], let id = string(idNode, "\(p).id") else { continue }
                if !id.hasPrefix("ou-") { error("\(p).id", at: idNode, "an organizational unit id starts with ou-, e.g. ou-a1b2-11111111") }
                if units[id] != nil { error("\(p).id", at: idNode, "duplicate organizational unit '\(id)'") }
                let parent = uf["parent"].flatMap { string($0, "\(p).parent") } ?? rootId
                units[id] = Unit(id: id, parent: parent, policies: levelPolicies(uf["policies"], "\(p).policies", reader: &self), node: item, path: p)
            }
        }
        for unit in units.values where unit.parent != rootId && units[unit.parent] == nil {
            error("\(unit.path).parent", at: unit.node, "unknown parent '\(unit.parent)' (the root is \(rootId); units: \(units.keys.sorted().joined(separator: ", ")))")
        }
        guard let a = f["accounts"], let items = list(a, "organization.accounts") else { return }
        for (i, item) in items.enumerated() {
            let p = "organization.accounts[\(i)]"
            guard let af = fields(item, p, allowed: ["account", "unit", "policies"], required: ["account"]),
                  let accountNode = af["account"], let account = accountReference(accountNode, "\(p).account") else { continue }
            if scpLevels[account.id] != nil { error("\(p).account", at: accountNode, "account '\(account.name)' is listed twice") }
            var chain: [TopologySCPLevel] = []
            if let unitNode = af["unit"], let unitId = string(unitNode, "\(p).unit") {
                guard units[unitId] != nil else {
                    error("\(p).unit", at: unitNode, "unknown organizational unit '\(unitId)' (units: \(units.keys.sorted().joined(separator: ", ")))")
                    continue
                }
                var current: String? = unitId
                var guardCount = 0
                while let id = current, let unit = units[id], guardCount < 6 {
                    chain.insert(TopologySCPLevel(orgIdentifier: unit.id, policies: unit.policies), at: 0)
                    current = unit.parent == rootId ? nil : unit.parent
                    guardCount += 1
                }
                if guardCount >= 6 { error("\(p).unit", at: unitNode, "organizational units nest at most 5 deep (or the parents form a cycle)") }
            }
            chain.insert(TopologySCPLevel(orgIdentifier: rootId, policies: rootPolicies), at: 0)
            chain.append(TopologySCPLevel(orgIdentifier: account.id, policies: levelPolicies(af["policies"], "\(p).policies", reader: &self)))
            scpLevels[account.id] = chain
        }
    }

    // MARK: ids

    /// A stable 21-character IAM unique id (`AIDA…`, `AROA…`) derived from the ARN, so runs are reproducible.
    static func uniqueId(_ prefix: String, _ arn: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in arn.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = prefix
        var x = h
        for i in 0..<17 {
            if i == 12 { x = h &* 0x9E37_79B9_7F4A_7C15 ^ (h >> 29) }
            out.append(alphabet[Int(x & 31)])
            x >>= 5
        }
        return out
    }
}
