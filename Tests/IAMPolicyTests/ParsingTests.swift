import Testing
@testable import IAMPolicy

@Suite("Parsing")
struct ParsingTests {
    @Test func statementAsObjectOrArray() throws {
        let single = try doc(#"{"Version":"2012-10-17","Id":"p1","Statement":{"Sid":"S","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#)
        #expect(single.statements.count == 1)
        #expect(single.statements[0].sid == "S")
        #expect(single.statements[0].index == 0)
        #expect(single.id == "p1")
        #expect(single.version == .v2012_10_17)
        let many = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["a:b","c:d"],"Resource":"*"},{"Effect":"Deny","NotAction":"x:y","NotResource":["arn:aws:s3:::b"]}]}"#)
        #expect(many.statements.count == 2)
        #expect(many.statements[0].actions == ["a:b", "c:d"])
        #expect(many.statements[1].effect == .deny)
        #expect(many.statements[1].isNotAction)
        #expect(many.statements[1].isNotResource)
        #expect(many.statements[1].resources == ["arn:aws:s3:::b"])
    }

    @Test func missingVersionMeans2008() throws {
        let d = try doc(#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)
        #expect(d.version == .v2008_10_17)
        #expect(!d.hasVersionElement)
        let old = try doc(#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#)
        #expect(old.version == .v2008_10_17)
        #expect(old.hasVersionElement)
    }

    @Test func conditionValuesAreNormalisedToText() throws {
        let d = try doc(#"""
        {"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
          "NumericLessThanEquals":{"s3:max-keys":10},"Bool":{"aws:SecureTransport":true},"StringEquals":{"k":["a",1.5,false]}}}}
        """#)
        let c = d.statements[0].conditions
        #expect(c.count == 3)
        #expect(c[0] == ConditionClause(operatorName: "NumericLessThanEquals", key: "s3:max-keys", values: ["10"]))
        #expect(c[1] == ConditionClause(operatorName: "Bool", key: "aws:SecureTransport", values: ["true"]))
        #expect(c[2].values == ["a", "1.5", "false"])
    }

    @Test func operatorNamesAreCanonicalised() throws {
        let d = try doc(#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"forallvalues:stringlikeifexists":{"aws:TagKeys":"a*"}}}}"#)
        #expect(d.statements[0].conditions[0].operatorName == "ForAllValues:StringLikeIfExists")
    }

    @Test func principalForms() throws {
        let d = try doc(#"""
        {"Version":"2012-10-17","Statement":[
          {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
          {"Effect":"Allow","Principal":{"AWS":["111122223333","arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:role/App","*"]},"Action":"s3:*","Resource":"*"},
          {"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com","Federated":"accounts.google.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"*"}
        ]}
        """#, kind: .resourceBased)
        #expect(d.statements[0].principals == ["*"])
        #expect(d.statements[1].principals == ["arn:aws:iam::111122223333:root", "arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:role/App", "*"])
        #expect(d.statements[2].principals?.count == 3)
    }

    // MARK: Errors with exact paths

    @Test func effectPermit() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Permit","Action":"*","Resource":"*"}]}"#)
        #expect(e?.path == "$.Statement[1].Effect")
        #expect(e?.message == #"expected "Allow" or "Deny", found "Permit""#)
        #expect(e?.description == #"policy.json: $.Statement[1].Effect: expected "Allow" or "Deny", found "Permit""#)
        #expect(e?.line == 1)
    }

    @Test func missingEffect() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":{"Action":"*","Resource":"*"}}"#)
        #expect(e?.path == "$.Statement")
        #expect(e?.message == #"missing Effect ("Allow" or "Deny")"#)
    }

    @Test func bothActionAndNotAction() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","NotAction":"s3:*","Resource":"*"}]}"#)
        #expect(e?.path == "$.Statement[0]")
        #expect(e?.message == "a statement cannot have both Action and NotAction")
    }

    @Test func bothResourceAndNotResource() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}]}"#)
        #expect(e?.message == "a statement cannot have both Resource and NotResource")
    }

    @Test func missingAction() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#)
        #expect(e?.path == "$.Statement[0]")
        #expect(e?.message == "missing Action or NotAction")
    }

    @Test func unknownElementWithCaseHint() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"effect":"Allow","Action":"*","Resource":"*"}]}"#)
        #expect(e?.path == "$.Statement[0].effect")
        #expect(e?.message == #"unknown element "effect" in a statement (element names are case-sensitive; did you mean "Effect"?)"#)
        let top = parseError(#"{"Version":"2012-10-17","Statements":[]}"#)
        #expect(top?.path == "$.Statements")
        #expect(top?.message.hasPrefix(#"unknown element "Statements" in a policy"#) == true)
    }

    @Test func unknownConditionOperatorSuggestsFix() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:SourceVpce":"vpce-1"}}}]}"#)
        #expect(e?.path == "$.Statement[0].Condition.StringEqual")
        #expect(e?.message == #"unknown condition operator "StringEqual"; did you mean "StringEquals"?"#)
    }

    @Test func nullCannotTakeIfExists() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}]}"#)
        #expect(e?.path == "$.Statement[0].Condition.NullIfExists")
        #expect(e?.message.contains("Null operator takes neither IfExists") == true)
    }

    @Test func badConditionValueTypes() {
        let numeric = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":["10","ten"]}}}]}"#)
        #expect(numeric?.path == #"$.Statement[0].Condition.NumericLessThan["s3:max-keys"][1]"#)
        #expect(numeric?.message == #"NumericLessThan expects a number, found "ten""#)
        let nullValue = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"k":null}}}]}"#)
        #expect(nullValue?.path == "$.Statement[0].Condition.StringEquals.k")
        #expect(nullValue?.message == "condition values must be strings, numbers or booleans, found null")
        let date = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"next tuesday"}}}]}"#)
        #expect(date?.path == #"$.Statement[0].Condition.DateLessThan["aws:CurrentTime"]"#)
        let ip = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}"#)
        #expect(ip?.message.hasPrefix("IpAddress expects an IPv4 or IPv6 address") == true)
        let bool = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}"#)
        #expect(bool?.message == #"Bool expects "true" or "false", found "yes""#)
        let bin = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"k":"not base64!"}}}]}"#)
        #expect(bin?.message == #"BinaryEquals expects base64, found "not base64!""#)
        let nested = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}]}"#)
        #expect(nested?.path == "$.Statement[0].Condition.StringEquals")
    }

    @Test func duplicateConditionOperatorIsReported() {
        let e = parseError("""
        {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{
          "StringEquals":{"a":"1"},
          "StringEquals":{"b":"2"}}}]}
        """)
        #expect(e?.path == "$.Statement[0].Condition.StringEquals")
        #expect(e?.line == 3)
        #expect(e?.column == 3)
    }

    @Test func badVersionAndStatementShape() {
        #expect(parseError(#"{"Version":"2012-10-18","Statement":[]}"#)?.message == #"expected "2012-10-17" or "2008-10-17", found "2012-10-18""#)
        #expect(parseError(#"{"Version":"2012-10-17"}"#)?.message == "missing Statement element")
        #expect(parseError(#"{"Version":"2012-10-17","Statement":"x"}"#)?.path == "$.Statement")
        #expect(parseError(#"[1]"#)?.message == "expected a policy object with Version and Statement, found an array")
    }

    @Test func badActionAndResource() {
        let a = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","GetItem"],"Resource":"*"}]}"#)
        #expect(a?.path == "$.Statement[0].Action[1]")
        #expect(a?.message.hasPrefix(#"invalid action "GetItem""#) == true)
        let r = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#)
        #expect(r?.path == "$.Statement[0].Resource")
        #expect(parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#)?.message == "Action must not be an empty array")
        #expect(parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[1],"Resource":"*"}]}"#)?.path == "$.Statement[0].Action[0]")
    }

    @Test func principalRulesByKind() {
        let inIdentity = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#, kind: .identity)
        #expect(inIdentity?.path == "$.Statement[0].Principal")
        let missingInResource = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, kind: .resourceBased)
        #expect(missingInResource?.message.hasPrefix("missing Principal or NotPrincipal") == true)
        let noResource = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*"}]}"#, kind: .identity)
        #expect(noResource?.message.hasPrefix("missing Resource or NotResource") == true)
        let partialWildcard = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"*","Resource":"*"}]}"#)
        #expect(partialWildcard?.path == "$.Statement[0].Principal.AWS")
        #expect(partialWildcard?.message.hasPrefix("wildcards are not allowed inside a principal") == true)
        let badAWS = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123","bob"]},"Action":"*","Resource":"*"}]}"#)
        #expect(badAWS?.path == "$.Statement[0].Principal.AWS[0]")
        let badKey = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Aws":"*"},"Action":"*","Resource":"*"}]}"#)
        #expect(badKey?.path == "$.Statement[0].Principal.Aws")
        #expect(parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}]}"#)?.message == "a statement cannot have both Principal and NotPrincipal")
    }

    @Test func duplicateSidInIdentityPolicy() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}]}"#, kind: .identity)
        #expect(e?.path == "$.Statement[1].Sid")
    }

    @Test func malformedVariable() {
        let e = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}]}"#)
        #expect(e?.path == "$.Statement[0].Resource")
        #expect(e?.message.hasPrefix("unterminated policy variable") == true)
        let noQuotes = parseError(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, anon}"}]}"#)
        #expect(noQuotes?.message.contains("single quotes") == true)
        // Version 2008: ${ is literal text, so the same string parses.
        #expect(parseError(#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}]}"#) == nil)
    }

    @Test func invalidJSONReportsLineAndColumn() {
        let e = parseError("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\" \"Action\": \"*\"}\n  ]\n}")
        #expect(e?.isSyntaxError == true)
        #expect(e?.line == 4)
        #expect(e?.column == 24)
        #expect(e?.description == "policy.json: line 4, column 24: invalid JSON: unexpected character '\"'; expected ',' or '}'")
        #expect(parseError("")?.message == "invalid JSON: the input is empty; expected a JSON value")
        #expect(parseError(#"{"Version":"2012-10-17","Statement":[]} x"#)?.isSyntaxError == true)
        #expect(parseError(#"{"a":"\x"}"#)?.message.contains("invalid escape") == true)
    }

    @Test func sourceLabelInDescription() {
        let e = parseError(#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Sid":5}}"#, source: "team/bedrock.json")
        #expect(e?.description == "team/bedrock.json: $.Statement.Sid: expected a string, found a number")
    }

    @Test func deeplyNestedInputIsRejectedNotCrashing() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(parseError(deep)?.message.contains("nesting deeper") == true)
    }
}
