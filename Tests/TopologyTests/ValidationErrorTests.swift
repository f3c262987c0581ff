import Testing
@testable import Topology

// Each test changes one thing in the valid fixture (see Fixtures.swift for its line numbers) and
// asserts the exact rendered errors: file:line:column: key: message.

@Suite struct FixtureTests {
    @Test func fixtureIsValid() throws {
        let topology = try valid(fixture)
        #expect(topology.nodes.map(\.name) == ["client-a", "vpce-a", "vpce-b", "frontend", "escrow-1", "corp"])
        #expect(topology.warnings.isEmpty)
        #expect(topology.name == "t")
    }
}

@Suite struct SyntaxErrorTests {
    @Test func unclosedFlowSequence() throws {
        let yaml = try fixture(line: 30, "    endpoint: [vpce-a", expecting: "    endpoint: vpce-a")
        #expect(errors(yaml) == [
            "t.yaml:31:9: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 30)",
        ])
    }

    @Test func duplicateMappingKey() throws {
        let yaml = try fixture(insertingAfter: 28, "    account: customer-b")
        #expect(errors(yaml) == ["t.yaml:28:5: YAML syntax error: duplicate key 'account' in a mapping"])
    }

    @Test func emptyFile() {
        #expect(errors("") == ["t.yaml:1:1: the file is empty; a topology needs region, accounts and nodes"])
        #expect(errors("# only a comment\n") == ["t.yaml:1:1: the file is empty; a topology needs region, accounts and nodes"])
    }

    @Test func rootIsNotAMapping() {
        #expect(errors("- region: us-east-1\n") == ["t.yaml:1:1: expected a mapping, found a list"])
    }
}

@Suite struct UnknownKeyTests {
    @Test func topLevel() throws {
        let yaml = try fixture(insertingAfter: 1, "regoin: us-west-2")
        #expect(errors(yaml) == ["t.yaml:2:1: regoin: unknown key 'regoin' (did you mean 'region'?)"])
    }

    @Test func inDefaults() throws {
        let yaml = try fixture(insertingAfter: 1, "defaults:\n  hots: 127.0.0.1")
        #expect(errors(yaml) == ["t.yaml:3:3: defaults.hots: unknown key 'hots' (did you mean 'host'?)"])
    }

    @Test func inAccount() throws {
        let yaml = try fixture(insertingAfter: 5, "    color: blue")
        #expect(errors(yaml) == ["t.yaml:6:5: accounts[0].color: unknown key 'color' (allowed: id, name, kind, provider, guardrails)"])
    }

    @Test func inVPC() throws {
        let yaml = try fixture(insertingAfter: 22, "    cidrr: 10.0.0.0/16")
        #expect(errors(yaml) == ["t.yaml:23:5: vpcs[0].cidrr: unknown key 'cidrr' (did you mean 'cidr'?)"])
    }

    @Test func inNodeAlsoReportsTheMissingKey() throws {
        let yaml = try fixture(line: 28, "    acount: customer-a", expecting: "    account: customer-a")
        #expect(errors(yaml) == [
            "t.yaml:26:5: nodes[0].account: missing required key 'account'",
            "t.yaml:28:5: nodes[0].acount: unknown key 'acount' (did you mean 'account'?)",
        ])
    }

    @Test func keyOfAnotherRole() throws {
        let yaml = try fixture(insertingAfter: 45, "    endpoint: vpce-a")
        #expect(errors(yaml) == [
            "t.yaml:46:5: nodes[3].endpoint: key 'endpoint' is not allowed for role runtime-frontend "
                + "(allowed: name, role, account, vpc, host)",
        ])
    }

    @Test func inModel() throws {
        let yaml = try fixture(insertingAfter: 51, "        replicas: 2")
        #expect(errors(yaml) == ["t.yaml:52:9: nodes[4].models[0].replicas: unknown key 'replicas' (allowed: id, latency)"])
    }

    @Test func inLatency() throws {
        let yaml = try fixture(line: 51, "        latency: { firstTokenMs: 0, tokensPerSecond: 0, jitterMs: 5 }",
                               expecting: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }")
        #expect(errors(yaml) == [
            "t.yaml:51:57: nodes[4].models[0].latency.jitterMs: unknown key 'jitterMs' (allowed: firstTokenMs, tokensPerSecond)",
        ])
    }
}

@Suite struct ValueTypeTests {
    @Test func listsStringsAndMappings() {
        let yaml = """
        region: us-east-1
        accounts: customer-a
        nodes:
          - name: [a, b]
            role: runtime-frontend
            account: customer-a
        """
        #expect(errors(yaml) == [
            "t.yaml:2:11: accounts: expected a list, found a string 'customer-a'",
            "t.yaml:4:11: nodes[0].name: expected a string, found a list",
            "t.yaml:6:14: nodes[0].account: unknown account 'customer-a' (no accounts are declared)",
        ])
    }

    @Test func latencyMustBeAMapping() throws {
        let yaml = try fixture(line: 51, "        latency: fast", expecting: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }")
        #expect(errors(yaml) == ["t.yaml:51:18: nodes[4].models[0].latency: expected a mapping, found a string 'fast'"])
    }

    @Test func latencyFieldsAreNumbers() throws {
        let yaml = try fixture(line: 51, "        latency: { firstTokenMs: fast, tokensPerSecond: .inf }",
                               expecting: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }")
        #expect(errors(yaml) == [
            "t.yaml:51:34: nodes[4].models[0].latency.firstTokenMs: expected a number, found a string 'fast'",
            "t.yaml:51:57: nodes[4].models[0].latency.tokensPerSecond: expected a finite number, found a number '.inf'",
        ])
    }

    @Test func nullValue() throws {
        let yaml = try fixture(line: 45, "    account:", expecting: "    account: bedrock-service")
        // libyaml places an empty value right after the colon.
        #expect(errors(yaml) == ["t.yaml:45:13: nodes[3].account: expected a string, found null"])
    }

    @Test func principalsMustBeMappings() throws {
        let yaml = fixture + "principals:\n  - just-a-name\norganization: [x]\n"
        #expect(errors(yaml) == [
            "t.yaml:56:5: principals[0]: expected a mapping, found a string 'just-a-name'",
            "t.yaml:57:15: organization: expected a mapping, found a list",
        ])
    }
}

@Suite struct MissingKeyTests {
    @Test func topLevel() {
        #expect(errors("name: x\n") == [
            "t.yaml:1:1: region: missing required key 'region'",
            "t.yaml:1:1: accounts: missing required key 'accounts'",
            "t.yaml:1:1: nodes: missing required key 'nodes'",
        ])
    }

    @Test func accountId() throws {
        let yaml = try fixture(line: 3, "  -", expecting: "  - id: \"111111111111\"")
        #expect(errors(yaml) == ["t.yaml:4:5: accounts[0].id: missing required key 'id'"])
    }

    @Test func providerOfADeploymentAccount() throws {
        let yaml = try fixture(line: 15, "    # no provider", expecting: "    provider: anthropic")
        #expect(errors(yaml) == [
            "t.yaml:12:5: accounts[3].provider: missing required key 'provider' (an account of kind model-deployment names its model provider)",
        ])
    }

    @Test func nodeRole() throws {
        let yaml = try fixture(line: 27, "    # no role", expecting: "    role: bedrock-client")
        #expect(errors(yaml) == ["t.yaml:26:5: nodes[0].role: missing required key 'role'"])
    }

    @Test func vpcOfAVPCRole() throws {
        let yaml = try fixture(line: 29, "    # no vpc", expecting: "    vpc: vpc-aaaaaaaa")
        #expect(errors(yaml) == ["t.yaml:26:5: nodes[0].vpc: missing required key 'vpc' (role bedrock-client runs in a customer VPC)"])
    }

    @Test func roleSpecificKey() throws {
        let yaml = try fixture(line: 30, "    # no endpoint", expecting: "    endpoint: vpce-a")
        #expect(errors(yaml) == [
            "t.yaml:26:5: nodes[0].endpoint: missing required key 'endpoint' "
                + "(role bedrock-client: the privatelink-endpoint node in the same VPC that requests go through)",
        ])
    }

    @Test func modelId() throws {
        let yaml = try fixture(line: 50, "      - name: haiku", expecting: "      - id: anthropic.claude-3-haiku-20240307-v1:0")
        #expect(errors(yaml) == [
            "t.yaml:50:9: nodes[4].models[0].name: unknown key 'name' (allowed: id, latency)",
            "t.yaml:50:9: nodes[4].models[0].id: missing required key 'id'",
        ])
    }

    @Test func escrowHostWithoutModels() throws {
        let yaml = try fixture(line: 49, "    models: []", expecting: "    models:")
            .replacingOccurrences(of: "      - id: anthropic.claude-3-haiku-20240307-v1:0\n", with: "\n")
            .replacingOccurrences(of: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }\n", with: "\n")
        #expect(errors(yaml) == ["t.yaml:49:13: nodes[4].models: expected at least one model"])
    }
}

@Suite struct DuplicateTests {
    @Test func accountId() throws {
        let yaml = try fixture(line: 6, "  - id: \"111111111111\"", expecting: "  - id: \"222222222222\"")
        #expect(errors(yaml) == ["t.yaml:6:9: accounts[1].id: duplicate account id '111111111111' (first defined at line 3)"])
    }

    @Test func accountNameAndTheReferencesItBreaks() throws {
        let yaml = try fixture(line: 7, "    name: customer-a", expecting: "    name: customer-b")
        let known = "known: customer-a, bedrock-service, anthropic-deployment, anthropic-provider"
        #expect(errors(yaml) == [
            "t.yaml:7:11: accounts[1].name: duplicate account name 'customer-a' (first defined at line 3)",
            "t.yaml:24:14: vpcs[1].account: unknown account 'customer-b' (\(known))",
            "t.yaml:39:14: nodes[2].account: unknown account 'customer-b' (\(known))",
        ])
    }

    @Test func vpcId() throws {
        let yaml = try fixture(line: 23, "  - id: vpc-aaaaaaaa", expecting: "  - id: vpc-bbbbbbbb")
        #expect(errors(yaml) == [
            "t.yaml:23:9: vpcs[1].id: duplicate vpc id 'vpc-aaaaaaaa' (first defined at line 21)",
            "t.yaml:40:10: nodes[2].vpc: unknown vpc 'vpc-bbbbbbbb' (known: vpc-aaaaaaaa)",
        ])
    }

    @Test func nodeName() throws {
        let yaml = try fixture(line: 37, "  - name: vpce-a", expecting: "  - name: vpce-b")
        #expect(errors(yaml) == ["t.yaml:37:11: nodes[2].name: duplicate node name 'vpce-a' (first defined at line 31)"])
    }

    @Test func endpointId() throws {
        let yaml = try fixture(line: 41, "    endpointId: vpce-aaaaaaaa", expecting: "    endpointId: vpce-bbbbbbbb")
        #expect(errors(yaml) == ["t.yaml:41:17: nodes[2].endpointId: duplicate endpointId 'vpce-aaaaaaaa' (first defined at line 35)"])
    }

    @Test func modelOnOneHost() throws {
        let yaml = try fixture(insertingAfter: 51, "      - id: anthropic.claude-3-haiku-20240307-v1:0")
        #expect(errors(yaml) == [
            "t.yaml:52:13: nodes[4].models[1].id: duplicate model 'anthropic.claude-3-haiku-20240307-v1:0' on this node (first listed at line 50)",
        ])
    }
}

@Suite struct ReferenceTests {
    @Test func unknownAccount() throws {
        let yaml = try fixture(line: 28, "    account: customer-c", expecting: "    account: customer-a")
        #expect(errors(yaml) == [
            "t.yaml:28:14: nodes[0].account: unknown account 'customer-c' "
                + "(known: customer-a, customer-b, bedrock-service, anthropic-deployment, anthropic-provider)",
        ])
    }

    @Test func accountByIdIsAccepted() throws {
        let yaml = try fixture(line: 28, "    account: \"111111111111\"", expecting: "    account: customer-a")
        let topology = try valid(yaml)
        #expect(topology.node(named: "client-a")?.account.name == "customer-a")
    }

    @Test func unknownVPC() throws {
        let yaml = try fixture(line: 29, "    vpc: vpc-cccccccc", expecting: "    vpc: vpc-aaaaaaaa")
        #expect(errors(yaml) == ["t.yaml:29:10: nodes[0].vpc: unknown vpc 'vpc-cccccccc' (known: vpc-aaaaaaaa, vpc-bbbbbbbb)"])
    }

    @Test func unknownEndpoint() throws {
        let yaml = try fixture(line: 30, "    endpoint: vpce-c", expecting: "    endpoint: vpce-a")
        #expect(errors(yaml) == ["t.yaml:30:15: nodes[0].endpoint: unknown node 'vpce-c' (known privatelink-endpoint nodes: vpce-a, vpce-b)"])
    }

    @Test func unknownFrontend() throws {
        let yaml = try fixture(line: 36, "    frontend: front-end", expecting: "    frontend: frontend")
        #expect(errors(yaml) == ["t.yaml:36:15: nodes[1].frontend: unknown node 'front-end' (known runtime-frontend nodes: frontend)"])
    }

    @Test func referenceToANodeOfTheWrongRole() throws {
        let yaml = try fixture(line: 30, "    endpoint: frontend", expecting: "    endpoint: vpce-a")
        #expect(errors(yaml) == [
            "t.yaml:30:15: nodes[0].endpoint: node 'frontend' is a runtime-frontend, but endpoint must name a privatelink-endpoint node",
        ])
    }

    @Test func endpointInAnotherVPC() throws {
        let yaml = try fixture(line: 30, "    endpoint: vpce-b", expecting: "    endpoint: vpce-a")
        #expect(errors(yaml) == [
            "t.yaml:30:15: nodes[0].endpoint: endpoint 'vpce-b' is in vpc-bbbbbbbb, but this node is in vpc-aaaaaaaa; both must be in the same VPC",
        ])
    }

    @Test func nodeVPCOfAnotherAccount() throws {
        let yaml = try fixture(line: 40, "    vpc: vpc-aaaaaaaa", expecting: "    vpc: vpc-bbbbbbbb")
        #expect(errors(yaml) == [
            "t.yaml:40:10: nodes[2].vpc: vpc 'vpc-aaaaaaaa' belongs to account 'customer-a', not to this node's account 'customer-b'",
        ])
    }
}

@Suite struct AccountKindTests {
    @Test func roleInAccountOfWrongKind() throws {
        let yaml = try fixture(line: 48, "    account: customer-a", expecting: "    account: anthropic-deployment")
        #expect(errors(yaml) == [
            "t.yaml:48:14: nodes[4].account: role escrow-host cannot run in account 'customer-a' of kind customer (allowed kinds: model-deployment)",
        ])
    }

    @Test func modelProviderNodeOnlyInModelProviderAccount() throws {
        let yaml = try fixture(line: 54, "    account: anthropic-deployment", expecting: "    account: anthropic-provider")
        #expect(errors(yaml) == [
            "t.yaml:54:14: nodes[5].account: role model-provider cannot run in account 'anthropic-deployment' of kind model-deployment (allowed kinds: model-provider)",
        ])
    }

    @Test func vpcInNonCustomerAccount() throws {
        let yaml = try fixture(line: 24, "    account: bedrock-service", expecting: "    account: customer-b")
        #expect(errors(yaml) == [
            "t.yaml:24:14: vpcs[1].account: account 'bedrock-service' is of kind bedrock-service; VPCs belong to customer accounts",
            "t.yaml:40:10: nodes[2].vpc: vpc 'vpc-bbbbbbbb' belongs to account 'bedrock-service', not to this node's account 'customer-b'",
        ])
    }

    @Test func vpcOnARoleOutsideVPCs() throws {
        let yaml = try fixture(insertingAfter: 45, "    vpc: vpc-aaaaaaaa")
        #expect(errors(yaml) == ["t.yaml:46:5: nodes[3].vpc: role runtime-frontend does not run in a customer VPC; remove 'vpc'"])
    }

    @Test func unknownKind() throws {
        let yaml = try fixture(line: 5, "    kind: customers", expecting: "    kind: customer")
        #expect(errors(yaml) == ["t.yaml:5:11: accounts[0].kind: unknown account kind 'customers' (did you mean 'customer'?)"])
    }

    @Test func unknownRole() throws {
        let yaml = try fixture(line: 44, "    role: runtime-frontent", expecting: "    role: runtime-frontend")
        #expect(errors(yaml) == ["t.yaml:44:11: nodes[3].role: unknown role 'runtime-frontent' (did you mean 'runtime-frontend'?)"])
    }

    @Test func providerOnACustomerAccount() throws {
        let yaml = try fixture(insertingAfter: 5, "    provider: anthropic")
        #expect(errors(yaml) == [
            "t.yaml:6:15: accounts[0].provider: provider is only allowed for model-deployment and model-provider accounts (this account is of kind customer)",
        ])
    }

    @Test func unknownProvider() throws {
        let yaml = try fixture(line: 15, "    provider: antropic", expecting: "    provider: anthropic")
        #expect(errors(yaml) == ["t.yaml:15:15: accounts[3].provider: unknown provider 'antropic' (did you mean 'anthropic'?)"])
    }
}

@Suite struct ModelTests {
    @Test func unknownModelWithSuggestion() throws {
        let yaml = try fixture(line: 50, "      - id: anthropic.claude-3-haiku-20240307-v2:0",
                               expecting: "      - id: anthropic.claude-3-haiku-20240307-v1:0")
        #expect(errors(yaml) == [
            "t.yaml:50:13: nodes[4].models[0].id: unknown model 'anthropic.claude-3-haiku-20240307-v2:0' "
                + "(did you mean 'anthropic.claude-3-haiku-20240307-v1:0'?)",
        ])
    }

    @Test func unknownModelListsTheProvidersModels() throws {
        let yaml = try fixture(line: 50, "      - id: anthropic.claude-9", expecting: "      - id: anthropic.claude-3-haiku-20240307-v1:0")
        #expect(errors(yaml) == [
            "t.yaml:50:13: nodes[4].models[0].id: unknown model 'anthropic.claude-9' (known anthropic models: "
                + "anthropic.claude-3-5-sonnet-20240620-v1:0, anthropic.claude-3-haiku-20240307-v1:0, anthropic.claude-3-sonnet-20240229-v1:0)",
        ])
    }

    @Test func knownIdsAreInjected() throws {
        // The same file is invalid when the injected catalog does not know the model.
        #expect(errors(fixture, known: ["amazon.titan-text-express-v1"]) == [
            "t.yaml:50:13: nodes[4].models[0].id: unknown model 'anthropic.claude-3-haiku-20240307-v1:0' "
                + "(no known models from provider 'anthropic')",
        ])
    }

    @Test func modelOfAnotherProvider() throws {
        let yaml = try fixture(line: 50, "      - id: amazon.titan-text-express-v1", expecting: "      - id: anthropic.claude-3-haiku-20240307-v1:0")
        #expect(errors(yaml) == [
            "t.yaml:50:13: nodes[4].models[0].id: model 'amazon.titan-text-express-v1' is from provider amazon, "
                + "but account 'anthropic-deployment' deploys provider anthropic",
        ])
    }

    @Test func negativeLatency() throws {
        let yaml = try fixture(line: 51, "        latency: { firstTokenMs: -5, tokensPerSecond: 0 }",
                               expecting: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }")
        #expect(errors(yaml) == ["t.yaml:51:34: nodes[4].models[0].latency.firstTokenMs: firstTokenMs must not be negative, got -5"])
    }

    @Test func latencyDefaultsAndShorthand() throws {
        let yaml = try fixture(line: 51, "      - anthropic.claude-3-sonnet-20240229-v1:0",
                               expecting: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }")
        let models = try #require(try valid(yaml).node(named: "escrow-1")).models
        #expect(models == [
            ServedModel(id: "anthropic.claude-3-haiku-20240307-v1:0", latency: .zero),
            ServedModel(id: "anthropic.claude-3-sonnet-20240229-v1:0", latency: .zero),
        ])
        #expect(models.map(\.provider) == ["anthropic", "anthropic"])
    }

    @Test func providerWithoutKnownModelsIsAWarning() throws {
        let yaml = try fixture(insertingAfter: 19, """
          - id: "777777777777"
            name: cohere-deployment
            kind: model-deployment
            provider: cohere
        """)
        let topology = try valid(yaml)
        #expect(topology.warnings.map(\.description) == [
            "t.yaml:23:15: warning: accounts[5].provider: no known models from provider 'cohere'; hosts in this account can serve nothing",
        ])
    }
}

@Suite struct FormatTests {
    @Test func accountIdNotDigits() throws {
        let yaml = try fixture(line: 3, "  - id: \"11111111111a\"", expecting: "  - id: \"111111111111\"")
        #expect(errors(yaml) == ["t.yaml:3:9: accounts[0].id: account id must be 12 digits, got '11111111111a'"])
    }

    @Test func unquotedAccountIdWithLeadingZero() throws {
        let yaml = try fixture(line: 3, "  - id: 011111111111", expecting: "  - id: \"111111111111\"")
        #expect(errors(yaml) == [
            "t.yaml:3:9: accounts[0].id: account id 011111111111 starts with 0 and is unquoted, so YAML reads it as a number "
                + "and drops the leading zero; quote it: \"011111111111\"",
        ])
    }

    @Test func accountIdNumberThatLostItsZeros() throws {
        let yaml = try fixture(line: 3, "  - id: 11111111111", expecting: "  - id: \"111111111111\"")
        #expect(errors(yaml) == [
            "t.yaml:3:9: accounts[0].id: account id must be 12 digits, got the number 11111111111 (11 digits); "
                + "an unquoted id loses its leading zeros, so quote it: \"011111111111\"",
        ])
    }

    @Test func unquotedTwelveDigitAccountIdIsAccepted() throws {
        let yaml = try fixture(line: 3, "  - id: 111111111111", expecting: "  - id: \"111111111111\"")
        #expect(try valid(yaml).account(named: "customer-a")?.id == "111111111111")
    }

    @Test func quotedAccountIdWithLeadingZeroIsAccepted() throws {
        let yaml = try fixture(line: 3, "  - id: \"011111111111\"", expecting: "  - id: \"111111111111\"")
        #expect(try valid(yaml).account(named: "011111111111")?.name == "customer-a")
    }

    @Test func vpcId() throws {
        let yaml = try fixture(insertingAfter: 24, "  - id: vpc-12345\n    account: customer-a")
        #expect(errors(yaml) == ["t.yaml:25:9: vpcs[2].id: vpc id must be vpc- followed by 8 to 17 lowercase hex digits, got 'vpc-12345'"])
    }

    @Test func endpointId() throws {
        let yaml = try fixture(line: 35, "    endpointId: vpc-aaaaaaaa", expecting: "    endpointId: vpce-aaaaaaaa")
        #expect(errors(yaml) == [
            "t.yaml:35:17: nodes[1].endpointId: endpointId must be vpce- followed by 8 to 17 lowercase hex digits, got 'vpc-aaaaaaaa'",
        ])
    }

    @Test func region() throws {
        let yaml = try fixture(line: 1, "region: us-east", expecting: "region: us-east-1")
        #expect(errors(yaml) == ["t.yaml:1:9: region: region must be an AWS region name like us-east-1, got 'us-east'"])
    }

    @Test func nodeName() throws {
        let yaml = try fixture(line: 52, "  - name: Corp", expecting: "  - name: corp")
        #expect(errors(yaml) == ["t.yaml:52:11: nodes[5].name: node name must match [a-z0-9-]+, got 'Corp'"])
    }

    @Test func cidr() throws {
        let yaml = try fixture(insertingAfter: 22, "    cidr: 10.0.0.0/8")
        #expect(errors(yaml) == [
            "t.yaml:23:11: vpcs[0].cidr: cidr must be an IPv4 network block a.b.c.d/n with n from 16 to 28 (the AWS VPC limits), got '10.0.0.0/8'",
        ])
    }

    @Test func host() throws {
        let yaml = try fixture(insertingAfter: 45, "    host: 300.1.1.1")
        #expect(errors(yaml) == [
            "t.yaml:46:11: nodes[3].host: host must be an IPv4 address, an IPv6 address or a DNS name, got '300.1.1.1'",
        ])
    }

    @Test func formatHelpers() {
        #expect(Formats.isRegion("us-east-1") && Formats.isRegion("ap-southeast-2") && Formats.isRegion("us-gov-west-1"))
        #expect(!Formats.isRegion("us-east") && !Formats.isRegion("US-EAST-1") && !Formats.isRegion("us-east-x"))
        #expect(Formats.isHost("10.0.0.5") && Formats.isHost("::1") && Formats.isHost("escrow-1.sim.local"))
        #expect(!Formats.isHost("") && !Formats.isHost("-bad.example") && !Formats.isHost("a b"))
        #expect(Formats.isVPCCidr("10.0.0.0/16") && Formats.isVPCCidr("192.168.1.0/24"))
        #expect(!Formats.isVPCCidr("10.0.0.1/16") && !Formats.isVPCCidr("10.0.0.0/29") && !Formats.isVPCCidr("10.0.0/16"))
        #expect(Formats.isAWSId("vpce-0a1b2c3d4e5f60001", prefix: "vpce") && !Formats.isAWSId("vpce-0a1b2c3", prefix: "vpce"))
        #expect(!Formats.isAWSId("vpce-0123456789abcdef01", prefix: "vpce"))  // 18 hex digits: too long
    }
}

@Suite struct ReportingTests {
    @Test func allErrorsAreReportedSortedByLine() throws {
        // The endpoint error is found after all nodes are read, yet it is listed first.
        var yaml = try fixture(line: 52, "  - name: Corp", expecting: "  - name: corp")
        yaml = yaml.replacingOccurrences(of: "    endpoint: vpce-a", with: "    endpoint: vpce-c")
        yaml = yaml.replacingOccurrences(of: "region: us-east-1", with: "region: mars")
        let result = Topology.validate(yaml: yaml, file: "Topologies/x.yaml", knownModelIds: knownModelIds)
        guard case let .failure(failure) = result else {
            Issue.record("expected errors")
            return
        }
        #expect(failure.errors.map(\.line) == [1, 30, 52])
        #expect(failure.errors.map(\.key) == ["region", "nodes[0].endpoint", "nodes[5].name"])
        #expect(failure.errors.allSatisfy { $0.file == "Topologies/x.yaml" && $0.severity == .error })
        #expect(failure.description == failure.errors.map(\.description).joined(separator: "\n"))
    }

    @Test func rendering() {
        let error = TopologyError(file: "Topologies/x.yaml", line: 12, column: 5, key: "nodes[3].account",
                                  message: "unknown account 'customer-c' (known: customer-a, customer-b)")
        #expect(error.description
            == "Topologies/x.yaml:12:5: nodes[3].account: unknown account 'customer-c' (known: customer-a, customer-b)")
        let unplaced = TopologyError(file: "x.yaml", line: 0, column: 0, key: "", message: "cannot read the topology file")
        #expect(unplaced.description == "x.yaml: cannot read the topology file")
    }

    @Test func throwingForms() throws {
        #expect(throws: TopologyErrors.self) {
            try Topology.parse(yaml: "region: x\n", file: "t.yaml", knownModelIds: knownModelIds)
        }
        do {
            _ = try Topology.load(path: "/nonexistent/topology.yaml", knownModelIds: knownModelIds)
            Issue.record("expected an error")
        } catch {
            #expect(error.errors.map(\.description) == ["/nonexistent/topology.yaml: cannot read the topology file"])
        }
    }

    @Test func regionDependentModelCatalog() throws {
        var asked: [String] = []
        let result = Topology.validate(yaml: fixture, file: "t.yaml") { region in
            asked.append(region)
            return region == "us-east-1" ? knownModelIds : []
        }
        #expect(asked == ["us-east-1"])
        #expect((try? result.get()) != nil)
    }

    @Test func reservedSectionsKeepTheirText() throws {
        let yaml = fixture + "principals:\n  - user: alice\n    policies: [p1]\norganization:\n  scp: deny-all\n"
        let topology = try valid(yaml)
        #expect(topology.principals.count == 1)
        #expect(topology.principals.first?["user"]?.string == "alice")
        #expect(topology.principals.first?.line == 56)
        #expect(topology.principals.first?["policies"]?.sequence?.first?.string == "p1")
        #expect(topology.organization?["scp"]?.string == "deny-all")
        #expect(topology.organization?["scp"]?.line == 59)
    }
}

@Suite struct SuggestionTests {
    @Test func closestCandidate() {
        #expect(Formats.editDistance("hots", "host") == 1)
        #expect(Formats.editDistance("kitten", "sitting") == 3)
        #expect(Formats.closest(to: "regoin", in: Topology.builtInProviders + ["region"]) == "region")
        #expect(Formats.closest(to: "note", in: ["name", "role"]) == nil)
        #expect(Formats.closest(to: "Acount", in: ["account", "name"]) == "account")
    }
}

@Suite struct YAMLFeatureTests {
    @Test func mergeKeysAreRefusedClearly() throws {
        let yaml = try fixture(line: 6, "  - <<: {kind: customer}", expecting: "  - id: \"222222222222\"")
        #expect(errors(yaml) == [
            "t.yaml:6:5: accounts[1].<<: YAML merge keys (<<) are not supported; write the keys out (anchors and aliases do work)",
            "t.yaml:6:5: accounts[1].id: missing required key 'id'",
        ])
    }

    @Test func anchorsAndAliasesWork() throws {
        let yaml = try fixture(line: 51, """
                latency: &fast { firstTokenMs: 1, tokensPerSecond: 1000 }
              - id: anthropic.claude-3-sonnet-20240229-v1:0
                latency: *fast
        """, expecting: "        latency: { firstTokenMs: 0, tokensPerSecond: 0 }")
        let models = try #require(try valid(yaml).node(named: "escrow-1")).models
        #expect(models.map(\.latency) == [Latency(firstTokenMs: 1, tokensPerSecond: 1000),
                                          Latency(firstTokenMs: 1, tokensPerSecond: 1000)])
    }

    @Test func byteOrderMarkIsIgnored() throws {
        #expect(try valid("\u{FEFF}" + fixture).nodes.count == 6)
    }

    @Test func tooLongNumericAccountId() throws {
        let yaml = try fixture(line: 3, "  - id: 1111111111111", expecting: "  - id: \"111111111111\"")
        #expect(errors(yaml) == ["t.yaml:3:9: accounts[0].id: account id must be 12 digits, got the number 1111111111111 (13 digits)"])
    }
}
