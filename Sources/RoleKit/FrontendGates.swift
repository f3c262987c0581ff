// The seam where authentication, authorization, model access and guardrails plug into the front end.
//
// Each gate sees the decrypted request and the facts the transport established (which PrivateLink endpoint and VPC
// it came through, which client node sealed it) and either lets it pass or answers with the real service's error.
// Gates run in order; the first denial ends the request before it is routed to a model host, and every decision is
// a trace record naming the gate. A new gate (SigV4, IAM, model access, guardrail input) is one more conformance
// added to the front end's gate list; nothing else changes.
import Envelope
import NodeRuntime

/// What the front end knows about one call while it passes the gates.
public struct FrontendCall {
    public let requestId: String
    public let request: HTTPRequest
    public let operation: RuntimeOperation
    public let modelId: String
    /// Set when the call arrived through a PrivateLink endpoint (stamped by that endpoint, checked by the front end).
    public let sourceVpce: String?
    public let sourceVpc: String?
    public let sourceEndpointNode: String
    public let clientNode: String
    public let clientAccount: String
    public let claims: [String: String]
    /// Filled in by gates (e.g. the authenticated principal), used by later gates and by the audit record.
    public var attributes: [String: String] = [:]
    public var userIdentity: [String: JSONValue] = [:]
}

public enum GateDecision {
    case pass(reason: String)
    case deny(BedrockError, reason: String)
}

public protocol FrontendGate {
    var name: String { get }
    func evaluate(_ call: inout FrontendCall) -> GateDecision
}

/// The model catalogue check every call passes: the model id must name a known foundation model.
public struct ModelIdentifierGate: FrontendGate {
    public let name = "model-identifier"
    let isKnown: (String) -> Bool
    public init(isKnown: @escaping (String) -> Bool) { self.isKnown = isKnown }
    public func evaluate(_ call: inout FrontendCall) -> GateDecision {
        isKnown(call.modelId) ? .pass(reason: "known model \(call.modelId)")
            : .deny(.invalidModelIdentifier, reason: "no foundation model '\(call.modelId)' in the catalogue")
    }
}
