// `up`: validates the topology's principals, organization, model access and endpoint policies (Topology library,
// every policy parsed with IAMPolicy) and compiles them into the run directory for the nodes:
//   RUN_DIR/iam.json               principals, policies, SCP levels, endpoint policies (no secrets)
//   RUN_DIR/keys/credentials.json  access keys and secrets, mode 0600 (front end verifies, clients sign)
//   RUN_DIR/model-access.json      model access per account and region, seeded from `modelAccess:`
import Foundation
import RoleKit
import Topology

enum AuthorizationCompiler {
    /// The directory relative policy `file:` paths start from: the topology file's own directory.
    static func baseDirectory(of topologyPath: String) -> String {
        guard let slash = topologyPath.lastIndex(of: "/") else { return "" }
        return String(topologyPath[..<slash])
    }

    /// Validates the authorization sections; refuses the topology with every problem (file, line, JSON path).
    static func model(_ topology: Topology) throws -> AuthorizationModel {
        let result = topology.authorization(baseDirectory: baseDirectory(of: topology.file)) { path in
            FileManager.default.contents(atPath: path).map { Array($0) }
        }
        switch result {
        case .success(let model): return model
        case .failure(let errors):
            throw CLIError("topology refused; nothing was started:\n" + errors.errors.map { "  " + $0.description }.joined(separator: "\n"), exitCode: 65)
        }
    }

    /// Warnings for clients whose account has no principal (their calls would be unsigned and refused).
    static func warnings(_ topology: Topology, _ model: AuthorizationModel) -> [String] {
        topology.nodes(role: "bedrock-client").compactMap { n in
            model.principals(inAccount: n.account.id).isEmpty
                ? "\(topology.file): \(n.name): account \(n.account.name) has no principals; its requests cannot be signed and will be refused" : nil
        }
    }

    static func policy(_ p: TopologyPolicy) -> IAMConfig.Policy { IAMConfig.Policy(name: p.name, source: p.source, json: p.json) }

    static func write(_ topology: Topology, runDirectory run: RunDirectory) throws {
        let model = try model(topology)
        var endpoints: [String: IAMConfig.Policy] = [:]
        for n in topology.nodes(role: "privatelink-endpoint") {
            guard let id = n.endpointId else { continue }
            endpoints[id] = model.endpointPolicies[id].map(policy) ?? IAMDirectory.defaultEndpointPolicy
        }
        let principals = model.principals.map { p in
            IAMConfig.Principal(type: p.kind.rawValue, name: p.name, accountId: p.account.id, arn: p.arn, userId: p.userId,
                                roleName: p.roleName, roleArn: p.roleArn, roleId: p.roleId, accessKeyIds: p.accessKeys.map(\.id),
                                policies: p.policies.map(policy), permissionsBoundary: p.permissionsBoundary.map(policy),
                                sessionPolicy: p.sessionPolicy.map(policy), tags: p.tags)
        }
        let scps = model.scpLevels.mapValues { levels in
            levels.map { IAMConfig.SCPLevel(orgIdentifier: $0.orgIdentifier, policies: $0.policies.map(policy)) }
        }
        let roles = model.roles.map { r in
            IAMConfig.Role(name: r.name, accountId: r.account.id, arn: r.arn, roleId: r.roleId, trustPolicy: policy(r.trustPolicy),
                           policies: r.policies.map(policy), permissionsBoundary: r.permissionsBoundary.map(policy), tags: r.tags)
        }
        try IAMConfig(region: topology.region, organizationId: model.organizationId, principals: principals, scpLevels: scps,
                      endpointPolicies: endpoints, roles: roles).write(runDirectory: run.path)
        var keys: [String: CredentialStore.Credential] = [:]
        for p in model.principals {
            for k in p.accessKeys {
                keys[k.id] = CredentialStore.Credential(principalArn: p.arn, secretAccessKey: k.secret, sessionToken: k.sessionToken, expired: k.expired)
            }
        }
        try CredentialStore(keys: keys).write(runDirectory: run.path)
        var access = ModelAccessState()
        let now = SimClockText.now()
        for (account, seed) in model.modelAccess {
            for m in seed.agreements { access.grant(account: account, region: topology.region, modelId: m, at: now) }
            if seed.useCaseSubmitted { access.submitUseCase(account: account, region: topology.region, formData: nil, at: now) }
            if seed.agreements.isEmpty && !seed.useCaseSubmitted {
                access.accounts[account, default: [:]][topology.region] = ModelAccessState.Entry()
            }
        }
        try access.write(path: ModelAccessState.path(runDirectory: run.path))
    }
}

enum SimClockText {
    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
