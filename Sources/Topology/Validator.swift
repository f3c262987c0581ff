// Reads a topology file by walking the composed Yams node tree (not Codable), so every key and value
// keeps its line and column for messages. All problems are collected; a Topology is built only when
// there are none.

#if canImport(FoundationEssentials)
import JSONText
import FoundationEssentials
#else
import Foundation
#endif
internal import Yams
import Guardrails

extension Topology {
    /// Validates topology YAML text. `file` is the label used in messages (e.g. `Topologies/default.yaml`).
    /// `roles` is the role catalog; `knownModelIds` the model ids a node may serve.
    /// On failure every error found is returned, sorted by line and column.
    public static func validate(yaml: String, file: String, roles: [RoleSpec] = RoleCatalog.all,
                                knownModelIds: Set<String>) -> Result<Topology, TopologyErrors> {
        validate(yaml: yaml, file: file, roles: roles) { _ in knownModelIds }
    }

    /// As above, with model ids that depend on the topology's region (called once with the region
    /// as written; with an empty string when the region is missing).
    public static func validate(yaml: String, file: String, roles: [RoleSpec] = RoleCatalog.all,
                                knownModelIds: (_ region: String) -> Set<String>) -> Result<Topology, TopologyErrors> {
        // Editors may save a byte-order mark, which libyaml refuses inside a Swift string.
        let yaml = yaml.unicodeScalars.first == "\u{FEFF}" ? String(yaml.unicodeScalars.dropFirst()) : yaml
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            return .failure(TopologyErrors(errors: [syntaxError(error, yaml: yaml, file: file)]))
        }
        let region = root?.mapping?["region"]?.scalar?.string ?? ""
        var validator = Validator(file: file, roles: roles, knownModelIds: knownModelIds(region))
        return validator.run(root)
    }

    /// Throwing form of `validate`.
    public static func parse(yaml: String, file: String, roles: [RoleSpec] = RoleCatalog.all,
                             knownModelIds: Set<String>) throws(TopologyErrors) -> Topology {
        try validate(yaml: yaml, file: file, roles: roles, knownModelIds: knownModelIds).get()
    }

    /// Reads and validates a topology file; `file` defaults to `path` as the label in messages.
    public static func load(path: String, file: String? = nil, roles: [RoleSpec] = RoleCatalog.all,
                            knownModelIds: Set<String>) throws(TopologyErrors) -> Topology {
        let label = file ?? path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TopologyErrors(errors: [TopologyError(file: label, line: 0, column: 0, key: "",
                                                        message: "cannot read the topology file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TopologyErrors(errors: [TopologyError(file: label, line: 0, column: 0, key: "",
                                                        message: "the topology file is not UTF-8 text")])
        }
        return try parse(yaml: text, file: label, roles: roles, knownModelIds: knownModelIds)
    }

    static func syntaxError(_ error: any Error, yaml: String, file: String) -> TopologyError {
        func located(_ mark: Yams.Mark, _ message: String) -> TopologyError {
            TopologyError(file: file, line: mark.line, column: mark.column, key: "", message: message)
        }
        guard let yamlError = error as? YamlError else {
            return TopologyError(file: file, line: 0, column: 0, key: "", message: "YAML error: \(error)")
        }
        switch yamlError {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return located(mark, "YAML syntax error: \(problem)\(during)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return located(context.mark, "YAML syntax error: duplicate key \(keys) in a mapping")
        case let .reader(problem, offset, _, _):
            let prefix = yaml.utf8.prefix(offset ?? 0)
            let line = prefix.count { $0 == UInt8(ascii: "\n") } + 1
            return TopologyError(file: file, line: line, column: 1, key: "", message: "YAML syntax error: \(problem)")
        default:
            return TopologyError(file: file, line: 0, column: 0, key: "", message: "YAML error: \(yamlError)")
        }
    }
}

// MARK: - Yams node helpers

private typealias YNode = Yams.Node

private extension Yams.Node {
    /// The resolved tag (Yams keeps `Tag.name` internal; `rawValue` is public).
    var tagName: Tag.Name { Tag.Name(rawValue: tag.rawValue) }
    var line: Int { mark?.line ?? 1 }
    var column: Int { mark?.column ?? 1 }
    var isNull: Bool {
        if case .scalar = self { return tagName == .null }
        return false
    }

    /// "a mapping", "a list", "null", "a number '12'", "a string 'x'".
    var described: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case let .scalar(scalar):
            switch tagName {
            case .null: return "null"
            case .int, .float: return "a number '\(scalar.string)'"
            case .bool: return "a boolean '\(scalar.string)'"
            default: return "a string '\(scalar.string)'"
            }
        }
    }

    var raw: RawYAML {
        switch self {
        case let .scalar(scalar):
            return RawYAML(.scalar(scalar.string, tag: tag.rawValue), line: line, column: column)
        case let .sequence(sequence):
            return RawYAML(.sequence(sequence.map(\.raw)), line: line, column: column)
        case let .mapping(mapping):
            return RawYAML(.mapping(mapping.map { RawYAML.Entry(key: $0.key.raw, value: $0.value.raw) }),
                           line: line, column: column)
        case .alias:
            return RawYAML(.scalar("", tag: ""), line: line, column: column)
        }
    }
}

private struct Entry {
    let key: String
    let keyNode: YNode
    let value: YNode
}

private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

/// "did you mean 'x'?" for a plausible typo of a fixed vocabulary (keys, roles, kinds), else the list.
private func hint(for word: String, among candidates: [String], knownLabel: String = "known") -> String {
    if let close = Formats.closest(to: word, in: candidates) { return "did you mean '\(close)'?" }
    return "\(knownLabel): \(candidates.joined(separator: ", "))"
}

/// For a dangling reference: list what the file declares (the user's own names, so no guessing).
private func declared(_ candidates: [String], what: String) -> String {
    var seen = Set<String>()
    let unique = candidates.filter { seen.insert($0).inserted }
    return unique.isEmpty ? "no \(what) are declared" : "known: \(unique.joined(separator: ", "))"
}

// MARK: - Validator

private struct Validator {
    let file: String
    let roles: [RoleSpec]
    let knownModelIds: Set<String>
    let knownProviders: [String]
    var findings: [TopologyError] = []

    init(file: String, roles: [RoleSpec], knownModelIds: Set<String>) {
        self.file = file
        self.roles = roles
        self.knownModelIds = knownModelIds
        var providers = Topology.builtInProviders
        for id in knownModelIds.sorted() {
            let provider = Topology.provider(ofModelId: id)
            if !providers.contains(provider) { providers.append(provider) }
        }
        self.knownProviders = providers
    }

    struct ParsedAccount {
        var id: String?
        var name: String?
        var kind: AccountKind?
        var provider: String?
        var providerValue: YNode?
        let line: Int
        var guardrails: [TopologyGuardrail] = []
        var label: String { name ?? id ?? "?" }
    }

    struct ParsedVPC {
        var id: String?
        var account: Int?
        var cidr: String?
        let line: Int
    }

    struct ParsedNode {
        let path: String
        let line: Int
        let column: Int
        var name: String?
        var role: RoleSpec?
        var account: Int?
        var vpc: Int?
        var host: String?
        var references: [String: String] = [:]
        var extra: [String: String] = [:]
        var models: [ServedModel] = []
        var raw: [String: RawYAML] = [:]
    }

    struct PendingReference {
        let node: Int
        let key: String
        let value: String
        let valueNode: YNode
        let path: String
        let role: String
        let sameVPC: Bool
    }

    var topologyName: String?
    var region: String?
    var defaultHost = "127.0.0.1"
    var accounts: [ParsedAccount] = []
    var accountByName: [String: Int] = [:]
    var accountById: [String: Int] = [:]
    var vpcs: [ParsedVPC] = []
    var vpcById: [String: Int] = [:]
    var nodes: [ParsedNode] = []
    var nodeByName: [String: Int] = [:]
    var awsIdLines: [String: [String: Int]] = [:]
    var pending: [PendingReference] = []
    var principals: [RawYAML] = []
    var organization: RawYAML?
    var guardrailIds: [String: Int] = [:]

    // MARK: Reporting

    mutating func error(_ key: String, at node: YNode, _ message: String) {
        findings.append(TopologyError(file: file, line: node.line, column: node.column, key: key, message: message))
    }

    mutating func warning(_ key: String, at node: YNode, _ message: String) {
        findings.append(TopologyError(file: file, line: node.line, column: node.column, key: key,
                                      message: message, severity: .warning))
    }

    // MARK: Typed reads

    mutating func entries(_ node: YNode, _ path: String) -> [Entry]? {
        guard case let .mapping(mapping) = node else {
            error(path, at: node, "expected a mapping, found \(node.described)")
            return nil
        }
        var result: [Entry] = []
        for (key, value) in mapping {
            guard case let .scalar(scalar) = key else {
                error(path, at: key, "keys must be strings, found \(key.described)")
                continue
            }
            result.append(Entry(key: scalar.string, keyNode: key, value: value))
        }
        return result
    }

    mutating func checkKeys(_ entries: [Entry], of node: YNode, path: String, allowed: [String], required: [String]) {
        for entry in entries where !allowed.contains(entry.key) {
            error(join(path, entry.key), at: entry.keyNode, unknownKey(entry.key, allowed: allowed))
        }
        for key in required where !entries.contains(where: { $0.key == key }) {
            error(join(path, key), at: node, "missing required key '\(key)'")
        }
    }

    func unknownKey(_ key: String, allowed: [String]) -> String {
        if key == "<<" { return "YAML merge keys (<<) are not supported; write the keys out (anchors and aliases do work)" }
        return "unknown key '\(key)' (\(hint(for: key, among: allowed, knownLabel: "allowed")))"
    }

    mutating func list(_ node: YNode, _ path: String, nullIsEmpty: Bool) -> [YNode]? {
        if nullIsEmpty, node.isNull { return [] }
        guard case let .sequence(sequence) = node else {
            error(path, at: node, "expected a list, found \(node.described)")
            return nil
        }
        return Array(sequence)
    }

    mutating func string(_ node: YNode, _ path: String) -> String? {
        guard case let .scalar(scalar) = node, !node.isNull else {
            error(path, at: node, "expected a string, found \(node.described)")
            return nil
        }
        return scalar.string
    }

    mutating func number(_ node: YNode, _ path: String) -> Double? {
        guard case .scalar = node, node.tagName == .int || node.tagName == .float,
              let value = node.int.map(Double.init) ?? node.float else {
            error(path, at: node, "expected a number, found \(node.described)")
            return nil
        }
        guard value.isFinite else {
            error(path, at: node, "expected a finite number, found \(node.described)")
            return nil
        }
        return value
    }

    // MARK: Top level

    static let topKeys = ["name", "region", "defaults", "accounts", "vpcs", "nodes", "principals", "organization"]

    mutating func run(_ root: YNode?) -> Result<Topology, TopologyErrors> {
        if let root {
            walkTop(root)
        } else {
            findings.append(TopologyError(file: file, line: 1, column: 1, key: "",
                                          message: "the file is empty; a topology needs region, accounts and nodes"))
        }
        resolveReferences()
        var topology: Topology?
        if !findings.contains(where: { $0.severity == .error }) {
            topology = build()
            if let topology { checkLinks(topology) }
        }
        let sorted = findings.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
        let errors = sorted.filter { $0.severity == .error }
        let warnings = sorted.filter { $0.severity == .warning }
        if errors.isEmpty, let topology {
            return .success(Topology(name: topology.name, region: topology.region, file: file,
                                     defaultHost: topology.defaultHost, accounts: topology.accounts,
                                     vpcs: topology.vpcs, nodes: topology.nodes, principals: principals,
                                     organization: organization, roles: roles, warnings: warnings))
        }
        return .failure(TopologyErrors(errors: errors, warnings: warnings))
    }

    mutating func walkTop(_ root: YNode) {
        guard let top = entries(root, "") else { return }
        checkKeys(top, of: root, path: "", allowed: Self.topKeys, required: ["region", "accounts", "nodes"])
        func value(_ key: String) -> YNode? { top.first { $0.key == key }?.value }

        if let node = value("name") { topologyName = string(node, "name") }
        if let node = value("region"), let text = string(node, "region") {
            if Formats.isRegion(text) {
                region = text
            } else {
                error("region", at: node, "region must be an AWS region name like us-east-1, got '\(text)'")
            }
        }
        if let node = value("defaults"), !node.isNull, let defaults = entries(node, "defaults") {
            checkKeys(defaults, of: node, path: "defaults", allowed: ["host"], required: [])
            if let host = defaults.first(where: { $0.key == "host" }), let text = self.host(host.value, "defaults.host") {
                defaultHost = text
            }
        }
        if let node = value("accounts"), let items = list(node, "accounts", nullIsEmpty: false) {
            if items.isEmpty { error("accounts", at: node, "expected at least one account") }
            for (index, item) in items.enumerated() { walkAccount(item, index) }
        }
        if let node = value("vpcs"), let items = list(node, "vpcs", nullIsEmpty: true) {
            for (index, item) in items.enumerated() { walkVPC(item, index) }
        }
        if let node = value("nodes"), let items = list(node, "nodes", nullIsEmpty: false) {
            if items.isEmpty { error("nodes", at: node, "expected at least one node") }
            for (index, item) in items.enumerated() { walkNode(item, index) }
        }
        if let node = value("principals"), let items = list(node, "principals", nullIsEmpty: true) {
            for (index, item) in items.enumerated() {
                if case .mapping = item {
                    principals.append(item.raw)
                } else {
                    error("principals[\(index)]", at: item, "expected a mapping, found \(item.described)")
                }
            }
        }
        if let node = value("organization"), !node.isNull {
            if case .mapping = node {
                organization = node.raw
            } else {
                error("organization", at: node, "expected a mapping, found \(node.described)")
            }
        }
        providerWarnings()
    }

    mutating func host(_ node: YNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        guard Formats.isHost(text) else {
            error(path, at: node, "host must be an IPv4 address, an IPv6 address or a DNS name, got '\(text)'")
            return nil
        }
        return text
    }

    // MARK: Accounts

    mutating func walkAccount(_ node: YNode, _ index: Int) {
        let path = "accounts[\(index)]"
        var account = ParsedAccount(line: node.line)
        defer { accounts.append(account) }
        guard let fields = entries(node, path) else { return }
        checkKeys(fields, of: node, path: path, allowed: ["id", "name", "kind", "provider", "guardrails"], required: ["id", "name", "kind"])
        func value(_ key: String) -> YNode? { fields.first { $0.key == key }?.value }

        if let idNode = value("id"), let id = accountId(idNode, "\(path).id") {
            if let first = accountById[id] {
                error("\(path).id", at: idNode, "duplicate account id '\(id)' (first defined at line \(accounts[first].line))")
            } else {
                accountById[id] = index
            }
            account.id = id
        }
        if let nameNode = value("name"), let name = string(nameNode, "\(path).name") {
            if let first = accountByName[name] {
                error("\(path).name", at: nameNode,
                      "duplicate account name '\(name)' (first defined at line \(accounts[first].line))")
            } else {
                accountByName[name] = index
                if !Formats.isName(name) {
                    error("\(path).name", at: nameNode, "account name must match [a-z0-9-]+, got '\(name)'")
                }
            }
            account.name = name
        }
        if let kindNode = value("kind"), let text = string(kindNode, "\(path).kind") {
            if let kind = AccountKind(rawValue: text) {
                account.kind = kind
            } else {
                error("\(path).kind", at: kindNode,
                      "unknown account kind '\(text)' (\(hint(for: text, among: AccountKind.allCases.map(\.rawValue))))")
            }
        }
        if let providerNode = value("provider") {
            if let kind = account.kind, !kind.needsProvider {
                error("\(path).provider", at: providerNode,
                      "provider is only allowed for model-deployment and model-provider accounts (this account is of kind \(kind))")
            } else if let provider = string(providerNode, "\(path).provider") {
                if knownProviders.contains(provider) {
                    account.provider = provider
                    account.providerValue = providerNode
                } else {
                    error("\(path).provider", at: providerNode,
                          "unknown provider '\(provider)' (\(hint(for: provider, among: knownProviders)))")
                }
            }
        } else if let kind = account.kind, kind.needsProvider {
            error("\(path).provider", at: node,
                  "missing required key 'provider' (an account of kind \(kind) names its model provider)")
        }
        if let g = value("guardrails") { account.guardrails = guardrails(g, "\(path).guardrails", kind: account.kind) }
    }

    /// A 12-digit string. An unquoted 12-digit number is accepted; an unquoted number that is not
    /// 12 digits is refused with a hint, because YAML drops leading zeros from numbers.
    mutating func accountId(_ node: YNode, _ path: String) -> String? {
        guard case let .scalar(scalar) = node, !node.isNull else {
            error(path, at: node, "expected a string, found \(node.described)")
            return nil
        }
        let text = scalar.string
        let isNumber = node.tagName == .int || node.tagName == .float
        if isNumber, text.allSatisfy(Formats.isDigit) {
            if text.count == 12, text.first != "0" { return text }
            if text.count > 12 {
                error(path, at: node, "account id must be 12 digits, got the number \(text) (\(text.count) digits)")
            } else if text.count == 12 {
                error(path, at: node, "account id \(text) starts with 0 and is unquoted, so YAML reads it as a number "
                      + "and drops the leading zero; quote it: \"\(text)\"")
            } else {
                let padded = String(repeating: "0", count: 12 - text.count) + text
                error(path, at: node, "account id must be 12 digits, got the number \(text) (\(text.count) digits); "
                      + "an unquoted id loses its leading zeros, so quote it: \"\(padded)\"")
            }
            return nil
        }
        guard Formats.isAccountId(text) else {
            error(path, at: node, "account id must be 12 digits, got '\(text)'")
            return nil
        }
        return text
    }

    /// Resolves an account reference (name first, then id), reporting unknown ones.
    mutating func accountReference(_ node: YNode, _ path: String) -> Int? {
        guard let ref = string(node, path) else { return nil }
        if let index = accountByName[ref] ?? accountById[ref] { return index }
        error(path, at: node, "unknown account '\(ref)' (\(declared(accounts.compactMap(\.name), what: "accounts")))")
        return nil
    }

    mutating func providerWarnings() {
        for (index, account) in accounts.enumerated() {
            guard account.kind == .modelDeployment, let provider = account.provider,
                  let node = account.providerValue else { continue }
            if !knownModelIds.contains(where: { Topology.provider(ofModelId: $0) == provider }) {
                warning("accounts[\(index)].provider", at: node,
                        "no known models from provider '\(provider)'; hosts in this account can serve nothing")
            }
        }
    }

    // MARK: VPCs

    mutating func walkVPC(_ node: YNode, _ index: Int) {
        let path = "vpcs[\(index)]"
        var vpc = ParsedVPC(line: node.line)
        defer { vpcs.append(vpc) }
        guard let fields = entries(node, path) else { return }
        checkKeys(fields, of: node, path: path, allowed: ["id", "account", "cidr"], required: ["id", "account"])
        func value(_ key: String) -> YNode? { fields.first { $0.key == key }?.value }

        if let idNode = value("id"), let id = string(idNode, "\(path).id") {
            if let first = vpcById[id] {
                error("\(path).id", at: idNode, "duplicate vpc id '\(id)' (first defined at line \(vpcs[first].line))")
            } else {
                // Registered even when malformed, so references to it do not cascade into more errors.
                vpcById[id] = index
                if !Formats.isAWSId(id, prefix: "vpc") {
                    error("\(path).id", at: idNode, "vpc id must be vpc- followed by 8 to 17 lowercase hex digits, got '\(id)'")
                }
            }
            vpc.id = id
        }
        if let accountNode = value("account"), let account = accountReference(accountNode, "\(path).account") {
            if let kind = accounts[account].kind, kind != .customer {
                error("\(path).account", at: accountNode,
                      "account '\(accounts[account].label)' is of kind \(kind); VPCs belong to customer accounts")
            }
            vpc.account = account
        }
        if let cidrNode = value("cidr"), let cidr = string(cidrNode, "\(path).cidr") {
            if Formats.isVPCCidr(cidr) {
                vpc.cidr = cidr
            } else {
                error("\(path).cidr", at: cidrNode,
                      "cidr must be an IPv4 network block a.b.c.d/n with n from 16 to 28 (the AWS VPC limits), got '\(cidr)'")
            }
        }
    }

    // MARK: Nodes

    static let commonNodeKeys = ["name", "role", "account", "vpc", "host"]

    mutating func walkNode(_ node: YNode, _ index: Int) {
        let path = "nodes[\(index)]"
        var parsed = ParsedNode(path: path, line: node.line, column: node.column)
        defer { nodes.append(parsed) }
        guard let fields = entries(node, path) else { return }
        func field(_ key: String) -> Entry? { fields.first { $0.key == key } }

        // The role decides which other keys are allowed, so read it first.
        if let roleNode = field("role")?.value, let role = string(roleNode, "\(path).role") {
            if let spec = roles.first(where: { $0.name == role }) {
                parsed.role = spec
            } else {
                error("\(path).role", at: roleNode, "unknown role '\(role)' (\(hint(for: role, among: roles.map(\.name))))")
            }
        }
        checkNodeKeys(fields, of: node, path: path, role: parsed.role)

        if let nameNode = field("name")?.value, let name = string(nameNode, "\(path).name") {
            if let first = nodeByName[name] {
                error("\(path).name", at: nameNode, "duplicate node name '\(name)' (first defined at line \(nodes[first].line))")
            } else {
                nodeByName[name] = index
                if !Formats.isName(name) {
                    error("\(path).name", at: nameNode, "node name must match [a-z0-9-]+, got '\(name)'")
                }
            }
            parsed.name = name
        }
        if let accountNode = field("account")?.value, let account = accountReference(accountNode, "\(path).account") {
            parsed.account = account
            if let spec = parsed.role, let kind = accounts[account].kind, !spec.allowedAccountKinds.contains(kind) {
                let allowed = AccountKind.allCases.filter(spec.allowedAccountKinds.contains).map(\.rawValue)
                error("\(path).account", at: accountNode,
                      "role \(spec.name) cannot run in account '\(accounts[account].label)' of kind \(kind) "
                      + "(allowed kinds: \(allowed.joined(separator: ", ")))")
            }
        }
        if let vpcEntry = field("vpc") {
            if let spec = parsed.role, !spec.needsVPC {
                error("\(path).vpc", at: vpcEntry.keyNode, "role \(spec.name) does not run in a customer VPC; remove 'vpc'")
            } else if let vpcId = string(vpcEntry.value, "\(path).vpc") {
                if let vpc = vpcById[vpcId] {
                    parsed.vpc = vpc
                    if let owner = vpcs[vpc].account, let account = parsed.account, owner != account {
                        error("\(path).vpc", at: vpcEntry.value,
                              "vpc '\(vpcId)' belongs to account '\(accounts[owner].label)', "
                              + "not to this node's account '\(accounts[account].label)'")
                    }
                } else {
                    error("\(path).vpc", at: vpcEntry.value,
                          "unknown vpc '\(vpcId)' (\(declared(vpcs.compactMap(\.id), what: "vpcs")))")
                }
            }
        }
        if let hostNode = field("host")?.value {
            parsed.host = host(hostNode, "\(path).host")
        }
        guard let spec = parsed.role else { return }
        for key in spec.keys {
            guard let entry = field(key.name) else { continue }
            let keyPath = "\(path).\(key.name)"
            switch key.kind {
            case let .nodeReference(role, sameVPC):
                if let target = string(entry.value, keyPath) {
                    parsed.references[key.name] = target
                    pending.append(PendingReference(node: index, key: key.name, value: target, valueNode: entry.value,
                                                    path: keyPath, role: role, sameVPC: sameVPC))
                }
            case let .awsId(prefix):
                guard let id = string(entry.value, keyPath) else { break }
                if !Formats.isAWSId(id, prefix: prefix) {
                    error(keyPath, at: entry.value,
                          "\(key.name) must be \(prefix)- followed by 8 to 17 lowercase hex digits, got '\(id)'")
                } else if let first = awsIdLines[key.name]?[id] {
                    error(keyPath, at: entry.value, "duplicate \(key.name) '\(id)' (first defined at line \(first))")
                } else {
                    awsIdLines[key.name, default: [:]][id] = entry.value.line
                }
                parsed.extra[key.name] = id
            case .text:
                if let text = string(entry.value, keyPath) { parsed.extra[key.name] = text }
            case .models:
                parsed.models = models(entry.value, keyPath, required: key.required, account: parsed.account)
            case .raw:
                parsed.raw[key.name] = entry.value.raw
            }
        }
    }

    mutating func checkNodeKeys(_ fields: [Entry], of node: YNode, path: String, role: RoleSpec?) {
        let allRoleKeys = roles.flatMap { $0.keys.map(\.name) }
        for entry in fields where !Self.commonNodeKeys.contains(entry.key) {
            if let role {
                if role.allowedKeys.contains(entry.key) { continue }
                let allowed = Self.commonNodeKeys + role.keys.map(\.name)
                if allRoleKeys.contains(entry.key) {
                    error(join(path, entry.key), at: entry.keyNode,
                          "key '\(entry.key)' is not allowed for role \(role.name) (allowed: \(allowed.joined(separator: ", ")))")
                } else {
                    error(join(path, entry.key), at: entry.keyNode, unknownKey(entry.key, allowed: allowed))
                }
            } else if !allRoleKeys.contains(entry.key) {
                // Without a valid role only keys no role knows are certainly wrong.
                var allowed = Self.commonNodeKeys
                for key in allRoleKeys where !allowed.contains(key) { allowed.append(key) }
                error(join(path, entry.key), at: entry.keyNode, unknownKey(entry.key, allowed: allowed))
            }
        }
        for key in ["name", "role", "account"] where !fields.contains(where: { $0.key == key }) {
            error(join(path, key), at: node, "missing required key '\(key)'")
        }
        guard let role else { return }
        if role.needsVPC, !fields.contains(where: { $0.key == "vpc" }) {
            error(join(path, "vpc"), at: node, "missing required key 'vpc' (role \(role.name) runs in a customer VPC)")
        }
        for key in role.keys where key.required && !fields.contains(where: { $0.key == key.name }) {
            let why = key.summary.isEmpty ? "" : ": \(key.summary)"
            error(join(path, key.name), at: node, "missing required key '\(key.name)' (role \(role.name)\(why))")
        }
    }

    mutating func models(_ node: YNode, _ path: String, required: Bool, account: Int?) -> [ServedModel] {
        guard let items = list(node, path, nullIsEmpty: !required) else { return [] }
        if required, items.isEmpty {
            error(path, at: node, "expected at least one model")
        }
        var result: [ServedModel] = []
        var firstLine: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            var idNode = item
            var idPath = itemPath
            var latency = Latency.zero
            var id: String?
            if case .scalar = item {
                // Shorthand: a bare model id, served instantly.
                id = string(item, itemPath)
            } else if let fields = entries(item, itemPath) {
                checkKeys(fields, of: item, path: itemPath, allowed: ["id", "latency"], required: ["id"])
                if let entry = fields.first(where: { $0.key == "id" }) {
                    idNode = entry.value
                    idPath = "\(itemPath).id"
                    id = string(entry.value, idPath)
                }
                if let entry = fields.first(where: { $0.key == "latency" }) {
                    latency = self.latency(entry.value, "\(itemPath).latency") ?? .zero
                }
            }
            guard let id else { continue }
            if let first = firstLine[id] {
                error(idPath, at: idNode, "duplicate model '\(id)' on this node (first listed at line \(first))")
                continue
            }
            firstLine[id] = idNode.line
            if !knownModelIds.contains(id) {
                error(idPath, at: idNode, "unknown model '\(id)' (\(modelHint(id)))")
            } else if let account, let provider = accounts[account].provider,
                      Topology.provider(ofModelId: id) != provider {
                error(idPath, at: idNode,
                      "model '\(id)' is from provider \(Topology.provider(ofModelId: id)), but account "
                      + "'\(accounts[account].label)' deploys provider \(provider)")
            }
            result.append(ServedModel(id: id, latency: latency))
        }
        return result
    }

    func modelHint(_ id: String) -> String {
        let known = knownModelIds.sorted()
        if let close = Formats.closest(to: id, in: known) { return "did you mean '\(close)'?" }
        let provider = Topology.provider(ofModelId: id)
        let sameProvider = known.filter { Topology.provider(ofModelId: $0) == provider }
        if sameProvider.isEmpty { return "no known models from provider '\(provider)'" }
        return "known \(provider) models: \(sameProvider.joined(separator: ", "))"
    }

    mutating func latency(_ node: YNode, _ path: String) -> Latency? {
        if node.isNull { return .zero }
        guard let fields = entries(node, path) else { return nil }
        checkKeys(fields, of: node, path: path, allowed: ["firstTokenMs", "tokensPerSecond"], required: [])
        var values: [String: Double] = [:]
        for key in ["firstTokenMs", "tokensPerSecond"] {
            guard let entry = fields.first(where: { $0.key == key }),
                  let value = number(entry.value, "\(path).\(key)") else { continue }
            if value < 0 {
                error("\(path).\(key)", at: entry.value, "\(key) must not be negative, got \(entry.value.scalar?.string ?? "")")
            } else {
                values[key] = value
            }
        }
        return Latency(firstTokenMs: values["firstTokenMs"] ?? 0, tokensPerSecond: values["tokensPerSecond"] ?? 0)
    }

    // MARK: Cross references

    mutating func resolveReferences() {
        for ref in pending {
            let source = nodes[ref.node]
            guard let targetIndex = nodeByName[ref.value] else {
                let candidates = nodes.filter { $0.role?.name == ref.role }.compactMap(\.name)
                let known = candidates.isEmpty ? "no \(ref.role) nodes are declared"
                    : "known \(ref.role) nodes: \(candidates.joined(separator: ", "))"
                error(ref.path, at: ref.valueNode, "unknown node '\(ref.value)' (\(known))")
                continue
            }
            let target = nodes[targetIndex]
            guard let targetRole = target.role else { continue }
            if targetRole.name != ref.role {
                error(ref.path, at: ref.valueNode,
                      "node '\(ref.value)' is a \(targetRole.name), but \(ref.key) must name a \(ref.role) node")
            } else if ref.sameVPC, let mine = source.vpc, let theirs = target.vpc, mine != theirs {
                error(ref.path, at: ref.valueNode,
                      "\(ref.key) '\(ref.value)' is in \(vpcs[theirs].id ?? "?"), but this node is in "
                      + "\(vpcs[mine].id ?? "?"); both must be in the same VPC")
            }
        }
    }

    /// Links computed from the catalog must only reach nodes that listen (never the model provider's node).
    mutating func checkLinks(_ topology: Topology) {
        for link in topology.links() {
            guard let target = topology.node(named: link.to), let spec = topology.roleSpec(of: target),
                  !spec.listens, let sourceIndex = nodeByName[link.from] else { continue }
            let source = nodes[sourceIndex]
            findings.append(TopologyError(file: file, line: source.line, column: source.column, key: source.path,
                                          message: "link \(link) is not allowed: role \(spec.name) receives nothing"))
        }
    }

    // MARK: Building

    func build() -> Topology? {
        var builtAccounts: [Account?] = []
        for account in accounts {
            if let id = account.id, let name = account.name, let kind = account.kind {
                builtAccounts.append(Account(id: id, name: name, kind: kind, provider: account.provider, line: account.line,
                                            guardrails: account.guardrails))
            } else {
                builtAccounts.append(nil)
            }
        }
        var builtVPCs: [VPC?] = []
        for vpc in vpcs {
            if let id = vpc.id, let index = vpc.account, let account = builtAccounts[index] {
                builtVPCs.append(VPC(id: id, account: account, cidr: vpc.cidr, line: vpc.line))
            } else {
                builtVPCs.append(nil)
            }
        }
        var builtNodes: [Node] = []
        for node in nodes {
            guard let name = node.name, let role = node.role, let index = node.account,
                  let account = builtAccounts[index] else { return nil }
            builtNodes.append(Node(name: name, role: role.name, account: account, vpc: node.vpc.flatMap { builtVPCs[$0] },
                                   host: node.host ?? defaultHost, references: node.references, extra: node.extra,
                                   models: node.models, raw: node.raw, line: node.line))
        }
        guard let region else { return nil }
        let fallbackName = String(file.split(separator: "/").last?.split(separator: ".").first ?? "topology")
        return Topology(name: topologyName ?? fallbackName, region: region, file: file, defaultHost: defaultHost,
                        accounts: builtAccounts.compactMap { $0 }, vpcs: builtVPCs.compactMap { $0 }, nodes: builtNodes,
                        roles: roles)
    }
}

// MARK: - Guardrails

/// An account's `guardrails:` list: each entry is a CreateGuardrail request body written as YAML, plus `id` and
/// `versions`. The body is validated with the Guardrails engine's own rules, so a topology reports the messages the
/// CreateGuardrail API would return, each at the line of the offending key.
extension Validator {
    static let guardrailKeys = ["id", "versions", "name", "description", "blockedInputMessaging", "blockedOutputsMessaging",
                                "topicPolicyConfig", "contentPolicyConfig", "wordPolicyConfig", "sensitiveInformationPolicyConfig",
                                "contextualGroundingPolicyConfig", "automatedReasoningPolicyConfig", "crossRegionConfig",
                                "kmsKeyId", "tags", "clientRequestToken"]

    mutating func guardrails(_ node: YNode, _ path: String, kind: AccountKind?) -> [TopologyGuardrail] {
        guard let items = list(node, path, nullIsEmpty: true) else { return [] }
        if let kind, kind != .customer, !items.isEmpty {
            error(path, at: node, "guardrails belong to customer accounts (this account is of kind \(kind))")
            return []
        }
        var out: [TopologyGuardrail] = []
        var names: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let fields = entries(item, itemPath) else { continue }
            checkKeys(fields, of: item, path: itemPath, allowed: Self.guardrailKeys, required: [])
            func value(_ key: String) -> YNode? { fields.first { $0.key == key }?.value }
            var id: String?
            if let idNode = value("id"), let text = string(idNode, "\(itemPath).id") {
                if !(1...64).contains(text.utf8.count) || !text.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) }) {
                    error("\(itemPath).id", at: idNode, "guardrail id must match [a-z0-9]+ (at most 64 characters), got '\(text)'")
                } else if let first = guardrailIds[text] {
                    error("\(itemPath).id", at: idNode, "duplicate guardrail id '\(text)' (first defined at line \(first))")
                } else {
                    guardrailIds[text] = idNode.line
                    id = text
                }
            }
            var versions = 0
            if let vNode = value("versions"), let n = number(vNode, "\(itemPath).versions") {
                if n < 0 || n > 100 || n != n.rounded() {
                    error("\(itemPath).versions", at: vNode, "versions must be a whole number from 0 to 100, got \(vNode.described)")
                } else {
                    versions = Int(n)
                }
            }
            // The body: every member except the topology's own id and versions.
            var json = "{"
            var first = true
            var unsupported = false
            for f in fields where f.key != "id" && f.key != "versions" {
                if !first { json += "," }
                first = false
                json += jsonQuoted(f.key) + ":"
                if let bad = Self.appendJSON(f.value, to: &json) {
                    error("\(itemPath).\(f.key)", at: bad, "cannot be expressed as JSON: \(bad.described)")
                    unsupported = true
                }
            }
            json += "}"
            if unsupported { continue }
            do {
                let cfg = try GuardrailConfiguration.decode(json: Array(json.utf8))
                if let firstLine = names[cfg.name] {
                    error("\(itemPath).name", at: value("name") ?? item,
                          "ConflictException: a guardrail named '\(cfg.name)' is already defined in this account (line \(firstLine))")
                    continue
                }
                names[cfg.name] = item.line
                out.append(TopologyGuardrail(id: id, name: cfg.name, configJSON: json, versions: versions, line: item.line))
            } catch {
                reportGuardrail(error, entry: item, path: itemPath)
            }
        }
        return out
    }

    /// One finding per constraint violation, at the line of the key the violation names.
    mutating func reportGuardrail(_ e: GuardrailValidationError, entry: YNode, path: String) {
        var pieces = [e.message]
        if let r = e.message.range(of: " detected: "), e.message.contains("validation error") {
            let rest = String(e.message[r.upperBound...])
            pieces = rest.components(separatedBy: "; Value ").enumerated().map { $0.offset == 0 ? $0.element : "Value " + $0.element }
        }
        for piece in pieces {
            var node = entry
            var yamlPath = path
            if let a = piece.range(of: " at '"), let b = piece[a.upperBound...].firstIndex(of: "'") {
                let segments = piece[a.upperBound..<b].split(separator: ".").map(String.init)
                var i = 0
                while i < segments.count {
                    let seg = segments[i]
                    if case .mapping(let m) = node, let v = m[seg] {
                        node = v; yamlPath += ".\(seg)"; i += 1
                    } else if case .sequence(let sq) = node, let n = Int(seg), n >= 1, n <= sq.count {
                        node = sq[sq.startIndex + n - 1]; yamlPath += "[\(n - 1)]"
                        i += (i + 1 < segments.count && segments[i + 1] == "member") ? 2 : 1
                    } else {
                        break
                    }
                }
            }
            error(yamlPath, at: node, "invalid guardrail (\(e.code)): \(piece)")
        }
    }


    /// Appends `node` as JSON; returns the first node that has no JSON form (an alias, a non-string key, NaN).
    static func appendJSON(_ node: YNode, to out: inout String) -> YNode? {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null: out += "null"
            case .bool: out += (node.bool ?? false) ? "true" : "false"
            case .int:
                guard let i = node.int else { return node }
                out += String(i)
            case .float:
                guard let d = node.float, d.isFinite else { return node }
                out += String(d)
            default: out += jsonQuoted(scalar.string)
            }
        case .sequence(let seq):
            out += "["
            for (i, item) in seq.enumerated() {
                if i > 0 { out += "," }
                if let bad = appendJSON(item, to: &out) { return bad }
            }
            out += "]"
        case .mapping(let map):
            out += "{"
            for (i, pair) in map.enumerated() {
                if i > 0 { out += "," }
                guard case .scalar(let k) = pair.key else { return pair.key }
                out += jsonQuoted(k.string) + ":"
                if let bad = appendJSON(pair.value, to: &out) { return bad }
            }
            out += "}"
        default:
            return node
        }
        return nil
    }
}

/// A JSON string literal (shared by the YAML-to-JSON conversions of guardrails and inline policies).
func jsonQuoted(_ s: String) -> String { JSONText.quoted(s) }
