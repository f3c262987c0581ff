import FoundationEssentials

// ApplyGuardrail response shapes (botocore bedrock-runtime 2023-09-30). Property names are the
// wire names, so synthesized Encodable produces exactly the service's JSON; nil members are omitted.

public enum GuardrailAction: String, Sendable, Encodable { case none = "NONE", guardrailIntervened = "GUARDRAIL_INTERVENED" }
/// Result actions: BLOCKED / NONE (topics, content, words, grounding).
public enum GuardrailPolicyAction: String, Sendable, Encodable { case blocked = "BLOCKED", none = "NONE" }
/// Result actions for sensitive information: ANONYMIZED / BLOCKED / NONE.
public enum GuardrailSensitiveInformationPolicyAction: String, Sendable, Encodable {
    case anonymized = "ANONYMIZED", blocked = "BLOCKED", none = "NONE"
}

public struct GuardrailUsage: Sendable, Equatable, Encodable {
    public var topicPolicyUnits = 0
    public var contentPolicyUnits = 0
    public var wordPolicyUnits = 0
    public var sensitiveInformationPolicyUnits = 0
    public var sensitiveInformationPolicyFreeUnits = 0
    public var contextualGroundingPolicyUnits = 0
    public var contentPolicyImageUnits = 0
    public init() {}
}

public struct GuardrailTextCharactersCoverage: Sendable, Equatable, Encodable {
    public var guarded: Int
    public var total: Int
}

public struct GuardrailCoverage: Sendable, Equatable, Encodable {
    public var textCharacters: GuardrailTextCharactersCoverage
}

public struct GuardrailOutputContent: Sendable, Equatable, Encodable {
    public var text: String
}

public struct GuardrailTopic: Sendable, Equatable, Encodable {
    public var name: String
    public var type = "DENY"
    public var action: GuardrailPolicyAction
    public var detected: Bool
}

public struct GuardrailTopicPolicyAssessment: Sendable, Equatable, Encodable { public var topics: [GuardrailTopic] }

public struct GuardrailContentFilter: Sendable, Equatable, Encodable {
    public var type: String
    public var confidence: String
    public var filterStrength: String
    public var action: GuardrailPolicyAction
    public var detected: Bool
}

public struct GuardrailContentPolicyAssessment: Sendable, Equatable, Encodable { public var filters: [GuardrailContentFilter] }

public struct GuardrailCustomWord: Sendable, Equatable, Encodable {
    public var match: String
    public var action: GuardrailPolicyAction
    public var detected: Bool
}

public struct GuardrailManagedWord: Sendable, Equatable, Encodable {
    public var match: String
    public var type = "PROFANITY"
    public var action: GuardrailPolicyAction
    public var detected: Bool
}

public struct GuardrailWordPolicyAssessment: Sendable, Equatable, Encodable {
    public var customWords: [GuardrailCustomWord]
    public var managedWordLists: [GuardrailManagedWord]
}

public struct GuardrailPiiEntityFilter: Sendable, Equatable, Encodable {
    public var match: String
    public var type: String
    public var action: GuardrailSensitiveInformationPolicyAction
    public var detected: Bool
}

public struct GuardrailRegexFilter: Sendable, Equatable, Encodable {
    public var name: String
    public var match: String
    public var regex: String
    public var action: GuardrailSensitiveInformationPolicyAction
    public var detected: Bool
}

public struct GuardrailSensitiveInformationPolicyAssessment: Sendable, Equatable, Encodable {
    public var piiEntities: [GuardrailPiiEntityFilter]
    public var regexes: [GuardrailRegexFilter]
}

public struct GuardrailContextualGroundingFilter: Sendable, Equatable, Encodable {
    public var type: String
    public var threshold: Double
    public var score: Double
    public var action: GuardrailPolicyAction
    public var detected: Bool
}

public struct GuardrailContextualGroundingPolicyAssessment: Sendable, Equatable, Encodable {
    public var filters: [GuardrailContextualGroundingFilter]
}

public struct GuardrailInvocationMetrics: Sendable, Equatable, Encodable {
    public var guardrailProcessingLatency: Int
    public var usage: GuardrailUsage
    public var guardrailCoverage: GuardrailCoverage
}

public struct GuardrailAssessment: Sendable, Equatable, Encodable {
    public var topicPolicy: GuardrailTopicPolicyAssessment?
    public var contentPolicy: GuardrailContentPolicyAssessment?
    public var wordPolicy: GuardrailWordPolicyAssessment?
    public var sensitiveInformationPolicy: GuardrailSensitiveInformationPolicyAssessment?
    public var contextualGroundingPolicy: GuardrailContextualGroundingPolicyAssessment?
    public var invocationMetrics: GuardrailInvocationMetrics?
}

/// The ApplyGuardrail response.
public struct ApplyGuardrailResult: Sendable, Equatable, Encodable {
    public var usage: GuardrailUsage
    public var action: GuardrailAction
    public var actionReason: String?
    public var outputs: [GuardrailOutputContent]
    public var assessments: [GuardrailAssessment]
    public var guardrailCoverage: GuardrailCoverage?

    /// JSON body as the service sends it (keys sorted for stable output).
    public func jsonBytes() -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain value types cannot fail; an empty object is a safe fallback.
        return (try? enc.encode(self)).map { [UInt8]($0) } ?? Array("{}".utf8)
    }
}
