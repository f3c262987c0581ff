// The customization plane's lenient ARN account field (ownership checks of custom models, jobs and roles).
import RoleKit
import Testing

@Suite("ARN account field (customization)")
struct ARNFieldTests {
    @Test func theFifthFieldOrNothing() {
        #expect(arnAccountField("arn:aws:bedrock:us-east-1:111111111111:custom-model/m-1") == "111111111111")
        #expect(arnAccountField("arn:aws:iam::222222222222:role/ft") == "222222222222")
        // A resource part with colons stays out of the account field.
        #expect(arnAccountField("arn:aws:bedrock:us-east-1:111111111111:model-customization-job/a:b") == "111111111111")
        #expect(arnAccountField("arn:aws:bedrock:us-east-1::foundation-model/x") == "")
        #expect(arnAccountField("arn:aws:bedrock") == "" && arnAccountField("") == "" && arnAccountField("m-1") == "")
    }
}
