import IAMPolicy
import Testing

@Suite("ARN account field")
struct ARNAccountFieldTests {
    @Test func theFifthFieldIsTheAccount() {
        #expect(RequestContext.accountField(ofARN: "arn:aws:bedrock:us-east-1:111111111111:guardrail/abc") == "111111111111")
        #expect(RequestContext.accountField(ofARN: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0") == "")
        #expect(RequestContext.accountField(ofARN: "arn:aws:s3:::bucket/key") == "")
        #expect(RequestContext.accountField(ofARN: "arn:aws:kms:us-east-1:222222222222:key/k:with:colons") == "222222222222")
    }

    @Test func anythingElseIsNotAnARN() {
        for text in ["*", "", "arn:aws:iam", "arn:aws:iam::123", "urn:aws:s3:::b/k", "xarn:aws:s3:::b", "arn"] {
            #expect(RequestContext.accountField(ofARN: text) == nil, "\(text)")
        }
    }

    /// The same answer as splitting into six fields, on every prefix of a few ARNs.
    @Test func agreesWithSplittingIntoSixFields() {
        let samples = ["arn:aws:bedrock:us-east-1:111111111111:provisioned-model/x:y", "arn:aws:iam::999999999999:role/r",
                       "arn:aws:bedrock:us-east-1::foundation-model/m:0", "arn::::", "arn:::::"]
        for s in samples {
            for n in 0...s.count {
                let text = String(s.prefix(n))
                let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
                let expected = parts.count == 6 && parts[0] == "arn" ? String(parts[4]) : nil
                #expect(RequestContext.accountField(ofARN: text) == expected, "\(text)")
            }
        }
    }
}
