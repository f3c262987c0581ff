import Foundation
import Testing
@testable import SigV4

/// Cross-check against botocore itself: Vectors/botocore/botocore-bedrock.json holds Bedrock requests
/// (InvokeModel with a 1 KiB body, InvokeModel by inference-profile ARN with a session token and guardrail
/// headers, Converse, InvokeModelWithResponseStream, and control-plane ListFoundationModels with a query)
/// exactly as botocore 1.43.11 put them on the wire, with botocore's own CanonicalRequest and
/// StringToSign debug output. They were produced by Vectors/botocore/generate.py: a real boto3-style client
/// with fixed credentials, botocore.auth.get_current_datetime patched to a fixed instant, and the request
/// captured at the 'before-send' event (after signing, before any network I/O).
@Suite struct BotocoreCrossCheckTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String, region: String, service: String, amzDate: String
        let credentials: SigV4Credentials
        let wire: SigV4Request
        let canonicalRequest: String, stringToSign: String, authorization: String
        var description: String { name }
    }

    static func cases() throws -> [Case] {
        let root = try Vectors.json("botocore/botocore-bedrock.json")
        let list = try #require(root["cases"] as? [[String: Any]], "botocore-bedrock.json: no cases")
        return try list.map { item in
            func string(_ key: String) throws -> String { try #require(item[key] as? String, "field \(key)") }
            let headers = try #require(item["headers"] as? [[String]], "field headers").map { SigV4Header($0[0], $0[1]) }
            let body = try #require(Data(base64Encoded: try string("bodyBase64")), "field bodyBase64")
            return Case(
                name: try string("name"), region: try string("region"), service: try string("service"), amzDate: try string("amzDate"),
                credentials: SigV4Credentials(accessKeyId: try string("accessKeyId"), secretAccessKey: try string("secretAccessKey"),
                                              sessionToken: item["sessionToken"] as? String),
                wire: SigV4Request(method: try string("method"), path: try string("path"), query: try string("query"),
                                   headers: headers, body: Array(body)),
                canonicalRequest: try string("canonicalRequest"), stringToSign: try string("stringToSign"),
                authorization: try string("authorization"))
        }
    }

    static func verifier(for c: Case) -> SigV4Verifier {
        SigV4Verifier(service: "bedrock", regions: [c.region]) { id in
            id == c.credentials.accessKeyId
                ? SigV4Secret(secretAccessKey: c.credentials.secretAccessKey, sessionToken: c.credentials.sessionToken) : nil
        }
    }

    static func now(_ c: Case) throws -> Int64 {
        try #require(SigV4Date.epochSeconds(amzDate: c.amzDate)) + 42
    }

    @Test("the vector file holds the expected cases")
    func inventory() throws {
        let names = try Self.cases().map(\.name)
        #expect(names.contains("invoke-model-1kib"))
        #expect(names.count == 5)
        let invoke = try #require(try Self.cases().first { $0.name == "invoke-model-1kib" })
        #expect(invoke.wire.path == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke")
        #expect(invoke.wire.body.count == 1024)
        #expect(invoke.canonicalRequest.contains("\n/model/anthropic.claude-3-haiku-20240307-v1%253A0/invoke\n"))
    }

    @Test("signing the pre-signing request gives botocore's canonical request, string to sign and Authorization")
    func signsLikeBotocore() throws {
        for c in try Self.cases() {
            // What botocore had when it signed: the wire request minus what signing adds and what it adds
            // afterwards (Content-Length from body preparation, amz-sdk-* retry headers at before-send).
            let unsigned = c.wire.without("Authorization", "X-Amz-Date", "X-Amz-Security-Token",
                                          "amz-sdk-invocation-id", "amz-sdk-request", "Content-Length")
            let result = SigV4Signer.signWithDetails(unsigned, credentials: c.credentials, region: c.region,
                                                     service: c.service, amzDate: c.amzDate)
            #expect(result.canonicalRequest == c.canonicalRequest, "\(c.name)")
            #expect(result.stringToSign == c.stringToSign, "\(c.name)")
            #expect(result.authorization == c.authorization, "\(c.name)")
            // botocore does not send X-Amz-Content-Sha256 for Bedrock, and neither does the signer by default.
            #expect(c.wire.firstValue(for: "X-Amz-Content-Sha256") == nil)
            #expect(result.request.firstValue(for: "X-Amz-Content-Sha256") == nil)
        }
    }

    @Test("the verifier accepts each request exactly as botocore sent it")
    func verifierAccepts() throws {
        for c in try Self.cases() {
            let outcome = Self.verifier(for: c).verify(c.wire, nowEpochSeconds: try Self.now(c))
            guard case .authenticated(let identity) = outcome else {
                Issue.record("\(c.name): \(outcome)")
                continue
            }
            #expect(identity.accessKeyId == c.credentials.accessKeyId)
            #expect(identity.region == c.region)
            #expect(identity.service == "bedrock")
            #expect(identity.usedSessionToken == (c.credentials.sessionToken != nil))
            #expect(identity.signedHeaders.contains("host") && identity.signedHeaders.contains("x-amz-date"))
        }
    }

    @Test("one changed byte, header, path segment or a decoded path is rejected")
    func verifierRejects() throws {
        for c in try Self.cases() {
            let verifier = Self.verifier(for: c)
            let now = try Self.now(c)
            var body = c.wire
            if body.body.isEmpty { body.body = [0x7b] } else { body.body[body.body.count / 2] ^= 0x20 }
            var path = c.wire
            path.path = path.path.replacingOccurrences(of: "haiku", with: "sonnet")
                .replacingOccurrences(of: "titan", with: "nova").replacingOccurrences(of: "foundation", with: "custom")
            var host = c.wire
            host.setHeader("Host", "bedrock-runtime.attacker.example")
            var decoded = c.wire
            decoded.path = c.wire.path.removingPercentEncoding ?? c.wire.path
            var cases = [("body", body), ("path", path), ("host", host)]
            if decoded.path != c.wire.path { cases.append(("decoded path", decoded)) }
            for (what, request) in cases {
                let failure = verifier.verify(request, nowEpochSeconds: now).failure
                #expect(failure?.reason == .signatureMismatch, "\(c.name): changed \(what)")
                #expect(failure?.errorType == "InvalidSignatureException")
            }
        }
    }

    @Test("a signature from our signer verifies, wire headers added after signing do not matter")
    func roundTrip() throws {
        for c in try Self.cases() {
            let unsigned = c.wire.without("Authorization", "X-Amz-Date", "X-Amz-Security-Token")
            var signed = SigV4Signer.sign(unsigned, credentials: c.credentials, region: c.region, service: "bedrock",
                                          date: Date(timeIntervalSince1970: TimeInterval(try Self.now(c))))
            signed.headers.append(SigV4Header("X-Forwarded-For", "10.0.0.1"))
            #expect(Self.verifier(for: c).verify(signed, nowEpochSeconds: try Self.now(c)).isAuthenticated, "\(c.name)")
        }
    }
}
