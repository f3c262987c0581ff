@testable import IAMPolicy

let account = "111122223333"
let otherAccount = "444455556666"
let roleSessionArn = "arn:aws:sts::111122223333:assumed-role/App/worker-1"
let roleArn = "arn:aws:iam::111122223333:role/App"
let userArn = "arn:aws:iam::111122223333:user/alice"
let haikuArn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
let guardrailArn = "arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123"

func doc(_ json: String, kind: PolicyKind = .any, source: String = "policy") throws -> PolicyDocument {
    try PolicyDocument(json: json, source: source, kind: kind)
}

func principal(_ arn: String) -> PrincipalInfo {
    guard let p = PrincipalInfo.derive(from: arn) else { fatalError("test principal \(arn) not derivable") }
    return p
}

func request(_ action: String = "bedrock:InvokeModel", _ resource: String = haikuArn, principal p: String = roleSessionArn,
             resourceAccount: String? = nil, context: [String: ContextValue] = [:]) -> RequestContext {
    RequestContext(action: action, resource: resource, resourceAccount: resourceAccount, principal: principal(p), context: context)
}

/// An identity policy that allows everything when `condition` holds.
func allowIf(_ condition: String, version: String = "2012-10-17") throws -> PolicyDocument {
    try doc("""
    {"Version":"\(version)","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":\(condition)}]}
    """)
}

/// Evaluates a single condition block: true when the Allow applies.
func holds(_ condition: String, _ context: [String: ContextValue], version: String = "2012-10-17",
           principal p: String = roleSessionArn) throws -> Bool {
    let input = EvaluationInput(request: request(principal: p, context: context), identityPolicies: [try allowIf(condition, version: version)])
    return PolicyEvaluator.evaluate(input).decision == .allowed
}

func evaluate(_ req: RequestContext, identity: [PolicyDocument] = [], resource: PolicyDocument? = nil,
              endpoints: [PolicyDocument] = [], boundaries: [PolicyDocument] = [], scps: [SCPLevel] = [],
              session: PolicyDocument? = nil, resourcePolicyRequired: Bool = false) -> EvaluationResult {
    PolicyEvaluator.evaluate(EvaluationInput(request: req, identityPolicies: identity, resourcePolicy: resource,
                                             endpointPolicies: endpoints, permissionBoundaries: boundaries,
                                             serviceControlPolicies: scps, sessionPolicy: session,
                                             resourcePolicyRequired: resourcePolicyRequired))
}

/// The parse error for `json`, or nil when it parses.
func parseError(_ json: String, kind: PolicyKind = .any, source: String = "policy.json") -> PolicyParseError? {
    do {
        _ = try PolicyDocument(json: json, source: source, kind: kind)
        return nil
    } catch {
        return error
    }
}

let allowAll = """
{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]}
"""
