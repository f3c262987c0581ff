// Model access: a gate separate from IAM. Per account and region, a third-party model needs an accepted agreement
// (the Marketplace offer, CreateFoundationModelAgreement), and Anthropic models additionally a one-time use-case form
// (PutUseCaseForModelAccess), before the first call succeeds; without them the call fails with AccessDeniedException
// "You don't have access to the model with the specified model ID." even when IAM allows it. Amazon's own models need
// neither. The state lives in RUN_DIR/model-access.json (seeded by `up`, changed by the control-plane operations
// below and by `bedrock-sim model-access`), so it survives a front-end restart; the front end re-reads the file when
// it changes on disk.
import Envelope
import FoundationEssentials
import NodeRuntime
#if canImport(Glibc)
import Glibc
#endif

public struct ModelAccessState: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// Model id (or `*`, every third-party model) -> when the agreement was accepted.
        public var agreements: [String: String] = [:]
        public var useCaseSubmittedAt: String?
        /// The PutUseCaseForModelAccess blob, base64 as sent.
        public var useCaseFormData: String?
        public init() {}
    }
    /// Account id -> region -> entry.
    public var accounts: [String: [String: Entry]] = [:]
    public init() {}

    public static func path(runDirectory: String) -> String { runDirectory + "/model-access.json" }

    public static func requiresAgreement(provider: String) -> Bool { provider != "amazon" }
    public static func requiresUseCase(provider: String) -> Bool { provider == "anthropic" }

    public func entry(account: String, region: String) -> Entry { accounts[account]?[region] ?? Entry() }

    public func hasAgreement(account: String, region: String, modelId: String) -> Bool {
        let e = entry(account: account, region: region)
        return e.agreements[modelId] != nil || e.agreements["*"] != nil
    }

    /// What is missing before `account` may call the model, or nil when it has access.
    public func missing(account: String, region: String, modelId: String, provider: String) -> String? {
        var gaps: [String] = []
        if ModelAccessState.requiresAgreement(provider: provider) && !hasAgreement(account: account, region: region, modelId: modelId) {
            gaps.append("no accepted agreement for \(modelId) (CreateFoundationModelAgreement)")
        }
        if ModelAccessState.requiresUseCase(provider: provider) && entry(account: account, region: region).useCaseSubmittedAt == nil {
            gaps.append("the one-time Anthropic use-case form was not submitted (PutUseCaseForModelAccess)")
        }
        return gaps.isEmpty ? nil : gaps.joined(separator: "; ")
    }

    public mutating func grant(account: String, region: String, modelId: String, at time: String) {
        accounts[account, default: [:]][region, default: Entry()].agreements[modelId] = time
    }

    /// Removes the agreement; a `*` grant is expanded to every other third-party model of `catalogue` first.
    public mutating func revoke(account: String, region: String, modelId: String, catalogue: [CatalogEntry]) {
        var e = entry(account: account, region: region)
        if let all = e.agreements.removeValue(forKey: "*"), modelId != "*" {
            for m in catalogue where ModelAccessState.requiresAgreement(provider: m.provider) && m.modelId != modelId {
                e.agreements[m.modelId] = e.agreements[m.modelId] ?? all
            }
        }
        if modelId == "*" { e.agreements = [:] } else { e.agreements[modelId] = nil }
        accounts[account, default: [:]][region] = e
    }

    public mutating func submitUseCase(account: String, region: String, formData: String?, at time: String) {
        accounts[account, default: [:]][region, default: Entry()].useCaseSubmittedAt = time
        accounts[account, default: [:]][region, default: Entry()].useCaseFormData = formData
    }

    public mutating func withdrawUseCase(account: String, region: String) {
        accounts[account, default: [:]][region, default: Entry()].useCaseSubmittedAt = nil
        accounts[account, default: [:]][region, default: Entry()].useCaseFormData = nil
    }

    public static func load(path: String) throws -> ModelAccessState {
        guard let data = FileManager.default.contents(atPath: path) else { return ModelAccessState() }
        return try JSONDecoder().decode(ModelAccessState.self, from: data)
    }

    /// Written atomically (temporary file + rename) so a reader never sees half a file.
    public func write(path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// The front end's view of model-access.json: cached, re-read when the file changes (inode, size or mtime), which it
/// checks at most every 10 ms (a change made with `bedrock-sim model-access` applies within 10 ms).
public final class ModelAccessStore {
    public let path: String
    private var cached = ModelAccessState()
    private var stamp: (ino: UInt64, size: Int64, sec: Int, nsec: Int) = (0, -1, 0, 0)

    public init(runDirectory: String) {
        path = ModelAccessState.path(runDirectory: runDirectory)
    }

    /// When the file was last looked at: a busy front end stats it at most every `recheckNs`, not on every call.
    private var checkedNs: UInt64 = 0
    static let recheckNs: UInt64 = 10_000_000

    public var state: ModelAccessState {
        let nowNs = SimClock.monotonicNanoseconds()
        if checkedNs != 0 && nowNs &- checkedNs < ModelAccessStore.recheckNs { return cached }
        checkedNs = nowNs
        var st = stat()
        guard stat(path, &st) == 0 else { return cached }
        let now = (UInt64(st.st_ino), Int64(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
        if now != stamp, let fresh = try? ModelAccessState.load(path: path) {
            cached = fresh
            stamp = now
        }
        return cached
    }

    /// Applies a change and persists it before returning.
    public func update(_ change: (inout ModelAccessState) -> Void) throws {
        var s = state
        change(&s)
        try s.write(path: path)
        cached = s
        stamp = (0, -1, 0, 0)
        checkedNs = 0
    }
}

/// AccessDeniedException for a model the account has no access to, whatever IAM says.
public struct ModelAccessGate: FrontendGate {
    public let name = "model-access"
    let store: ModelAccessStore
    let region: String
    public init(store: ModelAccessStore, region: String) { self.store = store; self.region = region }
    public static let denial = BedrockError.accessDenied("You don't have access to the model with the specified model ID.")

    public func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        guard call.runtimeOperation != nil, let model = Catalog.lookup(call.modelId, region: region) else {
            return .pass(reason: "not a foundation-model invocation")
        }
        let account = call.callerAccount
        if let gap = store.state.missing(account: account, region: region, modelId: model.modelId, provider: model.provider) {
            return .deny(ModelAccessGate.denial, reason: "account \(account) has no access to \(model.modelId) in \(region): \(gap)")
        }
        return .pass(reason: ModelAccessState.requiresAgreement(provider: model.provider)
                     ? "account \(account) has access to \(model.modelId) in \(region)" : "\(model.provider) models need no agreement")
    }
}

// MARK: - Control-plane operations (bedrock-api.md §3)

/// Deterministic Marketplace offer token for a model (what CreateFoundationModelAgreement must present).
func offerToken(for modelId: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in modelId.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    return "bsim-offer-" + String(h, radix: 16) + "-" + RuntimeRouter.percentEncodeSegment(modelId)
}

private func bodyObject(_ call: FrontendCall) -> Result<[String: JSONValue], BedrockError> {
    if call.request.body.isEmpty { return .success([:]) }
    guard let v = try? JSONValue.parse(call.request.body), case .object(let o) = v else {
        return .failure(.validation("The request body is not a JSON object."))
    }
    return .success(o)
}

private func json(_ o: [String: JSONValue], status: Int = 200) -> HTTPResponse {
    jsonResponse(JSONValue.object(o).serialized(), status: status)
}

private func nowISO() -> String { SimClock.iso8601(unixMs: SimClock.unixMilliseconds(), fractional: false) }

/// GET /list-foundation-model-agreement-offers/{modelId}?offerType=ALL|PUBLIC
public struct ListFoundationModelAgreementOffersOperation: TemplatedOperation {
    public let name = "ListFoundationModelAgreementOffers"
    public let template = PathTemplate("GET", "/list-foundation-model-agreement-offers/{modelId}")
    public init() {}
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    public func handle(_ call: FrontendCall, node: Node) -> HTTPResponse {
        let id = call.pathParameters["modelId"] ?? ""
        if let t = queryParameters(call.request)["offerType"], !["ALL", "PUBLIC"].contains(t) {
            return BedrockError.validation("1 validation error detected: Value '\(t)' at 'offerType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, PUBLIC]").httpResponse(requestId: call.requestId)
        }
        guard let model = Catalog.lookup(id, region: node.manifest.region) else {
            return BedrockError.resourceNotFound("The model \(id) is not found.").httpResponse(requestId: call.requestId)
        }
        var offers: [JSONValue] = []
        if ModelAccessState.requiresAgreement(provider: model.provider) {
            offers.append(.object([
                "offerId": .string("offer-\(model.provider)-public"),
                "offerToken": .string(offerToken(for: model.modelId)),
                "termDetails": .object([
                    "usageBasedPricingTerm": .object(["rateCard": .array([
                        .object(["dimension": .string("input_tokens"), "price": .string("0.00025"), "description": .string("per 1,000 input tokens"), "unit": .string("USD")]),
                        .object(["dimension": .string("output_tokens"), "price": .string("0.00125"), "description": .string("per 1,000 output tokens"), "unit": .string("USD")]),
                    ])]),
                    "legalTerm": .object(["url": .string("https://aws.amazon.com/legal/bedrock/third-party-models/")]),
                    "supportTerm": .object(["refundPolicyDescription": .string("Refunds follow the AWS Marketplace policy of the model provider.")]),
                    "validityTerm": .object(["agreementDuration": .string("P100Y")]),
                ]),
            ]))
        }
        return json(["modelId": .string(model.modelId), "offers": .array(offers)])
    }
}

/// POST /create-foundation-model-agreement {offerToken, modelId} -> 202 {modelId}
public struct CreateFoundationModelAgreementOperation: TemplatedOperation {
    public let name = "CreateFoundationModelAgreement"
    public let template = PathTemplate("POST", "/create-foundation-model-agreement")
    let store: ModelAccessStore
    public init(store: ModelAccessStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let body = try bodyObject(call).get()
        for key in ["offerToken", "modelId"] where body[key]?.stringValue == nil {
            return BedrockError.validation("1 validation error detected: Value null at '\(key)' failed to satisfy constraint: Member must not be null").httpResponse(requestId: call.requestId)
        }
        let id = body["modelId"]?.stringValue ?? ""
        let region = node.manifest.region
        guard let model = Catalog.lookup(id, region: region) else {
            return BedrockError.resourceNotFound("The model \(id) is not found.").httpResponse(requestId: call.requestId)
        }
        guard ModelAccessState.requiresAgreement(provider: model.provider) else {
            return BedrockError.validation("The model \(model.modelId) does not require an agreement.").httpResponse(requestId: call.requestId)
        }
        guard body["offerToken"]?.stringValue == offerToken(for: model.modelId) else {
            return BedrockError.validation("The provided offer token is not valid for model \(model.modelId). Call ListFoundationModelAgreementOffers for a current offer.").httpResponse(requestId: call.requestId)
        }
        do {
            try store.update { $0.grant(account: call.callerAccount, region: region, modelId: model.modelId, at: nowISO()) }
        } catch {
            return BedrockError.internalFailure("The agreement could not be recorded.").httpResponse(requestId: call.requestId)
        }
        return json(["modelId": .string(model.modelId)], status: 202)
    }
}

/// POST /delete-foundation-model-agreement {modelId} -> 202 {}
public struct DeleteFoundationModelAgreementOperation: TemplatedOperation {
    public let name = "DeleteFoundationModelAgreement"
    public let template = PathTemplate("POST", "/delete-foundation-model-agreement")
    let store: ModelAccessStore
    public init(store: ModelAccessStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let body = try bodyObject(call).get()
        guard let id = body["modelId"]?.stringValue else {
            return BedrockError.validation("1 validation error detected: Value null at 'modelId' failed to satisfy constraint: Member must not be null").httpResponse(requestId: call.requestId)
        }
        let region = node.manifest.region
        guard let model = Catalog.lookup(id, region: region) else {
            return BedrockError.resourceNotFound("The model \(id) is not found.").httpResponse(requestId: call.requestId)
        }
        guard store.state.hasAgreement(account: call.callerAccount, region: region, modelId: model.modelId) else {
            return BedrockError.resourceNotFound("No agreement exists for model \(model.modelId).").httpResponse(requestId: call.requestId)
        }
        let catalogue = Catalog.allModelIds.sorted().compactMap { Catalog.lookup($0, region: region) }
        do {
            try store.update { $0.revoke(account: call.callerAccount, region: region, modelId: model.modelId, catalogue: catalogue) }
        } catch {
            return BedrockError.internalFailure("The agreement could not be removed.").httpResponse(requestId: call.requestId)
        }
        return json([:], status: 202)
    }
}

/// GET /foundation-model-availability/{modelId}
public struct GetFoundationModelAvailabilityOperation: TemplatedOperation {
    public let name = "GetFoundationModelAvailability"
    public let template = PathTemplate("GET", "/foundation-model-availability/{modelId}")
    let store: ModelAccessStore
    /// Whether IAM lets the caller invoke the model (authorizationStatus).
    let isAuthorized: (FrontendCall, String) -> Bool
    public init(store: ModelAccessStore, isAuthorized: @escaping (FrontendCall, String) -> Bool) {
        self.store = store; self.isAuthorized = isAuthorized
    }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    public func handle(_ call: FrontendCall, node: Node) -> HTTPResponse {
        let id = call.pathParameters["modelId"] ?? ""
        let region = node.manifest.region
        guard let model = Catalog.lookup(id, region: region) else {
            return BedrockError.resourceNotFound("The model \(id) is not found.").httpResponse(requestId: call.requestId)
        }
        let s = store.state
        let agreement = !ModelAccessState.requiresAgreement(provider: model.provider)
            || s.hasAgreement(account: call.callerAccount, region: region, modelId: model.modelId)
        let entitled = s.missing(account: call.callerAccount, region: region, modelId: model.modelId, provider: model.provider) == nil
        let authorized = isAuthorized(call, "arn:aws:bedrock:\(region)::foundation-model/\(model.modelId)")
        return json([
            "modelId": .string(model.modelId),
            "agreementAvailability": .object(["status": .string(agreement ? "AVAILABLE" : "NOT_AVAILABLE")]),
            "authorizationStatus": .string(authorized ? "AUTHORIZED" : "NOT_AUTHORIZED"),
            "entitlementAvailability": .string(entitled ? "AVAILABLE" : "NOT_AVAILABLE"),
            "regionAvailability": .string("AVAILABLE"),
        ])
    }
}

/// POST /use-case-for-model-access {formData: base64} -> 201 {}
public struct PutUseCaseForModelAccessOperation: TemplatedOperation {
    public let name = "PutUseCaseForModelAccess"
    public let template = PathTemplate("POST", "/use-case-for-model-access")
    let store: ModelAccessStore
    public init(store: ModelAccessStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    public func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let body = try bodyObject(call).get()
        guard let form = body["formData"]?.stringValue else {
            return BedrockError.validation("1 validation error detected: Value null at 'formData' failed to satisfy constraint: Member must not be null").httpResponse(requestId: call.requestId)
        }
        guard !form.isEmpty, Data(base64Encoded: form) != nil else {
            return BedrockError.validation("formData must be a base64-encoded blob.").httpResponse(requestId: call.requestId)
        }
        do {
            try store.update { $0.submitUseCase(account: call.callerAccount, region: node.manifest.region, formData: form, at: nowISO()) }
        } catch {
            return BedrockError.internalFailure("The use case could not be recorded.").httpResponse(requestId: call.requestId)
        }
        return json([:], status: 201)
    }
}

/// GET /use-case-for-model-access -> {formData}
public struct GetUseCaseForModelAccessOperation: TemplatedOperation {
    public let name = "GetUseCaseForModelAccess"
    public let template = PathTemplate("GET", "/use-case-for-model-access")
    let store: ModelAccessStore
    public init(store: ModelAccessStore) { self.store = store }
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", "*") }
    public func handle(_ call: FrontendCall, node: Node) -> HTTPResponse {
        let e = store.state.entry(account: call.callerAccount, region: node.manifest.region)
        guard e.useCaseSubmittedAt != nil else {
            return BedrockError.resourceNotFound("No use case has been submitted for this account.").httpResponse(requestId: call.requestId)
        }
        return json(["formData": .string(e.useCaseFormData ?? "")])
    }
}
