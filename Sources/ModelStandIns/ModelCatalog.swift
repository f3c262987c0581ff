// The foundation models the simulator knows, with the fields of the control plane's
// FoundationModelSummary (GetFoundationModel / ListFoundationModels) and the facts the
// stand-ins need (request family, output limits, context window, default latency).

/// Which model-native request/response body a model speaks.
public enum ModelFamily: String, Sendable, Codable, CaseIterable {
    /// Anthropic Claude Messages API (`anthropic_version`, `messages`, `max_tokens`).
    case anthropicMessages
    /// Amazon Titan Text (`inputText`, `textGenerationConfig`).
    case titanText
    /// Meta Llama (`prompt`, `max_gen_len`).
    case llamaText
    /// Mistral AI text completion (`prompt`, `max_tokens`) → `outputs[]`.
    case mistralText
    /// Amazon Titan Text Embeddings V2 (`inputText`, `dimensions`, `normalize`).
    case titanEmbedding

    public var isEmbedding: Bool { self == .titanEmbedding }
}

/// A model provider. The short name keys the provider's model-deployment (escrow) account.
public enum ModelProvider: String, Sendable, Codable, CaseIterable {
    case anthropic, amazon, meta, mistral

    /// Short name used to pick the model-deployment account, e.g. "anthropic".
    public var shortName: String { rawValue }

    /// `providerName` as GetFoundationModel spells it.
    public var providerName: String {
        switch self {
        case .anthropic: return "Anthropic"
        case .amazon: return "Amazon"
        case .meta: return "Meta"
        case .mistral: return "Mistral AI"
        }
    }

    /// Third-party models are sold through AWS Marketplace and need a model-access
    /// agreement (subscription) before the first call; Amazon's own models do not.
    public var isThirdParty: Bool { self != .amazon }

    /// Anthropic additionally requires the one-time first-use (use-case) form per account.
    public var requiresUseCaseForm: Bool { self == .anthropic }
}

/// One foundation model.
public struct FoundationModel: Sendable, Codable, Equatable, Hashable {
    public var modelId: String
    public var modelName: String
    public var provider: ModelProvider
    public var family: ModelFamily
    public var inputModalities: [String]
    public var outputModalities: [String]
    public var responseStreamingSupported: Bool
    public var customizationsSupported: [String]
    public var inferenceTypesSupported: [String]
    public var lifecycleStatus: String
    /// Model name the native response reports (Anthropic `model` field).
    public var nativeModelName: String
    /// Largest accepted output-token cap (max_tokens / maxTokenCount / max_gen_len).
    public var maxOutputTokens: Int
    /// Output cap used when the request does not give one (families where it is optional).
    public var defaultMaxTokens: Int
    /// Largest accepted input, in TokenCounter tokens.
    public var maxInputTokens: Int
    /// Default generation pacing for hosts.
    public var latency: LatencyModel

    public var providerName: String { provider.providerName }

    /// `arn:aws:bedrock:REGION::foundation-model/ID` (foundation-model ARNs have no account).
    public func modelArn(region: String) -> String { "arn:aws:bedrock:\(region)::foundation-model/\(modelId)" }

    public static func == (a: FoundationModel, b: FoundationModel) -> Bool { a.modelId == b.modelId }
    public func hash(into h: inout Hasher) { h.combine(modelId) }

    /// The FoundationModelSummary / FoundationModelDetails object.
    public func summaryJSON(region: String) -> JSONValue {
        .object(JSONObject([
            ("modelArn", .string(modelArn(region: region))),
            ("modelId", .string(modelId)),
            ("modelName", .string(modelName)),
            ("providerName", .string(providerName)),
            ("inputModalities", .array(inputModalities.map { .string($0) })),
            ("outputModalities", .array(outputModalities.map { .string($0) })),
            ("responseStreamingSupported", .bool(responseStreamingSupported)),
            ("customizationsSupported", .array(customizationsSupported.map { .string($0) })),
            ("inferenceTypesSupported", .array(inferenceTypesSupported.map { .string($0) })),
            ("modelLifecycle", .object(JSONObject([("status", .string(lifecycleStatus))]))),
        ]))
    }
}

public enum ModelCatalog {
    static let both = ["ON_DEMAND", "PROVISIONED"]

    /// Every model the simulator knows, in ListFoundationModels order.
    public static let all: [FoundationModel] = [
        FoundationModel(
            modelId: "anthropic.claude-3-haiku-20240307-v1:0", modelName: "Claude 3 Haiku", provider: .anthropic,
            family: .anthropicMessages, inputModalities: ["TEXT", "IMAGE"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: ["FINE_TUNING"], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "claude-3-haiku-20240307", maxOutputTokens: 4096,
            defaultMaxTokens: 4096, maxInputTokens: 200_000, latency: LatencyModel(firstTokenMs: 250, tokensPerSecond: 120)),
        FoundationModel(
            modelId: "anthropic.claude-3-sonnet-20240229-v1:0", modelName: "Claude 3 Sonnet", provider: .anthropic,
            family: .anthropicMessages, inputModalities: ["TEXT", "IMAGE"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: [], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "claude-3-sonnet-20240229", maxOutputTokens: 4096,
            defaultMaxTokens: 4096, maxInputTokens: 200_000, latency: LatencyModel(firstTokenMs: 600, tokensPerSecond: 60)),
        FoundationModel(
            modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0", modelName: "Claude 3.5 Sonnet", provider: .anthropic,
            family: .anthropicMessages, inputModalities: ["TEXT", "IMAGE"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: [], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "claude-3-5-sonnet-20240620", maxOutputTokens: 4096,
            defaultMaxTokens: 4096, maxInputTokens: 200_000, latency: LatencyModel(firstTokenMs: 500, tokensPerSecond: 75)),
        FoundationModel(
            modelId: "amazon.titan-text-express-v1", modelName: "Titan Text G1 - Express", provider: .amazon,
            family: .titanText, inputModalities: ["TEXT"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: ["FINE_TUNING", "CONTINUED_PRE_TRAINING"],
            inferenceTypesSupported: both, lifecycleStatus: "ACTIVE", nativeModelName: "titan-text-express-v1",
            maxOutputTokens: 8192, defaultMaxTokens: 512, maxInputTokens: 8192,
            latency: LatencyModel(firstTokenMs: 300, tokensPerSecond: 90)),
        FoundationModel(
            modelId: "amazon.titan-text-lite-v1", modelName: "Titan Text G1 - Lite", provider: .amazon,
            family: .titanText, inputModalities: ["TEXT"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: ["FINE_TUNING", "CONTINUED_PRE_TRAINING"],
            inferenceTypesSupported: both, lifecycleStatus: "ACTIVE", nativeModelName: "titan-text-lite-v1",
            maxOutputTokens: 4096, defaultMaxTokens: 512, maxInputTokens: 4096,
            latency: LatencyModel(firstTokenMs: 200, tokensPerSecond: 140)),
        FoundationModel(
            modelId: "amazon.titan-embed-text-v2:0", modelName: "Titan Text Embeddings V2", provider: .amazon,
            family: .titanEmbedding, inputModalities: ["TEXT"], outputModalities: ["EMBEDDING"],
            responseStreamingSupported: false, customizationsSupported: [], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "titan-embed-text-v2", maxOutputTokens: 0,
            defaultMaxTokens: 0, maxInputTokens: 8192, latency: LatencyModel(firstTokenMs: 40, tokensPerSecond: 0)),
        FoundationModel(
            modelId: "meta.llama3-8b-instruct-v1:0", modelName: "Llama 3 8B Instruct", provider: .meta,
            family: .llamaText, inputModalities: ["TEXT"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: [], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "llama3-8b-instruct", maxOutputTokens: 2048,
            defaultMaxTokens: 512, maxInputTokens: 8192, latency: LatencyModel(firstTokenMs: 200, tokensPerSecond: 110)),
        FoundationModel(
            modelId: "meta.llama3-70b-instruct-v1:0", modelName: "Llama 3 70B Instruct", provider: .meta,
            family: .llamaText, inputModalities: ["TEXT"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: [], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "llama3-70b-instruct", maxOutputTokens: 2048,
            defaultMaxTokens: 512, maxInputTokens: 8192, latency: LatencyModel(firstTokenMs: 450, tokensPerSecond: 50)),
        FoundationModel(
            modelId: "mistral.mistral-7b-instruct-v0:2", modelName: "Mistral 7B Instruct", provider: .mistral,
            family: .mistralText, inputModalities: ["TEXT"], outputModalities: ["TEXT"],
            responseStreamingSupported: true, customizationsSupported: [], inferenceTypesSupported: both,
            lifecycleStatus: "ACTIVE", nativeModelName: "mistral-7b-instruct-v0:2", maxOutputTokens: 8192,
            defaultMaxTokens: 512, maxInputTokens: 32_000, latency: LatencyModel(firstTokenMs: 180, tokensPerSecond: 120)),
    ]

    /// Finds a model by bare ID (`anthropic.claude-3-haiku-20240307-v1:0`) or by its
    /// foundation-model ARN in `region` (`arn:aws:bedrock:us-east-1::foundation-model/...`).
    /// An ARN for another region, with an account, or of another resource type gives nil.
    public static func lookup(_ modelIdOrArn: String, region: String) -> FoundationModel? {
        position(of: modelIdOrArn, region: region).map { all[$0] }
    }

    /// Where `lookup` finds the model in `all`: a caller that reads one or two fields (the front end, several
    /// times per call) reads them there instead of copying the whole model out (a dozen reference-counted fields).
    public static func position(of modelIdOrArn: String, region: String) -> Int? {
        if modelIdOrArn.hasPrefix("arn:") {
            // arn:PARTITION:bedrock:REGION::foundation-model/ID (the ID itself may contain ':')
            let parts = modelIdOrArn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
            guard parts.count == 6, parts[1].hasPrefix("aws"), parts[2] == "bedrock", parts[3] == region, parts[4].isEmpty
            else { return nil }
            let resource = parts[5]
            guard resource.hasPrefix("foundation-model/") else { return nil }
            let id = String(resource.dropFirst("foundation-model/".count))
            return positionById[id]
        }
        return positionById[modelIdOrArn]
    }

    /// Each model's position in `all`, by id: the front end looks a model up several times per call, and a scan
    /// that compares (and copies) every model before it cost more than hashing the id once.
    static let positionById: [String: Int] = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.modelId, $0) })

    /// Models from one provider (e.g. all models a provider's escrow account hosts).
    public static func models(provider: ModelProvider) -> [FoundationModel] { all.filter { $0.provider == provider } }

    /// ListFoundationModels with its optional filters (`byProvider` matches the provider
    /// name case-insensitively; the others match exactly).
    public static func list(
        byProvider: String? = nil, byCustomizationType: String? = nil,
        byOutputModality: String? = nil, byInferenceType: String? = nil
    ) -> [FoundationModel] {
        all.filter { m in
            if let p = byProvider, p.lowercased() != m.providerName.lowercased(), p.lowercased() != m.provider.shortName {
                return false
            }
            if let c = byCustomizationType, !m.customizationsSupported.contains(c) { return false }
            if let o = byOutputModality, !m.outputModalities.contains(o) { return false }
            if let i = byInferenceType, !m.inferenceTypesSupported.contains(i) { return false }
            return true
        }
    }

    /// Body of a ListFoundationModels response: `{"modelSummaries":[...]}`.
    public static func listFoundationModelsBody(region: String, models: [FoundationModel] = all) -> [UInt8] {
        JSONValue.object(JSONObject([("modelSummaries", .array(models.map { $0.summaryJSON(region: region) }))])).serialized()
    }

    /// Body of a GetFoundationModel response: `{"modelDetails":{...}}`.
    public static func getFoundationModelBody(_ model: FoundationModel, region: String) -> [UInt8] {
        JSONValue.object(JSONObject([("modelDetails", model.summaryJSON(region: region))])).serialized()
    }
}
