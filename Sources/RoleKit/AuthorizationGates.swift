// The front end's authentication and authorization gates, in the order the real service applies them:
//   sigv4-authentication  verifies the SigV4 signature over the request exactly as received (path still encoded),
//                         with the run's access keys; errors are the service's (UnrecognizedClientException,
//                         InvalidSignatureException, IncompleteSignatureException, ...). Sets the CloudTrail
//                         userIdentity and the caller's account, and checks that the access key the endpoint
//                         evaluated its policy for (the claim, bound to the sealed request as AAD) is the signer's.
//   iam-authorization     evaluates identity policies, permissions boundary, session policy, SCPs of the caller's
//                         account and the VPC endpoint policy of the endpoint the call came through, with the request
//                         context AWS populates; a denial is AccessDeniedException in AWS's message style.
//                         With a guardrail attached it also authorizes bedrock:ApplyGuardrail on the guardrail.
//   model-access          (ModelAccess.swift) agreements and the Anthropic use-case form.
import Envelope
import FoundationEssentials
import IAMPolicy
import NodeRuntime
import SigV4

/// Everything the gates and the model-access operations share, loaded once at start from the run directory.
public final class FrontendAuthorization {
    public let directory: IAMDirectory
    public let verifier: SigV4Verifier
    public let modelAccess: ModelAccessStore
    public let region: String

    public init(runDirectory: String, region: String) throws {
        directory = try IAMDirectory(runDirectory: runDirectory)
        let store = try CredentialStore.load(runDirectory: runDirectory)
        var secrets: [String: SigV4Secret] = [:]
        for (id, c) in store.keys {
            secrets[id] = SigV4Secret(secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, isExpired: c.expired)
        }
        let lookup = secrets
        verifier = SigV4Verifier(service: "bedrock", regions: [region], allowedClockSkewSeconds: 300, allowUnsignedPayload: false,
                                 lookup: { lookup[$0] })
        modelAccess = ModelAccessStore(runDirectory: runDirectory)
        self.region = region
    }

    public convenience init(node: Node) throws {
        try self.init(runDirectory: node.manifest.runDirectory, region: node.manifest.region)
    }

    /// Gates in service order: authentication, IAM authorization, model access.
    public var gates: [FrontendGate] {
        [SigV4AuthenticationGate(auth: self), IAMAuthorizationGate(auth: self), ModelAccessGate(store: modelAccess, region: region)]
    }

    /// The model-access control-plane operations.
    public var operations: [LocalOperation] {
        [ListFoundationModelAgreementOffersOperation(), CreateFoundationModelAgreementOperation(store: modelAccess),
         DeleteFoundationModelAgreementOperation(store: modelAccess),
         GetFoundationModelAvailabilityOperation(store: modelAccess, isAuthorized: { call, arn in
             guard let p = self.principal(of: call) else { return false }
             return self.evaluate(p, action: "bedrock:InvokeModel", resource: arn, call: call).result.isAllowed
         }),
         PutUseCaseForModelAccessOperation(store: modelAccess), GetUseCaseForModelAccessOperation(store: modelAccess)]
    }

    /// The passing gates' reasons are the same text for every call of one principal on one resource; each is built
    /// once (bounded) rather than per call. Keys hold everything the text says, so a cached text is always exact.
    struct SigV4ReasonKey: Hashable { let principalArn, accessKeyId, region, service: String; let signedHeaders: [String] }
    struct IAMReasonKey: Hashable { let principalArn, action, resource, guardrailArn: String }
    var sigV4Reasons = BoundedCache<SigV4ReasonKey, String>(limit: 4096)
    var iamReasons = BoundedCache<IAMReasonKey, String>(limit: 4096)

    /// CloudTrail userIdentity per access key, built and serialized once (it depends on nothing else).
    private var identities: [String: (object: [String: JSONValue], json: [UInt8])] = [:]

    func identity(of p: ResolvedPrincipal, accessKeyId: String) -> (object: [String: JSONValue], json: [UInt8]) {
        if let hit = identities[accessKeyId] { return hit }
        let object = p.userIdentity(accessKeyId: accessKeyId)
        let entry = (object, JSONValue.object(object).serialized())
        if identities.count > 4096 { identities.removeAll() }
        identities[accessKeyId] = entry
        return entry
    }

    func principal(of call: FrontendCall) -> ResolvedPrincipal? {
        call.attributes["principalArn"].flatMap { directory.byArn[$0] }
    }

    /// `bedrock:GuardrailIdentifier` (`arn:aws:bedrock:REGION:ACCOUNT:guardrail/ID:VERSION`) and the guardrail ARN, when
    /// the request names a guardrail (headers on InvokeModel*, guardrailConfig in a Converse body).
    func guardrail(of call: FrontendCall, account: String) -> (conditionValue: String, arn: String)? {
        if let m = call.guardrailMemo, m.account == account { return m.value }
        let value = guardrailUncached(of: call, account: account)
        call.guardrailMemo = (account, value)
        return value
    }

    private func guardrailUncached(of call: FrontendCall, account: String) -> (conditionValue: String, arn: String)? {
        var identifier = call.request.header("X-Amzn-Bedrock-GuardrailIdentifier")
        var version = call.request.header("X-Amzn-Bedrock-GuardrailVersion")
        if identifier == nil, let g = call.converseGuardrailConfig {
            identifier = g["guardrailIdentifier"]?.stringValue
            version = g["guardrailVersion"]?.stringValue
        }
        guard let id = identifier, !id.isEmpty else { return nil }
        let arn = id.hasPrefix("arn:") ? id : "arn:aws:bedrock:\(region):\(account):guardrail/\(id)"
        return (version.map { "\(arn):\($0)" } ?? arn, arn)
    }

    /// Everything an evaluation reads that can differ between two calls of one principal: the policies are fixed
    /// per principal, endpoint and account for the run, and the request context is built from exactly these (its
    /// times at whole seconds). Equal keys therefore give equal evaluations.
    struct DecisionKey: Hashable {
        let principal: ObjectIdentifier   // the loaded principal: its policies, boundary, session policy and tags
        let action, resource: String
        let secureTransport: Bool
        let sourceVpce, sourceVpc, guardrail: String?
        let epochSecond: UInt64
    }
    /// Decisions of the current second, by key: at thousands of calls per second one principal's calls through one
    /// endpoint evaluate the same input again and again. Bounded, and emptied when the second changes.
    private var decisions = BoundedCache<DecisionKey, (result: EvaluationResult, crossAccount: Bool)>(limit: 1024)
    private var decisionsSecond: UInt64 = 0

    /// Evaluates one action for the authenticated principal with the request context AWS builds.
    func evaluate(_ p: ResolvedPrincipal, action: String, resource: String, call: FrontendCall) -> (result: EvaluationResult, crossAccount: Bool) {
        let nowMs = SimClock.unixMilliseconds()
        let second = nowMs / 1000
        if second != decisionsSecond { decisions.removeAll(); decisionsSecond = second }
        let guardrail = guardrail(of: call, account: p.config.accountId)
        let key = DecisionKey(principal: ObjectIdentifier(p), action: action, resource: resource,
                              secureTransport: call.claims["secureTransport"] != "false",
                              sourceVpce: call.sourceVpce, sourceVpc: call.sourceVpc, guardrail: guardrail?.conditionValue,
                              epochSecond: second)
        return decisions.value(for: key) {
            evaluateUncached(p, action: action, resource: resource, call: call, guardrail: guardrail, nowMs: nowMs)
        }
    }

    private func evaluateUncached(_ p: ResolvedPrincipal, action: String, resource: String, call: FrontendCall,
                                  guardrail: (conditionValue: String, arn: String)?, nowMs: UInt64) -> (result: EvaluationResult, crossAccount: Bool) {
        var context = p.requestContext(region: region, claims: call.claims, sourceVpce: call.sourceVpce, sourceVpc: call.sourceVpc, nowMs: nowMs)
        if let org = directory.config.organizationId, directory.scpLevels[p.config.accountId] != nil {
            context["aws:principalorgid"] = .single(org)
        }
        if let g = guardrail { context["bedrock:guardrailidentifier"] = .single(g.conditionValue) }
        let request = RequestContext(action: action, resource: resource, prepared: p.prepared, context: context)
        var endpoints: [PolicyDocument] = []
        if let vpce = call.sourceVpce, let ep = directory.endpointPolicy(vpce) { endpoints = [ep.document] }
        let input = EvaluationInput(request: request, identityPolicies: p.identityPolicies, endpointPolicies: endpoints,
                                    permissionBoundaries: p.boundary, serviceControlPolicies: directory.scpLevels[p.config.accountId] ?? [],
                                    sessionPolicy: p.sessionPolicy)
        let owner = RequestContext.accountField(ofARN: resource) ?? ""
        let cross = !owner.isEmpty && owner != p.config.accountId
        return (PolicyEvaluator.evaluate(input), cross)
    }
}

/// SigV4 authentication over the request as it arrived.
public struct SigV4AuthenticationGate: FrontendGate {
    public let name = "sigv4-authentication"
    let auth: FrontendAuthorization

    /// The request as SigV4 sees it: the raw (still percent-encoded) path and query split at `?`.
    static func sigV4Request(_ r: HTTPRequest) -> SigV4Request {
        let (path, query) = r.pathAndQuery
        return SigV4Request(method: r.method, path: path, query: query, headers: r.headers.map { SigV4Header($0.name, $0.value) }, body: r.body)
    }

    public func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        switch auth.verifier.verify(SigV4AuthenticationGate.sigV4Request(call.request), now: Date()) {
        case .rejected(let f):
            return .deny(BedrockError(f.errorType, f.httpStatus, f.message), reason: "SigV4 \(f.reason.rawValue): \(f.message)")
        case .authenticated(let a):
            guard let p = auth.directory.byAccessKey[a.accessKeyId] else {
                return .deny(BedrockError("UnrecognizedClientException", 403, "The security token included in the request is invalid."),
                             reason: "access key \(a.accessKeyId) has a secret but no principal")
            }
            if let claimed = call.claims["accessKeyId"], claimed != a.accessKeyId {
                return .deny(.accessDenied("The request's access key does not match the identity the VPC endpoint authorized."),
                             reason: "endpoint claim names access key \(claimed), but the request is signed with \(a.accessKeyId)")
            }
            let identity = auth.identity(of: p, accessKeyId: a.accessKeyId)
            call.userIdentity = identity.object
            call.userIdentityJSON = identity.json
            call.attributes["callerAccount"] = p.config.accountId
            call.attributes["principalArn"] = p.config.arn
            call.attributes["accessKeyId"] = a.accessKeyId
            // Keyed by everything the text names.
            let key = FrontendAuthorization.SigV4ReasonKey(principalArn: p.config.arn, accessKeyId: a.accessKeyId, region: a.region, service: a.service,
                                                           signedHeaders: a.signedHeaders)
            return .pass(reason: auth.sigV4Reasons.value(for: key) {
                "SigV4 verified: \(p.config.arn) with \(a.accessKeyId) (scope \(a.region)/\(a.service), signed headers \(a.signedHeaders.joined(separator: ";")))"
            })
        }
    }
}

/// IAM policy evaluation as AWS does it for the authenticated principal.
public struct IAMAuthorizationGate: FrontendGate {
    public let name = "iam-authorization"
    let auth: FrontendAuthorization

    public func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        guard let p = auth.principal(of: call) else {
            return .deny(BedrockError("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
                         reason: "no authenticated principal (the authentication gate did not run)")
        }
        let action = call.iamAction.isEmpty ? "bedrock:\(call.operationName)" : call.iamAction
        let resource = call.resourceArn.isEmpty ? "*" : call.resourceArn
        var checks = [(action, resource)]
        if call.runtimeOperation != nil, let g = auth.guardrail(of: call, account: p.config.accountId) {
            // Using a guardrail in inference also needs bedrock:ApplyGuardrail on it.
            checks.append(("bedrock:ApplyGuardrail", g.arn))
        }
        for (a, r) in checks {
            let (result, cross) = auth.evaluate(p, action: a, resource: r, call: call)
            if !result.isAllowed {
                let message = AccessDeniedMessage.render(principalArn: p.config.arn, action: a, resource: r, result: result, crossAccount: cross)
                let deciding = AccessDeniedMessage.decidingStatements(result)
                let blocked = result.blockedBy.map(\.rawValue).joined(separator: ",")
                return .deny(.accessDenied(message),
                             reason: "\(result.decision.rawValue) (blockedBy \(blocked))\(deciding.isEmpty ? "" : " by \(deciding)"): \(result.explanation)")
            }
        }
        let guardrailArn = checks.count > 1 ? checks[1].1 : ""
        let key = FrontendAuthorization.IAMReasonKey(principalArn: p.config.arn, action: action, resource: resource, guardrailArn: guardrailArn)
        return .pass(reason: auth.iamReasons.value(for: key) {
            "Allowed: \(p.config.arn) may \(checks.map { "\($0.0) on \($0.1)" }.joined(separator: " and "))"
        })
    }
}
