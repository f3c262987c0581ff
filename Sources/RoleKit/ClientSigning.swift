// The client's SigV4 signing, installed as ClientRole.signer / ClientRole.claimsProvider by the bedrock-client
// executable. Each request is signed as botocore signs it (service `bedrock`, the run's region, every header but the
// hop-by-hop ones and User-Agent, body SHA-256, session token signed) with the principal the request names
// (`options["principal"]`: a name, ROLE/SESSION, ARN or access key id), by default the first principal of the client's
// account. The claims carry, in the clear but bound to the sealed request as AAD, what the VPC endpoint needs for its
// policy: the access key id, the IAM action and the resource ARN.
//
// Red-team knobs (client options, `bedrock-sim invoke --option KEY=VALUE`), used by the tests:
//   sigv4=off                    send no Authorization at all
//   sigv4-region=REGION          sign for another region
//   sigv4-skew=SECONDS           sign with the clock off by SECONDS (negative: in the past, i.e. expired)
//   sigv4-tamper=body|path       change the body (or the model id in the path) after signing
//   sigv4-drop-header=NAME       remove a signed header after signing
//   sigv4-access-key=AKIA...     sign with an access key the service does not know
//   sigv4-secret=wrong           sign with the wrong secret key
//   claim-access-key=AKIA...     claim another access key to the endpoint than the one that signs
import Envelope
import FoundationEssentials
import IAMPolicy
import NodeRuntime
import SigV4

public final class ClientAuthorization {
    public struct Signer {
        public let principal: IAMConfig.Principal
        public let credentials: SigV4Credentials
    }

    let principals: [IAMConfig.Principal]
    let credentials: CredentialStore
    let account: String
    let region: String
    /// Claims for the request being sent: `sign` runs just before `claims` in ClientRole.send, on the same thread.
    private var pendingClaims = StringPairs()

    public init(node: Node) throws {
        let config = try IAMConfig.load(runDirectory: node.manifest.runDirectory)
        principals = config.principals
        credentials = try CredentialStore.load(runDirectory: node.manifest.runDirectory)
        account = node.me.accountId
        region = node.manifest.region
    }

    /// Installs the signer and the claims provider on the client role.
    public func install(on role: ClientRole) {
        role.signer = { request, options in self.sign(&request, options: options) }
        role.claimsProvider = { options in self.claims(options: options) }
    }

    /// Signers by the `principal` option ("" for the default): the lookup scans every principal of the run.
    private var signers: [String: Signer?] = [:]

    /// The principal a request signs as: named in `options["principal"]`, else the first of the client's account.
    public func signer(for options: [String: String]) -> Signer? {
        let wanted = options["principal"] ?? ""
        if let cached = signers[wanted] { return cached }
        let found = lookupSigner(for: options)
        if signers.count > 1024 { signers.removeAll() }
        signers[wanted] = .some(found)
        return found
    }

    private func lookupSigner(for options: [String: String]) -> Signer? {
        let p: IAMConfig.Principal?
        if let wanted = options["principal"], !wanted.isEmpty {
            p = principals.first { $0.arn == wanted } ?? principals.first { $0.name == wanted && $0.accountId == account }
                ?? principals.first { $0.name == wanted } ?? principals.first { p in p.roleName.map { "\($0)/\(p.name)" } == wanted }
                ?? principals.first { $0.accessKeyIds.contains(wanted) }
        } else {
            p = principals.first { $0.accountId == account }
        }
        guard let p, let keyId = p.accessKeyIds.first, let c = credentials.keys[keyId] else { return nil }
        return Signer(principal: p, credentials: SigV4Credentials(accessKeyId: keyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken))
    }

    public func sign(_ request: inout HTTPRequest, options: [String: String]) {
        pendingClaims = StringPairs()
        pendingClaims.reserveCapacity(3)   // action, resource, accessKeyId: one allocation
        // SigV4 signs path and query separately; send them that way.
        (request.path, request.query) = request.pathAndQuery
        if let (action, resource) = classified(request) {
            pendingClaims["action"] = action
            pendingClaims["resource"] = resource
        }
        guard options["sigv4"] != "off", let signer = signer(for: options) else { return }
        var creds = signer.credentials
        if let unknown = options["sigv4-access-key"] {
            creds = SigV4Credentials(accessKeyId: unknown, secretAccessKey: "unknownSecretKey/0000000000000000000000000")
        }
        if options["sigv4-secret"] == "wrong" { creds.secretAccessKey = String(creds.secretAccessKey.reversed()) }
        let skew = options["sigv4-skew"].flatMap(Double.init) ?? 0
        let unsigned = SigV4Request(method: request.method, path: request.path, query: request.query,
                                    headers: request.headers.map { SigV4Header($0.name, $0.value) }, body: request.body)
        let signed = SigV4Signer.sign(unsigned, credentials: creds, region: options["sigv4-region"] ?? region, service: "bedrock",
                                      date: Date().addingTimeInterval(skew))
        request.headers = signed.headers.map { HTTPHeader($0.name, $0.value) }
        pendingClaims["accessKeyId"] = options["claim-access-key"] ?? creds.accessKeyId
        switch options["sigv4-tamper"] {
        case "body": request.body = request.body.isEmpty ? Array("{}".utf8) : request.body + Array(" ".utf8)
        case "path": request.path = request.path.split(separator: "haiku", omittingEmptySubsequences: false).joined(separator: "sonnet")
        default: break
        }
        if let drop = options["sigv4-drop-header"] {
            request.headers.removeAll { $0.name.equalsIgnoringASCIICase(drop) }
        }
    }

    /// `classify` per method and path (a client calls the same few operations over and over).
    private struct Route: Hashable { let method: String, path: String }
    private var classifications = BoundedCache<Route, (action: String, resource: String)?>(limit: 1024)
    private func classified(_ request: HTTPRequest) -> (action: String, resource: String)? {
        classifications.value(for: Route(method: request.method, path: request.path)) {
            ClientAuthorization.classify(request, region: region)
        }
    }

    public func claims(options: [String: String]) -> StringPairs {
        defer { pendingClaims = [:] }
        return pendingClaims
    }

    /// The IAM action and resource of a request, as far as the client can tell (runtime operations and the
    /// catalogue and model-access control-plane operations); nil for others (the front end still authorizes them).
    public static func classify(_ request: HTTPRequest, region: String) -> (action: String, resource: String)? {
        if case .success(let r) = RuntimeRouter.route(request) {
            let arn = Catalog.lookup(r.modelId, region: region).map { "arn:aws:bedrock:\(region)::foundation-model/\($0.modelId)" }
                ?? (r.modelId.hasPrefix("arn:") ? r.modelId : "arn:aws:bedrock:\(region)::foundation-model/\(r.modelId)")
            return (r.operation.iamAction, arn)
        }
        let table: [(String, String, String)] = [
            ("GET", "/foundation-models", "ListFoundationModels"),
            ("GET", "/list-foundation-model-agreement-offers/{m}", "ListFoundationModelAgreementOffers"),
            ("POST", "/create-foundation-model-agreement", "CreateFoundationModelAgreement"),
            ("POST", "/delete-foundation-model-agreement", "DeleteFoundationModelAgreement"),
            ("GET", "/foundation-model-availability/{m}", "GetFoundationModelAvailability"),
            ("POST", "/use-case-for-model-access", "PutUseCaseForModelAccess"),
            ("GET", "/use-case-for-model-access", "GetUseCaseForModelAccess"),
        ]
        for (method, path, name) in table where PathTemplate(method, path).match(method: request.method, path: request.path) != nil {
            return ("bedrock:\(name)", "*")
        }
        if let p = PathTemplate("GET", "/foundation-models/{m}").match(method: request.method, path: request.path), let id = p["m"] {
            return ("bedrock:GetFoundationModel", id.hasPrefix("arn:") ? id : "arn:aws:bedrock:\(region)::foundation-model/\(id)")
        }
        return nil
    }
}

/// The VPC endpoint policy, evaluated in the endpoint (customer account) for the principal named by the request's
/// access-key claim, the claimed action and resource, and the endpoint's aws:SourceVpce / aws:SourceVpc. Installed as
/// EndpointRole.policyCheck. A request whose key is unknown or absent is forwarded: the front end authenticates it
/// (and rejects it), and evaluates the endpoint policy again with the verified identity.
public final class EndpointPolicyCheck {
    let directory: IAMDirectory
    let endpointId: String
    let vpcId: String
    let region: String
    let policy: IAMConfig.Policy
    let document: PolicyDocument
    let allowAll: PolicyDocument

    public init(node: Node) throws {
        directory = try IAMDirectory(runDirectory: node.manifest.runDirectory)
        endpointId = node.me.settings["endpointId"] ?? ""
        vpcId = node.me.vpc ?? ""
        region = node.manifest.region
        guard let ep = directory.endpointPolicy(endpointId) else { throw NodeStartupError("no endpoint policy for \(endpointId)") }
        policy = ep.policy
        document = ep.document
        allowAll = try PolicyDocument(json: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                                      source: "identity (not evaluated at the endpoint)", kind: .identity)
    }

    public func install(on role: EndpointRole) {
        role.policyCheck = { envelope, node in self.check(envelope, node: node) }
    }

    private lazy var details = [("gate", "vpce-policy"), ("policy", policy.source)]
    /// The allow reasons, per principal, action and resource (the same text on every call of a client).
    private struct Allowed: Hashable { let principalArn: String, action: String, resource: String }
    private var allowReasons = BoundedCache<Allowed, String>(limit: 4096)

    public func check(_ envelope: Envelope, node: Node) -> EndpointRole.PolicyOutcome {
        guard let key = envelope.claims["accessKeyId"], let p = directory.byAccessKey[key],
              let action = envelope.claims["action"], let resource = envelope.claims["resource"] else {
            return .forward(reason: "defer: no known principal, action and resource in the claims; the front end authenticates the request and evaluates this endpoint policy",
                            details: details)
        }
        // AWS's default endpoint policy allows every principal every action on every resource: no need to build a
        // request context to know that (this check is on every request's path).
        let allowed = Allowed(principalArn: p.config.arn, action: action, resource: resource)
        if policy.source == IAMDirectory.defaultEndpointPolicy.source {
            return .forward(reason: allowReasons.value(for: allowed) {
                "allow: the default VPC endpoint policy (full access) allows \(p.config.arn) \(action) on \(resource)"
            }, details: details)
        }
        let context = p.requestContext(region: region, claims: envelope.claims, sourceVpce: endpointId, sourceVpc: vpcId)
        let request = RequestContext(action: action, resource: resource, prepared: p.prepared, context: context)
        let result = PolicyEvaluator.evaluate(EvaluationInput(request: request, identityPolicies: [allowAll],
                                                              endpointPolicies: [document]))
        if result.isAllowed {
            return .forward(reason: allowReasons.value(for: allowed) {
                "allow: VPC endpoint policy \(policy.source) allows \(p.config.arn) \(action) on \(resource)"
            }, details: details)
        }
        let deciding = AccessDeniedMessage.decidingStatements(result)
        return .deny(.accessDenied(AccessDeniedMessage.render(principalArn: p.config.arn, action: action, resource: resource, result: result)),
                     reason: "\(result.decision.rawValue) by VPC endpoint policy \(policy.source)\(deciding.isEmpty ? "" : " (\(deciding))"): \(result.explanation)",
                     details: details)
    }
}
