import Foundation
import Guardrails
import Testing
@testable import Topology

// Guardrails declared in a topology: each entry is a CreateGuardrail body in YAML, validated with the Guardrails
// engine's rules; every violation is reported at the line of the key it names.

private func withGuardrails(_ lines: [String]) throws -> String {
    // Fixture line 5 is customer-a's `kind: customer`; the list goes right under it.
    try fixture(insertingAfter: 5, (["    guardrails:"] + lines).joined(separator: "\n"))
}

private let validEntry = [
    "      - id: gr1",                                        // line 7
    "        versions: 2",
    "        name: demo",
    "        blockedInputMessaging: No.",
    "        blockedOutputsMessaging: Withheld.",
    "        contentPolicyConfig:",
    "          filtersConfig:",
    "            - { type: INSULTS, inputStrength: MEDIUM, outputStrength: HIGH }",   // line 14
    "        sensitiveInformationPolicyConfig:",
    "          piiEntitiesConfig:",
    "            - { type: EMAIL, action: ANONYMIZE }",
    "        contextualGroundingPolicyConfig:",
    "          filtersConfig:",
    "            - { type: GROUNDING, threshold: 0.75 }",
]

@Suite struct GuardrailTopologyTests {
    @Test func aValidGuardrailIsKeptAsItsCreateGuardrailBody() throws {
        let topology = try valid(try withGuardrails(validEntry))
        let a = try #require(topology.account(named: "customer-a"))
        #expect(a.guardrails.count == 1)
        let g = try #require(a.guardrails.first)
        #expect(g.id == "gr1")
        #expect(g.versions == 2)
        #expect(g.name == "demo")
        #expect(g.line == 7)
        #expect(!g.configJSON.contains("versions"))
        let cfg = try GuardrailConfiguration.decode(json: Array(g.configJSON.utf8))
        #expect(cfg.contentFilters.first?.outputStrength == .high)
        #expect(cfg.piiEntities.first?.action == .anonymize)
        #expect(cfg.groundingFilters.first?.threshold == 0.75)
        #expect(topology.account(named: "customer-b")?.guardrails.isEmpty == true)
    }

    @Test func anEngineRuleViolationPointsAtItsLine() throws {
        var entry = validEntry
        entry[7] = "            - { type: INSULTS, inputStrength: EXTREME, outputStrength: HIGH }"
        let found = errors(try withGuardrails(entry))
        #expect(found.count == 1)
        let e = try #require(found.first)
        #expect(e.hasPrefix("t.yaml:14:"), "\(e)")
        #expect(e.contains("accounts[0].guardrails[0].contentPolicyConfig.filtersConfig[0].inputStrength"))
        #expect(e.contains("Value 'EXTREME' at 'contentPolicyConfig.filtersConfig.1.member.inputStrength' failed to satisfy constraint: Member must satisfy enum value set: [NONE, LOW, MEDIUM, HIGH]"))
    }

    @Test func everyViolationIsReported() throws {
        var entry = validEntry
        entry[2] = "        name: not a valid name!"        // line 9
        entry[3] = "        blockedInputMessaging: \"\""    // line 10
        entry[13] = "            - { type: GROUNDING, threshold: 1.5 }"   // line 20
        let found = errors(try withGuardrails(entry))
        #expect(found.count == 3, "\(found)")
        #expect(found.contains { $0.hasPrefix("t.yaml:9:") && $0.contains("at 'name'") })
        #expect(found.contains { $0.hasPrefix("t.yaml:10:") && $0.contains("at 'blockedInputMessaging'") && $0.contains("length greater than or equal to 1") })
        #expect(found.contains { $0.hasPrefix("t.yaml:20:") && $0.contains("less than or equal to 0.99") })
    }

    @Test func aMissingRequiredMemberPointsAtTheEntry() throws {
        var entry = validEntry
        entry.remove(at: 4)   // blockedOutputsMessaging
        let found = errors(try withGuardrails(entry))
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("t.yaml:7:") == true)
        #expect(found.first?.contains("Value null at 'blockedOutputsMessaging' failed to satisfy constraint: Member must not be null") == true)
    }

    @Test func topologyKeysAreChecked() throws {
        var entry = validEntry
        entry[0] = "      - id: Bad_Id"
        entry.insert("        blockedInputMesaging: typo", at: 3)
        let found = errors(try withGuardrails(entry))
        #expect(found.contains { $0.contains("guardrail id must match [a-z0-9]+") })
        #expect(found.contains { $0.contains("unknown key 'blockedInputMesaging'") && $0.contains("blockedInputMessaging") })
    }

    @Test func duplicateNamesAndIds() throws {
        var entry2 = validEntry
        entry2[0] = "      - id: gr1"
        let found = errors(try withGuardrails(validEntry + entry2))
        #expect(found.contains { $0.contains("duplicate guardrail id 'gr1' (first defined at line 7)") })
        #expect(found.contains { $0.contains("ConflictException: a guardrail named 'demo' is already defined") })
    }

    @Test func onlyCustomerAccountsOwnGuardrails() throws {
        // Fixture line 11 is bedrock-service's `kind: bedrock-service`.
        let yaml = try fixture(insertingAfter: 11, (["    guardrails:"] + validEntry).joined(separator: "\n"))
        #expect(errors(yaml).contains { $0.contains("guardrails belong to customer accounts (this account is of kind bedrock-service)") })
    }

    @Test func theExampleTopologyValidates() throws {
        let path = URL(fileURLWithPath: defaultTopologyPath()).deletingLastPathComponent().appendingPathComponent("guardrails.yaml").path
        let topology = try Topology.load(path: path, file: "Topologies/guardrails.yaml", knownModelIds: knownModelIds)
        let g = try #require(topology.account(named: "customer-a")?.guardrails.first)
        #expect(g.id == "demoguard1")
        #expect(g.versions == 1)
        _ = try GuardrailConfiguration.decode(json: Array(g.configJSON.utf8))
    }
}
