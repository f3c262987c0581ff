import Testing
@testable import Topology

/// The model ids the ModelStandIns catalog knows (the lead passes that catalog's ids in production).
let knownModelIds: Set<String> = [
    "anthropic.claude-3-haiku-20240307-v1:0",
    "anthropic.claude-3-sonnet-20240229-v1:0",
    "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "amazon.titan-text-express-v1",
    "amazon.titan-text-lite-v1",
    "amazon.titan-embed-text-v2:0",
    "meta.llama3-8b-instruct-v1:0",
    "meta.llama3-70b-instruct-v1:0",
    "mistral.mistral-7b-instruct-v0:2",
]

/// A small valid topology. Tests swap single lines (keeping line numbers) to provoke one error each.
/// Node indexes: 0 client-a, 1 vpce-a, 2 vpce-b, 3 frontend, 4 escrow-1, 5 corp.
let fixture = """
region: us-east-1
accounts:
  - id: "111111111111"
    name: customer-a
    kind: customer
  - id: "222222222222"
    name: customer-b
    kind: customer
  - id: "999999999999"
    name: bedrock-service
    kind: bedrock-service
  - id: "333333333333"
    name: anthropic-deployment
    kind: model-deployment
    provider: anthropic
  - id: "666666666666"
    name: anthropic-provider
    kind: model-provider
    provider: anthropic
vpcs:
  - id: vpc-aaaaaaaa
    account: customer-a
  - id: vpc-bbbbbbbb
    account: customer-b
nodes:
  - name: client-a
    role: bedrock-client
    account: customer-a
    vpc: vpc-aaaaaaaa
    endpoint: vpce-a
  - name: vpce-a
    role: privatelink-endpoint
    account: customer-a
    vpc: vpc-aaaaaaaa
    endpointId: vpce-aaaaaaaa
    frontend: frontend
  - name: vpce-b
    role: privatelink-endpoint
    account: customer-b
    vpc: vpc-bbbbbbbb
    endpointId: vpce-bbbbbbbb
    frontend: frontend
  - name: frontend
    role: runtime-frontend
    account: bedrock-service
  - name: escrow-1
    role: escrow-host
    account: anthropic-deployment
    models:
      - id: anthropic.claude-3-haiku-20240307-v1:0
        latency: { firstTokenMs: 0, tokensPerSecond: 0 }
  - name: corp
    role: model-provider
    account: anthropic-provider

"""

/// The fixture with the exact text of line `line` (1-based) replaced by `text` (which may span lines).
func fixture(line: Int, _ text: String, expecting old: String) throws -> String {
    var lines = fixture.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    try #require(line >= 1 && line <= lines.count)
    try #require(lines[line - 1] == old, "fixture line \(line) is '\(lines[line - 1])'")
    lines[line - 1] = text
    return lines.joined(separator: "\n")
}

/// The fixture with `text` inserted after line `line`.
func fixture(insertingAfter line: Int, _ text: String) throws -> String {
    var lines = fixture.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    try #require(line >= 0 && line <= lines.count)
    lines.insert(text, at: line)
    return lines.joined(separator: "\n")
}

/// The rendered errors (file:line:column: key: message) of validating `yaml`; [] when valid.
func errors(_ yaml: String, file: String = "t.yaml", roles: [RoleSpec] = RoleCatalog.all,
            known: Set<String> = knownModelIds) -> [String] {
    switch Topology.validate(yaml: yaml, file: file, roles: roles, knownModelIds: known) {
    case .success: return []
    case let .failure(failure): return failure.errors.map(\.description)
    }
}

func valid(_ yaml: String, file: String = "t.yaml", roles: [RoleSpec] = RoleCatalog.all,
           known: Set<String> = knownModelIds) throws -> Topology {
    try Topology.validate(yaml: yaml, file: file, roles: roles, knownModelIds: known).get()
}
