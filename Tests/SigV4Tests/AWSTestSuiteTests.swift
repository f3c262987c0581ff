import Foundation
import Testing
@testable import SigV4

/// Known-answer tests from AWS's published SigV4 test suite (2015-08-30 edition; see Vectors/README.md).
///
/// Every case applies to non-S3 services, which is what `SigV4PathStyle.standard` implements: the
/// normalize-path cases (`/example/..`, `//example//`, `/./`) are normalised as AWS requires for every
/// service except S3 (normalize-path/normalize-path.txt in the suite says S3 must not normalise), and the
/// wire paths here are raw (a space, a UTF-8 character), so one encoding pass gives `%20` / `%E1%88%B4`.
/// Left out: the suite's `get-vanilla-query` and `post-x-www-form-urlencoded*` body-signing variants are
/// included, but the S3-only chunked/`UNSIGNED-PAYLOAD` cases are not part of this edition.
@Suite struct AWSTestSuiteTests {
    static let credentials = SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let token = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    static let amzDate = "20150830T123600Z"
    static let now: Int64 = 1_440_938_160  // 2015-08-30T12:36:00Z

    /// A case directory relative to Vectors/aws-sig-v4-test-suite, and how it is signed.
    struct Case: Sendable, CustomStringConvertible {
        let directory: String
        var sessionToken: String? = nil
        var signSessionToken = true
        var name: String { String(directory.split(separator: "/").last ?? "") }
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(directory: "get-header-key-duplicate"),
        Case(directory: "get-header-value-multiline"),
        Case(directory: "get-header-value-order"),
        Case(directory: "get-header-value-trim"),
        Case(directory: "get-unreserved"),
        Case(directory: "get-utf8"),
        Case(directory: "get-vanilla-empty-query-key"),
        Case(directory: "get-vanilla-query-order-key"),
        Case(directory: "get-vanilla-query-order-key-case"),
        Case(directory: "get-vanilla-query-order-value"),
        Case(directory: "get-vanilla-query-unreserved"),
        Case(directory: "get-vanilla-utf8-query"),
        Case(directory: "normalize-path/get-relative"),
        Case(directory: "normalize-path/get-relative-relative"),
        Case(directory: "normalize-path/get-slash"),
        Case(directory: "normalize-path/get-slash-dot-slash"),
        Case(directory: "normalize-path/get-slash-pointless-dot"),
        Case(directory: "normalize-path/get-slashes"),
        Case(directory: "normalize-path/get-space"),
        Case(directory: "post-header-key-sort"),
        Case(directory: "post-header-value-case"),
        Case(directory: "post-vanilla"),
        Case(directory: "post-vanilla-empty-query-value"),
        Case(directory: "post-x-www-form-urlencoded"),
        Case(directory: "post-x-www-form-urlencoded-parameters"),
        Case(directory: "post-sts-token/post-sts-header-before", sessionToken: token),
        Case(directory: "post-sts-token/post-sts-header-after", sessionToken: token, signSessionToken: false),
    ]

    static func load(_ c: Case) throws -> (signed: SigV4Request, expectedAuthorization: String) {
        let base = "aws-sig-v4-test-suite/\(c.directory)/\(c.name)"
        let signed = try RawHTTP.parse(try Vectors.text(base + ".sreq"), file: base + ".sreq")
        let authorization = try #require(signed.firstValue(for: "Authorization"), "\(base).sreq has no Authorization")
        return (signed, authorization.trimmingCharacters(in: .whitespaces))
    }

    static func verifier(_ c: Case) -> SigV4Verifier {
        SigV4Verifier(service: "service", regions: ["us-east-1"]) { id in
            id == "AKIDEXAMPLE" ? SigV4Secret(secretAccessKey: credentials.secretAccessKey, sessionToken: c.sessionToken) : nil
        }
    }

    @Test("signer reproduces the published canonical request, string to sign and Authorization", arguments: cases)
    func signer(_ c: Case) throws {
        let (signed, expected) = try Self.load(c)
        var credentials = Self.credentials
        credentials.sessionToken = c.sessionToken
        let unsigned = signed.without("Authorization", "X-Amz-Security-Token")
        let result = SigV4Signer.signWithDetails(unsigned, credentials: credentials, region: "us-east-1", service: "service",
                                                 amzDate: Self.amzDate, options: .init(signSessionToken: c.signSessionToken))
        #expect(result.authorization == expected)
        let base = "aws-sig-v4-test-suite/\(c.directory)/\(c.name)"
        if let creq = Vectors.optionalText(base + ".creq") { #expect(result.canonicalRequest == creq) }
        if let sts = Vectors.optionalText(base + ".sts") { #expect(result.stringToSign == sts) }
    }

    @Test("get-vanilla (.req + .authz)")
    func getVanilla() throws {
        let request = try RawHTTP.parse(try Vectors.text("aws-sig-v4-test-suite/get-vanilla/get-vanilla.req"), file: "get-vanilla.req")
        let expected = try Vectors.text("aws-sig-v4-test-suite/get-vanilla/get-vanilla.authz")
        let result = SigV4Signer.signWithDetails(request, credentials: Self.credentials, region: "us-east-1", service: "service", amzDate: Self.amzDate)
        #expect(result.authorization == expected)
        #expect(result.canonicalRequest == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + SigV4Canonical.emptyPayloadHash)
        // Published string-to-sign hash for get-vanilla.
        #expect(result.stringToSign.hasSuffix("\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"))
        #expect(Self.verifier(Case(directory: "get-vanilla")).verify(result.request, nowEpochSeconds: Self.now).isAuthenticated)
    }

    @Test("verifier accepts the published signed request", arguments: cases)
    func verifierAccepts(_ c: Case) throws {
        let (signed, _) = try Self.load(c)
        let outcome = Self.verifier(c).verify(signed, nowEpochSeconds: Self.now)
        #expect(outcome.isAuthenticated, "\(outcome)")
    }

    enum Tamper: String, CaseIterable, Sendable { case bodyByte, signedHeaderValue, date, path, query }

    @Test("verifier rejects the request after one change", arguments: cases, Tamper.allCases)
    func verifierRejectsTampering(_ c: Case, _ tamper: Tamper) throws {
        var (request, _) = try Self.load(c)
        switch tamper {
        case .bodyByte:
            if request.body.isEmpty { request.body = [UInt8(ascii: "x")] } else { request.body[request.body.count - 1] ^= 0x01 }
        case .signedHeaderValue:
            request.setHeader("Host", "example.amazonaws.com.evil")
        case .date:
            request.setHeader("X-Amz-Date", "20150830T123601Z")
        case .path:
            request.path += "x"
        case .query:
            request.query += request.query.isEmpty ? "a=b" : "&a=b"
        }
        let failure = try #require(Self.verifier(c).verify(request, nowEpochSeconds: Self.now).failure)
        #expect(failure.reason == .signatureMismatch)
        #expect(failure.errorType == "InvalidSignatureException")
        #expect(failure.httpStatus == 403)
    }
}

/// botocore's edition of two 2011 suite cases whose wire path is already encoded: the canonical URI
/// encodes the `%` again (`/%20/foo` → `/%2520/foo`), which is what boto3 clients do for Bedrock model IDs.
@Suite struct BotocoreDoubleEncodingTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String, method: String, path: String, headers: [SigV4Header]
        let canonicalRequest: String, stringToSign: String, authorization: String
        var description: String { name }
    }

    static func cases() throws -> [Case] {
        let root = try Vectors.json("botocore/aws4_testsuite-2011-double-encoding.json")
        let list = try #require(root["cases"] as? [[String: Any]])
        return try list.map { item in
            let headers = try #require(item["headers"] as? [[String]]).map { SigV4Header($0[0], $0[1]) }
            return Case(name: try #require(item["name"] as? String), method: try #require(item["method"] as? String),
                        path: try #require(item["path"] as? String), headers: headers,
                        canonicalRequest: try #require(item["canonicalRequest"] as? String),
                        stringToSign: try #require(item["stringToSign"] as? String),
                        authorization: try #require(item["authorization"] as? String))
        }
    }

    @Test("canonical request, string to sign and signature match botocore's vectors")
    func knownAnswers() throws {
        let cases = try Self.cases()
        #expect(cases.count == 2)
        for c in cases {
            let creq = SigV4Canonical.canonicalRequest(
                method: c.method, canonicalURI: SigV4Canonical.canonicalURI(c.path), canonicalQuery: "",
                canonicalHeaders: SigV4Canonical.canonicalHeaders(c.headers, signedHeaderNames: ["date", "host"]),
                signedHeaders: "date;host", payloadHash: SigV4Canonical.emptyPayloadHash)
            #expect(creq == c.canonicalRequest, "\(c.name)")
            let sts = SigV4Canonical.stringToSign(amzDate: "20110909T233600Z",
                                                  credentialScope: "20110909/us-east-1/host/aws4_request", canonicalRequest: creq)
            #expect(sts == c.stringToSign, "\(c.name)")
            let key = SigV4Canonical.signingKey(secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                                date: "20110909", region: "us-east-1", service: "host")
            #expect(c.authorization.hasSuffix("Signature=" + SigV4Canonical.signature(signingKey: key, stringToSign: sts)), "\(c.name)")
        }
    }

    @Test("verifier accepts them with the HTTP Date header, and rejects a single-encoded path")
    func verifier() throws {
        let verifier = SigV4Verifier(service: "host", regions: ["us-east-1"]) { id in
            id == "AKIDEXAMPLE" ? SigV4Secret(secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") : nil
        }
        let now = try #require(SigV4Date.epochSeconds(amzDate: "20110909T233600Z"))
        for c in try Self.cases() {
            var request = SigV4Request(method: c.method, path: c.path, headers: c.headers)
            request.headers.append(SigV4Header("Authorization", c.authorization))
            let outcome = verifier.verify(request, nowEpochSeconds: now)
            #expect(outcome.isAuthenticated, "\(c.name): \(outcome)")
            // The same bytes decoded once (what a server that URL-decodes first would see) do not verify.
            request.path = c.path.removingPercentEncoding ?? c.path
            #expect(verifier.verify(request, nowEpochSeconds: now).failure?.reason == .signatureMismatch, "\(c.name)")
        }
    }
}
