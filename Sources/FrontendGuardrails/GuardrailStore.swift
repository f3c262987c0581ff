// Guardrail resources (the control plane's CreateGuardrail ... DeleteGuardrail state), per account, persisted in the
// run directory as RUN_DIR/guardrails/ACCOUNT.json so they outlive a front-end restart and a `down`/`up` of the same
// run directory. The front end is the only writer while a run is live; `bedrock-sim up` seeds the guardrails a
// topology declares before any node starts. Each guardrail keeps its CreateGuardrail request body per version (the
// mutable DRAFT plus immutable numbered versions); engines are compiled on first use and cached.
import FoundationEssentials
import Guardrails
import NodeRuntime
import RoleKit

public struct StoredGuardrailVersion: Codable, Sendable, Equatable {
    /// "DRAFT" or "1", "2", ...
    public var version: String
    /// The CreateGuardrail / UpdateGuardrail request body this version was made from.
    public var config: JSONValue
    /// The version's own description (CreateGuardrailVersion), else the configuration's.
    public var description: String?
    public var createdAt: String
    public var updatedAt: String
}

public struct StoredGuardrail: Codable, Sendable, Equatable {
    public var id: String
    public var arn: String
    public var account: String
    public var name: String
    public var createdAt: String
    public var updatedAt: String
    /// "api" or "topology".
    public var origin: String
    /// For topology guardrails: the configuration as the topology wrote it, to tell whether `up` must refresh it.
    public var topologyConfig: String?
    public var nextVersion: Int
    public var draft: StoredGuardrailVersion
    public var versions: [StoredGuardrailVersion]

    public func version(_ v: String) -> StoredGuardrailVersion? { v == "DRAFT" ? draft : versions.first { $0.version == v } }
}

struct StoredAccountGuardrails: Codable {
    var account: String
    var guardrails: [StoredGuardrail]
}

/// A guardrail declared by a topology, as `bedrock-sim up` hands it to the store.
public struct DeclaredGuardrail: Sendable {
    public var account: String
    public var id: String?
    public var configJSON: String
    public var versions: Int
    public init(account: String, id: String?, configJSON: String, versions: Int) {
        self.account = account; self.id = id; self.configJSON = configJSON; self.versions = versions
    }
}

public final class GuardrailStore {
    public let directory: String
    public let region: String
    private var accounts: [String: [StoredGuardrail]] = [:]
    private var engines: [String: GuardrailEngine] = [:]

    public init(runDirectory: String, region: String) {
        directory = runDirectory + "/guardrails"
        self.region = region
        let fm = FileManager.default
        for file in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where file.hasSuffix(".json") {
            guard let data = fm.contents(atPath: directory + "/" + file),
                  let stored = try? JSONDecoder().decode(StoredAccountGuardrails.self, from: data) else { continue }
            accounts[stored.account] = stored.guardrails
        }
    }

    public static let identifierPattern = "(([a-z0-9]+)|(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+))"
    public static let versionPattern = "(([1-9][0-9]{0,7})|(DRAFT))"
    public static let numericalVersionPattern = "[1-9][0-9]{0,7}"

    public static func isVersion(_ v: String, allowDraft: Bool = true) -> Bool {
        if v == "DRAFT" { return allowDraft }
        return (1...8).contains(v.utf8.count) && v.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && v.first != "0"
    }

    static func isId(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count) && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Splits a guardrail identifier (an id or an ARN) into (account or nil, id); nil when it matches neither form.
    public static func parseIdentifier(_ identifier: String) -> (account: String?, region: String?, id: String)? {
        if isId(identifier) { return (nil, nil, identifier) }
        let parts = identifier.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "arn", parts[1].hasPrefix("aws"), parts[2] == "bedrock",
              parts[4].count == 12, parts[4].allSatisfy(\.isNumber), parts[5].hasPrefix("guardrail/") else { return nil }
        let id = String(parts[5].dropFirst("guardrail/".count))
        guard isId(id) else { return nil }
        return (parts[4], parts[3], id)
    }

    public func arn(account: String, id: String) -> String { "arn:aws:bedrock:\(region):\(account):guardrail/\(id)" }

    // MARK: reads

    public func guardrails(account: String) -> [StoredGuardrail] { accounts[account] ?? [] }

    /// The guardrail `identifier` names for a caller in `account` (an ARN must name that account and Region).
    public func find(_ identifier: String, account: String) -> StoredGuardrail? {
        guard let p = Self.parseIdentifier(identifier) else { return nil }
        if let a = p.account, a != account { return nil }
        if let r = p.region, r != region { return nil }
        return accounts[account]?.first { $0.id == p.id }
    }

    /// The compiled engine of one version (cached until that version changes).
    public func engine(_ g: StoredGuardrail, version: String) throws(GuardrailValidationError) -> GuardrailEngine? {
        let key = "\(g.account)/\(g.id)/\(version)"
        if let e = engines[key] { return e }
        guard let v = g.version(version) else { return nil }
        let cfg = try GuardrailConfiguration.decode(json: v.config.serialized())
        let e = GuardrailEngine(configuration: cfg)
        engines[key] = e
        return e
    }

    // MARK: writes

    static func newId() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var g = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    static func now() -> String { SimClock.iso8601(unixMs: SimClock.unixMilliseconds()) }

    /// Creates a guardrail (DRAFT) from a validated request body.
    public func create(account: String, name: String, config: JSONValue, id: String? = nil, origin: String = "api",
                       topologyConfig: String? = nil) -> StoredGuardrail {
        var gid = id ?? Self.newId()
        while id == nil && accounts.values.contains(where: { $0.contains { $0.id == gid } }) { gid = Self.newId() }
        let t = Self.now()
        let g = StoredGuardrail(
            id: gid, arn: arn(account: account, id: gid), account: account, name: name, createdAt: t, updatedAt: t,
            origin: origin, topologyConfig: topologyConfig, nextVersion: 1,
            draft: StoredGuardrailVersion(version: "DRAFT", config: config, description: config["description"]?.stringValue, createdAt: t, updatedAt: t),
            versions: [])
        accounts[account, default: []].append(g)
        return g
    }

    public func updateDraft(account: String, id: String, name: String, config: JSONValue) -> StoredGuardrail? {
        guard let i = accounts[account]?.firstIndex(where: { $0.id == id }) else { return nil }
        let t = Self.now()
        accounts[account]![i].name = name
        accounts[account]![i].updatedAt = t
        accounts[account]![i].draft.config = config
        accounts[account]![i].draft.description = config["description"]?.stringValue
        accounts[account]![i].draft.updatedAt = t
        engines["\(account)/\(id)/DRAFT"] = nil
        return accounts[account]![i]
    }

    /// Snapshots the DRAFT as the next numbered version.
    public func createVersion(account: String, id: String, description: String?) -> StoredGuardrailVersion? {
        guard let i = accounts[account]?.firstIndex(where: { $0.id == id }) else { return nil }
        var g = accounts[account]![i]
        let t = Self.now()
        let v = StoredGuardrailVersion(version: String(g.nextVersion), config: g.draft.config,
                                       description: description ?? g.draft.description, createdAt: t, updatedAt: t)
        g.nextVersion += 1
        g.versions.append(v)
        accounts[account]![i] = g
        return v
    }

    /// Deletes a whole guardrail (version nil) or one numbered version. Returns false when it does not exist.
    public func delete(account: String, id: String, version: String?) -> Bool {
        guard let i = accounts[account]?.firstIndex(where: { $0.id == id }) else { return false }
        if let version {
            guard let k = accounts[account]![i].versions.firstIndex(where: { $0.version == version }) else { return false }
            accounts[account]![i].versions.remove(at: k)
            engines["\(account)/\(id)/\(version)"] = nil
        } else {
            let g = accounts[account]!.remove(at: i)
            for v in ["DRAFT"] + g.versions.map(\.version) { engines["\(account)/\(id)/\(v)"] = nil }
        }
        return true
    }

    /// Writes one account's guardrails atomically (temporary file + rename).
    public func save(account: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try enc.encode(StoredAccountGuardrails(account: account, guardrails: accounts[account] ?? []))
        try data.write(to: URL(fileURLWithPath: directory + "/\(account).json"), options: .atomic)
    }

    // MARK: topology seeding

    /// Brings the store in line with the guardrails a topology declares: a declared guardrail is created (with its
    /// numbered versions) when missing, and re-created when the topology's configuration changed since the last
    /// `up`; guardrails created through the API are left alone. Every declared configuration was validated already.
    public func seed(_ declared: [DeclaredGuardrail]) throws {
        var touched = Set<String>()
        for d in declared {
            guard case .object(let o)? = try? JSONValue.parse(Array(d.configJSON.utf8)),
                  let name = o["name"]?.stringValue else { continue }
            let config = JSONValue.object(o)
            let existing = accounts[d.account]?.first { g in d.id.map { g.id == $0 } ?? (g.origin == "topology" && g.name == name) }
            if let existing, existing.origin == "topology", existing.topologyConfig == d.configJSON,
               existing.versions.count >= d.versions { continue }
            if let existing { _ = delete(account: d.account, id: existing.id, version: nil) }
            let g = create(account: d.account, name: name, config: config, id: d.id ?? existing?.id, origin: "topology",
                           topologyConfig: d.configJSON)
            for _ in 0..<d.versions { _ = createVersion(account: d.account, id: g.id, description: nil) }
            touched.insert(d.account)
        }
        for a in touched { try save(account: a) }
    }
}
