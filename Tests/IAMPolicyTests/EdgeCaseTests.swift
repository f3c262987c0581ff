import Testing
@testable import IAMPolicy

@Suite("Edge cases")
struct EdgeCaseTests {
    @Test func jsonStringEscapes() throws {
        let d = try doc(#"{"Version":"2012-10-17","Statement":{"Sid":"caf\u00e9 \ud83d\ude00 \"q\" \/","Effect":"Allow","Action":"*","Resource":"*"}}"#)
        #expect(d.statements[0].sid == "café 😀 \"q\" /")
        #expect(parseError(#"{"Sid":"\ud83d"}"#)?.message.contains("surrogate") == true)
        #expect(parseError("{\"Sid\":\"a\u{01}b\"}")?.message.contains("control character") == true)
        #expect(parseError(#"{"Version":01}"#)?.message.contains("leading zeros") == true)
    }

    @Test func jsonWriterEscapes() {
        #expect(JSONWriter.quoted("a\"b\\c\nd\u{01}é") == "\"a\\\"b\\\\c\\nd\\u0001é\"")
    }

    @Test func explicitDenyInEndpointPolicy() throws {
        let ep = try doc(#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Sid":"NoTraining","Effect":"Deny","Principal":"*","Action":"bedrock:CreateModelCustomizationJob","Resource":"*"}]}"#, kind: .resourceBased)
        let r = evaluate(request("bedrock:CreateModelCustomizationJob", "*"), identity: [try doc(allowAll)], endpoints: [ep])
        #expect(r.decision == .explicitlyDenied)
        #expect(r.blockedBy == [.vpce])
        #expect(evaluate(request(), identity: [try doc(allowAll)], endpoints: [ep]).decision == .allowed)
    }

    @Test func anonymousCallerNeedsPublicResourcePolicy() throws {
        let req = RequestContext(action: "s3:GetObject", resource: "arn:aws:s3:::public/x", principal: principal("*"))
        #expect(evaluate(req, identity: [try doc(allowAll)]).decision == .implicitlyDenied, "identity policies do not apply to anonymous callers")
        let pub = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::public/*"}]}"#)
        #expect(evaluate(req, resource: pub).decision == .allowed)
        let named = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"*"}]}"#)
        #expect(evaluate(req, resource: named).decision == .implicitlyDenied)
    }

    @Test func resourcePolicyWithoutResourceElementCoversTheResource() throws {
        let rp = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sns:Publish"}]}"#, kind: .resourceBased)
        let req = RequestContext(action: "sns:Publish", resource: "arn:aws:sns:us-east-1:111122223333:t", principal: principal(userArn))
        #expect(evaluate(req, resource: rp).decision == .allowed)
    }

    @Test func multipleIdentityPoliciesAnyAllowSuffices() throws {
        let s3 = try doc(#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#)
        let r = evaluate(request(), identity: [s3, try doc(claude)])
        #expect(r.decision == .allowed)
        #expect(r.matchedStatements.map(\.policy) == ["identityPolicies[1]"])
    }

    let claude = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*"}]}"#

    @Test func globMatcherEdgeCases() throws {
        func m(_ pattern: String, _ s: String) throws -> Bool {
            try Glob.compile(pattern, variables: false, wildcards: true, lowercase: false).matches(s, ResolvedContext(values: [:]))
        }
        #expect(try m("*", ""))
        #expect(try m("", ""))
        #expect(try !m("", "a"))
        #expect(try m("a*b*c", "aXXbYYc"))
        #expect(try m("a*b*c", "abc"))
        #expect(try !m("a*b*c", "acb"))
        #expect(try m("*a", "aaa"))
        #expect(try m("a*a*a", "aaa"))
        #expect(try !m("a*a*a", "aa"))
        #expect(try m("??", "éé"))
        #expect(try !m("?", "éé"))
        #expect(try m("*::foundation-model/*", haikuArn))
        #expect(try m("a**b", "ab"))
        #expect(try m("x*?", "xy"))
        #expect(try !m("x*?", "x"))
    }

    @Test func ipv6Parsing() {
        #expect(IPNetwork.parse("::") != nil)
        #expect(IPNetwork.parse("::/0")?.prefix == 0)
        #expect(IPNetwork.parse("2001:db8::")?.high == 0x2001_0db8_0000_0000)
        #expect(IPNetwork.parse("1:2:3:4:5:6:7:8")?.low == 0x0005_0006_0007_0008)
        #expect(IPNetwork.parse("1:2:3:4:5:6:7:8:9") == nil)
        #expect(IPNetwork.parse("12345::") == nil)
        #expect(IPNetwork.parse("::ffff:1.2.3.4")?.isIPv4 == true)
    }

    @Test func benchmarkRuns() {
        let report = IAMPolicyBenchmark.run(iterations: 50)
        #expect(report.contains("20 statements"))
        #expect(report.contains("decision Allowed"))
        #expect(report.contains("p50"))
    }

    @Test func resultMatchesAreStableAcrossAccesses() throws {
        let r = evaluate(request(), identity: [try doc(allowAll)])
        #expect(r.matchedStatements == r.matchedStatements)
        #expect(r.explanation == r.explanation)
    }
}
