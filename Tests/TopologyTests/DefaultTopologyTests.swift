import Foundation
import Testing
@testable import Topology

/// Topologies/default.yaml, found relative to this source file (symlinks resolved, so it also works
/// from a dev package that links this directory).
func defaultTopologyPath() -> String {
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Topologies/default.yaml").path
}

func loadDefault() throws -> Topology {
    try Topology.load(path: defaultTopologyPath(), file: "Topologies/default.yaml", knownModelIds: knownModelIds)
}

@Suite struct DefaultTopologyTests {
    @Test func validatesWithoutWarnings() throws {
        let topology = try loadDefault()
        #expect(topology.name == "default")
        #expect(topology.region == "us-east-1")
        #expect(topology.file == "Topologies/default.yaml")
        #expect(topology.warnings.isEmpty)
        #expect(topology.accounts.map(\.name) == [
            "customer-a", "customer-b", "bedrock-service", "anthropic-deployment", "amazon-deployment",
            "meta-deployment", "anthropic-provider",
        ])
        #expect(topology.account(named: "customer-a")?.id == "111111111111")
        #expect(topology.account(named: "customer-b")?.id == "222222222222")
        #expect(topology.account(named: "bedrock-service")?.kind == .bedrockService)
        #expect(topology.vpcs.map(\.account.name) == ["customer-a", "customer-b"])
        #expect(topology.principals.count == 2)  // customer-a and customer-b (validated by Topology.authorization)
    }

    @Test func nodesAndTheirKeys() throws {
        let topology = try loadDefault()
        #expect(topology.nodes(role: "bedrock-client").map(\.name) == ["client-a", "client-b"])
        #expect(topology.nodes(role: "privatelink-endpoint").map(\.name) == ["vpce-a", "vpce-b"])
        #expect(topology.nodes(role: "escrow-host").map(\.name)
            == ["escrow-anthropic-1", "escrow-anthropic-2", "escrow-amazon-1", "escrow-meta-1"])
        #expect(topology.nodes(role: "model-provider").map(\.name) == ["anthropic-corp"])

        let client = try #require(topology.node(named: "client-a"))
        let endpoint = try #require(topology.node(named: "vpce-a"))
        #expect(client.endpoint == "vpce-a")
        #expect(client.vpc == endpoint.vpc)
        #expect(client.vpc?.id == "vpc-0a1b2c3d4e5f60001")
        #expect(client.host == "127.0.0.1")
        #expect(endpoint.endpointId == "vpce-0a1b2c3d4e5f60001")
        #expect(endpoint.frontend == "runtime-frontend")
        #expect(topology.node(named: "runtime-frontend")?.vpc == nil)

        let haiku = "anthropic.claude-3-haiku-20240307-v1:0"
        #expect(topology.nodes(serving: haiku).map(\.name) == ["escrow-anthropic-1", "escrow-anthropic-2"])
        #expect(topology.node(named: "escrow-amazon-1")?.models == [
            ServedModel(id: "amazon.titan-text-express-v1", latency: Latency(firstTokenMs: 15, tokensPerSecond: 500)),
            ServedModel(id: "amazon.titan-embed-text-v2:0", latency: Latency(firstTokenMs: 10, tokensPerSecond: 0)),
        ])
        #expect(topology.account(of: "anthropic-corp")?.kind == .modelProvider)
        #expect(topology.account(of: "escrow-meta-1")?.provider == "meta")
        #expect(topology.executable(of: try #require(topology.node(named: "anthropic-corp"))) == "model-provider-node")
    }

    @Test func links() throws {
        let topology = try loadDefault()
        #expect(topology.links() == [
            Link(from: "client-a", to: "vpce-a", purpose: "runtime-api"),
            Link(from: "vpce-a", to: "runtime-frontend", purpose: "privatelink"),
            Link(from: "client-b", to: "vpce-b", purpose: "runtime-api"),
            Link(from: "vpce-b", to: "runtime-frontend", purpose: "privatelink"),
            Link(from: "runtime-frontend", to: "escrow-anthropic-1", purpose: "model-invocation"),
            Link(from: "runtime-frontend", to: "escrow-anthropic-2", purpose: "model-invocation"),
            Link(from: "runtime-frontend", to: "escrow-amazon-1", purpose: "model-invocation"),
            Link(from: "runtime-frontend", to: "escrow-meta-1", purpose: "model-invocation"),
        ])
        #expect(topology.admittedPeers(of: "vpce-a") == ["client-a"])
        #expect(topology.admittedPeers(of: "runtime-frontend") == ["vpce-a", "vpce-b"])
        #expect(topology.admittedPeers(of: "escrow-meta-1") == ["runtime-frontend"])
        // The model provider's node has no link either way: every attempt it makes is refused.
        #expect(topology.admittedPeers(of: "anthropic-corp").isEmpty)
        #expect(topology.links(from: "anthropic-corp").isEmpty)
        // A client only initiates.
        #expect(topology.admittedPeers(of: "client-a").isEmpty)
    }
}

@Suite struct RoleCatalogTests {
    @Test func builtInRoles() {
        #expect(RoleCatalog.all.map(\.name)
            == ["bedrock-client", "privatelink-endpoint", "runtime-frontend", "escrow-host", "model-provider",
                "kms", "s3", "finetune-worker", "provisioned-host"])
        #expect(RoleCatalog.all.map(\.executable)
            == ["bedrock-client", "privatelink-endpoint", "runtime-frontend", "escrow-host", "model-provider-node",
                "kms-node", "s3-node", "finetune-worker", "provisioned-host"])
        #expect(RoleCatalog.privateLinkEndpoint.allowedKeys == ["endpointId", "frontend", "policy"])
        #expect(RoleCatalog.privateLinkEndpoint.requiredKeys == ["endpointId", "frontend"])
        #expect(RoleCatalog.bedrockClient.needsVPC && !RoleCatalog.escrowHost.needsVPC)
        #expect(RoleCatalog.modelProvider.allowedAccountKinds == [.modelProvider])
        #expect(!RoleCatalog.modelProvider.listens)
    }

    /// A role added the way later issues will: one RoleSpec, passed in with the catalog.
    static let provisionedHost = RoleSpec(
        name: "reserved-host", executable: "reserved-host",
        allowedAccountKinds: [.modelDeployment], needsVPC: false,
        keys: [
            RoleKey("models", .models, required: true),
            RoleKey("throughputId", .awsId(prefix: "pt"), required: true),
            RoleKey("note", .text, required: false),
        ],
        links: [.fromEvery(role: "runtime-frontend", purpose: "model-invocation")])

    static let extraNode = """
      - name: provisioned-1
        role: reserved-host
        account: anthropic-deployment
        throughputId: pt-0123456789ab
        note: bought for a load test
        models:
          - anthropic.claude-3-sonnet-20240229-v1:0
    """

    @Test func aNewRoleSlotsIn() throws {
        let yaml = try fixture(insertingAfter: 54, Self.extraNode)
        let topology = try valid(yaml, roles: RoleCatalog.all + [Self.provisionedHost])
        let node = try #require(topology.node(named: "provisioned-1"))
        #expect(node.extra == ["throughputId": "pt-0123456789ab", "note": "bought for a load test"])
        #expect(node.models.map(\.id) == ["anthropic.claude-3-sonnet-20240229-v1:0"])
        #expect(topology.executable(of: node) == "reserved-host")
        #expect(topology.admittedPeers(of: "provisioned-1") == ["frontend"])
        #expect(topology.links().contains(Link(from: "frontend", to: "provisioned-1", purpose: "model-invocation")))
    }

    @Test func theNewRolesRulesApply() throws {
        var yaml = try fixture(insertingAfter: 54, Self.extraNode)
        yaml = yaml.replacingOccurrences(of: "throughputId: pt-0123456789ab", with: "throughputId: pt-xyz")
        yaml = yaml.replacingOccurrences(of: "    note: bought", with: "    nots: bought")
        #expect(errors(yaml, roles: RoleCatalog.all + [Self.provisionedHost]) == [
            "t.yaml:58:19: nodes[6].throughputId: throughputId must be pt- followed by 8 to 17 lowercase hex digits, got 'pt-xyz'",
            "t.yaml:59:5: nodes[6].nots: unknown key 'nots' (did you mean 'note'?)",
        ])
    }

    @Test func unknownWithoutTheEntry() throws {
        let yaml = try fixture(insertingAfter: 54, Self.extraNode)
        #expect(errors(yaml) == [
            "t.yaml:56:11: nodes[6].role: unknown role 'reserved-host' "
                + "(known: bedrock-client, privatelink-endpoint, runtime-frontend, escrow-host, model-provider, kms, s3, finetune-worker, provisioned-host)",
            "t.yaml:58:5: nodes[6].throughputId: unknown key 'throughputId' "
                + "(allowed: name, role, account, vpc, host, endpoint, endpointId, frontend, policy, models, kms, gatewayEndpointId, gatewayVpc)",
            "t.yaml:59:5: nodes[6].note: unknown key 'note' "
                + "(allowed: name, role, account, vpc, host, endpoint, endpointId, frontend, policy, models, kms, gatewayEndpointId, gatewayVpc)",
        ])
    }

    @Test func aLinkToTheModelProviderIsRefused() throws {
        // A (misguided) role whose key would connect it to the model provider's node.
        let exporter = RoleSpec(
            name: "exporter", executable: "exporter", allowedAccountKinds: [.modelDeployment], needsVPC: false,
            keys: [RoleKey("target", .nodeReference(role: "model-provider", sameVPC: false), required: true)],
            links: [.viaKey("target", purpose: "export")])
        let yaml = try fixture(insertingAfter: 54, """
          - name: exporter-1
            role: exporter
            account: anthropic-deployment
            target: corp
        """)
        #expect(errors(yaml, roles: RoleCatalog.all + [exporter]) == [
            "t.yaml:55:5: nodes[6]: link exporter-1 -> corp (export) is not allowed: role model-provider receives nothing",
        ])
    }

    @Test func customLinkRule() throws {
        // Every client may also reach every frontend directly (a made-up rule, to exercise `.custom`).
        let direct = RoleSpec(
            name: "runtime-frontend", executable: "runtime-frontend", allowedAccountKinds: [.bedrockService],
            needsVPC: false,
            links: [.custom { node, topology in
                topology.nodes(role: "escrow-host").map { Link(from: node.name, to: $0.name, purpose: "custom") }
            }])
        let roles = RoleCatalog.all.map { $0.name == "runtime-frontend" ? direct : $0 }
        let topology = try valid(fixture, roles: roles)
        #expect(topology.links(from: "frontend") == [Link(from: "frontend", to: "escrow-1", purpose: "custom")])
    }
}
