import ASCIIText

/// Prints how long signing and verifying a typical InvokeModel request takes (figures only, no assertions).
public enum SigV4Benchmark {
    /// A botocore-shaped InvokeModel request with a 1 KiB JSON body, signed for us-east-1 at a fixed time.
    public static func sampleInvokeModel() -> (request: SigV4Request, credentials: SigV4Credentials, epochSeconds: Int64) {
        let credentials = SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        let prefix = Array(#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":256,"messages":[{"role":"user","content":""#.utf8)
        let suffix = Array(#""}]}"#.utf8)
        let body = prefix + [UInt8](repeating: UInt8(ascii: "x"), count: 1024 - prefix.count - suffix.count) + suffix
        let request = SigV4Request(
            method: "POST", path: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
            headers: [("Host", "bedrock-runtime.us-east-1.amazonaws.com"), ("Content-Type", "application/json"),
                      ("Accept", "application/json")],
            body: body)
        let epoch: Int64 = 1_714_564_800  // 2024-05-01T12:00:00Z
        var signed = SigV4Signer.signWithDetails(request, credentials: credentials, region: "us-east-1", service: "bedrock",
                                                 amzDate: SigV4Date.amzDate(epochSeconds: epoch)).request
        // Headers botocore adds after signing, as on the wire.
        signed.headers.append(SigV4Header("User-Agent", "Boto3/1.43.11 md/Botocore#1.43.11 ua/2.1 os/linux lang/python#3.11.7"))
        signed.headers.append(SigV4Header("amz-sdk-invocation-id", "07c35f53-a34a-46d8-9b41-6b8c17e644ed"))
        signed.headers.append(SigV4Header("amz-sdk-request", "attempt=1"))
        signed.headers.append(SigV4Header("Content-Length", "1024"))
        return (signed, credentials, epoch)
    }

    public static func run(iterations: Int = 20_000) -> String {
        let n = max(iterations, 100)
        let (request, credentials, epoch) = sampleInvokeModel()
        let verifier = SigV4Verifier(service: "bedrock", regions: ["us-east-1"]) { id in
            id == credentials.accessKeyId ? SigV4Secret(secretAccessKey: credentials.secretAccessKey) : nil
        }
        var ok = 0
        let clock = ContinuousClock()
        let batch = max(n / 5, 20)
        /// Best and median µs per operation over 5 batches (the best batch is the steadiest figure on a
        /// shared machine).
        func measure(_ body: () -> Void) -> (best: Double, median: Double) {
            var perOp: [Double] = []
            for _ in 0..<5 {
                let d = clock.measure { for _ in 0..<batch { body() } }
                perOp.append((Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12) / Double(batch))
            }
            perOp.sort()
            return (perOp[0], perOp[2])
        }
        for _ in 0..<min(n / 10, 1000) where verifier.verify(request, nowEpochSeconds: epoch + 30).isAuthenticated { ok += 1 }
        let verifyTime = measure {
            if verifier.verify(request, nowEpochSeconds: epoch + 30).isAuthenticated { ok += 1 }
        }
        var unsigned = request
        unsigned.headers.removeAll { ["authorization", "x-amz-date"].contains(ASCII.lowercased($0.name)) }
        var signatures = 0
        let signTime = measure {
            signatures &+= SigV4Signer.signWithDetails(unsigned, credentials: credentials, region: "us-east-1", service: "bedrock",
                                                       amzDate: "20240501T120000Z").signature.utf8.count
        }
        func micros(_ t: (best: Double, median: Double)) -> String {
            "\((t.best * 100).rounded() / 100) µs/op (median \((t.median * 100).rounded() / 100))"
        }
        return """
            SigV4 benchmark (InvokeModel, 1 KiB body, \(batch * 5) iterations in 5 batches, 1 thread; best batch)
            verify (authenticated)  \(micros(verifyTime))   [\(ok) accepted]
            sign (signing key from the cache, as a client signs call after call)  \(micros(signTime))   [\(signatures / 64) signatures]
            """
    }
}
