// The request path with real processes, real ZeroMQ (CURVE + ZAP) and real end-to-end sealing.
import Foundation
import NodeRuntime
import Testing

extension RealProcessTests {
@Suite("Request path (real processes)", .serialized)
struct RequestPathTests {
    @Test(.timeLimit(.minutes(3)))
    func hopSequenceCrossesEveryAccountBoundaryAndBack() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up() else { return }
        let r = run.invoke(model: claude, body: claudeBody)
        run.check(r["status"] as? String == "ok", "invoke failed: \(r)")
        let body = r["body"] as? [String: Any]
        run.check((body?["content"] as? [[String: Any]])?.first?["text"] is String, "Claude body has no content[].text: \(r)")
        let hops = (r["hops"] as? [[String: Any]] ?? []).filter { ["send", "recv"].contains($0["event"] as? String ?? "") }
        let sequence = hops.map { "\($0["node"] as? String ?? "?") \($0["event"] as? String ?? "?") \($0["type"] as? String ?? "")" }
        // Records are ordered by CLOCK_MONOTONIC taken in each process, so each hop's send precedes its receive.
        let escrow = hops.first { ($0["role"] as? String) == "escrow-host" }?["node"] as? String ?? "escrow-anthropic-?"
        let expected = [
            "client-a send invoke-request", "vpce-a recv invoke-request", "vpce-a send invoke-request",
            "runtime-frontend recv invoke-request", "runtime-frontend send model-request", "\(escrow) recv model-request",
            "\(escrow) send model-response", "runtime-frontend recv model-response", "runtime-frontend send invoke-response",
            "vpce-a recv invoke-response", "vpce-a send invoke-response", "client-a recv invoke-response",
        ]
        run.check(sequence == expected, "hop sequence:\n\(sequence.joined(separator: "\n"))")
        let accounts = hops.map { $0["account"] as? String ?? "" }
        run.check(Set(accounts) == ["111111111111", "999999999999", "333333333333"], "accounts crossed: \(Set(accounts))")
        let crossings = hops.filter { $0["event"] as? String == "send" && $0["crossesAccountBoundary"] as? Bool == true }
        run.check(crossings.count == 4, "expected 4 account-boundary sends, got \(crossings.count)")
        for h in hops where (h["type"] as? String ?? "").hasPrefix("invoke") {
            run.check((h["layers"] as? [String]) == ["curve", "e2e-aes-256-gcm"], "client<->front end hop without both layers: \(h)")
        }
        // `trace REQUEST_ID` prints the same hops again.
        let requestId = r["requestId"] as? String ?? ""
        let t = run.sim(["trace", requestId, "--json"])
        let again = (t.json?["hops"] as? [[String: Any]] ?? []).filter { ["send", "recv"].contains($0["event"] as? String ?? "") }
        run.check(again.count == hops.count, "trace printed \(again.count) hops, invoke \(hops.count)")
        // One CloudTrail record in the caller's account, with the model id and the endpoint, nothing else.
        var trail = ""
        _ = waitUntil(timeoutSeconds: 5) {
            trail = (try? String(contentsOfFile: run.runDir + "/cloudtrail/111111111111.jsonl", encoding: .utf8)) ?? ""
            return trail.contains(requestId)
        }
        let record = trail.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .first { $0["requestID"] as? String == requestId }
        run.check(record?["eventName"] as? String == "InvokeModel", "no CloudTrail record for \(requestId): \(trail)")
        run.check((record?["requestParameters"] as? [String: Any])?["modelId"] as? String == claude, "requestParameters: \(String(describing: record))")
        run.check(record?["vpcEndpointId"] as? String == run.node("vpce-a")?.settings["endpointId"], "vpcEndpointId missing")
        run.check(record?["responseElements"] is NSNull, "responseElements must be null")

        // The gates that passed are journaled as one front-end record naming each gate and its reason; a second call
        // of the same principal on the same model gets the same text (built once, then reused).
        let second = run.invoke(model: claude, body: claudeBody)
        run.check(second["status"] as? String == "ok", "second invoke failed: \(second)")
        func allowRecord(_ id: String) -> [String: Any]? {
            var found: [String: Any]?
            _ = waitUntil(timeoutSeconds: 5) {
                let lines = ((try? String(contentsOfFile: run.runDir + "/trace.jsonl", encoding: .utf8)) ?? "").split(separator: "\n")
                found = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.first {
                    $0["requestId"] as? String == id && $0["node"] as? String == "runtime-frontend" && $0["decision"] as? String == "allow"
                }
                return found != nil
            }
            return found
        }
        let first = allowRecord(requestId), again2 = allowRecord(second["requestId"] as? String ?? "")
        let gateNames = (first?["gate"] as? String ?? "").split(separator: ",").map(String.init)
        run.check(["model-identifier", "sigv4-authentication", "iam-authorization", "model-access"].allSatisfy(gateNames.contains),
                  "allow record's gates: \(String(describing: first))")
        let reason = first?["reason"] as? String ?? ""
        run.check(reason.contains("[sigv4-authentication] SigV4 verified: arn:aws:iam::111111111111:")
                  && reason.contains("; [iam-authorization] Allowed: ") && reason.contains("bedrock:InvokeModel on arn:aws:bedrock:"),
                  "allow reason: \(reason)")
        run.check(again2?["reason"] as? String == reason && again2?["gate"] as? String == first?["gate"] as? String,
                  "the second call's allow record differs: \(String(describing: again2))")
        // Each call has its own W3C trace context (version 00, 16-byte trace id, 8-byte parent id, sampled).
        let lines = ((try? String(contentsOfFile: run.runDir + "/trace.jsonl", encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let contexts = [requestId, second["requestId"] as? String ?? ""].map { id in
            lines.first { $0["requestId"] as? String == id && $0["node"] as? String == "client-a" && $0["event"] as? String == "send" }?["traceparent"] as? String ?? ""
        }
        run.check(contexts.allSatisfy { $0.range(of: "^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", options: .regularExpression) != nil }
                  && contexts[0] != contexts[1], "traceparents: \(contexts)")
    }

    @Test(.timeLimit(.minutes(3)))
    func everyModelFamilyAnswersAndErrorsHaveTheServiceTypes() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up() else { return }
        let titan = run.invoke(model: "amazon.titan-text-express-v1", body: #"{"inputText":"hi","textGenerationConfig":{"maxTokenCount":10}}"#, from: "client-b")
        run.check(((titan["body"] as? [String: Any])?["results"] as? [[String: Any]])?.first?["outputText"] is String, "titan: \(titan)")
        let llama = run.invoke(model: "meta.llama3-8b-instruct-v1:0", body: #"{"prompt":"hi","max_gen_len":10}"#)
        run.check((llama["body"] as? [String: Any])?["generation"] is String, "llama: \(llama)")
        let embed = run.invoke(model: "amazon.titan-embed-text-v2:0", body: #"{"inputText":"hi","dimensions":256}"#)
        run.check(((embed["body"] as? [String: Any])?["embedding"] as? [Any])?.count == 256, "embedding: \(embed)")
        let headers = titan["headers"] as? [String: String] ?? [:]
        run.check(headers["x-amzn-RequestId"] == titan["requestId"] as? String, "x-amzn-RequestId \(headers)")
        run.check(headers["X-Amzn-Bedrock-Output-Token-Count"] != nil, "token count headers \(headers)")

        let invalid = run.invoke(model: claude, body: #"{"messages":[]}"#)
        run.check(invalid["status"] as? String == "ValidationException" && invalid["httpStatus"] as? Int == 400, "invalid body: \(invalid)")
        let unknown = run.invoke(model: "acme.nonexistent-v1", body: "{}")
        run.check(unknown["status"] as? String == "ValidationException", "unknown model: \(unknown)")
        run.check(!(unknown["hops"] as? [[String: Any]] ?? []).contains { $0["role"] as? String == "escrow-host" }, "unknown model reached a host")
        let unserved = run.invoke(model: "anthropic.claude-3-sonnet-20240229-v1:0", body: claudeBody)
        run.check(unserved["status"] as? String == "ResourceNotFoundException", "model no host serves: \(unserved)")
        let notJSON = run.invoke(model: claude, body: "this is not json")
        run.check(notJSON["status"] as? String == "ValidationException", "non-JSON body: \(notJSON)")
    }

    @Test(.timeLimit(.minutes(3)))
    func tamperedReplayedAndMisroutedRequestsAreRejectedAndTheNodesStayUp() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up() else { return }
        let tampered = run.invoke(model: claude, body: claudeBody, extra: ["--option", "tamper=body"])
        run.check(tampered["status"] as? String == "ValidationException", "tampered: \(tampered)")
        let rejected = (tampered["hops"] as? [[String: Any]] ?? []).first { $0["event"] as? String == "rejected" }
        run.check(rejected?["node"] as? String == "runtime-frontend", "tampered request not rejected at the front end: \(tampered)")
        run.check(!(tampered["hops"] as? [[String: Any]] ?? []).contains { $0["role"] as? String == "escrow-host" }, "tampered request reached a host")

        let truncated = run.invoke(model: claude, body: claudeBody, extra: ["--option", "tamper=truncate"])
        run.check(truncated["status"] as? String == "ValidationException", "truncated: \(truncated)")

        let replayed = run.invoke(model: claude, body: claudeBody, extra: ["--option", "replay=1"])
        run.check(replayed["status"] as? String == "ok", "the original of a replayed frame must succeed: \(replayed)")
        let requestId = replayed["requestId"] as? String ?? ""
        let sawReplay = waitUntil(timeoutSeconds: 5) {
            run.traceLines().contains { $0["requestId"] as? String == requestId && $0["event"] as? String == "rejected"
                && $0["node"] as? String == "runtime-frontend" }
        }
        run.check(sawReplay, "the replayed copy was not rejected")

        let misrouted = run.invoke(model: claude, body: claudeBody, extra: ["--option", "misroute=escrow-anthropic-1"])
        run.check(misrouted["status"] as? String == "ValidationException", "misrouted: \(misrouted)")
        let status = run.sim(["status", "--json"])
        run.check(status.status == 0, "a node went down: \(status.stdout)")
    }
}
}
