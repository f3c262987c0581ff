import Testing
@testable import Guardrails

private func decode(_ json: String) throws(GuardrailValidationError) -> GuardrailConfiguration {
    try GuardrailConfiguration.decode(json: Array(json.utf8))
}

/// The validation message for `json`, or nil when it decodes.
private func message(_ json: String) -> String? {
    do {
        _ = try decode(json)
        return nil
    } catch {
        return error.message
    }
}

private let messaging = #""blockedInputMessaging":"Sorry.","blockedOutputsMessaging":"Sorry.""#

struct ConfigurationTests {
    @Test("decodes every policy of a CreateGuardrail body")
    func decodesAll() throws {
        let cfg = try decode("""
        {"name":"support-bot_1","description":"demo",\(messaging),
         "topicPolicyConfig":{"topicsConfig":[{"name":"Investment advice","definition":"Advice about investing money.","examples":["Where should I invest?"],"type":"DENY","outputEnabled":false}]},
         "contentPolicyConfig":{"filtersConfig":[{"type":"HATE","inputStrength":"HIGH","outputStrength":"LOW","outputAction":"NONE"},
                                                 {"type":"PROMPT_ATTACK","inputStrength":"MEDIUM","outputStrength":"NONE"}],"tierConfig":{"tierName":"CLASSIC"}},
         "wordPolicyConfig":{"wordsConfig":[{"text":"competitor"}],"managedWordListsConfig":[{"type":"PROFANITY","inputAction":"NONE"}]},
         "sensitiveInformationPolicyConfig":{"piiEntitiesConfig":[{"type":"EMAIL","action":"ANONYMIZE","outputAction":"BLOCK"}],
                                             "regexesConfig":[{"name":"order_id","description":"orders","pattern":"ORD-[0-9]{6}","action":"BLOCK"}]},
         "contextualGroundingPolicyConfig":{"filtersConfig":[{"type":"GROUNDING","threshold":0.75},{"type":"RELEVANCE","threshold":0.5,"action":"NONE","enabled":true}]},
         "tags":[{"key":"team","value":"x"}],"kmsKeyId":"alias/mine"}
        """)
        #expect(cfg.name == "support-bot_1")
        #expect(cfg.topics.count == 1)
        #expect(cfg.topics[0].directions.action(for: .output) == nil)
        #expect(cfg.topics[0].directions.action(for: .input) == .block)
        #expect(cfg.contentFilters.map(\.type) == [.hate, .promptAttack])
        #expect(cfg.contentFilters[0].directions.outputAction == .none)
        #expect(cfg.words.map(\.text) == ["competitor"])
        #expect(cfg.managedWordLists.first?.directions.inputAction == GuardrailBlockAction.none)
        #expect(cfg.piiEntities[0].directions.inputAction == .anonymize)
        #expect(cfg.piiEntities[0].directions.outputAction == .block)
        #expect(cfg.regexes[0].name == "order_id")
        #expect(cfg.groundingFilters.map(\.threshold) == [0.75, 0.5])
        #expect(cfg.groundingFilters[1].action == .none)
    }

    @Test("an unknown strength names the JSON path and the enum values (AWS wording)")
    func badStrength() {
        let m = message(#"{"name":"g",\#(messaging),"contentPolicyConfig":{"filtersConfig":[{"type":"HATE","inputStrength":"EXTREME","outputStrength":"LOW"}]}}"#)
        #expect(m == "1 validation error detected: Value 'EXTREME' at 'contentPolicyConfig.filtersConfig.1.member.inputStrength' failed to satisfy constraint: Member must satisfy enum value set: [NONE, LOW, MEDIUM, HIGH]")
    }

    @Test("all errors are reported at once, counted")
    func multiple() {
        let m = message(#"{"name":"bad name!","blockedInputMessaging":"","blockedOutputsMessaging":"x"}"#) ?? ""
        #expect(m.hasPrefix("2 validation errors detected: "))
        #expect(m.contains("Value 'bad name!' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_]+"))
        #expect(m.contains("Value '' at 'blockedInputMessaging' failed to satisfy constraint: Member must have length greater than or equal to 1"))
    }

    @Test("required members", arguments: [
        (#"{"blockedInputMessaging":"a","blockedOutputsMessaging":"b"}"#, "Value null at 'name' failed to satisfy constraint: Member must not be null"),
        (#"{"name":"g","blockedOutputsMessaging":"b"}"#, "Value null at 'blockedInputMessaging' failed to satisfy constraint: Member must not be null"),
        (#"{"name":"g",\#(messaging),"topicPolicyConfig":{"topicsConfig":[{"name":"t","type":"DENY"}]}}"#,
         "Value null at 'topicPolicyConfig.topicsConfig.1.member.definition' failed to satisfy constraint: Member must not be null"),
        (#"{"name":"g",\#(messaging),"contentPolicyConfig":{"filtersConfig":[{"type":"HATE","inputStrength":"LOW"}]}}"#,
         "Value null at 'contentPolicyConfig.filtersConfig.1.member.outputStrength' failed to satisfy constraint: Member must not be null"),
    ])
    func required(_ json: String, _ expected: String) {
        #expect(message(json) == "1 validation error detected: " + expected)
    }

    @Test("length and count limits", arguments: [
        (#""name":"\#(String(repeating: "n", count: 51))""#, "at 'name' failed to satisfy constraint: Member must have length less than or equal to 50"),
        (#""name":"g","description":"\#(String(repeating: "d", count: 201))""#, "at 'description' failed to satisfy constraint: Member must have length less than or equal to 200"),
    ])
    func lengths(_ member: String, _ expected: String) {
        let m = message("{\(member),\(messaging)}") ?? ""
        #expect(m.contains(expected))
    }

    @Test("messaging is limited to 500 characters")
    func messagingLimit() {
        let m = message(#"{"name":"g","blockedInputMessaging":"\#(String(repeating: "x", count: 501))","blockedOutputsMessaging":"b"}"#) ?? ""
        #expect(m.contains("at 'blockedInputMessaging' failed to satisfy constraint: Member must have length less than or equal to 500"))
    }

    @Test("topic limits: name pattern and length, definition 200, 5 examples of 100, 30 topics")
    func topicLimits() {
        func topic(name: String = "t", def: String = "d", examples: [String] = []) -> String {
            let ex = examples.map { "\"\($0)\"" }.joined(separator: ",")
            return #"{"name":"\#(name)","definition":"\#(def)","examples":[\#(ex)],"type":"DENY"}"#
        }
        func cfg(_ topics: [String]) -> String { #"{"name":"g",\#(messaging),"topicPolicyConfig":{"topicsConfig":[\#(topics.joined(separator: ","))]}}"# }
        #expect(message(cfg([topic(name: "bad/name")]))?.contains("at 'topicPolicyConfig.topicsConfig.1.member.name' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_ !?.]+") == true)
        #expect(message(cfg([topic(name: String(repeating: "a", count: 101))]))?.contains("Member must have length less than or equal to 100") == true)
        #expect(message(cfg([topic(def: String(repeating: "a", count: 201))]))?.contains("at 'topicPolicyConfig.topicsConfig.1.member.definition' failed to satisfy constraint: Member must have length less than or equal to 200") == true)
        #expect(message(cfg([topic(examples: ["a", "b", "c", "d", "e", "f"])]))?.contains("at 'topicPolicyConfig.topicsConfig.1.member.examples' failed to satisfy constraint: Member must have length less than or equal to 5") == true)
        #expect(message(cfg([topic(), topic(name: "u", examples: [String(repeating: "e", count: 101)])]))?.contains("at 'topicPolicyConfig.topicsConfig.2.member.examples.1.member' failed to satisfy constraint: Member must have length less than or equal to 100") == true)
        let thirtyOne = (0..<31).map { topic(name: "t\($0)") }
        #expect(message(cfg(thirtyOne))?.contains("at 'topicPolicyConfig.topicsConfig' failed to satisfy constraint: Member must have length less than or equal to 30") == true)
        #expect(message(cfg(Array(thirtyOne.prefix(30)))) == nil)
        #expect(message(cfg([]))?.contains("Member must have length greater than or equal to 1") == true)
    }

    @Test("PROMPT_ATTACK needs outputStrength NONE")
    func promptAttackOutput() {
        let m = message(#"{"name":"g",\#(messaging),"contentPolicyConfig":{"filtersConfig":[{"type":"PROMPT_ATTACK","inputStrength":"HIGH","outputStrength":"HIGH"}]}}"#)
        #expect(m == "1 validation error detected: Value 'HIGH' at 'contentPolicyConfig.filtersConfig.1.member.outputStrength' failed to satisfy constraint: PROMPT_ATTACK content filter strength for response must be NONE")
    }

    @Test("regexes must compile")
    func badRegex() {
        let m = message(#"{"name":"g",\#(messaging),"sensitiveInformationPolicyConfig":{"regexesConfig":[{"name":"r","pattern":"([a-z","action":"BLOCK"}]}}"#)
        #expect(m == "1 validation error detected: Value '([a-z' at 'sensitiveInformationPolicyConfig.regexesConfig.1.member.pattern' failed to satisfy constraint: Member must be a valid regular expression")
    }

    @Test("grounding thresholds are 0...0.99", arguments: [(-0.1, "greater than or equal to 0"), (1.0, "less than or equal to 0.99")])
    func thresholds(_ t: Double, _ expected: String) {
        let m = message(#"{"name":"g",\#(messaging),"contextualGroundingPolicyConfig":{"filtersConfig":[{"type":"GROUNDING","threshold":\#(t)}]}}"#) ?? ""
        #expect(m.contains("at 'contextualGroundingPolicyConfig.filtersConfig.1.member.threshold' failed to satisfy constraint: Member must have value \(expected)"))
    }

    @Test("unknown PII type and action")
    func badPii() {
        let m = message(#"{"name":"g",\#(messaging),"sensitiveInformationPolicyConfig":{"piiEntitiesConfig":[{"type":"SSN","action":"MASK"}]}}"#) ?? ""
        #expect(m.hasPrefix("2 validation errors detected: "))
        #expect(m.contains("Value 'SSN' at 'sensitiveInformationPolicyConfig.piiEntitiesConfig.1.member.type' failed to satisfy constraint: Member must satisfy enum value set: [ADDRESS, AGE, AWS_ACCESS_KEY"))
        #expect(m.contains("Value 'MASK' at 'sensitiveInformationPolicyConfig.piiEntitiesConfig.1.member.action' failed to satisfy constraint: Member must satisfy enum value set: [BLOCK, ANONYMIZE, NONE]"))
    }

    @Test("malformed JSON and wrong member types are refused with the location")
    func malformed() {
        #expect(message("{\"name\":")?.hasPrefix("Malformed input request: invalid JSON at byte 8") == true)
        #expect(message(#"{"name":"g",\#(messaging),"topicPolicyConfig":{"topicsConfig":{"name":"x"}}}"#)
                == "Malformed input request: expected list at 'topicPolicyConfig.topicsConfig' but found structure, please reformat your input and try again.")
        #expect(message(#"{"name":5,\#(messaging)}"#) == "Malformed input request: expected string at 'name' but found number, please reformat your input and try again.")
        #expect(message("[]")?.contains("expected structure") == true)
    }

    @Test("error value carries the AWS code")
    func code() throws {
        do {
            _ = try decode("{}")
            Issue.record("expected a ValidationException")
        } catch {
            #expect(error.code == "ValidationException")
            #expect(error.description.hasPrefix("ValidationException: 3 validation errors detected: "))
        }
    }
}
