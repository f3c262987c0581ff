import FoundationEssentials

// CreateGuardrail configuration: the shapes and constraints of the Bedrock control plane
// (botocore bedrock 2023-04-20: GuardrailName [0-9a-zA-Z-_]+ 1-50, messaging 1-500, topics 1-30,
// topic name [0-9a-zA-Z-_ !?.]+ 1-100, definition 1-200, examples 0-5 of 1-100, words 1-100 chars,
// regexes 1-10 with name 1-100, description 1-1000, pattern 1-500, content filters 1-6).

/// A CreateGuardrail request body failed validation. `code` is the AWS error code
/// (`ValidationException`); `message` is the AWS-style text, e.g.
/// `1 validation error detected: Value 'X' at 'contentPolicyConfig.filtersConfig.1.member.inputStrength' failed to satisfy constraint: Member must satisfy enum value set: [NONE, LOW, MEDIUM, HIGH]`.
public struct GuardrailValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    public init(code: String = "ValidationException", message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { "\(code): \(message)" }
}

public enum GuardrailContentSource: String, Sendable, CaseIterable { case input = "INPUT", output = "OUTPUT" }
public enum GuardrailOutputScope: String, Sendable, CaseIterable { case interventions = "INTERVENTIONS", full = "FULL" }

public enum GuardrailFilterStrength: String, Sendable, CaseIterable, Comparable {
    case none = "NONE", low = "LOW", medium = "MEDIUM", high = "HIGH"
    var rank: Int { switch self { case .none: 0; case .low: 1; case .medium: 2; case .high: 3 } }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// Confidence of a content classification; same levels as strengths.
public typealias GuardrailContentFilterConfidence = GuardrailFilterStrength

public enum GuardrailContentFilterType: String, Sendable, CaseIterable {
    case sexual = "SEXUAL", violence = "VIOLENCE", hate = "HATE", insults = "INSULTS", misconduct = "MISCONDUCT"
    case promptAttack = "PROMPT_ATTACK"
}

/// BLOCK | NONE, used by topics, content filters, words and grounding filters.
public enum GuardrailBlockAction: String, Sendable, CaseIterable { case block = "BLOCK", none = "NONE" }

/// BLOCK | ANONYMIZE | NONE, used by PII entities and regexes.
public enum GuardrailSensitiveInformationAction: String, Sendable, CaseIterable {
    case block = "BLOCK", anonymize = "ANONYMIZE", none = "NONE"
}

/// The 31 PII entity types of Bedrock (GuardrailPiiEntityType, identical in bedrock and bedrock-runtime).
public enum GuardrailPiiEntityType: String, Sendable, CaseIterable, Comparable {
    case address = "ADDRESS", age = "AGE", awsAccessKey = "AWS_ACCESS_KEY", awsSecretKey = "AWS_SECRET_KEY"
    case caHealthNumber = "CA_HEALTH_NUMBER", caSocialInsuranceNumber = "CA_SOCIAL_INSURANCE_NUMBER"
    case creditDebitCardCvv = "CREDIT_DEBIT_CARD_CVV", creditDebitCardExpiry = "CREDIT_DEBIT_CARD_EXPIRY"
    case creditDebitCardNumber = "CREDIT_DEBIT_CARD_NUMBER", driverId = "DRIVER_ID", email = "EMAIL"
    case internationalBankAccountNumber = "INTERNATIONAL_BANK_ACCOUNT_NUMBER", ipAddress = "IP_ADDRESS"
    case licensePlate = "LICENSE_PLATE", macAddress = "MAC_ADDRESS", name = "NAME", password = "PASSWORD", phone = "PHONE"
    case pin = "PIN", swiftCode = "SWIFT_CODE", ukNationalHealthServiceNumber = "UK_NATIONAL_HEALTH_SERVICE_NUMBER"
    case ukNationalInsuranceNumber = "UK_NATIONAL_INSURANCE_NUMBER"
    case ukUniqueTaxpayerReferenceNumber = "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", url = "URL", username = "USERNAME"
    case usBankAccountNumber = "US_BANK_ACCOUNT_NUMBER", usBankRoutingNumber = "US_BANK_ROUTING_NUMBER"
    case usIndividualTaxIdentificationNumber = "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"
    case usPassportNumber = "US_PASSPORT_NUMBER", usSocialSecurityNumber = "US_SOCIAL_SECURITY_NUMBER"
    case vehicleIdentificationNumber = "VEHICLE_IDENTIFICATION_NUMBER"

    var index: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// Per-direction switches shared by every policy entry: whether it runs on INPUT/OUTPUT and what it does there.
public struct GuardrailDirectional<Action: Sendable & Equatable>: Sendable, Equatable {
    public var inputAction: Action
    public var outputAction: Action
    public var inputEnabled: Bool
    public var outputEnabled: Bool
    public init(inputAction: Action, outputAction: Action, inputEnabled: Bool = true, outputEnabled: Bool = true) {
        self.inputAction = inputAction
        self.outputAction = outputAction
        self.inputEnabled = inputEnabled
        self.outputEnabled = outputEnabled
    }
    /// The action for `source`, or nil when the entry is disabled for it.
    public func action(for source: GuardrailContentSource) -> Action? {
        switch source {
        case .input: inputEnabled ? inputAction : nil
        case .output: outputEnabled ? outputAction : nil
        }
    }
}

public struct GuardrailTopicConfig: Sendable, Equatable {
    public var name: String
    public var definition: String
    public var examples: [String]
    public var type: String = "DENY"
    public var directions: GuardrailDirectional<GuardrailBlockAction>
    public init(name: String, definition: String, examples: [String] = [],
                directions: GuardrailDirectional<GuardrailBlockAction> = .init(inputAction: .block, outputAction: .block)) {
        self.name = name
        self.definition = definition
        self.examples = examples
        self.directions = directions
    }
}

public struct GuardrailContentFilterConfig: Sendable, Equatable {
    public var type: GuardrailContentFilterType
    public var inputStrength: GuardrailFilterStrength
    public var outputStrength: GuardrailFilterStrength
    public var directions: GuardrailDirectional<GuardrailBlockAction>
    public init(type: GuardrailContentFilterType, inputStrength: GuardrailFilterStrength, outputStrength: GuardrailFilterStrength,
                directions: GuardrailDirectional<GuardrailBlockAction> = .init(inputAction: .block, outputAction: .block)) {
        self.type = type
        self.inputStrength = inputStrength
        self.outputStrength = outputStrength
        self.directions = directions
    }
    public func strength(for source: GuardrailContentSource) -> GuardrailFilterStrength {
        source == .input ? inputStrength : outputStrength
    }
}

public struct GuardrailWordConfig: Sendable, Equatable {
    public var text: String
    public var directions: GuardrailDirectional<GuardrailBlockAction>
    public init(text: String, directions: GuardrailDirectional<GuardrailBlockAction> = .init(inputAction: .block, outputAction: .block)) {
        self.text = text
        self.directions = directions
    }
}

public struct GuardrailManagedWordListConfig: Sendable, Equatable {
    public var type: String = "PROFANITY"
    public var directions: GuardrailDirectional<GuardrailBlockAction>
    public init(directions: GuardrailDirectional<GuardrailBlockAction> = .init(inputAction: .block, outputAction: .block)) {
        self.directions = directions
    }
}

public struct GuardrailPiiEntityConfig: Sendable, Equatable {
    public var type: GuardrailPiiEntityType
    public var action: GuardrailSensitiveInformationAction
    public var directions: GuardrailDirectional<GuardrailSensitiveInformationAction>
    public init(type: GuardrailPiiEntityType, action: GuardrailSensitiveInformationAction,
                directions: GuardrailDirectional<GuardrailSensitiveInformationAction>? = nil) {
        self.type = type
        self.action = action
        self.directions = directions ?? .init(inputAction: action, outputAction: action)
    }
}

public struct GuardrailRegexConfig: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var pattern: String
    public var action: GuardrailSensitiveInformationAction
    public var directions: GuardrailDirectional<GuardrailSensitiveInformationAction>
    public init(name: String, description: String? = nil, pattern: String, action: GuardrailSensitiveInformationAction,
                directions: GuardrailDirectional<GuardrailSensitiveInformationAction>? = nil) {
        self.name = name
        self.description = description
        self.pattern = pattern
        self.action = action
        self.directions = directions ?? .init(inputAction: action, outputAction: action)
    }
}

public enum GuardrailContextualGroundingFilterType: String, Sendable, CaseIterable { case grounding = "GROUNDING", relevance = "RELEVANCE" }

public struct GuardrailContextualGroundingFilterConfig: Sendable, Equatable {
    public var type: GuardrailContextualGroundingFilterType
    public var threshold: Double
    public var action: GuardrailBlockAction
    public var enabled: Bool
    public init(type: GuardrailContextualGroundingFilterType, threshold: Double, action: GuardrailBlockAction = .block, enabled: Bool = true) {
        self.type = type
        self.threshold = threshold
        self.action = action
        self.enabled = enabled
    }
}

/// A guardrail as created by CreateGuardrail: messaging plus the five policies the engine evaluates.
public struct GuardrailConfiguration: Sendable, Equatable {
    public var name: String
    public var description: String?
    public var blockedInputMessaging: String
    public var blockedOutputsMessaging: String
    public var topics: [GuardrailTopicConfig]
    public var contentFilters: [GuardrailContentFilterConfig]
    public var words: [GuardrailWordConfig]
    public var managedWordLists: [GuardrailManagedWordListConfig]
    public var piiEntities: [GuardrailPiiEntityConfig]
    public var regexes: [GuardrailRegexConfig]
    public var groundingFilters: [GuardrailContextualGroundingFilterConfig]

    public init(name: String, description: String? = nil, blockedInputMessaging: String, blockedOutputsMessaging: String,
                topics: [GuardrailTopicConfig] = [], contentFilters: [GuardrailContentFilterConfig] = [],
                words: [GuardrailWordConfig] = [], managedWordLists: [GuardrailManagedWordListConfig] = [],
                piiEntities: [GuardrailPiiEntityConfig] = [], regexes: [GuardrailRegexConfig] = [],
                groundingFilters: [GuardrailContextualGroundingFilterConfig] = []) {
        self.name = name
        self.description = description
        self.blockedInputMessaging = blockedInputMessaging
        self.blockedOutputsMessaging = blockedOutputsMessaging
        self.topics = topics
        self.contentFilters = contentFilters
        self.words = words
        self.managedWordLists = managedWordLists
        self.piiEntities = piiEntities
        self.regexes = regexes
        self.groundingFilters = groundingFilters
    }

    /// Decodes and validates a CreateGuardrail request body. Unknown members (tags, kmsKeyId,
    /// tierConfig, modalities, crossRegionConfig, …) are accepted and ignored, as the service's
    /// deserializer does.
    public static func decode(json: [UInt8]) throws(GuardrailValidationError) -> GuardrailConfiguration {
        let root: JSONValue
        do {
            root = try JSONParser.parse(json)
        } catch {
            throw GuardrailValidationError(message: "Malformed input request: invalid JSON at byte \(error.offset) (\(error.reason)), please reformat your input and try again.")
        }
        var d = ConfigDecoder()
        let cfg = try d.decodeRoot(root)
        if !d.errors.isEmpty {
            let n = d.errors.count
            throw GuardrailValidationError(message: "\(n) validation error\(n == 1 ? "" : "s") detected: " + d.errors.joined(separator: "; "))
        }
        guard let cfg else { throw GuardrailValidationError(message: "Malformed input request, please reformat your input and try again.") }
        return cfg
    }

    /// Validates a configuration built in code with the same rules as `decode(json:)`.
    public func validate() throws(GuardrailValidationError) {
        var d = ConfigDecoder()
        d.validate(self)
        if !d.errors.isEmpty {
            let n = d.errors.count
            throw GuardrailValidationError(message: "\(n) validation error\(n == 1 ? "" : "s") detected: " + d.errors.joined(separator: "; "))
        }
    }
}

/// Walks the JSON tree, collecting every constraint violation (as the service reports all of
/// them at once), and throws only for shape errors that make further decoding meaningless.
struct ConfigDecoder {
    var errors: [String] = []

    private static func render(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return "'\(b)'"
        case .number(let d): return "'\(d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d))'"
        case .string(let s): return "'\(s)'"
        case .array(let a): return "'[" + a.map { v -> String in
                if case .string(let s) = v { return s }
                return TextTrim.trimming(ConfigDecoder.render(v)) { $0 == "'" }
            }.joined(separator: ", ") + "]'"
        case .object: return "'{...}'"
        }
    }

    mutating func fail(_ value: JSONValue?, _ path: String, _ constraint: String) {
        errors.append("Value \(value.map(Self.render) ?? "null") at '\(path)' failed to satisfy constraint: \(constraint)")
    }

    private func malformed(_ path: String, expected: String, got: JSONValue) -> GuardrailValidationError {
        GuardrailValidationError(message: "Malformed input request: expected \(expected) at '\(path)' but found \(got.typeName), please reformat your input and try again.")
    }

    private func object(_ v: JSONValue?, _ path: String) throws(GuardrailValidationError) -> [String: JSONValue]? {
        guard let v else { return nil }
        if case .null = v { return nil }
        guard case .object(let o) = v else { throw malformed(path, expected: "structure", got: v) }
        return o
    }

    private func list(_ v: JSONValue?, _ path: String) throws(GuardrailValidationError) -> [JSONValue]? {
        guard let v else { return nil }
        if case .null = v { return nil }
        guard case .array(let a) = v else { throw malformed(path, expected: "list", got: v) }
        return a
    }

    private func string(_ v: JSONValue?, _ path: String) throws(GuardrailValidationError) -> String? {
        guard let v else { return nil }
        if case .null = v { return nil }
        guard case .string(let s) = v else { throw malformed(path, expected: "string", got: v) }
        return s
    }

    private func bool(_ v: JSONValue?, _ path: String) throws(GuardrailValidationError) -> Bool? {
        guard let v else { return nil }
        if case .null = v { return nil }
        guard case .bool(let b) = v else { throw malformed(path, expected: "boolean", got: v) }
        return b
    }

    private func number(_ v: JSONValue?, _ path: String) throws(GuardrailValidationError) -> Double? {
        guard let v else { return nil }
        if case .null = v { return nil }
        guard case .number(let d) = v else { throw malformed(path, expected: "number", got: v) }
        return d
    }

    /// Length in characters as the service counts them (UTF-16 code units, Java strings).
    private static func len(_ s: String) -> Int { s.utf16.count }

    mutating func checkString(_ s: String?, _ path: String, required: Bool, min: Int, max: Int, pattern: String? = nil, allowed: ((Character) -> Bool)? = nil) {
        guard let s else {
            if required { fail(nil, path, "Member must not be null") }
            return
        }
        if Self.len(s) < min { fail(.string(s), path, "Member must have length greater than or equal to \(min)") }
        if Self.len(s) > max { fail(.string(s), path, "Member must have length less than or equal to \(max)") }
        if let pattern, let allowed, !s.isEmpty, !s.allSatisfy(allowed) {
            fail(.string(s), path, "Member must satisfy regular expression pattern: \(pattern)")
        }
    }

    private mutating func enumValue<E: RawRepresentable & CaseIterable>(_ v: JSONValue?, _ path: String, _ type: E.Type, required: Bool) throws(GuardrailValidationError) -> E? where E.RawValue == String {
        guard let s = try string(v, path) else {
            if required { fail(nil, path, "Member must not be null") }
            return nil
        }
        guard let e = E(rawValue: s) else {
            fail(.string(s), path, "Member must satisfy enum value set: [\(E.allCases.map(\.rawValue).joined(separator: ", "))]")
            return nil
        }
        return e
    }

    private mutating func listCount(_ a: [JSONValue], _ path: String, min: Int, max: Int?) {
        if a.count < min { fail(.array(a), path, "Member must have length greater than or equal to \(min)") }
        if let max, a.count > max { fail(.array(a), path, "Member must have length less than or equal to \(max)") }
    }

    private static func nameChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_")
    }
    private static func topicNameChar(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || "-_ !?.".contains(c))
    }

    mutating func decodeRoot(_ root: JSONValue) throws(GuardrailValidationError) -> GuardrailConfiguration? {
        guard case .object(let o) = root else { throw malformed("", expected: "structure", got: root) }
        let name = try string(o["name"], "name")
        let description = try string(o["description"], "description")
        let inMsg = try string(o["blockedInputMessaging"], "blockedInputMessaging")
        let outMsg = try string(o["blockedOutputsMessaging"], "blockedOutputsMessaging")

        var topics: [GuardrailTopicConfig] = []
        if let tp = try object(o["topicPolicyConfig"], "topicPolicyConfig") {
            let base = "topicPolicyConfig.topicsConfig"
            if let list = try list(tp["topicsConfig"], base) {
                listCount(list, base, min: 1, max: 30)
                for (k, item) in list.enumerated() {
                    let p = "\(base).\(k + 1).member"
                    guard let t = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let tname = try string(t["name"], "\(p).name")
                    let def = try string(t["definition"], "\(p).definition")
                    var examples: [String] = []
                    if let ex = try self.list(t["examples"], "\(p).examples") {
                        listCount(ex, "\(p).examples", min: 0, max: 5)
                        for (m, e) in ex.enumerated() {
                            let ep = "\(p).examples.\(m + 1).member"
                            if let s = try string(e, ep) { examples.append(s) } else { fail(nil, ep, "Member must not be null") }
                        }
                    }
                    _ = try enumValue(t["type"], "\(p).type", TopicType.self, required: true)
                    let dirs = try directions(t, p, GuardrailBlockAction.self, default: .block)
                    if let tname, let def {
                        topics.append(GuardrailTopicConfig(name: tname, definition: def, examples: examples, directions: dirs))
                    } else {
                        if tname == nil { fail(nil, "\(p).name", "Member must not be null") }
                        if def == nil { fail(nil, "\(p).definition", "Member must not be null") }
                    }
                }
            } else {
                fail(nil, base, "Member must not be null")
            }
        }

        var filters: [GuardrailContentFilterConfig] = []
        if let cp = try object(o["contentPolicyConfig"], "contentPolicyConfig") {
            let base = "contentPolicyConfig.filtersConfig"
            if let list = try list(cp["filtersConfig"], base) {
                listCount(list, base, min: 1, max: 6)
                for (k, item) in list.enumerated() {
                    let p = "\(base).\(k + 1).member"
                    guard let f = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let type = try enumValue(f["type"], "\(p).type", GuardrailContentFilterType.self, required: true)
                    let ins = try enumValue(f["inputStrength"], "\(p).inputStrength", GuardrailFilterStrength.self, required: true)
                    let outs = try enumValue(f["outputStrength"], "\(p).outputStrength", GuardrailFilterStrength.self, required: true)
                    let dirs = try directions(f, p, GuardrailBlockAction.self, default: .block)
                    if let type, let ins, let outs {
                        filters.append(GuardrailContentFilterConfig(type: type, inputStrength: ins, outputStrength: outs, directions: dirs))
                    }
                }
            } else {
                fail(nil, base, "Member must not be null")
            }
        }

        var words: [GuardrailWordConfig] = []
        var managed: [GuardrailManagedWordListConfig] = []
        if let wp = try object(o["wordPolicyConfig"], "wordPolicyConfig") {
            let base = "wordPolicyConfig.wordsConfig"
            if let list = try list(wp["wordsConfig"], base) {
                listCount(list, base, min: 1, max: 10000)
                for (k, item) in list.enumerated() {
                    let p = "\(base).\(k + 1).member"
                    guard let w = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let text = try string(w["text"], "\(p).text")
                    let dirs = try directions(w, p, GuardrailBlockAction.self, default: .block)
                    if let text { words.append(GuardrailWordConfig(text: text, directions: dirs)) }
                }
            }
            let mbase = "wordPolicyConfig.managedWordListsConfig"
            if let list = try list(wp["managedWordListsConfig"], mbase) {
                for (k, item) in list.enumerated() {
                    let p = "\(mbase).\(k + 1).member"
                    guard let m = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let t = try enumValue(m["type"], "\(p).type", ManagedType.self, required: true)
                    let dirs = try directions(m, p, GuardrailBlockAction.self, default: .block)
                    if t != nil { managed.append(GuardrailManagedWordListConfig(directions: dirs)) }
                }
            }
        }

        var pii: [GuardrailPiiEntityConfig] = []
        var regexes: [GuardrailRegexConfig] = []
        if let sp = try object(o["sensitiveInformationPolicyConfig"], "sensitiveInformationPolicyConfig") {
            let base = "sensitiveInformationPolicyConfig.piiEntitiesConfig"
            if let list = try list(sp["piiEntitiesConfig"], base) {
                listCount(list, base, min: 1, max: nil)
                for (k, item) in list.enumerated() {
                    let p = "\(base).\(k + 1).member"
                    guard let e = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let t = try enumValue(e["type"], "\(p).type", GuardrailPiiEntityType.self, required: true)
                    let a = try enumValue(e["action"], "\(p).action", GuardrailSensitiveInformationAction.self, required: true)
                    let dirs = try directions(e, p, GuardrailSensitiveInformationAction.self, default: a ?? .none)
                    if let t, let a { pii.append(GuardrailPiiEntityConfig(type: t, action: a, directions: dirs)) }
                }
            }
            let rbase = "sensitiveInformationPolicyConfig.regexesConfig"
            if let list = try list(sp["regexesConfig"], rbase) {
                listCount(list, rbase, min: 1, max: 10)
                for (k, item) in list.enumerated() {
                    let p = "\(rbase).\(k + 1).member"
                    guard let r = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let rname = try string(r["name"], "\(p).name")
                    let rdesc = try string(r["description"], "\(p).description")
                    let pattern = try string(r["pattern"], "\(p).pattern")
                    let a = try enumValue(r["action"], "\(p).action", GuardrailSensitiveInformationAction.self, required: true)
                    let dirs = try directions(r, p, GuardrailSensitiveInformationAction.self, default: a ?? .none)
                    if rname == nil { fail(nil, "\(p).name", "Member must not be null") }
                    if pattern == nil { fail(nil, "\(p).pattern", "Member must not be null") }
                    if let rname, let pattern, let a {
                        regexes.append(GuardrailRegexConfig(name: rname, description: rdesc, pattern: pattern, action: a, directions: dirs))
                    }
                }
            }
        }

        var grounding: [GuardrailContextualGroundingFilterConfig] = []
        if let gp = try object(o["contextualGroundingPolicyConfig"], "contextualGroundingPolicyConfig") {
            let base = "contextualGroundingPolicyConfig.filtersConfig"
            if let list = try list(gp["filtersConfig"], base) {
                listCount(list, base, min: 1, max: nil)
                for (k, item) in list.enumerated() {
                    let p = "\(base).\(k + 1).member"
                    guard let f = try object(item, p) else { fail(nil, p, "Member must not be null"); continue }
                    let t = try enumValue(f["type"], "\(p).type", GuardrailContextualGroundingFilterType.self, required: true)
                    let th = try number(f["threshold"], "\(p).threshold")
                    if th == nil { fail(nil, "\(p).threshold", "Member must not be null") }
                    let a = try enumValue(f["action"], "\(p).action", GuardrailBlockAction.self, required: false) ?? .block
                    let en = try bool(f["enabled"], "\(p).enabled") ?? true
                    if let t, let th {
                        grounding.append(GuardrailContextualGroundingFilterConfig(type: t, threshold: th, action: a, enabled: en))
                    }
                }
            } else {
                fail(nil, base, "Member must not be null")
            }
        }

        if name == nil { fail(nil, "name", "Member must not be null") }
        if inMsg == nil { fail(nil, "blockedInputMessaging", "Member must not be null") }
        if outMsg == nil { fail(nil, "blockedOutputsMessaging", "Member must not be null") }
        let cfg = GuardrailConfiguration(
            name: name ?? "", description: description, blockedInputMessaging: inMsg ?? "", blockedOutputsMessaging: outMsg ?? "",
            topics: topics, contentFilters: filters, words: words, managedWordLists: managed,
            piiEntities: pii, regexes: regexes, groundingFilters: grounding)
        // Field constraints are checked on the decoded values (nil members were reported above).
        validate(cfg, skipNil: true)
        return cfg
    }

    private enum TopicType: String, CaseIterable { case deny = "DENY" }
    private enum ManagedType: String, CaseIterable { case profanity = "PROFANITY" }

    private mutating func directions<A: RawRepresentable & CaseIterable & Sendable & Equatable>(
        _ o: [String: JSONValue], _ p: String, _ t: A.Type, default d: A
    ) throws(GuardrailValidationError) -> GuardrailDirectional<A> where A.RawValue == String {
        let ia = try enumValue(o["inputAction"], "\(p).inputAction", A.self, required: false) ?? d
        let oa = try enumValue(o["outputAction"], "\(p).outputAction", A.self, required: false) ?? d
        let ie = try bool(o["inputEnabled"], "\(p).inputEnabled") ?? true
        let oe = try bool(o["outputEnabled"], "\(p).outputEnabled") ?? true
        return GuardrailDirectional(inputAction: ia, outputAction: oa, inputEnabled: ie, outputEnabled: oe)
    }

    /// Constraint checks shared by JSON decoding and configurations built in code.
    mutating func validate(_ c: GuardrailConfiguration, skipNil: Bool = false) {
        if !(skipNil && c.name.isEmpty && errors.contains(where: { $0.contains("at 'name'") })) {
            checkString(c.name, "name", required: true, min: 1, max: 50, pattern: "[0-9a-zA-Z-_]+", allowed: Self.nameChar)
        }
        if let d = c.description { checkString(d, "description", required: false, min: 1, max: 200) }
        for (field, v) in [("blockedInputMessaging", c.blockedInputMessaging), ("blockedOutputsMessaging", c.blockedOutputsMessaging)] {
            if skipNil && v.isEmpty && errors.contains(where: { $0.contains("at '\(field)'") }) { continue }
            checkString(v, field, required: true, min: 1, max: 500)
        }
        for (k, t) in c.topics.enumerated() {
            let p = "topicPolicyConfig.topicsConfig.\(k + 1).member"
            checkString(t.name, "\(p).name", required: true, min: 1, max: 100, pattern: "[0-9a-zA-Z-_ !?.]+", allowed: Self.topicNameChar)
            checkString(t.definition, "\(p).definition", required: true, min: 1, max: 200)
            for (m, e) in t.examples.enumerated() {
                checkString(e, "\(p).examples.\(m + 1).member", required: true, min: 1, max: 100)
            }
        }
        if !skipNil {
            if c.topics.count > 30 { fail(.string("[\(c.topics.count) topics]"), "topicPolicyConfig.topicsConfig", "Member must have length less than or equal to 30") }
            for (k, t) in c.topics.enumerated() where t.examples.count > 5 {
                fail(.array(t.examples.map { .string($0) }), "topicPolicyConfig.topicsConfig.\(k + 1).member.examples", "Member must have length less than or equal to 5")
            }
        }
        var seenTopics = Set<String>()
        for (k, t) in c.topics.enumerated() where !seenTopics.insert(t.name.lowercased()).inserted {
            fail(.string(t.name), "topicPolicyConfig.topicsConfig.\(k + 1).member.name", "Topic names must be unique within a guardrail")
        }
        var seenFilters = Set<GuardrailContentFilterType>()
        for (k, f) in c.contentFilters.enumerated() {
            let p = "contentPolicyConfig.filtersConfig.\(k + 1).member"
            if !seenFilters.insert(f.type).inserted {
                fail(.string(f.type.rawValue), "\(p).type", "Each content filter type may be configured only once")
            }
            // The service refuses a response-side strength for prompt attacks: the filter only runs on input.
            if f.type == .promptAttack, f.outputStrength != .none {
                fail(.string(f.outputStrength.rawValue), "\(p).outputStrength", "PROMPT_ATTACK content filter strength for response must be NONE")
            }
        }
        for (k, w) in c.words.enumerated() {
            checkString(w.text, "wordPolicyConfig.wordsConfig.\(k + 1).member.text", required: true, min: 1, max: 100)
        }
        var seenPii = Set<GuardrailPiiEntityType>()
        for (k, e) in c.piiEntities.enumerated() where !seenPii.insert(e.type).inserted {
            fail(.string(e.type.rawValue), "sensitiveInformationPolicyConfig.piiEntitiesConfig.\(k + 1).member.type", "Each PII entity type may be configured only once")
        }
        for (k, r) in c.regexes.enumerated() {
            let p = "sensitiveInformationPolicyConfig.regexesConfig.\(k + 1).member"
            checkString(r.name, "\(p).name", required: true, min: 1, max: 100)
            if let d = r.description { checkString(d, "\(p).description", required: false, min: 1, max: 1000) }
            checkString(r.pattern, "\(p).pattern", required: true, min: 1, max: 500)
            if !r.pattern.isEmpty {
                do {
                    _ = try UserRegex.compile(r.pattern)
                } catch {
                    fail(.string(r.pattern), "\(p).pattern", "Member must be a valid regular expression")
                }
            }
        }
        var seenGrounding = Set<GuardrailContextualGroundingFilterType>()
        for (k, g) in c.groundingFilters.enumerated() {
            let p = "contextualGroundingPolicyConfig.filtersConfig.\(k + 1).member"
            if g.threshold.isNaN || g.threshold < 0 {
                fail(.number(g.threshold), "\(p).threshold", "Member must have value greater than or equal to 0")
            } else if g.threshold > 0.99 {
                // The API model says >= 0; the service and its documentation cap thresholds at 0.99.
                fail(.number(g.threshold), "\(p).threshold", "Member must have value less than or equal to 0.99")
            }
            if !seenGrounding.insert(g.type).inserted {
                fail(.string(g.type.rawValue), "\(p).type", "Each contextual grounding filter type may be configured only once")
            }
        }
    }
}
