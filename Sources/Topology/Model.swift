// The validated topology: plain Sendable values built only when a file has no errors.

/// What an AWS account is for. The kind decides which roles may run in it (see `RoleSpec.allowedAccountKinds`).
public enum AccountKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A Bedrock customer: owns VPCs, clients and PrivateLink endpoints.
    case customer
    /// The Bedrock service's own account (runtime front end).
    case bedrockService = "bedrock-service"
    /// An AWS-owned account where one model provider's models are deployed (escrow hosts).
    case modelDeployment = "model-deployment"
    /// The model provider's own corporate account. It must never receive customer traffic.
    case modelProvider = "model-provider"

    /// Accounts of these kinds are tied to one model provider and must name it.
    public var needsProvider: Bool { self == .modelDeployment || self == .modelProvider }

    public var description: String { rawValue }
}

public struct Account: Sendable, Hashable {
    /// 12 decimal digits.
    public let id: String
    public let name: String
    public let kind: AccountKind
    /// Model provider (`anthropic`, `amazon`, ...) for model-deployment and model-provider accounts, else nil.
    public let provider: String?
    /// Line of the account's entry in the topology file.
    public let line: Int
    /// Guardrails the account owns from the start (customer accounts only), in file order.
    public let guardrails: [TopologyGuardrail]

    public init(id: String, name: String, kind: AccountKind, provider: String? = nil, line: Int = 0,
                guardrails: [TopologyGuardrail] = []) {
        self.id = id
        self.name = name
        self.kind = kind
        self.provider = provider
        self.line = line
        self.guardrails = guardrails
    }
}

/// A guardrail declared in an account's `guardrails:` list: a CreateGuardrail request body written as YAML,
/// plus the optional `id` it gets and how many numbered `versions` are published from it at `up`.
public struct TopologyGuardrail: Sendable, Hashable {
    /// Fixed guardrail id ([a-z0-9]+, at most 64), or nil for one derived when the run starts.
    public let id: String?
    public let name: String
    /// The CreateGuardrail request body as JSON (validated by the Guardrails engine's rules).
    public let configJSON: String
    /// Numbered versions published from the configuration (0: the DRAFT only).
    public let versions: Int
    public let line: Int

    public init(id: String?, name: String, configJSON: String, versions: Int, line: Int) {
        self.id = id
        self.name = name
        self.configJSON = configJSON
        self.versions = versions
        self.line = line
    }
}

public struct VPC: Sendable, Hashable {
    /// `vpc-` followed by 8 to 17 lowercase hex digits.
    public let id: String
    /// Always a customer account.
    public let account: Account
    public let cidr: String?
    public let line: Int
}

/// Per-model latency of a stand-in model. Zero means instantaneous (what tests use).
public struct Latency: Sendable, Hashable {
    public let firstTokenMs: Double
    public let tokensPerSecond: Double

    public static let zero = Latency(firstTokenMs: 0, tokensPerSecond: 0)

    public init(firstTokenMs: Double, tokensPerSecond: Double) {
        self.firstTokenMs = firstTokenMs
        self.tokensPerSecond = tokensPerSecond
    }
}

public struct ServedModel: Sendable, Hashable {
    /// A Bedrock base model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`.
    public let id: String
    public let latency: Latency

    /// The prefix of the id before its first `.`.
    public var provider: String { Topology.provider(ofModelId: id) }

    public init(id: String, latency: Latency = .zero) {
        self.id = id
        self.latency = latency
    }
}

/// One process of the simulation.
public struct Node: Sendable, Hashable {
    public let name: String
    /// The `RoleSpec.name` of the role this node plays.
    public let role: String
    public let account: Account
    /// Set exactly when the role's `needsVPC` is true.
    public let vpc: VPC?
    /// Address the node binds/connects on (defaults.host, else 127.0.0.1).
    public let host: String
    /// Role-specific keys that name another node (e.g. `endpoint`, `frontend`), key -> node name.
    public let references: [String: String]
    /// Role-specific scalar keys that are not references (e.g. `endpointId`), key -> value.
    public let extra: [String: String]
    /// Models served (roles with a `models` key), in file order.
    public let models: [ServedModel]
    /// Role-specific keys of kind `.raw` (e.g. an endpoint's `policy`), as written.
    public let raw: [String: RawYAML]
    /// Line of the node's entry in the topology file.
    public let line: Int

    /// bedrock-client: the privatelink-endpoint node it sends through.
    public var endpoint: String? { references["endpoint"] }
    /// privatelink-endpoint: the runtime-frontend node it forwards to.
    public var frontend: String? { references["frontend"] }
    /// privatelink-endpoint: its VPC endpoint id (`vpce-...`).
    public var endpointId: String? { extra["endpointId"] }

    public init(name: String, role: String, account: Account, vpc: VPC? = nil, host: String = "127.0.0.1",
                references: [String: String] = [:], extra: [String: String] = [:],
                models: [ServedModel] = [], raw: [String: RawYAML] = [:], line: Int = 0) {
        self.name = name
        self.raw = raw
        self.role = role
        self.account = account
        self.vpc = vpc
        self.host = host
        self.references = references
        self.extra = extra
        self.models = models
        self.line = line
    }
}

/// A permitted connection: `from` may connect to `to`. A listening node admits exactly the peers
/// that have a link to it; everything else is refused.
public struct Link: Sendable, Hashable, CustomStringConvertible {
    public let from: String
    public let to: String
    /// Why the link exists, e.g. `runtime-api`, `privatelink`, `model-invocation`.
    public let purpose: String

    public init(from: String, to: String, purpose: String) {
        self.from = from
        self.to = to
        self.purpose = purpose
    }

    public var description: String { "\(from) -> \(to) (\(purpose))" }
}

public struct Topology: Sendable {
    public let name: String
    public let region: String
    /// The file label the topology was read from (used in messages).
    public let file: String
    /// `defaults.host`, or 127.0.0.1.
    public let defaultHost: String
    public let accounts: [Account]
    public let vpcs: [VPC]
    public let nodes: [Node]
    /// Reserved for a later issue (users, roles, policies): each entry as written, with positions.
    public let principals: [RawYAML]
    /// Reserved for a later issue (AWS Organizations, SCPs): as written, with positions.
    public let organization: RawYAML?
    /// The role catalog the topology was validated against (links are computed from it).
    public let roles: [RoleSpec]
    /// Non-fatal findings (e.g. a provider without known models).
    public let warnings: [TopologyError]

    public init(name: String, region: String, file: String, defaultHost: String, accounts: [Account],
                vpcs: [VPC], nodes: [Node], principals: [RawYAML] = [], organization: RawYAML? = nil,
                roles: [RoleSpec] = RoleCatalog.all, warnings: [TopologyError] = []) {
        self.name = name
        self.region = region
        self.file = file
        self.defaultHost = defaultHost
        self.accounts = accounts
        self.vpcs = vpcs
        self.nodes = nodes
        self.principals = principals
        self.organization = organization
        self.roles = roles
        self.warnings = warnings
    }

    /// Providers whose model ids Bedrock uses as prefixes. Providers of the known model ids are added to these.
    public static let builtInProviders = ["anthropic", "amazon", "meta", "mistral", "cohere", "ai21", "stability"]

    /// The provider of a base model id: the text before its first `.`.
    public static func provider(ofModelId id: String) -> String {
        String(id.prefix { $0 != "." })
    }
}

// MARK: - Look-ups

extension Topology {
    public func node(named name: String) -> Node? {
        nodes.first { $0.name == name }
    }

    /// Nodes playing `role`, in file order.
    public func nodes(role: String) -> [Node] {
        nodes.filter { $0.role == role }
    }

    /// The account a node runs in.
    public func account(of nodeName: String) -> Account? {
        node(named: nodeName)?.account
    }

    /// An account by name or by 12-digit id.
    public func account(named nameOrId: String) -> Account? {
        accounts.first { $0.name == nameOrId } ?? accounts.first { $0.id == nameOrId }
    }

    public func vpc(id: String) -> VPC? {
        vpcs.first { $0.id == id }
    }

    public func roleSpec(named role: String) -> RoleSpec? {
        roles.first { $0.name == role }
    }

    /// The role spec of a node (always present for a validated topology).
    public func roleSpec(of node: Node) -> RoleSpec? {
        roleSpec(named: node.role)
    }

    /// Name of the executable that runs `node`.
    public func executable(of node: Node) -> String? {
        roleSpec(of: node)?.executable
    }

    /// The escrow-style nodes (any role with a `models` key) that serve `modelId`, in file order.
    public func nodes(serving modelId: String) -> [Node] {
        nodes.filter { node in node.models.contains { $0.id == modelId } }
    }
}
