// The front end's part of customization (README: "Fine-tuning, provisioned throughput, customer KMS and S3"):
// - Customization control-plane operations (Create/Get/List/StopModelCustomizationJob, Get/List/DeleteCustomModel)
//   are ForwardingOperations: after the gates pass, the front end forwards the HTTP request with the caller's principal
//   and account to the finetune-worker (link runtime-frontend -> finetune-worker) and seals its answer back.
// - Provisioned throughput (Create/Get/List/Update/DeleteProvisionedModelThroughput) is kept here: the front end owns
//   the registry because it must route every invocation of a provisioned-model ARN to its dedicated host. Creating one
//   assigns a free provisioned-host from the topology's pool that is bound to the caller's account (its `kms:` key),
//   and asks it to load the model (`POST /load`): a custom model is decrypted there through the customer's key grant.
// - `ProvisionedRoutingGate` (a pre-gate) resolves a provisioned-model ARN to its host and refuses other accounts'
//   provisioned and custom models, and custom models invoked on demand.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import ModelStandIns
import NodeRuntime
import SimCrypto

public struct CustomizationForwardOperation: ForwardingOperation, TemplatedOperation {
    public let name: String
    public let template: PathTemplate
    let resource: (FrontendCall, String) -> String

    /// The IAM action is the operation's name (bedrock:CreateModelCustomizationJob ...).
    public func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) { ("bedrock:\(name)", resource(call, region)) }
    public func handle(_ call: FrontendCall, node: Node) -> HTTPResponse { BedrockError.internalFailure("forwarded operation").httpResponse(requestId: call.requestId) }

    public func forwardTarget(for call: FrontendCall, node: Node) -> Result<String, BedrockError> {
        let workers = node.me.connects.filter { node.manifest.node(named: $0)?.role == "finetune-worker" }
        guard !workers.isEmpty else { return .failure(.validation("Model customization is not available in this Region (no finetune-worker in the topology).")) }
        // A create goes to the worker of the base model's provider; every other call to the first worker (one
        // customization control plane per Region; see the README section "Fine-tuning, provisioned throughput, customer KMS and S3").
        if name == "CreateModelCustomizationJob", let body = try? JSONValue.parse(call.request.body),
           let base = body["baseModelIdentifier"]?.stringValue, let m = ModelCatalog.lookup(base, region: node.manifest.region) {
            let provider = m.provider.rawValue
            if let w = workers.first(where: { node.manifest.account(id: node.manifest.node(named: $0)?.accountId ?? "")?.provider == provider }) {
                return .success(w)
            }
        }
        guard let w = workers.first(where: { node.isUp($0) }) ?? workers.first else { return .failure(.serviceUnavailable) }
        return .success(w)
    }

    public static func all() -> [LocalOperation] {
        func arn(_ kind: String) -> (FrontendCall, String) -> String {
            { call, region in
                let id = call.pathParameters["id"] ?? ""
                return id.hasPrefix("arn:") ? id : "arn:aws:bedrock:\(region):\(call.callerAccount):\(kind)/\(id.isEmpty ? "*" : id)"
            }
        }
        return [
            CustomizationForwardOperation(name: "CreateModelCustomizationJob", template: PathTemplate("POST", "/model-customization-jobs"),
                                          resource: arn("model-customization-job")),
            CustomizationForwardOperation(name: "ListModelCustomizationJobs", template: PathTemplate("GET", "/model-customization-jobs"),
                                          resource: { _, _ in "*" }),
            CustomizationForwardOperation(name: "GetModelCustomizationJob", template: PathTemplate("GET", "/model-customization-jobs/{id}"),
                                          resource: arn("model-customization-job")),
            CustomizationForwardOperation(name: "StopModelCustomizationJob", template: PathTemplate("POST", "/model-customization-jobs/{id}/stop"),
                                          resource: arn("model-customization-job")),
            CustomizationForwardOperation(name: "ListCustomModels", template: PathTemplate("GET", "/custom-models"),
                                          resource: { _, _ in "*" }),
            CustomizationForwardOperation(name: "GetCustomModel", template: PathTemplate("GET", "/custom-models/{id}"),
                                          resource: arn("custom-model")),
            CustomizationForwardOperation(name: "DeleteCustomModel", template: PathTemplate("DELETE", "/custom-models/{id}"),
                                          resource: arn("custom-model")),
        ]
    }
}

/// The provisioned-throughput registry and its operations, gate and host calls.
public final class ProvisionedThroughputService {
    struct PT {
        var arn: String
        var name: String
        var account: String
        var modelArn: String
        var baseModelId: String
        var foundationModelArn: String
        var units: Int
        var desiredUnits: Int
        var status: String
        var host: String
        var creationTime: String
        var lastModifiedTime: String
        var failureMessage: String?
        var clientRequestToken: String?
    }
    var pts: [String: PT] = [:]
    let calls = AWSCalls()
    let region: String
    let runDirectory: String

    public init(region: String, runDirectory: String) {
        self.region = region
        self.runDirectory = runDirectory
    }

    /// Registers the operations, the routing pre-gate and the host-call handlers.
    public func install(into extensions: inout FrontendExtensions) {
        extensions.operations += CustomizationForwardOperation.all()
        extensions.operations += [PTOperation(service: self, kind: .create), PTOperation(service: self, kind: .list),
                                  PTOperation(service: self, kind: .get), PTOperation(service: self, kind: .update),
                                  PTOperation(service: self, kind: .delete)]
        extensions.preGates.append(ProvisionedResolveGate(service: self))
        extensions.gates.append(ProvisionedRoutingGate(service: self))
        extensions.upstreamHandlers.append { [self] e, peer, node in calls.handle(e, from: peer, node: node) }
        extensions.timerHandlers.append { [self] token, node in calls.timerFired(token, node: node) }
    }

    func json(_ v: JSONValue, status: Int = 200, _ requestId: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("x-amzn-RequestId", requestId)], body: v.serialized())
    }

    func describe(_ p: PT) -> JSONValue {
        var o: [String: JSONValue] = [
            "provisionedModelArn": .string(p.arn), "provisionedModelName": .string(p.name), "modelArn": .string(p.modelArn),
            "desiredModelArn": .string(p.modelArn), "foundationModelArn": .string(p.foundationModelArn), "modelUnits": .number(Double(p.units)),
            "desiredModelUnits": .number(Double(p.desiredUnits)), "status": .string(p.status), "creationTime": .string(p.creationTime),
            "lastModifiedTime": .string(p.lastModifiedTime),
        ]
        if let f = p.failureMessage { o["failureMessage"] = .string(f) }
        return .object(o)
    }

    /// A provisioned model by ARN or name, for `account`. Another account's ARN: AccessDenied (as IAM denies it).
    func lookup(_ id: String, account: String) -> Result<PT, BedrockError> {
        if id.hasPrefix("arn:") {
            guard let p = pts[id] else {
                let owner = arnAccountField(id)
                return .failure(owner == account ? .resourceNotFound("Provisioned model \(id) was not found.")
                                : .accessDenied("Account \(account) is not authorized to use provisioned model \(id) of another account."))
            }
            guard p.account == account else {
                return .failure(.accessDenied("Account \(account) is not authorized to use provisioned model \(id) of another account."))
            }
            return .success(p)
        }
        guard let p = pts.values.first(where: { $0.name == id && $0.account == account }) else {
            return .failure(.resourceNotFound("Provisioned model \(id) was not found."))
        }
        return .success(p)
    }

    func now() -> String { SimClock.iso8601(unixMs: SimClock.unixMilliseconds()) }

    /// Asks the host to (re)load the model; the answer moves the provisioned model to InService or Failed.
    func load(_ arn: String, node: Node) {
        guard let p = pts[arn] else { return }
        var body: [String: JSONValue] = ["provisionedModelArn": .string(p.arn), "modelArn": .string(p.modelArn), "baseModelId": .string(p.baseModelId),
                                         "modelUnits": .number(Double(p.desiredUnits)), "account": .string(p.account)]
        if p.modelArn.contains(":custom-model/") { body["customModel"] = .bool(true) }
        let req = HTTPRequest(method: "POST", path: "/load", body: JSONValue.object(body).serialized())
        calls.call(req, to: p.host, requestId: SimIds.uuid(), timeoutMs: 15_000, node: node) { [self] result in
            guard var p = pts[arn] else { return }
            switch result {
            case .success(let r) where r.status == 200:
                p.status = "InService"; p.units = p.desiredUnits; p.failureMessage = nil
            case .success(let r):
                p.status = "Failed"; p.failureMessage = BedrockError.from(r)?.message ?? "HTTP \(r.status)"
            case .failure(let e):
                p.status = "Failed"; p.failureMessage = e.message
            }
            p.lastModifiedTime = now()
            pts[arn] = p
            var t = TraceRecord(event: .decision)
            t.decision = p.status == "InService" ? "in-service" : "failed"; t.peer = p.host
            t.reason = "provisioned model \(arn) on \(p.host): \(p.status)\(p.failureMessage.map { " (\($0))" } ?? "")"
            node.trace(t)
        }
    }
}

struct PTOperation: LocalOperation {
    enum Kind { case create, list, get, update, delete }
    let service: ProvisionedThroughputService
    let kind: Kind

    var name: String {
        switch kind {
        case .create: "CreateProvisionedModelThroughput"
        case .list: "ListProvisionedModelThroughputs"
        case .get: "GetProvisionedModelThroughput"
        case .update: "UpdateProvisionedModelThroughput"
        case .delete: "DeleteProvisionedModelThroughput"
        }
    }

    /// The path templates, parsed once (match runs for every control-plane call).
    private static let templates: [Kind: PathTemplate] = [
        .create: PathTemplate("POST", "/provisioned-model-throughput"),
        .list: PathTemplate("GET", "/provisioned-model-throughputs"),
        .get: PathTemplate("GET", "/provisioned-model-throughput/{id}"),
        .update: PathTemplate("PATCH", "/provisioned-model-throughput/{id}"),
        .delete: PathTemplate("DELETE", "/provisioned-model-throughput/{id}"),
    ]

    func match(method: String, path: String) -> [String: String]? {
        Self.templates[kind]?.match(method: method, path: path)
    }

    func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String) {
        let id = call.pathParameters["id"] ?? "*"
        return ("bedrock:\(name)", id.hasPrefix("arn:") ? id : "arn:aws:bedrock:\(region):\(call.callerAccount):provisioned-model/\(id)")
    }

    func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse {
        let account = call.callerAccount
        let rid = call.requestId
        let s = service
        switch kind {
        case .list:
            let mine = s.pts.values.filter { $0.account == account }.sorted { $0.creationTime < $1.creationTime }
            return s.json(.object(["provisionedModelSummaries": .array(mine.map(s.describe))]), rid)
        case .get:
            return s.json(s.describe(try s.lookup(call.pathParameters["id"] ?? "", account: account).get()), rid)
        case .delete:
            let p = try s.lookup(call.pathParameters["id"] ?? "", account: account).get()
            s.pts[p.arn] = nil
            s.calls.call(HTTPRequest(method: "POST", path: "/unload", body: JSONValue.object(["provisionedModelArn": .string(p.arn)]).serialized()),
                         to: p.host, requestId: SimIds.uuid(), node: node) { _ in }
            return s.json(.object([:]), rid)
        case .update:
            var p = try s.lookup(call.pathParameters["id"] ?? "", account: account).get()
            guard let body = try? JSONValue.parse(call.request.body), let units = body["desiredModelUnits"]?.intValue, units >= 1 else {
                return BedrockError.validation("desiredModelUnits must be an integer of at least 1.").httpResponse(requestId: rid)
            }
            guard p.status == "InService" || p.status == "Failed" else {
                return BedrockError("ConflictException", 409, "The provisioned model is \(p.status).").httpResponse(requestId: rid)
            }
            p.desiredUnits = units; p.status = "Updating"; p.lastModifiedTime = s.now()
            s.pts[p.arn] = p
            s.load(p.arn, node: node)
            return s.json(.object([:]), rid)
        case .create:
            guard let body = try? JSONValue.parse(call.request.body), let modelId = body["modelId"]?.stringValue,
                  let name = body["provisionedModelName"]?.stringValue, !name.isEmpty else {
                return BedrockError.validation("modelId and provisionedModelName are required.").httpResponse(requestId: rid)
            }
            guard let units = body["modelUnits"]?.intValue, units >= 1 else {
                return BedrockError.validation("modelUnits must be an integer of at least 1.").httpResponse(requestId: rid)
            }
            if let t = body["clientRequestToken"]?.stringValue, let existing = s.pts.values.first(where: { $0.clientRequestToken == t && $0.account == account }) {
                return s.json(.object(["provisionedModelArn": .string(existing.arn)]), status: 201, rid)
            }
            guard !s.pts.values.contains(where: { $0.name == name && $0.account == account }) else {
                return BedrockError("ResourceInUseException", 409, "A provisioned model named \(name) already exists.").httpResponse(requestId: rid)
            }
            let baseId: String
            let modelArn: String
            if modelId.contains(":custom-model/") {
                guard let (meta, _) = ModelStore.find(arn: modelId, runDirectory: s.runDirectory) else {
                    let owner = arnAccountField(modelId)
                    return (owner == account ? BedrockError.resourceNotFound("Custom model \(modelId) was not found.")
                            : BedrockError.accessDenied("Account \(account) is not authorized to use custom model \(modelId) of another account.")).httpResponse(requestId: rid)
                }
                guard meta["account"]?.stringValue == account else {
                    return BedrockError.accessDenied("Account \(account) is not authorized to use custom model \(modelId) of another account.").httpResponse(requestId: rid)
                }
                guard meta["modelStatus"]?.stringValue == "Active", let b = meta["baseModelId"]?.stringValue else {
                    return BedrockError.validation("Custom model \(modelId) is not Active.").httpResponse(requestId: rid)
                }
                baseId = b; modelArn = modelId
            } else {
                guard let m = ModelCatalog.lookup(modelId, region: s.region), m.inferenceTypesSupported.contains("PROVISIONED") else {
                    return BedrockError.validation("The model \(modelId) does not support provisioned throughput.").httpResponse(requestId: rid)
                }
                baseId = m.modelId; modelArn = "arn:aws:bedrock:\(s.region)::foundation-model/\(m.modelId)"
            }
            let provider = Topology_provider(baseId)
            // A free dedicated host of the pool, bound to this account (through its kms) and in the model's provider account.
            let used = Set(s.pts.values.map(\.host))
            let host = node.me.connects.first { name in
                guard let n = node.manifest.node(named: name), n.role == "provisioned-host", !used.contains(name),
                      let kms = n.settings["kms"], node.manifest.node(named: kms)?.accountId == account else { return false }
                return node.manifest.account(id: n.accountId)?.provider == provider
            }
            guard let host else {
                return BedrockError("ServiceQuotaExceededException", 400,
                                    "No dedicated capacity is available for account \(account) and model \(baseId) (every provisioned host bound to the account is in use).").httpResponse(requestId: rid)
            }
            let id = String(hexString(SecureRandom.bytes(6)))
            let arn = "arn:aws:bedrock:\(s.region):\(account):provisioned-model/\(id)"
            s.pts[arn] = ProvisionedThroughputService.PT(
                arn: arn, name: name, account: account, modelArn: modelArn, baseModelId: baseId,
                foundationModelArn: "arn:aws:bedrock:\(s.region)::foundation-model/\(baseId)", units: units, desiredUnits: units,
                status: "Creating", host: host, creationTime: s.now(), lastModifiedTime: s.now(), clientRequestToken: body["clientRequestToken"]?.stringValue)
            var t = TraceRecord(event: .decision)
            t.requestId = rid; t.decision = "assign"; t.peer = host
            t.reason = "provisioned model \(arn) (\(modelArn), \(units) unit(s)) -> dedicated host \(host)"
            node.trace(t)
            s.load(arn, node: node)
            return s.json(.object(["provisionedModelArn": .string(arn)]), status: 201, rid)
        }
    }
}

func Topology_provider(_ modelId: String) -> String { String(modelId.prefix { $0 != "." }) }

/// A pre-gate (it runs before the model-identifier gate, which would refuse an ARN outside the catalogue, and before
/// authentication): marks custom-model and provisioned-model ARNs as routed, so the IAM gate authorizes them by their
/// own ARN. Ownership is decided after authentication, by `ProvisionedRoutingGate`, on the signer's account.
struct ProvisionedResolveGate: FrontendGate {
    let name = "provisioned-resolve"
    let service: ProvisionedThroughputService

    func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        guard call.runtimeOperation != nil else { return .pass(reason: "not a model invocation") }
        let id = call.modelId
        // Only ARNs can name custom or provisioned models; a bare model id skips the substring searches.
        guard id.hasPrefix("arn:"), id.contains(":custom-model/") || id.contains(":provisioned-model/") else {
            return .pass(reason: "not a custom or provisioned model")
        }
        call.attributes["routeHost"] = ""   // decided by provisioned-routing once the caller is authenticated
        call.attributes["routeModelId"] = id
        call.resourceArn = id
        return .pass(reason: "\(id): routed after authentication")
    }
}

/// Resolves provisioned-model ARNs to their dedicated host; refuses other accounts' provisioned or custom models
/// and custom models invoked on demand (they are served only through provisioned throughput). Runs after the
/// authentication gate: `call.callerAccount` is the SigV4 signer's account.
struct ProvisionedRoutingGate: FrontendGate {
    let name = "provisioned-routing"
    let service: ProvisionedThroughputService

    func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        guard call.runtimeOperation != nil else { return .pass(reason: "not a model invocation") }
        let id = call.modelId
        guard id.hasPrefix("arn:") else { return .pass(reason: "not a provisioned model") }
        if id.contains(":custom-model/") {
            let owner = arnAccountField(id)
            if owner != call.callerAccount {
                return .deny(.accessDenied("User in account \(call.callerAccount) is not authorized to perform: bedrock:InvokeModel on resource: \(id)"),
                             reason: "custom model \(id) belongs to account \(owner)")
            }
            return .deny(.validation("The custom model \(id) can be invoked only through a provisioned model (CreateProvisionedModelThroughput)."),
                         reason: "custom model invoked on demand")
        }
        guard id.contains(":provisioned-model/") else { return .pass(reason: "not a provisioned model") }
        switch service.lookup(id, account: call.callerAccount) {
        case .failure(let e):
            return .deny(e, reason: "provisioned model \(id): \(e.message)")
        case .success(let p):
            guard p.status == "InService" || p.status == "Updating" else {
                return .deny(.validation("The provisioned model \(p.arn) is \(p.status)\(p.failureMessage.map { ": \($0)" } ?? "") and cannot serve requests."),
                             reason: "provisioned model \(p.status)")
            }
            call.attributes["routeHost"] = p.host
            call.attributes["routeModelId"] = p.arn
            call.resourceArn = p.arn
            return .pass(reason: "provisioned model \(p.arn) of account \(p.account) -> dedicated host \(p.host)")
        }
    }
}
