// The seams where authentication, authorization, model access, guardrails and control-plane operations plug into
// the front end. A new capability is one more conformance registered with the front end (see FrontendExtensions);
// nothing else changes.
//
//   FrontendGate       runs in order on every call after the seal is opened and the operation is known; it passes,
//                      denies with the real service's error, or answers itself (a guardrail intervening on input).
//                      The first gate that does not pass ends the call before any model host sees it.
//   LocalOperation     an operation the front end answers itself (control plane, ApplyGuardrail, CountTokens ...):
//                      it matches method and path, names its IAM action and resource, and handles the call after
//                      the gates have passed.
//   ResponseFilter     sees every model answer before it is sealed back (a guardrail assessing output).
// Every decision is a trace record naming the gate, operation or filter.
import Envelope
import NodeRuntime

/// What the front end knows about one call while it passes the gates. A class: one call's state is made once and
/// shared by the gates, the pending-call table and the audit record (as a struct it was copied, with every String
/// and array it holds retained, each time a pending call handed it on: five copies per call).
public final class FrontendCall {
    public let requestId: String
    public var request: HTTPRequest { didSet { guardrailMemo = nil; converseGuardrailMemo = nil } }   // (both read from it)
    /// The API operation name as CloudTrail records it (InvokeModel, Converse, ListFoundationModels ...).
    public var operationName: String
    /// Set for runtime operations routed to a model host.
    public var runtimeOperation: RuntimeOperation?
    /// The IAM action and resource ARN the call is authorized as.
    public var iamAction: String
    public var resourceArn: String
    /// The model id as the caller wrote it (runtime operations), "" otherwise.
    public var modelId: String
    /// Path parameters of a local operation.
    public var pathParameters: [String: String] = [:]
    /// Set when the call arrived through a PrivateLink endpoint (stamped by that endpoint, checked by the front end).
    public let sourceVpce: String?
    public let sourceVpc: String?
    public let sourceEndpointNode: String
    public let clientNode: String
    public let clientAccount: String
    public let claims: StringPairs
    /// Filled in by gates (e.g. the authenticated principal's account as "callerAccount"), used by later gates, the
    /// handlers and the audit record: a few pairs kept sorted (`StringPairs`), set and read by key without hashing.
    public var attributes = StringPairs()
    /// CloudTrail userIdentity, filled in by the authentication gate.
    public var userIdentity: [String: JSONValue] = [:] { didSet { userIdentityJSON = nil } }
    /// `userIdentity` already serialized (the authentication gate keeps it per access key), so the audit record
    /// does not serialize it again on every call. Nil means "serialize userIdentity"; setting userIdentity clears it.
    public var userIdentityJSON: [UInt8]?
    /// CloudTrail requestParameters beyond the defaults (never content).
    public var auditParameters: [String: JSONValue] = [:]

    public init(requestId: String, request: HTTPRequest, operationName: String, runtimeOperation: RuntimeOperation?,
                iamAction: String, resourceArn: String, modelId: String, sourceVpce: String?, sourceVpc: String?,
                sourceEndpointNode: String, clientNode: String, clientAccount: String, claims: StringPairs) {
        self.requestId = requestId; self.request = request; self.operationName = operationName
        self.runtimeOperation = runtimeOperation; self.iamAction = iamAction; self.resourceArn = resourceArn
        self.modelId = modelId; self.sourceVpce = sourceVpce; self.sourceVpc = sourceVpc
        self.sourceEndpointNode = sourceEndpointNode; self.clientNode = clientNode; self.clientAccount = clientAccount
        self.claims = claims
        // The gates set three to five attributes on every call: one allocation instead of a grow per power of two.
        attributes.reserveCapacity(8)
    }

    /// `FrontendAuthorization.guardrail(of:account:)` for this call, kept once worked out: the IAM gate asks for
    /// it twice per call (the decision key and the ApplyGuardrail check), and each answer reads the request's
    /// headers (and a Converse body) again. Keyed by account, the only other input.
    var guardrailMemo: (account: String, value: (conditionValue: String, arn: String)?)?

    /// The `guardrailConfig` member of a Converse or ConverseStream body (nil for other operations, or without one),
    /// parsed once per call: the IAM gate reads the guardrail it names, the guardrail gate refuses it.
    public var converseGuardrailConfig: JSONValue? {
        if let m = converseGuardrailMemo { return m }
        var value: JSONValue?
        if runtimeOperation == .converse || runtimeOperation == .converseStream, let body = try? JSONValue.parse(request.body) {
            value = body["guardrailConfig"]
        }
        converseGuardrailMemo = .some(value)
        return value
    }
    private var converseGuardrailMemo: JSONValue??

    /// The caller's account: the authenticated principal's once a gate has set it, else the endpoint owner's.
    public var callerAccount: String { attributes["callerAccount"] ?? clientAccount }
}

public enum GateDecision {
    case pass(reason: String)
    case deny(BedrockError, reason: String)
    /// Answer the call now with this response (HTTP 200 semantics, e.g. a guardrail intervening), without routing.
    case respond(HTTPResponse, reason: String)
}

public protocol FrontendGate {
    var name: String { get }
    func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision
}

/// An operation the front end serves itself.
public protocol LocalOperation {
    var name: String { get }
    /// Path parameters when this operation serves `method path`, nil otherwise.
    func match(method: String, path: String) -> [String: String]?
    /// The IAM action and resource ARN for the call (resource "*" where the API has none).
    func authorization(for call: FrontendCall, region: String) -> (action: String, resource: String)
    /// The answer; a thrown error is answered in the service's error shape (status, type, message).
    func handle(_ call: FrontendCall, node: Node) throws(BedrockError) -> HTTPResponse
    /// Sets what the audit record and later gates need (eventCategory, readOnly, auditParameters) once the
    /// operation is known, before any gate runs, so even a denied call is recorded correctly. Default: nothing.
    func annotate(_ call: inout FrontendCall)
}

extension LocalOperation {
    public func annotate(_ call: inout FrontendCall) {}
}

/// A local operation the front end forwards to another Bedrock node (e.g. the customization control plane on a
/// finetune-worker) as an `aws-request`, once the gates have passed; that node's HTTP answer is sealed back as is.
public protocol ForwardingOperation: LocalOperation {
    /// The linked node that serves the call, or an error to answer with.
    func forwardTarget(for call: FrontendCall, node: Node) -> Result<String, BedrockError>
}

public protocol ResponseFilter {
    var name: String { get }
    /// May rewrite the model's response (mask, block); returns the decision for the trace, or nil when not applied.
    func filter(_ call: FrontendCall, response: inout HTTPResponse, node: Node) -> (decision: String, reason: String)?
}

/// The model catalogue check every runtime call passes: the model id must name a known model.
public struct ModelIdentifierGate: FrontendGate {
    public let name = "model-identifier"
    let isKnown: (String) -> Bool
    public init(isKnown: @escaping (String) -> Bool) { self.isKnown = isKnown }
    public func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        guard call.runtimeOperation != nil else { return .pass(reason: "not a model invocation") }
        if let host = call.attributes["routeHost"] { return .pass(reason: "\(call.modelId) is served by \(host)") }
        return isKnown(call.modelId) ? .pass(reason: "known model \(call.modelId)")
            : .deny(.invalidModelIdentifier, reason: "no foundation model '\(call.modelId)' in the catalogue")
    }
}

/// A local operation served on one method and path template: its `match` is the template's.
public protocol TemplatedOperation: LocalOperation {
    var template: PathTemplate { get }
}

extension TemplatedOperation {
    public func match(method: String, path: String) -> [String: String]? { template.match(method: method, path: path) }
}

/// Splits a path template such as /foundation-models/{modelIdentifier} and matches percent-decoded segments.
public struct PathTemplate: Sendable {
    let method: String
    let segments: [String]
    public init(_ method: String, _ template: String) {
        self.method = method
        segments = template.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
    public func match(method: String, path: String) -> [String: String]? {
        guard method == self.method else { return nil }
        let parts = path.split(separator: "?", maxSplits: 1)[0].split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == segments.count else { return nil }
        var params: [String: String] = [:]
        for (t, p) in zip(segments, parts) {
            if t.hasPrefix("{") && t.hasSuffix("}") {
                guard let v = RuntimeRouter.percentDecode(p) else { return nil }
                params[String(t.dropFirst().dropLast())] = v
            } else if t != p {
                return nil
            }
        }
        return params
    }
}

/// What the front end runs besides its built-in model-identifier gate. Capabilities register here (the role's
/// executable builds it), in the order the real service applies them: authentication, authorization, model
/// access, guardrails.
public struct FrontendExtensions {
    public var gates: [FrontendGate] = []
    public var operations: [LocalOperation] = []
    public var responseFilters: [ResponseFilter] = []
    /// Gates run before the built-in model-identifier gate (e.g. resolving a provisioned-model ARN to its host by
    /// setting attributes "routeHost" and "routeModelId").
    public var preGates: [FrontendGate] = []
    /// Messages from upstream peers the front end itself does not expect (answers to an extension's own calls):
    /// return true when consumed.
    public var upstreamHandlers: [(Envelope, String, Node) -> Bool] = []
    /// Timer tokens owned by extensions (AWSCalls tokens): return true when consumed.
    public var timerHandlers: [(UInt64, Node) -> Bool] = []
    /// Filters on streamed answers (StreamFilters.swift).
    public var streamFilters: [StreamOutputFilter] = []
    public init() {}
}
