import Testing
@testable import IAMPolicy

@Suite("Action, resource and principal matching; policy variables")
struct MatchingTests {
    func allows(_ statement: String, _ req: RequestContext, version: String = "2012-10-17") throws -> Bool {
        let d = try doc(#"{"Version":"\#(version)","Statement":[\#(statement)]}"#)
        return evaluate(req, identity: [d]).decision == .allowed
    }

    // MARK: Actions

    @Test func actionsAreCaseInsensitiveWithWildcards() throws {
        #expect(try allows(#"{"Effect":"Allow","Action":"BEDROCK:invokemodel","Resource":"*"}"#, request()))
        #expect(try allows(#"{"Effect":"Allow","Action":"bedrock:Invoke*","Resource":"*"}"#, request("bedrock:InvokeModelWithResponseStream")))
        #expect(try allows(#"{"Effect":"Allow","Action":"bedrock:*Model","Resource":"*"}"#, request()))
        #expect(try allows(#"{"Effect":"Allow","Action":"bedrock:?nvokeModel","Resource":"*"}"#, request()))
        #expect(try !allows(#"{"Effect":"Allow","Action":"bedrock:Invoke","Resource":"*"}"#, request()))
        #expect(try !allows(#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#, request()))
        #expect(try allows(#"{"Effect":"Allow","Action":"*","Resource":"*"}"#, request()))
    }

    @Test func notActionAllowsEverythingElse() throws {
        let st = #"{"Effect":"Allow","NotAction":["bedrock:Delete*","iam:*"],"Resource":"*"}"#
        #expect(try allows(st, request()))
        #expect(try !allows(st, request("bedrock:DeleteGuardrail", guardrailArn)))
        #expect(try !allows(st, request("iam:CreateUser", "*")))
    }

    // MARK: Resources

    @Test func resourcesAreCaseSensitiveWithWildcards() throws {
        #expect(try allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*"}"#, request()))
        #expect(try !allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:*::foundation-model/Anthropic.*"}"#, request()))
        #expect(try !allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:*::foundation-model/meta.*"}"#, request()))
        #expect(try allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:us-east-?::foundation-model/*"}"#, request()))
        #expect(try !allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:us-west-?::foundation-model/*"}"#, request()))
    }

    @Test func resourceStarSpansColonsAndSlashes() throws {
        #expect(try allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:*"}"#, request()))
        #expect(try allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::bucket*"}"#, request("s3:GetObject", "arn:aws:s3:::bucket/a/b.txt")))
        #expect(try allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:*:*:custom-model/*"}"#,
                           request("bedrock:InvokeModel", "arn:aws:bedrock:us-east-1:111122223333:custom-model/team/m-1")))
        #expect(try !allows(#"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:*"}"#, request("bedrock:ListFoundationModels", "*")),
                "an ARN pattern does not match the resource \"*\"")
    }

    @Test func notResource() throws {
        let st = #"{"Effect":"Allow","Action":"bedrock:*","NotResource":"arn:aws:bedrock:*:*:guardrail/*"}"#
        #expect(try allows(st, request()))
        #expect(try !allows(st, request("bedrock:GetGuardrail", guardrailArn)))
    }

    // MARK: Policy variables

    @Test func variablesInResource() throws {
        let st = #"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#
        #expect(try allows(st, request("s3:GetObject", "arn:aws:s3:::home/alice/notes.txt", principal: userArn)), "aws:username comes from the user ARN")
        #expect(try !allows(st, request("s3:GetObject", "arn:aws:s3:::home/bob/notes.txt", principal: userArn)))
        #expect(try !allows(st, request("s3:GetObject", "arn:aws:s3:::home/worker-1/notes.txt")), "a role session has no aws:username")
    }

    @Test func tagVariablesAndDefaults() throws {
        let st = #"{"Effect":"Allow","Action":"*","Resource":"arn:aws:bedrock:us-east-1:111122223333:custom-model/${aws:PrincipalTag/team, 'shared'}/*"}"#
        let model = "arn:aws:bedrock:us-east-1:111122223333:custom-model/research/m1"
        let shared = "arn:aws:bedrock:us-east-1:111122223333:custom-model/shared/m1"
        #expect(try allows(st, request("bedrock:InvokeModel", model, context: ["aws:PrincipalTag/team": "research"])))
        #expect(try !allows(st, request("bedrock:InvokeModel", shared, context: ["aws:PrincipalTag/team": "research"])))
        #expect(try allows(st, request("bedrock:InvokeModel", shared)), "the default applies when the tag is absent")
        #expect(try !allows(st, request("bedrock:InvokeModel", model)))
        #expect(try allows(st, request("bedrock:InvokeModel", shared, context: ["aws:principaltag/TEAM": ["a", "b"]])),
                "a multivalued key cannot be a variable, so the default applies")
    }

    @Test func defaultWithEscapedQuote() throws {
        let st = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"${aws:userid, 'it''s'}"}}}"#
        #expect(try allows(st, request(context: ["k": "it's"])))
    }

    @Test func variablesInConditionValues() throws {
        let st = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}}"#
        #expect(try allows(st, request("s3:ListBucket", "arn:aws:s3:::b", principal: userArn, context: ["s3:prefix": "home/alice/x"])))
        #expect(try !allows(st, request("s3:ListBucket", "arn:aws:s3:::b", principal: userArn, context: ["s3:prefix": "home/bob/x"])))
        let arn = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::111122223333:user/${aws:username}"}}}"#
        #expect(try allows(arn, request(principal: userArn, context: ["aws:SourceArn": "arn:aws:iam::111122223333:user/alice"])))
    }

    @Test func unresolvedVariableNeverMatches() throws {
        // Positive operator: the value cannot match.
        let eq = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"${aws:PrincipalTag/team}"}}}"#
        #expect(try !allows(eq, request(context: ["k": ""])))
        #expect(try !allows(eq, request(context: ["k": "${aws:PrincipalTag/team}"])))
        // Negated operator: the value matches nothing, so the key differs from it.
        let ne = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"k":"${aws:PrincipalTag/team}"}}}"#
        #expect(try allows(ne, request(context: ["k": "x"])))
    }

    @Test func escapesProduceLiteralCharacters() throws {
        let st = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"k":"a${*}b${?}c${$}d*"}}}"#
        #expect(try allows(st, request(context: ["k": "a*b?c$dzzz"])))
        #expect(try !allows(st, request(context: ["k": "aXb?c$d"])), "${*} is a literal star, not a wildcard")
        #expect(try !allows(st, request(context: ["k": "a*bXc$d"])), "${?} is a literal question mark")
    }

    @Test func substitutedValuesAreLiteral() throws {
        let st = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"k":"${aws:PrincipalTag/p}"}}}"#
        #expect(try !allows(st, request(context: ["aws:PrincipalTag/p": "*", "k": "anything"])))
        #expect(try allows(st, request(context: ["aws:PrincipalTag/p": "*", "k": "*"])))
    }

    @Test func version2008DoesNotSubstitute() throws {
        let st = #"{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*"}"#
        #expect(try !allows(st, request("s3:GetObject", "arn:aws:s3:::home/alice/x", principal: userArn), version: "2008-10-17"))
        #expect(try allows(st, request("s3:GetObject", "arn:aws:s3:::home/${aws:username}/x", principal: userArn), version: "2008-10-17"))
        let noVersion = try doc(#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"${aws:username}"}}}]}"#)
        #expect(evaluate(request(principal: userArn, context: ["k": "${aws:username}"]), identity: [noVersion]).decision == .allowed)
    }

    @Test func variableKeysAreCaseInsensitive() throws {
        let st = #"{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":"${AWS:PRINCIPALTAG/Team}"}}}"#
        #expect(try allows(st, request(context: ["aws:PrincipalTag/team": "x", "k": "x"])))
    }

    // MARK: Principals

    @Test func deriveFromArn() {
        let s = principal(roleSessionArn)
        #expect(s.type == .assumedRole)
        #expect(s.accountId == account)
        #expect(s.principalArn == roleArn)
        #expect(principal(userArn).type == .user)
        #expect(principal("arn:aws:iam::111122223333:root").type == .root)
        #expect(principal("arn:aws:sts::111122223333:federated-user/bob").type == .federatedUser)
        #expect(principal("bedrock.amazonaws.com").type == .service)
        #expect(principal("*").type == .anonymous)
        #expect(principal("arn:aws-us-gov:iam::111122223333:user/x").accountId == account)
        #expect(PrincipalInfo.derive(from: "arn:aws:s3:::bucket") == nil)
        #expect(PrincipalInfo.derive(from: "bob") == nil)
    }

    func resourceAllows(_ principalJSON: String, caller: String, roleArnOverride: String? = nil) throws -> EvaluationResult {
        let rp = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":\#(principalJSON),"Action":"bedrock:*","Resource":"*"}]}"#, kind: .resourceBased)
        var p = principal(caller)
        if let roleArnOverride { p.roleArn = roleArnOverride }
        let req = RequestContext(action: "bedrock:ApplyGuardrail", resource: guardrailArn, principal: p)
        return evaluate(req, resource: rp)
    }

    @Test func principalMatchingInResourcePolicies() throws {
        // Same account, no identity policy: only grants that stand alone allow.
        #expect(try resourceAllows(#"{"AWS":"arn:aws:sts::111122223333:assumed-role/App/worker-1"}"#, caller: roleSessionArn).isAllowed)
        #expect(try resourceAllows(#"{"AWS":"arn:aws:iam::111122223333:role/App"}"#, caller: roleSessionArn).isAllowed,
                "a role ARN grant is limited only by boundary and session policy")
        #expect(try resourceAllows(#"{"AWS":"arn:aws:iam::111122223333:role/team/App"}"#, caller: roleSessionArn,
                                   roleArnOverride: "arn:aws:iam::111122223333:role/team/App").isAllowed, "role paths")
        #expect(try !resourceAllows(#"{"AWS":"arn:aws:sts::111122223333:assumed-role/App/other"}"#, caller: roleSessionArn).isAllowed)
        #expect(try !resourceAllows(#"{"AWS":"arn:aws:iam::111122223333:role/Other"}"#, caller: roleSessionArn).isAllowed)
        #expect(try resourceAllows(#"{"AWS":"arn:aws:iam::111122223333:user/alice"}"#, caller: userArn).isAllowed)
        #expect(try resourceAllows(#""*""#, caller: userArn).isAllowed)
        #expect(try resourceAllows(#"{"AWS":"*"}"#, caller: roleSessionArn).isAllowed)
        // Naming the account delegates to the account's identity policies, which allow nothing here.
        let viaAccount = try resourceAllows(#"{"AWS":"111122223333"}"#, caller: userArn)
        #expect(viaAccount.decision == .implicitlyDenied)
        #expect(viaAccount.matchedStatements.map(\.policyType) == [.resource], "the statement applied; the account grant needs identity too")
        #expect(try resourceAllows(#"{"AWS":"arn:aws:iam::111122223333:root"}"#, caller: "arn:aws:iam::111122223333:root").isAllowed)
        #expect(try resourceAllows(#"{"Service":"bedrock.amazonaws.com"}"#, caller: "bedrock.amazonaws.com").isAllowed)
        #expect(try !resourceAllows(#"{"Service":"s3.amazonaws.com"}"#, caller: "bedrock.amazonaws.com").isAllowed)
    }
}
