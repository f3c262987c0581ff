// What the signer and verifier keep from the previous call (the last Authorization prefix, signed-header list,
// credential scope and signing key) must never change an answer: calls that differ in exactly what a memo keys on.
import Testing
@testable import SigV4

@Suite struct RepeatedCallTests {
    static let credentials = SigV4Credentials(accessKeyId: "AKIAEXAMPLEREPEAT001", secretAccessKey: "repeat/secret/key/0123456789abcdefghij")
    static let other = SigV4Credentials(accessKeyId: "AKIAEXAMPLEREPEAT002", secretAccessKey: "another/secret/0123456789abcdefghijklm")
    static let now: Int64 = 1_714_564_800   // 2024-05-01T12:00:00Z

    static func verifier() -> SigV4Verifier {
        SigV4Verifier(service: "bedrock", regions: ["us-east-1", "us-west-2"]) { id in
            switch id {
            case credentials.accessKeyId: SigV4Secret(secretAccessKey: credentials.secretAccessKey)
            case other.accessKeyId: SigV4Secret(secretAccessKey: other.secretAccessKey)
            default: nil
            }
        }
    }

    static func request(_ body: String, headers: [(String, String)] = [("Host", "bedrock-runtime.us-east-1.amazonaws.com"),
                                                                    ("Content-Type", "application/json"), ("Accept", "application/json")],
                        path: String = "/model/amazon.titan-text-express-v1/invoke") -> SigV4Request {
        SigV4Request(method: "POST", path: path, headers: headers, body: Array(body.utf8))
    }

    static func sign(_ r: SigV4Request, _ c: SigV4Credentials = credentials, region: String = "us-east-1", at t: Int64 = now) -> SigV4Request {
        SigV4Signer.signWithDetails(r, credentials: c, region: region, service: "bedrock", amzDate: SigV4Date.amzDate(epochSeconds: t)).request
    }

    static func authorization(_ r: SigV4Request) -> String { r.firstValue(for: "Authorization") ?? "" }

    @Test("the verifier's remembered Authorization prefix: same prefix with another signature, and other prefixes")
    func verifierMemo() throws {
        let v = Self.verifier()
        let a = Self.sign(Self.request(#"{"inputText":"a"}"#))
        let b = Self.sign(Self.request(#"{"inputText":"b"}"#))
        #expect(v.verify(a, nowEpochSeconds: Self.now).isAuthenticated)
        // Same prefix (credential, signed headers), another signature: verified on its own merits.
        #expect(v.verify(b, nowEpochSeconds: Self.now).isAuthenticated)
        var swapped = b
        swapped.setHeader("Authorization", Self.authorization(a))
        #expect(v.verify(swapped, nowEpochSeconds: Self.now).failure?.reason == .signatureMismatch)
        // Another principal, region and header set right after: the prefix differs, nothing is reused.
        let c = Self.sign(Self.request(#"{"inputText":"c"}"#, headers: [("Host", "bedrock-runtime.us-west-2.amazonaws.com"), ("X-Custom", "1")]),
                          Self.other, region: "us-west-2")
        let verified = v.verify(c, nowEpochSeconds: Self.now)
        guard case .authenticated(let who) = verified else { Issue.record("rejected: \(verified)"); return }
        #expect(who.accessKeyId == Self.other.accessKeyId && who.region == "us-west-2" && who.signedHeaders == ["host", "x-amz-date", "x-custom"])
        // The Signature component first, then the others: parsed in full, still verified.
        // "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…" as "AWS4-HMAC-SHA256 Signature=…, Credential=…, SignedHeaders=…".
        let prefix = "AWS4-HMAC-SHA256 "
        let parts = Self.authorization(b).dropFirst(prefix.count).split(separator: ",").map { $0.drop { $0 == " " } }
        let signatureFirst = prefix + [parts[2], parts[0], parts[1]].joined(separator: ", ")
        var reordered = b
        reordered.setHeader("Authorization", signatureFirst)
        #expect(v.verify(reordered, nowEpochSeconds: Self.now).isAuthenticated)
        // Back to the first prefix with a damaged signature component.
        var damaged = a
        damaged.setHeader("Authorization", Self.authorization(a) + "0")
        #expect(v.verify(damaged, nowEpochSeconds: Self.now).failure?.reason == .signatureMismatch)
        var noSignature = a
        noSignature.setHeader("Authorization", String(Self.authorization(a).split(separator: ",").dropLast().joined(separator: ",")) + ", Signature")
        #expect(v.verify(noSignature, nowEpochSeconds: Self.now).failure?.reason == .malformedAuthorization)
    }

    @Test("the signer's remembered signed-header list and scope follow the headers, region and day of each call")
    func signerMemo() {
        let first = Self.sign(Self.request("{}"))
        #expect(Self.authorization(first).contains("/20240501/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date,"))
        let fewer = Self.sign(Self.request("{}", headers: [("Host", "h"), ("Accept", "application/json")]), region: "us-west-2", at: Self.now + 86_400)
        #expect(Self.authorization(fewer).contains("/20240502/us-west-2/bedrock/aws4_request, SignedHeaders=accept;host;x-amz-date,"))
        // Same names, other case: lowercased the same; an unsigned header (User-Agent) left out.
        let cased = Self.sign(Self.request("{}", headers: [("HOST", "h"), ("accept", "x"), ("User-Agent", "test")]))
        #expect(Self.authorization(cased).contains("/20240501/us-east-1/bedrock/aws4_request, SignedHeaders=accept;host;x-amz-date,"))
        let again = Self.sign(Self.request("{}"))
        #expect(Self.authorization(again) == Self.authorization(first))
        #expect(Self.verifier().verify(fewer, nowEpochSeconds: Self.now + 86_400).isAuthenticated)
    }

    @Test("a path canonical as it is, and the ones that are not, give the general rule's answer")
    func pathFastPath() {
        for (wire, canonical) in [("/model/amazon.titan-text-express-v1/invoke", "/model/amazon.titan-text-express-v1/invoke"),
                                  ("/a/./b", "/a/b"), ("/a//b", "/a/b"), ("/a/", "/a/"), ("/a/..", "/"), ("/.", "/"),
                                  ("/a%3Ab", "/a%253Ab"), ("/a b", "/a%20b"), ("/~x_y-z.0", "/~x_y-z.0"), ("/..", "/"), ("x", "x")] {
            #expect(SigV4Canonical.canonicalURI(wire) == canonical, "\(wire)")
        }
    }
}
