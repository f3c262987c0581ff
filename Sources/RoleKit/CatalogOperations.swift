// Control-plane catalogue operations served by the front end: ListFoundationModels (GET /foundation-models,
// with byProvider / byOutputModality / byInferenceType / byCustomizationType filters) and GetFoundationModel
// (GET /foundation-models/{modelIdentifier}). IAM actions bedrock:ListFoundationModels (resource "*") and
// bedrock:GetFoundationModel (the foundation-model ARN).
import Envelope
import ModelStandIns
import NodeRuntime

public func jsonResponse(_ body: [UInt8], status: Int = 200) -> HTTPResponse {
    HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json")], body: body)
}

public func queryParameters(_ request: HTTPRequest) -> [String: String] {
    var query = request.query
    if query.isEmpty, let q = request.path.split(separator: "?", maxSplits: 1).dropFirst().first { query = String(q) }
    var out: [String: String] = [:]
    for pair in query.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
        guard let k = RuntimeRouter.percentDecode(kv[0]) else { continue }
        out[k] = kv.count > 1 ? RuntimeRouter.percentDecode(String(kv[1].map { $0 == "+" ? " " : $0 })) ?? "" : ""
    }
    return out
}

public struct ListFoundationModelsOperation: TemplatedOperation {
    public let name = "ListFoundationModels"
    public let template = PathTemplate("GET", "/foundation-models")
    public init() {}
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:ListFoundationModels", "*") }
    public func handle(_ call: FrontendCall, node: Node) -> HTTPResponse {
        let q = queryParameters(call.request)
        for (key, allowed) in [("byOutputModality", ["TEXT", "IMAGE", "EMBEDDING"]), ("byInferenceType", ["ON_DEMAND", "PROVISIONED"]),
                               ("byCustomizationType", ["FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"])] {
            if let v = q[key], !allowed.contains(v) {
                return BedrockError.validation("1 validation error detected: Value '\(v)' at '\(key)' failed to satisfy constraint: Member must satisfy enum value set: [\(allowed.joined(separator: ", "))]").httpResponse(requestId: call.requestId)
            }
        }
        let models = ModelCatalog.list(byProvider: q["byProvider"], byCustomizationType: q["byCustomizationType"],
                                       byOutputModality: q["byOutputModality"], byInferenceType: q["byInferenceType"])
        return jsonResponse(ModelCatalog.listFoundationModelsBody(region: node.manifest.region, models: models))
    }
}

public struct GetFoundationModelOperation: TemplatedOperation {
    public let name = "GetFoundationModel"
    public let template = PathTemplate("GET", "/foundation-models/{modelIdentifier}")
    public init() {}
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        let id = call.pathParameters["modelIdentifier"] ?? ""
        return ("bedrock:GetFoundationModel", id.hasPrefix("arn:") ? id : "arn:aws:bedrock:\(region)::foundation-model/\(id)")
    }
    public func handle(_ call: FrontendCall, node: Node) -> HTTPResponse {
        let id = call.pathParameters["modelIdentifier"] ?? ""
        guard let model = ModelCatalog.lookup(id, region: node.manifest.region) else {
            return BedrockError.resourceNotFound("The model \(id) is not found.").httpResponse(requestId: call.requestId)
        }
        return jsonResponse(ModelCatalog.getFoundationModelBody(model, region: node.manifest.region))
    }
}
