// The role catalog: everything the validator and the link computation know about a role.
// A new role slots in by adding one `RoleSpec` to `RoleCatalog.all` (or by passing a catalog to
// `Topology.validate(yaml:file:roles:knownModelIds:)`); no other code changes.

/// A role-specific key a node of some role may (or must) carry.
public struct RoleKey: Sendable {
    public enum Kind: Sendable {
        /// The value names another node, which must have role `role`. With `sameVPC`, that node must
        /// be in the same VPC as this one. Stored in `Node.references`.
        case nodeReference(role: String, sameVPC: Bool)
        /// An AWS resource id `<prefix>-` + 8 to 17 lowercase hex digits, unique among all nodes'
        /// values of this key. Stored in `Node.extra`.
        case awsId(prefix: String)
        /// Free text. Stored in `Node.extra`.
        case text
        /// A list of served models (`id` + optional `latency`). Stored in `Node.models`.
        case models
        /// Any YAML value, kept as written with positions for a later pass (e.g. an endpoint `policy`,
        /// validated by `Topology.authorization`). Stored in `Node.raw`.
        case raw
    }

    public let name: String
    public let kind: Kind
    public let required: Bool
    /// One line for messages and the README.
    public let summary: String

    public init(_ name: String, _ kind: Kind, required: Bool, summary: String = "") {
        self.name = name
        self.kind = kind
        self.required = required
        self.summary = summary
    }
}

/// How a role's outgoing links are derived. Links are the only connections the runtime allows.
public enum LinkRule: Sendable {
    /// A link to the node named by the role key `key` (a `.nodeReference` key).
    case viaKey(String, purpose: String)
    /// A link to every node of `role`.
    case toEvery(role: String, purpose: String)
    /// A link from every node of `role` to this node. Lets a new role (e.g. provisioned-host) become
    /// reachable from an existing one (runtime-frontend) without touching the existing entry.
    case fromEvery(role: String, purpose: String)
    /// Anything else; computed from the node and the whole topology.
    case custom(@Sendable (Node, Topology) -> [Link])
}

public struct RoleSpec: Sendable {
    /// The value of a node's `role:` key.
    public let name: String
    /// The executable target that runs a node of this role.
    public let executable: String
    public let allowedAccountKinds: Set<AccountKind>
    /// Nodes of this role live in a customer VPC (`vpc:` required); otherwise `vpc:` is not allowed.
    public let needsVPC: Bool
    /// Role-specific keys, beyond the common name/role/account/vpc/host.
    public let keys: [RoleKey]
    public let links: [LinkRule]
    /// False for roles that accept no connections (a client, the model provider's node). A link to
    /// such a node is a validation error.
    public let listens: Bool
    public let summary: String

    public init(name: String, executable: String, allowedAccountKinds: Set<AccountKind>, needsVPC: Bool,
                keys: [RoleKey] = [], links: [LinkRule] = [], listens: Bool = true, summary: String = "") {
        self.name = name
        self.executable = executable
        self.allowedAccountKinds = allowedAccountKinds
        self.needsVPC = needsVPC
        self.keys = keys
        self.links = links
        self.listens = listens
        self.summary = summary
    }

    /// Role-specific keys a node of this role may carry.
    public var allowedKeys: Set<String> { Set(keys.map(\.name)) }
    /// Role-specific keys a node of this role must carry.
    public var requiredKeys: Set<String> { Set(keys.filter(\.required).map(\.name)) }

    public func key(named name: String) -> RoleKey? { keys.first { $0.name == name } }
}

/// The built-in roles. Later issues add (one entry each): provisioned-host and finetune-worker
/// (model-deployment accounts, `models` key, reachable `.fromEvery(role: "runtime-frontend")`),
/// kms and s3 (customer accounts; referenced by clients or escrow hosts through `.nodeReference` keys).
public enum RoleCatalog {
    public static let bedrockClient = RoleSpec(
        name: "bedrock-client", executable: "bedrock-client",
        allowedAccountKinds: [.customer], needsVPC: true,
        keys: [RoleKey("endpoint", .nodeReference(role: "privatelink-endpoint", sameVPC: true), required: true,
                       summary: "the privatelink-endpoint node in the same VPC that requests go through")],
        links: [.viaKey("endpoint", purpose: "runtime-api")],
        listens: false,
        summary: "an application in a customer VPC calling the Bedrock runtime API")

    public static let privateLinkEndpoint = RoleSpec(
        name: "privatelink-endpoint", executable: "privatelink-endpoint",
        allowedAccountKinds: [.customer], needsVPC: true,
        keys: [
            RoleKey("endpointId", .awsId(prefix: "vpce"), required: true,
                    summary: "the interface VPC endpoint id, vpce- + 8 to 17 hex digits, unique"),
            RoleKey("frontend", .nodeReference(role: "runtime-frontend", sameVPC: false), required: true,
                    summary: "the runtime-frontend node the endpoint forwards to"),
            RoleKey("policy", .raw, required: false,
                    summary: "the VPC endpoint policy, inline or {file: policies/NAME.json}; default: allow everything"),
        ],
        links: [.viaKey("frontend", purpose: "privatelink")],
        summary: "an interface VPC endpoint for bedrock-runtime in a customer VPC")

    public static let runtimeFrontend = RoleSpec(
        name: "runtime-frontend", executable: "runtime-frontend",
        allowedAccountKinds: [.bedrockService], needsVPC: false,
        links: [.toEvery(role: "escrow-host", purpose: "model-invocation")],
        summary: "the Bedrock runtime front end: authentication, authorization, guardrails, routing")

    public static let escrowHost = RoleSpec(
        name: "escrow-host", executable: "escrow-host",
        allowedAccountKinds: [.modelDeployment], needsVPC: false,
        keys: [RoleKey("models", .models, required: true,
                       summary: "the models served; all from the account's provider")],
        summary: "a model host in a model-deployment account the model provider cannot reach")

    public static let modelProvider = RoleSpec(
        name: "model-provider", executable: "model-provider-node",
        allowedAccountKinds: [.modelProvider], needsVPC: false,
        listens: false,
        summary: "the model provider's own machine; has no link and receives nothing")

    // Customization (issue 5): the customer's own KMS and S3 stand-ins, and Bedrock's fine-tuning workers and
    // dedicated provisioned-throughput hosts in model-deployment accounts. See the README section
    // "Fine-tuning, provisioned throughput, customer KMS and S3".
    public static let kms = RoleSpec(
        name: "kms", executable: "kms-node",
        allowedAccountKinds: [.customer], needsVPC: false,
        links: [.custom { node, topology in
            // Reached by the account's own clients and S3 (SSE-KMS), by every fine-tuning worker (Bedrock acts for
            // every customer) and by the provisioned hosts that serve this account.
            topology.nodes.filter { n in
                ((n.role == "bedrock-client" || n.role == "s3") && n.account.id == node.account.id)
                    || n.role == "finetune-worker" || (n.role == "provisioned-host" && n.references["kms"] == node.name)
            }.map { Link(from: $0.name, to: node.name, purpose: $0.role == "s3" ? "sse-kms" : "kms-api") }
        }],
        summary: "the customer account's AWS KMS stand-in: keys, key policies, grants, envelope encryption")

    public static let s3 = RoleSpec(
        name: "s3", executable: "s3-node",
        allowedAccountKinds: [.customer], needsVPC: false,
        keys: [
            RoleKey("kms", .nodeReference(role: "kms", sameVPC: false), required: false,
                    summary: "the account's kms node used for SSE-KMS"),
            RoleKey("gatewayEndpointId", .awsId(prefix: "vpce"), required: false,
                    summary: "the S3 gateway VPC endpoint id calls from gatewayVpc carry as aws:SourceVpce"),
            RoleKey("gatewayVpc", .text, required: false, summary: "the VPC whose S3 gateway endpoint is gatewayEndpointId"),
        ],
        links: [.viaKey("kms", purpose: "sse-kms"), .custom { node, topology in
            topology.nodes.filter { n in
                (n.role == "bedrock-client" && n.account.id == node.account.id) || n.role == "finetune-worker"
            }.map { Link(from: $0.name, to: node.name, purpose: "s3-api") }
        }],
        summary: "the customer account's Amazon S3 stand-in: buckets, objects, bucket policies, SSE-KMS")

    public static let finetuneWorker = RoleSpec(
        name: "finetune-worker", executable: "finetune-worker",
        allowedAccountKinds: [.modelDeployment], needsVPC: false,
        links: [.fromEvery(role: "runtime-frontend", purpose: "customization-control")],
        summary: "runs model-customization jobs as the customer's service role; owns the custom-model store")

    public static let provisionedHost = RoleSpec(
        name: "provisioned-host", executable: "provisioned-host",
        allowedAccountKinds: [.modelDeployment], needsVPC: false,
        keys: [RoleKey("kms", .nodeReference(role: "kms", sameVPC: false), required: true,
                       summary: "the kms node of the one customer account this dedicated host may serve")],
        links: [.fromEvery(role: "runtime-frontend", purpose: "provisioned-invocation"), .viaKey("kms", purpose: "kms-api")],
        summary: "a dedicated host holding one customer's private model copy (provisioned throughput)")

    public static let all: [RoleSpec] = [bedrockClient, privateLinkEndpoint, runtimeFrontend, escrowHost, modelProvider,
                                         kms, s3, finetuneWorker, provisionedHost]
}

// MARK: - Links

extension Topology {
    /// Every permitted connection, derived from each node's role spec, without duplicates, in node order.
    public func links() -> [Link] {
        var result: [Link] = []
        var seen = Set<Link>()
        func add(_ link: Link) {
            if seen.insert(link).inserted { result.append(link) }
        }
        for node in nodes {
            guard let spec = roleSpec(of: node) else { continue }
            for rule in spec.links {
                switch rule {
                case let .viaKey(key, purpose):
                    if let target = node.references[key] { add(Link(from: node.name, to: target, purpose: purpose)) }
                case let .toEvery(role, purpose):
                    for target in nodes(role: role) where target.name != node.name {
                        add(Link(from: node.name, to: target.name, purpose: purpose))
                    }
                case let .fromEvery(role, purpose):
                    for source in nodes(role: role) where source.name != node.name {
                        add(Link(from: source.name, to: node.name, purpose: purpose))
                    }
                case let .custom(compute):
                    compute(node, self).forEach(add)
                }
            }
        }
        return result
    }

    /// Names of the peers `nodeName` admits: exactly those with a link to it.
    public func admittedPeers(of nodeName: String) -> [String] {
        var seen = Set<String>()
        return links().filter { $0.to == nodeName }.map(\.from).filter { seen.insert($0).inserted }
    }

    /// Links leaving `nodeName`.
    public func links(from nodeName: String) -> [Link] {
        links().filter { $0.from == nodeName }
    }
}
