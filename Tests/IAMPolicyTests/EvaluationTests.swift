import Testing
@testable import IAMPolicy

/// Decision logic per the IAM User Guide ("Policy evaluation logic",
/// "Cross-account policy evaluation logic", "Permissions boundaries", "Session
/// policies") and the Bedrock examples from the project brief.
@Suite("Evaluation")
struct EvaluationTests {
    // The seed talk's identity policy: InvokeModel on Anthropic foundation models only.
    let claudeOnly = """
    {"Version":"2012-10-17","Statement":[{"Sid":"AllowClaude","Effect":"Allow","Action":"bedrock:InvokeModel",
      "Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*"}]}
    """
    // The seed talk's deny: InvokeModel unless the guardrail is the approved one.
    let requireGuardrail = """
    {"Version":"2012-10-17","Statement":[{"Sid":"RequireGuardrail","Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"*",
      "Condition":{"StringNotEquals":{"bedrock:GuardrailIdentifier":"arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123:1"}}}]}
    """

    @Test func seedIdentityPolicyAllowsOnlyAnthropic() throws {
        let p = try doc(claudeOnly, kind: .identity)
        let ok = evaluate(request(), identity: [p])
        #expect(ok.decision == .allowed)
        #expect(ok.blockedBy.isEmpty)
        #expect(ok.matchedStatements == [MatchedStatement(policyType: .identity, policy: "identityPolicies[0]", source: "policy", policyId: nil, sid: "AllowClaude", index: 0, effect: .allow)])
        #expect(ok.explanation.contains("Allow in identityPolicies[0] statement 0 (Sid \"AllowClaude\")"))

        let llama = evaluate(request("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0"), identity: [p])
        #expect(llama.decision == .implicitlyDenied)
        #expect(llama.blockedBy == [.identity])
        #expect(llama.matchedStatements.isEmpty)

        let stream = evaluate(request("bedrock:InvokeModelWithResponseStream"), identity: [p])
        #expect(stream.decision == .implicitlyDenied, "InvokeModelWithResponseStream is a separate action")

        let custom = evaluate(request("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1:111122223333:custom-model/anthropic.tuned"), identity: [p])
        #expect(custom.decision == .implicitlyDenied, "custom-model is not foundation-model")
    }

    @Test func seedGuardrailDeny() throws {
        let allow = try doc(claudeOnly)
        let deny = try doc(requireGuardrail)
        let withGuardrail = evaluate(request(context: ["bedrock:GuardrailIdentifier": "arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123:1"]), identity: [allow, deny])
        #expect(withGuardrail.decision == .allowed)

        let none = evaluate(request(), identity: [allow, deny])
        #expect(none.decision == .explicitlyDenied, "StringNotEquals is true when the key is absent, so a call without a guardrail is denied")
        #expect(none.blockedBy == [.identity])
        #expect(none.matchedStatements.map(\.sid) == ["AllowClaude", "RequireGuardrail"])
        #expect(none.explanation.contains("Explicit Deny in identityPolicies[1] statement 0 (Sid \"RequireGuardrail\")"))
        #expect(none.explanation.contains("bedrock:GuardrailIdentifier is not in the request context (a negated operator is true when the key is absent)"))

        let other = evaluate(request(context: ["bedrock:GuardrailIdentifier": "arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123:2"]), identity: [allow, deny])
        #expect(other.decision == .explicitlyDenied, "another version of the guardrail")
    }

    @Test func denyBeatsAllowAcrossAndWithinPolicies() throws {
        let both = try doc("""
        {"Version":"2012-10-17","Statement":[
          {"Sid":"A","Effect":"Allow","Action":"bedrock:*","Resource":"*"},
          {"Sid":"D","Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"*"}]}
        """)
        let r = evaluate(request(), identity: [both])
        #expect(r.decision == .explicitlyDenied)
        #expect(r.matchedStatements.map(\.effect) == [.allow, .deny])
        // A deny in the resource policy beats an identity allow.
        let rp = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}"#, kind: .resourceBased)
        let r2 = evaluate(request(), identity: [try doc(allowAll)], resource: rp)
        #expect(r2.decision == .explicitlyDenied)
        #expect(r2.blockedBy == [.resource])
        // A deny in a boundary, session policy or SCP too.
        let denyAll = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(request(), identity: [try doc(allowAll)], boundaries: [denyAll]).blockedBy == [.boundary])
        #expect(evaluate(request(), identity: [try doc(allowAll)], session: denyAll).blockedBy == [.session])
        #expect(evaluate(request(), identity: [try doc(allowAll)], scps: [SCPLevel(orgIdentifier: "r-root", policies: [try doc(allowAll), denyAll])]).blockedBy == [.scp])
    }

    @Test func noPoliciesIsImplicitDeny() {
        let r = evaluate(request())
        #expect(r.decision == .implicitlyDenied)
        #expect(r.blockedBy == [.identity])
        #expect(r.explanation.contains("the caller has no identity-based policies"))
    }

    @Test func implicitDenyExplainsNearMiss() throws {
        let p = try doc(#"{"Version":"2012-10-17","Statement":[{"Sid":"ViaEndpoint","Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0abc"}}}]}"#)
        let r = evaluate(request(), identity: [p])
        #expect(r.decision == .implicitlyDenied)
        #expect(r.explanation.contains("identityPolicies[0] statement 0 (Sid \"ViaEndpoint\") matches the action and resource but its condition StringEquals aws:SourceVpce \"vpce-0abc\" is false: aws:SourceVpce is not in the request context"))
    }

    // MARK: VPC endpoints

    let endpointAppOnly = """
    {"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},
      "Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],"Resource":"arn:aws:bedrock:us-east-1::foundation-model/anthropic.*"}]}
    """

    @Test func endpointPolicyMustAllow() throws {
        let ep = try doc(endpointAppOnly, kind: .resourceBased)
        let ok = evaluate(request(), identity: [try doc(allowAll)], endpoints: [ep])
        #expect(ok.decision == .allowed)
        #expect(ok.matchedStatements.map(\.policyType) == [.identity, .vpce])

        // IAM allows this other role everything, but the endpoint policy names only App.
        let other = evaluate(request(principal: "arn:aws:sts::111122223333:assumed-role/Intruder/s"), identity: [try doc(allowAll)], endpoints: [ep])
        #expect(other.decision == .implicitlyDenied)
        #expect(other.blockedBy == [.vpce])
        #expect(other.explanation.contains("endpointPolicies[0]"))

        // The endpoint policy never grants on its own.
        let noIAM = evaluate(request(), endpoints: [ep])
        #expect(noIAM.decision == .implicitlyDenied)
        #expect(noIAM.blockedBy == [.identity])
        // The default endpoint policy (full access) lets IAM decide.
        let full = try doc(#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#, kind: .resourceBased)
        #expect(evaluate(request(), identity: [try doc(claudeOnly)], endpoints: [full]).decision == .allowed)
        // Every endpoint on the path must allow.
        #expect(evaluate(request(), identity: [try doc(allowAll)], endpoints: [full, try doc(#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#)]).blockedBy == [.vpce])
    }

    @Test func sourceVpceDenyCatchesCallsNotFromEndpoint() throws {
        let onlyViaEndpoint = try doc("""
        {"Version":"2012-10-17","Statement":[
          {"Sid":"Allow","Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"},
          {"Sid":"OnlyViaVpce","Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}}]}
        """)
        #expect(evaluate(request(context: ["aws:SourceVpce": "vpce-0abc"]), identity: [onlyViaEndpoint]).decision == .allowed)
        let internet = evaluate(request(), identity: [onlyViaEndpoint])
        #expect(internet.decision == .explicitlyDenied, "aws:SourceVpce is absent on the public endpoint")
        #expect(internet.matchedStatements.last?.sid == "OnlyViaVpce")
        #expect(evaluate(request(context: ["aws:SourceVpce": "vpce-other"]), identity: [onlyViaEndpoint]).decision == .explicitlyDenied)
        // Docs: "If you are using an "Effect": "Deny" element with a negated condition operator
        // like StringNotEqualsIfExists, the request is still denied even if the tag is missing."
        let ifExists = try doc("""
        {"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"},
          {"Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpce":"vpce-0abc"}}}]}
        """)
        #expect(evaluate(request(), identity: [ifExists]).decision == .explicitlyDenied)
        #expect(evaluate(request(context: ["aws:SourceVpce": "vpce-0abc"]), identity: [ifExists]).decision == .allowed)
    }

    // MARK: Cross-account

    let crossResource = "arn:aws:bedrock:us-east-1:444455556666:guardrail/xyz"

    func crossRequest(_ caller: String = roleSessionArn) -> RequestContext {
        RequestContext(action: "bedrock:ApplyGuardrail", resource: crossResource, principal: principal(caller))
    }

    @Test func crossAccountNeedsBothSides() throws {
        let identity = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:ApplyGuardrail","Resource":"arn:aws:bedrock:*:444455556666:guardrail/*"}]}"#)
        let resource = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"bedrock:ApplyGuardrail","Resource":"*"}]}"#, kind: .resourceBased)
        #expect(evaluate(crossRequest(), identity: [identity], resource: resource).decision == .allowed)

        let onlyIdentity = evaluate(crossRequest(), identity: [identity])
        #expect(onlyIdentity.decision == .implicitlyDenied)
        #expect(onlyIdentity.blockedBy == [.resource])
        #expect(onlyIdentity.explanation.contains("cross-account"))

        let onlyResource = evaluate(crossRequest(), resource: resource)
        #expect(onlyResource.decision == .implicitlyDenied, "the resource policy alone does not grant across accounts, even naming the role")
        #expect(onlyResource.blockedBy == [.identity])

        // Naming the session directly does not change that across accounts.
        let sessionNamed = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/App/worker-1"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(crossRequest(), resource: sessionNamed).decision == .implicitlyDenied)

        // Naming the caller's account in the resource policy is enough on the resource side.
        let accountNamed = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(crossRequest(), identity: [identity], resource: accountNamed).decision == .allowed)

        // Another account named: denied.
        let wrongAccount = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(crossRequest(), identity: [identity], resource: wrongAccount).blockedBy == [.resource])
    }

    @Test func resourceAccountOverrideAndAWSOwnedResources() throws {
        let identity = try doc(allowAll)
        // Foundation models have an empty account field: not cross-account.
        #expect(evaluate(request(), identity: [identity]).decision == .allowed)
        // An explicit resourceAccount makes it cross-account.
        let r = evaluate(request(resourceAccount: otherAccount), identity: [identity])
        #expect(r.decision == .implicitlyDenied)
        #expect(r.blockedBy == [.resource])
    }

    // MARK: Same-account resource-based policies (docs table)

    @Test func sameAccountEitherSideSuffices() throws {
        let req = RequestContext(action: "bedrock:ApplyGuardrail", resource: guardrailArn, principal: principal(userArn))
        let identity = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:ApplyGuardrail","Resource":"*"}]}"#)
        let resource = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"bedrock:ApplyGuardrail","Resource":"*"}]}"#)
        #expect(evaluate(req, identity: [identity]).decision == .allowed)
        #expect(evaluate(req, resource: resource).decision == .allowed)
        #expect(evaluate(req, identity: [identity], resource: resource).decision == .allowed)
    }

    @Test func permissionBoundaryCapsIdentityButNotDirectResourceGrants() throws {
        let boundary = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","cloudwatch:*"],"Resource":"*"}]}"#)
        let identity = try doc(allowAll)
        let capped = evaluate(request(), identity: [identity], boundaries: [boundary])
        #expect(capped.decision == .implicitlyDenied)
        #expect(capped.blockedBy == [.boundary])
        #expect(evaluate(request("s3:GetObject", "arn:aws:s3:::b/k"), identity: [identity], boundaries: [boundary]).decision == .allowed)
        // The boundary grants nothing by itself.
        #expect(evaluate(request("s3:GetObject", "arn:aws:s3:::b/k"), boundaries: [boundary]).blockedBy == [.identity])

        let gr = RequestContext(action: "bedrock:ApplyGuardrail", resource: guardrailArn, principal: principal(roleSessionArn))
        // Resource policy naming the role session: not limited by the boundary.
        let toSession = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/App/worker-1"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(gr, resource: toSession, boundaries: [boundary]).decision == .allowed)
        // Resource policy naming the role: limited by the boundary.
        let toRole = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"*","Resource":"*"}]}"#)
        let r = evaluate(gr, resource: toRole, boundaries: [boundary])
        #expect(r.decision == .implicitlyDenied)
        #expect(r.blockedBy == [.boundary])
        #expect(evaluate(gr, resource: toRole).decision == .allowed)
        // Resource policy naming an IAM user: not limited by the boundary.
        let ur = RequestContext(action: "bedrock:ApplyGuardrail", resource: guardrailArn, principal: principal(userArn))
        let toUser = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(ur, resource: toUser, boundaries: [boundary]).decision == .allowed)
    }

    @Test func sessionPolicyCaps() throws {
        let session = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku*"}]}"#)
        let identity = try doc(allowAll)
        #expect(evaluate(request(), identity: [identity], session: session).decision == .allowed)
        let sonnet = evaluate(request("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-sonnet-20240229-v1:0"), identity: [identity], session: session)
        #expect(sonnet.decision == .implicitlyDenied)
        #expect(sonnet.blockedBy == [.session])
        // The session policy grants nothing by itself.
        #expect(evaluate(request(), session: session).blockedBy == [.identity])

        let gr = RequestContext(action: "bedrock:ApplyGuardrail", resource: guardrailArn, principal: principal(roleSessionArn))
        let toSession = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/App/worker-1"},"Action":"*","Resource":"*"}]}"#)
        let toRole = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/App"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(gr, resource: toSession, session: session).decision == .allowed, "session ARN grants are added after the session policy")
        #expect(evaluate(gr, resource: toRole, session: session).blockedBy == [.session], "role ARN grants are limited by the session policy")
    }

    @Test func federatedUserSessionNeedsSessionPolicy() throws {
        let fed = "arn:aws:sts::111122223333:federated-user/bob"
        let identity = try doc(allowAll)
        let r = evaluate(request(principal: fed), identity: [identity])
        #expect(r.decision == .implicitlyDenied)
        #expect(r.blockedBy == [.session])
        #expect(r.explanation.contains("GetFederationToken"))
        #expect(evaluate(request(principal: fed), identity: [identity], session: try doc(allowAll)).decision == .allowed)
    }

    @Test func scpEveryLevelMustAllow() throws {
        let full = try doc(#"{"Version":"2012-10-17","Statement":[{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        let bedrockOnly = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}"#)
        let s3Only = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
        let identity = try doc(allowAll)
        let ok = evaluate(request(), identity: [identity], scps: [
            SCPLevel(orgIdentifier: "r-root", policies: [full]),
            SCPLevel(orgIdentifier: "ou-ml", policies: [bedrockOnly]),
            SCPLevel(orgIdentifier: account, policies: [full]),
        ])
        #expect(ok.decision == .allowed)
        #expect(ok.matchedStatements.filter { $0.policyType == .scp }.map(\.policy) == [
            "serviceControlPolicies[0].policies[0]", "serviceControlPolicies[1].policies[0]", "serviceControlPolicies[2].policies[0]"])

        let blocked = evaluate(request(), identity: [identity], scps: [
            SCPLevel(orgIdentifier: "r-root", policies: [full]),
            SCPLevel(orgIdentifier: "ou-data", policies: [s3Only]),
            SCPLevel(orgIdentifier: account, policies: [full]),
        ])
        #expect(blocked.decision == .implicitlyDenied)
        #expect(blocked.blockedBy == [.scp])
        #expect(blocked.explanation.contains("level 1 (ou-data)"))
        // An allow at one level does not help if the account level lacks one.
        #expect(evaluate(request(), identity: [identity], scps: [
            SCPLevel(orgIdentifier: "r-root", policies: [full]), SCPLevel(orgIdentifier: account, policies: [s3Only]),
        ]).blockedBy == [.scp])
        // SCPs grant nothing: identity still required.
        #expect(evaluate(request(), scps: [SCPLevel(orgIdentifier: "r-root", policies: [full])]).blockedBy == [.identity])
        // SCPs cap resource-policy grants too.
        let gr = RequestContext(action: "bedrock:ApplyGuardrail", resource: guardrailArn, principal: principal(userArn))
        let toUser = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"*","Resource":"*"}]}"#)
        #expect(evaluate(gr, resource: toUser, scps: [SCPLevel(orgIdentifier: "r", policies: [s3Only])]).blockedBy == [.scp])
    }

    @Test func rootUserHasFullAccessInItsAccountButNotPastDenies() throws {
        let root = "arn:aws:iam::111122223333:root"
        #expect(evaluate(request(principal: root)).decision == .allowed)
        let denyScp = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}"#)
        #expect(evaluate(request(principal: root), scps: [SCPLevel(orgIdentifier: "r", policies: [denyScp])]).decision == .explicitlyDenied)
        // Cross-account the resource owner must still allow.
        #expect(evaluate(crossRequest(root)).blockedBy == [.resource])
    }

    @Test func servicePrincipalNeedsResourcePolicy() throws {
        let svc = RequestContext(action: "s3:GetObject", resource: "arn:aws:s3:::training-data/x", principal: principal("bedrock.amazonaws.com"))
        #expect(evaluate(svc).decision == .implicitlyDenied)
        let bucket = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::training-data/*","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}"#)
        #expect(evaluate(svc, resource: bucket).decision == .implicitlyDenied, "confused-deputy condition: aws:SourceAccount missing")
        let withSource = RequestContext(action: "s3:GetObject", resource: "arn:aws:s3:::training-data/x", principal: principal("bedrock.amazonaws.com"), context: ["aws:SourceAccount": "111122223333"])
        #expect(evaluate(withSource, resource: bucket).decision == .allowed)
    }

    @Test func notPrincipalDenyExemptsOnlyFullyListedCallers() throws {
        let full = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/App/worker-1","arn:aws:iam::111122223333:role/App","arn:aws:iam::111122223333:root"]},"Action":"*","Resource":"*"}]}"#
        let identity = try doc(allowAll)
        #expect(evaluate(request(), identity: [identity], resource: try doc(full)).decision == .allowed)
        #expect(evaluate(request(principal: "arn:aws:sts::111122223333:assumed-role/App/other"), identity: [identity], resource: try doc(full)).decision == .explicitlyDenied)
        // Without the account ARN the caller may be denied at the account level (docs).
        let partial = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/App/worker-1","arn:aws:iam::111122223333:role/App"]},"Action":"*","Resource":"*"}]}"#
        let r = evaluate(request(), identity: [identity], resource: try doc(partial))
        #expect(r.decision == .explicitlyDenied)
        #expect(r.explanation.contains("NotPrincipal does not list arn:aws:iam::111122223333:root"))
    }

    @Test func resourcePolicyRequiredLikeKMS() throws {
        let identity = try doc(allowAll)
        let req = RequestContext(action: "kms:Decrypt", resource: "arn:aws:kms:us-east-1:111122223333:key/k1", principal: principal(roleSessionArn))
        #expect(evaluate(req, identity: [identity], resourcePolicyRequired: true).blockedBy == [.resource])
        let delegate = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#)
        #expect(evaluate(req, identity: [identity], resource: delegate, resourcePolicyRequired: true).decision == .allowed)
        #expect(evaluate(req, resource: delegate, resourcePolicyRequired: true).blockedBy == [.identity], "delegation to the account needs IAM to allow")
        let direct = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/App/worker-1"},"Action":"kms:Decrypt","Resource":"*"}]}"#)
        #expect(evaluate(req, resource: direct, resourcePolicyRequired: true).decision == .allowed)
    }

    @Test func derivedPrincipalKeysAreAvailableToConditions() throws {
        let p = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/App"},"StringEquals":{"aws:PrincipalAccount":"111122223333","aws:PrincipalType":"AssumedRole"}}}]}"#)
        #expect(evaluate(request(), identity: [p]).decision == .allowed)
        #expect(evaluate(request(principal: "arn:aws:sts::111122223333:assumed-role/Other/s"), identity: [p]).decision == .implicitlyDenied)
        // An explicit context value wins over the derived one.
        #expect(evaluate(request(context: ["aws:PrincipalAccount": "999999999999"]), identity: [p]).decision == .implicitlyDenied)
    }

    @Test func explanationNamesSourceLabel() throws {
        let p = try doc(requireGuardrail, source: "guardrail-deny.json")
        let r = evaluate(request(), identity: [try doc(allowAll), p])
        #expect(r.explanation.contains("[guardrail-deny.json]"))
        #expect(r.matchedStatements.last?.source == "guardrail-deny.json")
        #expect(r.explanation.hasPrefix("ExplicitlyDenied: \(roleSessionArn) calling bedrock:InvokeModel on \(haikuArn). "))
    }
}
