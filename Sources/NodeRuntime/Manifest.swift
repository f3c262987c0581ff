// The run manifest: what `bedrock-sim up` compiles from a topology and hands to every node process. It is the only
// configuration a node reads, so every node of a run agrees on addresses, public keys and who may talk to whom.
import FoundationEssentials

public struct RunManifest: Codable, Sendable {
    public var runId: String
    public var runDirectory: String
    public var region: String
    public var topologyFile: String
    public var createdAt: String
    /// The operator key (held by bedrock-sim) is the only key admitted on node control sockets.
    public var operatorPublicKey: String
    public var accounts: [ManifestAccount]
    public var nodes: [ManifestNode]
    /// Free-form settings (trace level, default deadline ...).
    public var settings: [String: String]

    public init(runId: String, runDirectory: String, region: String, topologyFile: String, createdAt: String,
                operatorPublicKey: String, accounts: [ManifestAccount], nodes: [ManifestNode], settings: [String: String]) {
        self.runId = runId; self.runDirectory = runDirectory; self.region = region; self.topologyFile = topologyFile
        self.createdAt = createdAt; self.operatorPublicKey = operatorPublicKey; self.accounts = accounts
        self.nodes = nodes; self.settings = settings
    }

    public func node(named name: String) -> ManifestNode? { nodes.first { $0.name == name } }
    public func account(id: String) -> ManifestAccount? { accounts.first { $0.id == id } }
    public var collector: ManifestNode? { nodes.first { $0.role == "trace-collector" } }

    public static func load(path: String) throws -> RunManifest {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(RunManifest.self, from: data)
    }

    public func write(path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

public struct ManifestAccount: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var kind: String
    public var provider: String?
    public init(id: String, name: String, kind: String, provider: String?) {
        self.id = id; self.name = name; self.kind = kind; self.provider = provider
    }
}

public struct ManifestModel: Codable, Sendable, Hashable {
    public var id: String
    public var firstTokenMs: Double
    public var tokensPerSecond: Double
    public init(id: String, firstTokenMs: Double, tokensPerSecond: Double) {
        self.id = id; self.firstTokenMs = firstTokenMs; self.tokensPerSecond = tokensPerSecond
    }
}

public struct ManifestNode: Codable, Sendable {
    public var name: String
    public var role: String
    public var executable: String
    public var accountId: String
    public var vpc: String?
    public var host: String
    /// Port of the service socket (a CURVE ROUTER), when the role accepts connections.
    public var servicePort: Int?
    /// Port of the control socket (health checks, injection), admitting only the operator key.
    public var controlPort: Int
    public var curvePublicKey: String
    public var curveSecretKeyFile: String
    /// Nodes whose keys the service socket admits (the links of the topology that end here).
    public var admits: [String]
    /// Nodes this node connects to.
    public var connects: [String]
    public var models: [ManifestModel]
    /// Role-specific settings: endpointId, e2e key files, frontend name ...
    public var settings: [String: String]

    public init(name: String, role: String, executable: String, accountId: String, vpc: String?, host: String,
                servicePort: Int?, controlPort: Int, curvePublicKey: String, curveSecretKeyFile: String,
                admits: [String], connects: [String], models: [ManifestModel], settings: [String: String]) {
        self.name = name; self.role = role; self.executable = executable; self.accountId = accountId; self.vpc = vpc
        self.host = host; self.servicePort = servicePort; self.controlPort = controlPort
        self.curvePublicKey = curvePublicKey; self.curveSecretKeyFile = curveSecretKeyFile; self.admits = admits
        self.connects = connects; self.models = models; self.settings = settings
    }

    public var serviceEndpoint: String? { servicePort.map { "tcp://\(host):\($0)" } }
    public var controlEndpoint: String { "tcp://\(host):\(controlPort)" }
}
