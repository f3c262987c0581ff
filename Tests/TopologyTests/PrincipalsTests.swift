import Foundation
import IAMPolicy
import Testing
@testable import Topology

// The authorization sections: principals, organization (SCPs), model access and endpoint policies.

private func repoPath(_ relative: String) -> String {
    URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(relative).path
}

/// The fixture plus YAML appended at the end; `files` stand in for policy files (path -> text).
private func authorization(_ extra: String, files: [String: String] = [:]) throws -> Result<AuthorizationModel, TopologyErrors> {
    let topology = try valid(fixture + extra)
    return topology.authorization(baseDirectory: "Topologies") { files[$0].map { Array($0.utf8) } }
}

private func authErrors(_ extra: String, files: [String: String] = [:]) throws -> [String] {
    switch try authorization(extra, files: files) {
    case .success: return []
    case .failure(let e): return e.errors.map(\.description)
    }
}

/// 1-based line of the first line of `extra` containing `marker`, in the fixture + extra text.
private func line(of marker: String, in extra: String) -> Int {
    let base = fixture.split(separator: "\n", omittingEmptySubsequences: false).count - 1
    let index = extra.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(marker) } ?? -1
    return base + index + 1
}

private let allowAll = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}"#

@Suite struct PrincipalsTests {
    @Test func authorizationExampleTopologyValidates() throws {
        let topology = try Topology.load(path: repoPath("Topologies/authorization.yaml"), file: "Topologies/authorization.yaml",
                                         knownModelIds: knownModelIds)
        let model = try topology.authorization(baseDirectory: repoPath("Topologies")) { path in
            FileManager.default.contents(atPath: path).map { Array($0) }
        }.get()
        #expect(model.principals.map(\.arn).prefix(2) == ["arn:aws:iam::111111111111:user/claude-dev", "arn:aws:iam::111111111111:user/guarded-app"])
        let analyst = try #require(model.principal(named: "Analyst/analyst-1"))
        #expect(analyst.kind == .assumedRole && analyst.arn == "arn:aws:sts::111111111111:assumed-role/Analyst/analyst-1")
        #expect(analyst.roleArn == "arn:aws:iam::111111111111:role/Analyst" && analyst.userId.hasSuffix(":analyst-1") && analyst.userId.hasPrefix("AROA"))
        #expect(analyst.sessionPolicy?.name == "amazon-models-only" && analyst.tags == ["team": "analytics"])
        #expect(analyst.accessKeys.first?.sessionToken == "FwoGZXIvYXdzEXAMPLEanalyst1")
        let capped = try #require(model.principal(named: "capped-dev"))
        #expect(capped.permissionsBoundary?.name == "boundary-anthropic-only.json" && capped.userId.hasPrefix("AIDA") && capped.userId.count == 21)
        // SCP levels: root (default FullAWSAccess), the OU, the account.
        let levels = try #require(model.scpLevels["222222222222"])
        #expect(levels.map(\.orgIdentifier) == ["r-a1b2", "ou-a1b2-sandbox1", "222222222222"])
        #expect(levels[0].policies.map(\.name) == ["FullAWSAccess"] && levels[1].policies.count == 2)
        #expect(model.scpLevels["111111111111"] == nil && model.organizationId == "o-a1b2c3d4e5")
        #expect(model.modelAccess["111111111111"] == TopologyModelAccess(agreements: ["*"], useCaseSubmitted: true))
        #expect(model.modelAccess["222222222222"] == TopologyModelAccess(agreements: [], useCaseSubmitted: false))
        #expect(Set(model.endpointPolicies.keys) == ["vpce-0a1b2c3d4e5f60001", "vpce-0b2c3d4e5f6a70002"])
        #expect(model.endpointPolicies["vpce-0b2c3d4e5f6a70002"]?.document.statements.map(\.sid) == ["AllowEveryone", "DenyBlockedB"])
    }

    @Test func defaultTopologyHasAPrincipalAndModelAccessForEveryClientAccount() throws {
        let topology = try loadDefault()
        let model = try topology.authorization(baseDirectory: repoPath("Topologies")) { FileManager.default.contents(atPath: $0).map { Array($0) } }.get()
        for client in topology.nodes(role: "bedrock-client") {
            #expect(!model.principals(inAccount: client.account.id).isEmpty, "\(client.name)")
            #expect(model.modelAccess[client.account.id]?.agreements == ["*"], "\(client.name)")
            #expect(model.modelAccess[client.account.id]?.useCaseSubmitted == true, "\(client.name)")
        }
    }

    @Test func inlineYAMLPoliciesBecomeJSONAndEndpointsDefaultToFullAccess() throws {
        let extra = """
        principals:
          - account: customer-a
            users:
              - name: u1
                accessKeys: [{ id: AKIAAAAAAAAAAAAAAAA1, secret: secretsecretsecret01 }]
                policies:
                  - Version: 2012-10-17
                    Statement:
                      - Effect: Allow
                        Action: [bedrock:InvokeModel]
                        Resource: "*"
                        Condition: { NumericLessThan: { "aws:EpochTime": 9999999999 }, Bool: { "aws:SecureTransport": true } }
                  - file: policies/a.json

        """
        let model = try authorization(extra, files: ["Topologies/policies/a.json": allowAll]).get()
        let user = try #require(model.principals.first)
        #expect(user.policies.count == 2 && user.policies[1].source == "Topologies/policies/a.json" && user.policies[1].name == "a.json")
        #expect(user.policies[0].document.version == .v2012_10_17)
        #expect(user.policies[0].document.statements[0].conditions.count == 2)
        #expect(model.endpointPolicies.isEmpty)
    }

    @Test func principalErrorsNameTheKeyAndLine() throws {
        let extra = """
        principals:
          - account: customer-z
          - account: customer-a
            users:
              - name: u1
                acessKeys: []
              - name: u2
                accessKeys: [{ id: ASIAAAAAAAAAAAAAAAA1, secret: secretsecretsecret01 }]
              - name: u3
                accessKeys: [{ id: AKIAAAAAAAAAAAAAAAA2, secret: short }]
            roles:
              - name: r1
                sessions: []

        """
        let errs = try authErrors(extra)
        #expect(errs.contains { $0.hasPrefix("t.yaml:\(line(of: "customer-z", in: extra)):") && $0.contains("principals[0].account: unknown account 'customer-z'") })
        #expect(errs.contains { $0.contains("principals[1].users[0].acessKeys: unknown key 'acessKeys' (did you mean 'accessKeys'?)") })
        #expect(errs.contains { $0.contains("principals[1].users[0].accessKeys: missing required key 'accessKeys'") })
        #expect(errs.contains { $0.contains("principals[1].users[1].accessKeys[0].id") && $0.contains("AKIA followed by 16") })
        #expect(errs.contains { $0.hasPrefix("t.yaml:\(line(of: "secret: short", in: extra)):") && $0.contains("accessKeys[0].secret") })
        #expect(errs.contains { $0.contains("principals[1].roles[0].trustPolicy: missing required key 'trustPolicy'") })
    }

    @Test func malformedPoliciesAreRefusedWithFileJSONPathAndYAMLLine() throws {
        let extra = """
        principals:
          - account: customer-a
            users:
              - name: u1
                accessKeys: [{ id: AKIAAAAAAAAAAAAAAAA1, secret: secretsecretsecret01 }]
                policies:
                  - file: policies/bad.json
                  - file: policies/gone.json
                  - name: inline
                    document:
                      Version: "2012-10-17"
                      Statement:
                        - Effect: Allow
                          Action: bedrock:InvokeModel
                          Resource: "*"
                          Condition: { StringEqualz: { "aws:SourceVpce": vpce-1 } }

        """
        let files = ["Topologies/policies/bad.json": #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"bedrock:InvokeModel"}}"#]
        let errs = try authErrors(extra, files: files)
        #expect(errs.contains { $0.hasPrefix("t.yaml:\(line(of: "policies/bad.json", in: extra)):") && $0.contains("policies[0].file: invalid policy: Topologies/policies/bad.json:")
            && $0.contains("$.Statement: missing Resource or NotResource") }, "\(errs)")
        #expect(errs.contains { $0.contains("policies[1].file: cannot read policy file 'Topologies/policies/gone.json'") }, "\(errs)")
        #expect(errs.contains { $0.hasPrefix("t.yaml:\(line(of: "StringEqualz", in: extra)):") && $0.contains("policies[2].document: invalid policy: $.Statement[0].Condition") }, "\(errs)")
    }

    @Test func organizationAndEndpointPolicyErrors() throws {
        let extra = """
        organization:
          root: r-ab12
          units:
            - { id: ou-ab12-aaaaaaaa, parent: ou-nope }
          accounts:
            - { account: customer-a, unit: ou-missing }
            - account: customer-b
              policies:
                - { Version: "2012-10-17", Statement: [{ Effect: Deny, Action: "bedrock:*", Resource: "*", Principal: "*" }] }

        """
        let errs = try authErrors(extra)
        #expect(errs.contains { $0.contains("organization.units[0].parent: unknown parent 'ou-nope'") }, "\(errs)")
        #expect(errs.contains { $0.contains("organization.accounts[0].unit: unknown organizational unit 'ou-missing'") }, "\(errs)")
        #expect(errs.contains { $0.contains("organization.accounts[1].policies[0]: invalid policy: $.Statement[0].Principal") }, "\(errs)")
        // Endpoint policies need a Principal.
        let withPolicy = fixture.replacingOccurrences(of: "    endpointId: vpce-aaaaaaaa\n", with: """
            endpointId: vpce-aaaaaaaa
            policy: { Statement: [{ Effect: Allow, Action: "bedrock:*", Resource: "*" }] }

        """)
        let topology = try valid(withPolicy)
        guard case .failure(let e) = topology.authorization(baseDirectory: "", readFile: { _ in nil }) else {
            Issue.record("an endpoint policy without Principal must be refused")
            return
        }
        #expect(e.errors.map(\.description).contains { $0.contains("nodes[1].policy: invalid policy: $.Statement[0]") && $0.contains("Principal") }, "\(e)")
    }

    @Test func jsonPathsLocateYAMLNodes() throws {
        let yaml = "Statement:\n  - Effect: Allow\n    Condition:\n      StringEquals:\n        \"aws:SourceVpce\": vpce-1\n"
        let topology = try valid(fixture + "principals:\n  - " + yaml.replacingOccurrences(of: "\n", with: "\n    "))
        let raw = try #require(topology.principals.first)
        let node = try #require(AuthorizationReader.locate(#"$.Statement[0].Condition.StringEquals["aws:SourceVpce"]"#, in: raw))
        #expect(node.string == "vpce-1")
        #expect(AuthorizationReader.json(raw).contains(#""aws:SourceVpce":"vpce-1""#))
    }
}
