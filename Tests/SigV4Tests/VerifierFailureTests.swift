import Foundation
import Testing
@testable import SigV4

/// Each rejection carries the real service's error type, status and message wording. Sources for the
/// wording: AWS IAM user guide "Troubleshoot signed requests for AWS APIs" (signature mismatch, expired /
/// not yet current, region, service, credential-scope date), and AWS responses quoted in SDK issue
/// trackers (e.g. aws/aws-sdk-js#254 and serverless/enterprise#11 for the clock-skew forms,
/// cllunsford/aws-signing-proxy#25 for the service form, aws/aws-sdk-php#2469 for the Host rule,
/// mhart/aws4#97 for the 5-element credential rule, aws/chalice#828 for the missing-parameter list).
@Suite struct VerifierFailureTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let longTerm = SigV4Credentials(accessKeyId: "AKIAEXAMPLELONGTERM", secretAccessKey: secret)
    static let temporary = SigV4Credentials(accessKeyId: "ASIAEXAMPLETEMP", secretAccessKey: "tempSecret/abc+def", sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE==")
    static let t0: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z

    static let verifier = SigV4Verifier(service: "bedrock", regions: ["us-east-1", "us-west-2"]) { id in
        switch id {
        case longTerm.accessKeyId: SigV4Secret(secretAccessKey: secret)
        case temporary.accessKeyId: SigV4Secret(secretAccessKey: temporary.secretAccessKey, sessionToken: temporary.sessionToken)
        case "ASIAEXPIRED": SigV4Secret(secretAccessKey: "x", sessionToken: "old-token", isExpired: true)
        default: nil
        }
    }

    static func base() -> SigV4Request {
        SigV4Request(method: "POST", path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
                     headers: [("Host", "bedrock-runtime.us-east-1.amazonaws.com"), ("Content-Type", "application/json"),
                               ("Accept", "application/json")],
                     body: Array(#"{"prompt":"hi"}"#.utf8))
    }

    static func signed(_ request: SigV4Request = base(), credentials: SigV4Credentials = longTerm, region: String = "us-east-1",
                       service: String = "bedrock", at epoch: Int64 = t0, options: SigV4Signer.Options = .init()) -> SigV4Request {
        SigV4Signer.signWithDetails(request, credentials: credentials, region: region, service: service,
                                    amzDate: SigV4Date.amzDate(epochSeconds: epoch), options: options).request
    }

    static func failure(_ request: SigV4Request, now: Int64 = t0, verifier: SigV4Verifier = verifier) throws -> SigV4Failure {
        try #require(verifier.verify(request, nowEpochSeconds: now).failure, "expected a rejection")
    }

    @Test("a correctly signed request is accepted")
    func accepted() {
        #expect(Self.verifier.verify(Self.signed(), nowEpochSeconds: Self.t0).isAuthenticated)
        #expect(Self.verifier.verify(Self.signed(credentials: Self.temporary), nowEpochSeconds: Self.t0).isAuthenticated)
        #expect(Self.verifier.verify(Self.signed(region: "us-west-2"), nowEpochSeconds: Self.t0).isAuthenticated)
    }

    @Test("no Authorization header: MissingAuthenticationTokenException 403")
    func missing() throws {
        let f = try Self.failure(Self.signed().without("Authorization"))
        #expect(f.errorType == "MissingAuthenticationTokenException")
        #expect(f.httpStatus == 403)
        #expect(f.message == "Missing Authentication Token")
        #expect(f.reason == .missingAuthentication)
    }

    @Test("Authorization without the SigV4 parameters: IncompleteSignatureException 400 naming each one")
    func incomplete() throws {
        var request = Self.signed()
        request.setHeader("Authorization", "Bearer abc123")
        var f = try Self.failure(request)
        #expect(f.errorType == "IncompleteSignatureException")
        #expect(f.httpStatus == 400)
        #expect(f.message == "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
                + "Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc123")

        let auth = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLELONGTERM/20240101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date"
        request.setHeader("Authorization", auth)
        f = try Self.failure(request)
        #expect(f.message == "Authorization header requires 'Signature' parameter. Authorization=\(auth)")

        request = request.without("X-Amz-Date")
        f = try Self.failure(request)
        #expect(f.message == "Authorization header requires 'Signature' parameter. Authorization header requires existence of "
                + "either a 'X-Amz-Date' or a 'Date' header. Authorization=\(auth)")
    }

    @Test("a parameter without '=' is named in the message")
    func missingEquals() throws {
        var request = Self.signed()
        let auth = "AWS4-HMAC-SHA256 Credential AKIAEXAMPLELONGTERM/20240101/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00"
        request.setHeader("Authorization", auth)
        let f = try Self.failure(request)
        #expect(f.errorType == "IncompleteSignatureException")
        #expect(f.message == "'Credential AKIAEXAMPLELONGTERM/20240101/us-east-1/bedrock/aws4_request' not a valid key=value pair "
                + "(missing equal-sign) in Authorization header: '\(auth)'.")
    }

    @Test("no X-Amz-Date or Date header: IncompleteSignatureException")
    func missingDate() throws {
        let request = Self.signed().without("X-Amz-Date")
        let f = try Self.failure(request)
        #expect(f.errorType == "IncompleteSignatureException")
        #expect(f.reason == .missingDate)
        #expect(f.message.hasPrefix("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential="))
    }

    @Test("a badly formatted X-Amz-Date is rejected")
    func badDate() throws {
        var request = Self.signed()
        request.setHeader("X-Amz-Date", "2024-01-01T00:00:00Z")
        let f = try Self.failure(request)
        #expect(f.reason == .invalidDate)
        #expect(f.message.hasPrefix("Date must be in ISO-8601 'basic format'. Got '2024-01-01T00:00:00Z'."))
    }

    @Test("a credential that is not 5 slash-separated parts")
    func malformedCredential() throws {
        var request = Self.signed()
        request.setHeader("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLELONGTERM/20240101/us-east-1/bedrock, SignedHeaders=host;x-amz-date, Signature=00")
        let f = try Self.failure(request)
        #expect(f.errorType == "IncompleteSignatureException")
        #expect(f.message == "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                + "got 'AKIAEXAMPLELONGTERM/20240101/us-east-1/bedrock'")
    }

    @Test("unknown access key: UnrecognizedClientException 403")
    func unknownKey() throws {
        let f = try Self.failure(Self.signed(credentials: SigV4Credentials(accessKeyId: "AKIANOSUCHKEY", secretAccessKey: "x")))
        #expect(f.errorType == "UnrecognizedClientException")
        #expect(f.httpStatus == 403)
        #expect(f.message == "The security token included in the request is invalid.")
        #expect(f.reason == .unknownAccessKey)
    }

    @Test("wrong secret: InvalidSignatureException with AWS's message and the server's canonical request")
    func wrongSecret() throws {
        let f = try Self.failure(Self.signed(credentials: SigV4Credentials(accessKeyId: Self.longTerm.accessKeyId, secretAccessKey: "wrong")))
        #expect(f.errorType == "InvalidSignatureException")
        #expect(f.httpStatus == 403)
        #expect(f.message == "The request signature we calculated does not match the signature you provided. "
                + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        #expect(f.canonicalRequest?.contains("/model/anthropic.claude-3-haiku-20240307-v1%253A0/invoke") == true)
        #expect(f.stringToSign?.hasPrefix("AWS4-HMAC-SHA256\n20240101T000000Z\n20240101/us-east-1/bedrock/aws4_request\n") == true)
    }

    @Test("body changed after signing: signature mismatch; with X-Amz-Content-Sha256: payload hash mismatch")
    func bodyChanged() throws {
        var request = Self.signed()
        request.body.append(0x20)
        #expect(try Self.failure(request).reason == .signatureMismatch)

        var withHash = Self.signed(options: .init(addContentSHA256Header: true))
        #expect(Self.verifier.verify(withHash, nowEpochSeconds: Self.t0).isAuthenticated)
        withHash.body[0] ^= 1
        let f = try Self.failure(withHash)
        #expect(f.reason == .payloadHashMismatch)
        #expect(f.errorType == "InvalidSignatureException")
        #expect(f.message.hasPrefix("The request signature we calculated does not match"))
    }

    @Test("a declared payload hash in upper-case hex is the body's hash; one digit off is a payload hash mismatch")
    func declaredPayloadHashCase() throws {
        var request = Self.base()
        let hex = Self.verifierHex(request.body)
        request.setHeader("X-Amz-Content-Sha256", hex.uppercased())
        #expect(Self.verifier.verify(Self.signed(request), nowEpochSeconds: Self.t0).isAuthenticated)
        for position in [0, 31, 63] {
            var digits = Array(hex.utf8)
            digits[position] = digits[position] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            var off = Self.base()
            off.setHeader("X-Amz-Content-Sha256", String(decoding: digits, as: UTF8.self))
            #expect(try Self.failure(Self.signed(off)).reason == .payloadHashMismatch, "digit \(position)")
        }
        var short = Self.base()
        short.setHeader("X-Amz-Content-Sha256", String(hex.dropLast()))
        #expect(try Self.failure(Self.signed(short)).reason == .payloadHashMismatch)
    }

    /// The body's SHA-256 in lower-case hex, as the signer's option writes it.
    static func verifierHex(_ body: [UInt8]) -> String {
        Self.signed(options: .init(addContentSHA256Header: true)).firstValue(for: "X-Amz-Content-Sha256") ?? ""
    }

    @Test("UNSIGNED-PAYLOAD is refused unless the verifier allows it")
    func unsignedPayload() throws {
        var request = Self.base()
        request.setHeader("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
        let signed = Self.signed(request)
        #expect(try Self.failure(signed).reason == .unsignedPayloadNotAllowed)
        var lenient = Self.verifier
        lenient.allowUnsignedPayload = true
        #expect(lenient.verify(signed, nowEpochSeconds: Self.t0).isAuthenticated)
    }

    @Test("signature too old: 'Signature expired' with AWS's exact wording; 5 minutes exactly is still accepted")
    func expired() throws {
        let request = Self.signed()
        #expect(Self.verifier.verify(request, nowEpochSeconds: Self.t0 + 300).isAuthenticated)
        let f = try Self.failure(request, now: Self.t0 + 660)
        #expect(f.errorType == "InvalidSignatureException")
        #expect(f.httpStatus == 403)
        #expect(f.message == "Signature expired: 20240101T000000Z is now earlier than 20240101T000600Z (20240101T001100Z - 5 min.)")
        #expect(f.reason == .signatureExpired)
    }

    @Test("signature from the future: 'Signature not yet current'")
    func future() throws {
        let request = Self.signed(at: Self.t0 + 1200)
        #expect(Self.verifier.verify(request, nowEpochSeconds: Self.t0 + 900).isAuthenticated)
        let f = try Self.failure(request, now: Self.t0 + 600)
        #expect(f.message == "Signature not yet current: 20240101T002000Z is still later than 20240101T001500Z (20240101T001000Z + 5 min.)")
        #expect(f.reason == .signatureNotYetCurrent)
    }

    @Test("credential scoped to another region or service")
    func scope() throws {
        var f = try Self.failure(Self.signed(region: "eu-west-1"))
        #expect(f.errorType == "InvalidSignatureException")
        #expect(f.message == "Credential should be scoped to a valid region, not 'eu-west-1'. ")
        f = try Self.failure(Self.signed(service: "bedrock-runtime"))
        #expect(f.errorType == "InvalidSignatureException")
        #expect(f.message == "Credential should be scoped to correct service: 'bedrock'. ")
    }

    @Test("bad terminator or a scope date that differs from X-Amz-Date")
    func scopeShape() throws {
        var request = Self.signed()
        let auth = try #require(request.firstValue(for: "Authorization"))
        request.setHeader("Authorization", auth.replacingOccurrences(of: "aws4_request", with: "aws5_request"))
        #expect(try Self.failure(request).message == "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ")
        request.setHeader("Authorization", auth.replacingOccurrences(of: "/20240101/", with: "/20231231/"))
        #expect(try Self.failure(request).message == "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                + "'20231231' != '20240101', from '20240101T000000Z'.")
    }

    @Test("Host and X-Amz-Date must be signed")
    func requiredSignedHeaders() throws {
        var f = try Self.failure(Self.signed(Self.base().without("Host")))
        #expect(f.errorType == "InvalidSignatureException")
        #expect(f.message == "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        var options = SigV4Signer.Options()
        options.unsignedHeaders.insert("x-amz-date")
        f = try Self.failure(Self.signed(options: options))
        #expect(f.reason == .dateNotSigned)
        #expect(f.message == "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
    }

    @Test("a header listed in SignedHeaders but missing from the request: signature mismatch")
    func signedHeaderAbsent() throws {
        var request = Self.base()
        request.headers.append(SigV4Header("X-Amzn-Bedrock-GuardrailIdentifier", "gr1"))
        let signed = Self.signed(request)
        #expect(Self.verifier.verify(signed, nowEpochSeconds: Self.t0).isAuthenticated)
        #expect(try Self.failure(signed.without("X-Amzn-Bedrock-GuardrailIdentifier")).reason == .signatureMismatch)
    }

    @Test("session tokens: missing, wrong, unexpected and expired")
    func sessionTokens() throws {
        let temp = Self.signed(credentials: Self.temporary)
        for request in [temp.without("X-Amz-Security-Token"), { var r = temp; r.setHeader("X-Amz-Security-Token", "forged"); return r }()] {
            let f = try Self.failure(request)
            #expect(f.errorType == "UnrecognizedClientException")
            #expect(f.message == "The security token included in the request is invalid.")
            #expect(f.reason == .invalidSessionToken)
        }
        // A long-term key presented with a session token.
        var withToken = Self.longTerm
        withToken.sessionToken = "token"
        #expect(try Self.failure(Self.signed(credentials: withToken)).reason == .invalidSessionToken)
        // Expired temporary credentials.
        let f = try Self.failure(Self.signed(credentials: SigV4Credentials(accessKeyId: "ASIAEXPIRED", secretAccessKey: "x", sessionToken: "old-token")))
        #expect(f.errorType == "ExpiredTokenException")
        #expect(f.httpStatus == 403)
        #expect(f.message == "The security token included in the request is expired")
    }

    @Test("two Authorization headers are refused")
    func duplicateAuthorization() throws {
        var request = Self.signed()
        request.headers.append(SigV4Header("authorization", try #require(request.firstValue(for: "Authorization"))))
        #expect(try Self.failure(request).errorType == "IncompleteSignatureException")
    }

    @Test("an uppercase-hex or truncated signature does not verify")
    func signatureText() throws {
        var request = Self.signed()
        let auth = try #require(request.firstValue(for: "Authorization"))
        let signature = try #require(auth.split(separator: "=").last.map(String.init))
        request.setHeader("Authorization", auth.replacingOccurrences(of: signature, with: signature.uppercased()))
        #expect(try Self.failure(request).reason == .signatureMismatch)
        request.setHeader("Authorization", auth.replacingOccurrences(of: signature, with: String(signature.dropLast(2))))
        #expect(try Self.failure(request).reason == .signatureMismatch)
    }
}
