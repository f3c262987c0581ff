import Testing
@testable import SigV4

@Suite struct CanonicalTests {
    @Test("canonical URI: wire path encoded once more (botocore SigV4Auth._normalize_url_path)")
    func uri() {
        #expect(SigV4Canonical.canonicalURI("/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke")
                == "/model/anthropic.claude-3-haiku-20240307-v1%253A0/invoke")
        #expect(SigV4Canonical.canonicalURI("/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A1%3Ainference-profile%2Fx/converse")
                == "/model/arn%253Aaws%253Abedrock%253Aus-west-2%253A1%253Ainference-profile%252Fx/converse")
        #expect(SigV4Canonical.canonicalURI("") == "/")
        #expect(SigV4Canonical.canonicalURI("/a b/ሴ") == "/a%20b/%E1%88%B4")
        // S3 style: as on the wire.
        #expect(SigV4Canonical.canonicalURI("/bucket//key%3A1", style: .s3) == "/bucket//key%3A1")
    }

    @Test("path normalisation", arguments: [
        ("/", "/"), ("", "/"), ("//", "/"), ("/./", "/"), ("/example/..", "/"), ("/a/./b/../c/", "/a/c/"),
        ("//example//", "/example/"), ("/../x", "/x"), ("a/b", "a/b"), ("/%2E%2E/x", "/%2E%2E/x"),
    ])
    func normalize(_ input: String, _ expected: String) {
        #expect(SigV4Canonical.normalizePath(input) == expected)
    }

    @Test("canonical query", arguments: [
        ("", ""), ("b=2&a=1&a=0", "a=0&a=1&b=2"), ("a=b c", "a=b%20c"), ("a=%7e", "a=~"), ("a+b=c", "a%2Bb=c"),
        ("flag", "flag="), ("x=%zz", "x=%25zz"), ("k=%2F%2f", "k=%2F%2F"), ("B=1&a=1", "B=1&a=1"), ("a=1&&b=2", "a=1&b=2"),
        ("ሴ=bar", "%E1%88%B4=bar"),
    ])
    func query(_ input: String, _ expected: String) {
        #expect(SigV4Canonical.canonicalQuery(input) == expected)
    }

    @Test("header values: trimmed, runs of whitespace collapsed")
    func trim() {
        #expect(SigV4Canonical.trimAll("  a   b\t c  ") == "a b c")
        #expect(SigV4Canonical.trimAll("plain value") == "plain value")
        #expect(SigV4Canonical.trimAll("") == "")
        #expect(SigV4Canonical.trimAll("   ") == "")
        let headers = [SigV4Header("X-A", " 1 "), SigV4Header("x-a", "2"), SigV4Header("Host", "h")]
        #expect(SigV4Canonical.canonicalHeaders(headers, signedHeaderNames: ["host", "x-a", "x-b"]) == "host:h\nx-a:1,2\nx-b:\n")
    }

    @Test("amz-date formatting and parsing")
    func dates() {
        #expect(SigV4Date.amzDate(epochSeconds: 0) == "19700101T000000Z")
        #expect(SigV4Date.amzDate(epochSeconds: 1_440_938_160) == "20150830T123600Z")
        #expect(SigV4Date.amzDate(epochSeconds: 951_782_400) == "20000229T000000Z")
        #expect(SigV4Date.amzDate(epochSeconds: -1) == "19691231T235959Z")
        #expect(SigV4Date.epochSeconds(amzDate: "20150830T123600Z") == 1_440_938_160)
        #expect(SigV4Date.epochSeconds(amzDate: "20000229T000000Z") == 951_782_400)
        for bad in ["20150230T000000Z", "2015-08-30T12:36:00Z", "20150830T123600", "20151330T000000Z", "2015083OT123600Z", ""] {
            #expect(SigV4Date.epochSeconds(amzDate: bad) == nil, "\(bad)")
        }
        #expect(SigV4Date.epochSeconds(httpDate: "Mon, 09 Sep 2011 23:36:00 GMT") == SigV4Date.epochSeconds(amzDate: "20110909T233600Z"))
        #expect(SigV4Date.epochSeconds(httpDate: "09 Sep 2011 23:36:00") == nil)
    }

    @Test("signing key derivation (AWS docs example: 20120215/us-east-1/iam)")
    func signingKey() {
        // From the AWS General Reference "Examples of how to derive a signing key for Signature Version 4".
        let key = SigV4Canonical.signingKey(secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                            date: "20120215", region: "us-east-1", service: "iam")
        #expect(hexOf(key) == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test("the benchmark runs and verifies its sample request")
    func benchmark() {
        let report = SigV4Benchmark.run(iterations: 100)
        #expect(report.contains("verify"))
        #expect(report.contains("[110 accepted]"))
    }

    private func hexOf(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
