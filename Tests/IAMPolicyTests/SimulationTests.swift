import Testing
@testable import IAMPolicy

@Suite("IAMSimulation")
struct SimulationTests {
    func run(_ json: String, source: String = "input.json") throws(SimulationInputError) -> [String] {
        try IAMSimulation.run(json: Array(json.utf8), source: source)
    }

    func error(_ json: String) -> SimulationInputError? {
        do {
            _ = try run(json)
            return nil
        } catch {
            return error
        }
    }

    @Test func singleCaseAllowed() throws {
        let lines = try run("""
        {"request":{"action":"bedrock:InvokeModel","resource":"\(haikuArn)","principal":"\(roleSessionArn)"},
         "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Sid":"AllowClaude","Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*"}]}]}
        """)
        #expect(lines.count == 1)
        let expected = #"{"decision":"Allowed","blockedBy":[],"matchedStatements":[{"policyType":"identity","policy":"identityPolicies[0]","sid":"AllowClaude","statementIndex":0,"effect":"Allow"}],"explanation":"Allowed: arn:aws:sts::111122223333:assumed-role/App/worker-1 calling bedrock:InvokeModel on arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0. Allowed because an identity-based policy allows it. Allow in identityPolicies[0] statement 0 (Sid \"AllowClaude\")."}"#
        #expect(lines[0] == expected)
    }

    @Test func arrayOfCasesOneLineEach() throws {
        let lines = try run("""
        [
          {"request":{"action":"bedrock:InvokeModel","resource":"\(haikuArn)","principal":"\(roleSessionArn)",
                      "context":{"aws:SourceVpce":"vpce-0abc"}},
           "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"},
             {"Sid":"OnlyViaVpce","Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}}]}],
           "endpointPolicies":[{"Statement":[{"Effect":"Allow","Principal":{"AWS":"\(roleArn)"},"Action":"bedrock:InvokeModel","Resource":"*"}]}]},
          {"request":{"action":"bedrock:InvokeModel","resource":"\(haikuArn)","principal":"\(roleSessionArn)"},
           "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"},
             {"Sid":"OnlyViaVpce","Effect":"Deny","Action":"bedrock:*","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}}]}]},
          {"request":{"action":"bedrock:InvokeModel","resource":"\(haikuArn)","principal":"\(roleSessionArn)"},
           "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}],
           "serviceControlPolicies":[{"orgIdentifier":"r-root","policies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}]}]}
        ]
        """)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix(#"{"decision":"Allowed","blockedBy":[],"matchedStatements":[{"policyType":"identity","policy":"identityPolicies[0]","sid":null,"statementIndex":0,"effect":"Allow"},{"policyType":"vpce","policy":"endpointPolicies[0]","sid":null,"statementIndex":0,"effect":"Allow"}]"#))
        #expect(lines[1].hasPrefix(#"{"decision":"ExplicitlyDenied","blockedBy":["identity"],"matchedStatements":[{"policyType":"identity","policy":"identityPolicies[0]","sid":null,"statementIndex":0,"effect":"Allow"},{"policyType":"identity","policy":"identityPolicies[0]","sid":"OnlyViaVpce","statementIndex":1,"effect":"Deny"}]"#))
        #expect(lines[2].hasPrefix(#"{"decision":"ImplicitlyDenied","blockedBy":["scp"],"#))
        #expect(lines[2].contains("level 0 (r-root)"))
        for line in lines { #expect(!line.contains("\n")) }
    }

    @Test func contextValuesAndPrincipalObject() throws {
        let lines = try run("""
        {"request":{"action":"s3:GetObject","resource":"arn:aws:s3:::b/k",
          "principal":{"arn":"arn:aws:sts::111122223333:assumed-role/App/s","roleArn":"arn:aws:iam::111122223333:role/team/App"},
          "context":{"aws:TagKeys":["a","b"],"s3:max-keys":5,"aws:SecureTransport":true}},
         "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
           "ForAllValues:StringEquals":{"aws:TagKeys":["a","b","c"]},"NumericLessThan":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":"true"},
           "StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/team/App"}}}]}]}
        """)
        #expect(lines[0].hasPrefix(#"{"decision":"Allowed""#))
    }

    @Test func crossAccountWithResourcePolicy() throws {
        let lines = try run("""
        {"request":{"action":"bedrock:ApplyGuardrail","resource":"arn:aws:bedrock:us-east-1:444455556666:guardrail/g1","principal":"\(roleSessionArn)"},
         "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:ApplyGuardrail","Resource":"*"}]}],
         "resourcePolicy":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"bedrock:ApplyGuardrail","Resource":"*"}]}}
        """)
        #expect(lines[0].hasPrefix(#"{"decision":"Allowed","blockedBy":[],"matchedStatements":[{"policyType":"identity","#))
        #expect(lines[0].contains(#"{"policyType":"resource","policy":"resourcePolicy","sid":null,"statementIndex":0,"effect":"Allow"}"#))
        #expect(lines[0].contains("cross-account: caller in 111122223333, resource in 444455556666"))
    }

    // MARK: Errors

    @Test func policyErrorNamesSourceAndFullPath() {
        let e = error("""
        [{"request":{"action":"bedrock:InvokeModel","resource":"*","principal":"\(userArn)"}},
         {"request":{"action":"bedrock:InvokeModel","resource":"*","principal":"\(userArn)"}},
         {"request":{"action":"bedrock:InvokeModel","resource":"*","principal":"\(userArn)"},
          "identityPolicies":[{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}]}]
        """)
        #expect(e?.description == #"input.json: $[2].identityPolicies[0].Statement[0].Effect: expected "Allow" or "Deny", found "Permit""#)
        #expect(e?.line == 4)
    }

    @Test func missingActionAndOtherShapeErrors() {
        #expect(error(#"{"request":{"resource":"*","principal":"arn:aws:iam::111122223333:user/a"}}"#)?.description
                == #"input.json: $.request: missing action (such as "bedrock:InvokeModel")"#)
        #expect(error(#"{"request":{"action":"InvokeModel","resource":"*","principal":"arn:aws:iam::111122223333:user/a"}}"#)?.path == "$.request.action")
        #expect(error(#"{"identityPolicies":[]}"#)?.message == "missing request")
        #expect(error(#"{"request":{"action":"a:b","resource":"*","principal":"bob"}}"#)?.path == "$.request.principal")
        #expect(error(#"{"request":{"action":"a:b","resource":"*","principal":"arn:aws:iam::111122223333:user/a"},"identityPolicy":[]}"#)?.message
                == #"unknown element "identityPolicy" in a simulation case; did you mean "identityPolicies"?"#)
        #expect(error(#"{"request":{"action":"a:b","resource":"*","principal":"arn:aws:iam::111122223333:user/a","context":{"k":null}}}"#)?.path == "$.request.context.k")
        #expect(error(#"{"request":{"action":"a:b","resource":"*","principal":"arn:aws:iam::111122223333:user/a"},"resourcePolicy":{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}}"#)?.path == "$.resourcePolicy.Statement[0]")
        #expect(error(#"{"request":{"action":"a:b","resource":"*","principal":"arn:aws:iam::111122223333:user/a"},"identityPolicies":[{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}]}"#)?.path == "$.identityPolicies[0].Statement[0].Principal")
        #expect(error(#"{"request":{"action":"a:b","resource":"*","principal":"arn:aws:iam::111122223333:user/a"},"serviceControlPolicies":[{"orgIdentifier":"r","policies":[{"Statement":{"Effect":"Allow","Action":"*"}}]}]}"#)?.path == "$.serviceControlPolicies[0].policies[0].Statement")
        #expect(error("[]")?.message == "expected at least one simulation case, found an empty array")
        #expect(error("42")?.path == "$")
    }

    @Test func badJSONHasLineAndColumn() {
        let e = error("[\n  {\"request\": {\"action\": \"a:b\",}}\n]")
        #expect(e?.isSyntaxError == true)
        #expect(e?.description == "input.json: line 2, column 32: invalid JSON: unexpected character '}'; expected a member name in double quotes")
    }

    @Test func decisionsAreResultsNotErrors() throws {
        let lines = try run(#"{"request":{"action":"bedrock:InvokeModel","resource":"*","principal":"arn:aws:iam::111122223333:user/a"}}"#)
        #expect(lines == [#"{"decision":"ImplicitlyDenied","blockedBy":["identity"],"matchedStatements":[],"explanation":"ImplicitlyDenied: arn:aws:iam::111122223333:user/a calling bedrock:InvokeModel on *. No identity-based policy allows it (the caller has no identity-based policies)."}"#])
    }
}
