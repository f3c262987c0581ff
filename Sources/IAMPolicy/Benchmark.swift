// Evaluation latency: parse once, evaluate many times, report percentiles.

public enum IAMPolicyBenchmark {
    /// 20 identity-policy statements with conditions (string, ARN, IP, date,
    /// numeric, Bool, policy variables), a resource-less VPC endpoint check and
    /// one request evaluated `iterations` times; prints p50/p90/p99 in ns.
    public static func run(iterations: Int = 100_000) -> String {
        var statements: [String] = []
        // 16 statements that do not apply to the request, in varied ways.
        for i in 0..<8 {
            statements.append("""
            {"Sid":"OtherService\(i)","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-\(i)/*",
             "Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0000\(i)"},"Bool":{"aws:SecureTransport":"true"}}}
            """)
        }
        for i in 0..<4 {
            statements.append("""
            {"Sid":"OtherModel\(i)","Effect":"Allow","Action":"bedrock:InvokeModel*","Resource":"arn:aws:bedrock:*::foundation-model/meta.llama\(i)*",
             "Condition":{"IpAddress":{"aws:SourceIp":["10.\(i).0.0/16","2001:db8:\(i)::/48"]}}}
            """)
        }
        for i in 0..<4 {
            statements.append("""
            {"Sid":"CondMiss\(i)","Effect":"Allow","Action":"bedrock:*","Resource":"*",
             "Condition":{"StringEquals":{"aws:PrincipalTag/team":"team-\(i)"},"NumericLessThan":{"bedrock:MaxTokens":"\(100 + i)"}}}
            """)
        }
        // 4 statements that do apply.
        statements.append("""
        {"Sid":"AllowClaude","Effect":"Allow","Action":["bedrock:InvokeModel","bedrock:InvokeModelWithResponseStream"],
         "Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*",
         "Condition":{"StringEquals":{"aws:SourceVpce":"vpce-0abc"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
                      "IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}
        """)
        statements.append("""
        {"Sid":"RequireGuardrail","Effect":"Deny","Action":"bedrock:InvokeModel","Resource":"*",
         "Condition":{"StringNotEquals":{"bedrock:GuardrailIdentifier":"arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123:1"}}}
        """)
        statements.append("""
        {"Sid":"OwnPrefix","Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:us-east-1:111122223333:custom-model/${aws:PrincipalTag/team}/*",
         "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}}
        """)
        statements.append("""
        {"Sid":"DenyOutsideHours","Effect":"Deny","Action":"bedrock:*","Resource":"*",
         "Condition":{"DateGreaterThan":{"aws:CurrentTime":"2031-01-01T00:00:00Z"},"NumericGreaterThan":{"bedrock:MaxTokens":"8192"}}}
        """)
        let policyJSON = "{\"Version\":\"2012-10-17\",\"Statement\":[\n" + statements.joined(separator: ",\n") + "]}"

        let parseStart = ContinuousClock.now
        let policy: PolicyDocument
        do {
            policy = try PolicyDocument(json: policyJSON, source: "benchmark.json", kind: .identity)
        } catch {
            return "IAMPolicy benchmark: policy failed to parse: \(error)"
        }
        let parseTime = ContinuousClock.now - parseStart

        let principal = PrincipalInfo(arn: "arn:aws:sts::111122223333:assumed-role/App/worker-1", accountId: "111122223333",
                                      type: .assumedRole, roleArn: "arn:aws:iam::111122223333:role/App")
        let request = RequestContext(
            action: "bedrock:InvokeModel",
            resource: "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            principal: principal,
            context: [
                "aws:SourceVpce": "vpce-0abc",
                "aws:SourceIp": "203.0.113.42",
                "aws:CurrentTime": "2025-06-01T12:00:00Z",
                "aws:SecureTransport": "true",
                "aws:PrincipalTag/team": "research",
                "bedrock:GuardrailIdentifier": "arn:aws:bedrock:us-east-1:111122223333:guardrail/abc123:1",
                "bedrock:MaxTokens": "512",
            ])
        let input = EvaluationInput(request: request, identityPolicies: [policy])
        let first = PolicyEvaluator.evaluate(input)

        // Warm up, then time each evaluation.
        for _ in 0..<min(10_000, iterations) { _ = PolicyEvaluator.evaluate(input) }
        let clock = ContinuousClock()
        var samples = [Int64](repeating: 0, count: max(1, iterations))
        var sink = 0
        for i in 0..<samples.count {
            let t0 = clock.now
            let r = PolicyEvaluator.evaluate(input)
            let t1 = clock.now
            sink &+= r.isAllowed ? 1 : 0
            let d = t1 - t0
            samples[i] = d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
        }
        // Overhead of reading the clock twice, subtracted from nothing but reported.
        var overhead = [Int64](repeating: 0, count: 1000)
        for i in 0..<overhead.count {
            let t0 = clock.now
            let t1 = clock.now
            let d = t1 - t0
            overhead[i] = d.components.attoseconds / 1_000_000_000
        }
        samples.sort()
        overhead.sort()
        func pct(_ p: Double) -> Int64 { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        let parseMicros = parseTime.components.attoseconds / 1_000_000_000_000 + parseTime.components.seconds * 1_000_000
        return """
        IAMPolicy benchmark: 1 identity policy, \(policy.statements.count) statements (all with conditions), \(samples.count) evaluations of \(request.action), decision \(first.decision.rawValue) (\(first.matchedStatements.count) statements matched, checksum \(sink % 997))
          parse: \(parseMicros) us (once)
          evaluate: p50 \(pct(0.50)) ns, p90 \(pct(0.90)) ns, p99 \(pct(0.99)) ns, max \(samples[samples.count - 1]) ns (clock read overhead ~\(overhead[overhead.count / 2]) ns included)
        """
    }
}
