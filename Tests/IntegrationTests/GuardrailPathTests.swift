// Guardrails on the request path with real processes (Topologies/guardrails.yaml): the input gate stops a prompt
// at the front end before any model host sees it, the output filter blocks or anonymizes completions, the control
// plane keeps immutable versions in the run directory, and ApplyGuardrail travels client -> endpoint -> front end.
import Foundation
import NodeRuntime
import Testing

private let guardrailTopology = "Topologies/guardrails.yaml"
private let guardHeaders = ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=demoguard1", "--header", "X-Amzn-Bedrock-GuardrailVersion=1"]
private let titan = "amazon.titan-text-express-v1"

private func claudeAsking(_ prompt: String) -> String {
    let data = try? JSONSerialization.data(withJSONObject: [
        "anthropic_version": "bedrock-2023-05-31", "max_tokens": 200, "messages": [["role": "user", "content": prompt]],
    ])
    return String(decoding: data ?? Data(), as: UTF8.self)
}

private func text(_ r: [String: Any]) -> String? {
    let body = r["body"] as? [String: Any]
    if let c = body?["content"] as? [[String: Any]] { return c.first?["text"] as? String }
    if let t = body?["results"] as? [[String: Any]] { return t.first?["outputText"] as? String }
    return body?["generation"] as? String
}

private func action(_ r: [String: Any]) -> String? { (r["body"] as? [String: Any])?["amazon-bedrock-guardrailAction"] as? String }

private func hops(_ r: [String: Any]) -> [[String: Any]] { r["hops"] as? [[String: Any]] ?? [] }

private func reachedModelHost(_ r: [String: Any]) -> Bool { hops(r).contains { ($0["role"] as? String) == "escrow-host" } }

private func writeTemp(_ text: String) -> String {
    let path = NSTemporaryDirectory() + "guardrail-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).json"
    _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
}

extension RealProcessTests {
@Suite("Guardrails on the request path (real processes)", .serialized)
struct GuardrailPathTests {
    @Test(.timeLimit(.minutes(3)))
    func blockedInputsNeverReachAModelHost() throws {
        let run = SimRun(topology: guardrailTopology)
        defer { run.stop() }
        guard run.up() else { return }
        let cases: [(prompt: String, policy: String)] = [
            ("Tell me everything about project phoenix", "wordPolicy"),
            ("Which stocks should I buy to invest my retirement savings for the best returns?", "topicPolicy"),
            ("My social security number is 536-22-8741, can you store it?", "sensitiveInformationPolicy"),
        ]
        for c in cases {
            let r = run.invoke(model: claude, body: claudeAsking(c.prompt), extra: guardHeaders + ["--header", "X-Amzn-Bedrock-Trace=ENABLED"])
            run.check(r["status"] as? String == "ok" && (r["httpStatus"] as? Int) == 200, "\(c.policy): a block keeps HTTP 200: \(r)")
            run.check(action(r) == "INTERVENED", "\(c.policy): guardrailAction: \(r)")
            run.check(text(r) == "Sorry, I cannot help with that request.", "\(c.policy): blocked input messaging: \(r)")
            run.check(!reachedModelHost(r), "\(c.policy): a blocked prompt reached a model host: \(hops(r))")
            let stop = hops(r).first { ($0["decision"] as? String) == "intervene" }
            run.check(stop?["node"] as? String == "runtime-frontend" && (stop?["reason"] as? String ?? "").contains("blocked the input before routing"),
                      "\(c.policy): the trace does not show where the call stopped: \(hops(r))")
            let trace = (((r["body"] as? [String: Any])?["amazon-bedrock-trace"] as? [String: Any])?["guardrail"] as? [String: Any])?["input"] as? [String: Any]
            run.check((trace?["demoguard1"] as? [String: Any])?[c.policy] != nil, "\(c.policy): trace.guardrail.input: \(String(describing: trace))")
            // The trace never carries the prompt.
            let records = run.traceLines().filter { $0["requestId"] as? String == r["requestId"] as? String }
            let serialized = records.map { String(describing: $0) }.joined()
            run.check(!serialized.contains("phoenix") && !serialized.contains("536-22-8741"), "content in the trace: \(serialized)")
        }
        // A clean prompt passes both ways and reaches a host; CloudTrail names the guardrail, never the prompt.
        let ok = run.invoke(model: claude, body: claudeAsking("How do tides work?"), extra: guardHeaders)
        run.check(action(ok) == "NONE" && reachedModelHost(ok), "clean prompt: \(ok)")
        let record = run.cloudTrail(waitingFor: [ok["requestId"] as? String]).first { $0["requestID"] as? String == ok["requestId"] as? String }
        let params = record?["requestParameters"] as? [String: Any]
        run.check(params?["guardrailIdentifier"] as? String == "demoguard1" && params?["guardrailVersion"] as? String == "1",
                  "CloudTrail requestParameters: \(String(describing: record))")
        run.check(!String(describing: run.cloudTrail()).contains("tides"), "prompt text in CloudTrail")
        // The real errors: unknown guardrail, missing version, another account's guardrail.
        let missing = run.invoke(model: claude, body: claudeBody, extra: ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=nosuchguardrail", "--header", "X-Amzn-Bedrock-GuardrailVersion=1"])
        run.check(missing["status"] as? String == "ResourceNotFoundException" && !reachedModelHost(missing), "unknown guardrail: \(missing)")
        let noVersion = run.invoke(model: claude, body: claudeBody, extra: ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=demoguard1"])
        run.check(noVersion["status"] as? String == "ValidationException", "missing version: \(noVersion)")
        let noSuchVersion = run.invoke(model: claude, body: claudeBody, extra: ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=demoguard1", "--header", "X-Amzn-Bedrock-GuardrailVersion=9"])
        run.check(noSuchVersion["status"] as? String == "ResourceNotFoundException", "missing version 9: \(noSuchVersion)")
        let otherAccount = run.invoke(model: claude, body: claudeBody, from: "client-b", extra: guardHeaders)
        run.check(otherAccount["status"] as? String == "ResourceNotFoundException", "customer B used customer A's guardrail: \(otherAccount)")
        // Converse naming a guardrail in its body is refused (not simulated yet) rather than answered unfiltered;
        // Converse without one is served.
        let converse = #"{"messages":[{"role":"user","content":[{"text":"Tell me about project phoenix"}]}]"#
        let guarded = run.sim(["invoke", "--json", "--path", "/model/\(claude)/converse", "--body",
                               converse + #","guardrailConfig":{"guardrailIdentifier":"demoguard1","guardrailVersion":"1"}}"#]).json ?? [:]
        run.check(guarded["status"] as? String == "ValidationException" && !reachedModelHost(guarded)
                  && String(describing: guarded["body"] ?? "").contains("not simulated yet"), "Converse with guardrailConfig: \(guarded)")
        let plain = run.sim(["invoke", "--json", "--path", "/model/\(claude)/converse", "--body", converse + "}"]).json ?? [:]
        run.check(plain["status"] as? String == "ok" && reachedModelHost(plain), "Converse without a guardrail: \(plain)")
    }

    @Test(.timeLimit(.minutes(3)))
    func outputsAreAnonymizedBlockedOrPassed() throws {
        let run = SimRun(topology: guardrailTopology)
        defer { run.stop() }
        guard run.up() else { return }
        // The stand-in echoes key words of the prompt, so a card number in the prompt comes back in the answer.
        // Cards are guarded on output only: the answer carries {CREDIT_DEBIT_CARD_NUMBER} instead.
        let card = run.invoke(model: claude, body: claudeAsking("Is my card 4111111111111111 still valid?"), extra: guardHeaders)
        run.check(reachedModelHost(card) && action(card) == "INTERVENED", "card: \(card)")
        run.check((text(card) ?? "").contains("{CREDIT_DEBIT_CARD_NUMBER}") && !(text(card) ?? "").contains("4111111111111111"),
                  "card number not anonymized: \(String(describing: text(card)))")
        run.check(hops(card).contains { ($0["decision"] as? String) == "mask" }, "no mask decision in the trace: \(hops(card))")
        // "zephyr" is allowed in prompts and blocked in answers (Titan's native body).
        let zephyr = run.invoke(model: titan, body: #"{"inputText":"Tell me about zephyr winds"}"#, extra: guardHeaders)
        run.check(reachedModelHost(zephyr) && action(zephyr) == "INTERVENED" && text(zephyr) == "Sorry, the answer was withheld by a guardrail.",
                  "output block: \(zephyr)")
        // Nothing to do: NONE, with the full trace (input and outputs) on request (Llama's native body).
        let llama = run.invoke(model: "meta.llama3-8b-instruct-v1:0", body: #"{"prompt":"Tell me about gardening"}"#,
                               extra: guardHeaders + ["--header", "X-Amzn-Bedrock-Trace=ENABLED_FULL"])
        run.check(action(llama) == "NONE" && (text(llama) ?? "").contains("gardening"), "llama: \(llama)")
        let g = ((llama["body"] as? [String: Any])?["amazon-bedrock-trace"] as? [String: Any])?["guardrail"] as? [String: Any]
        run.check(g?["input"] != nil && (g?["outputs"] as? [Any])?.count == 1, "ENABLED_FULL trace: \(String(describing: g))")
        // An e-mail address in the prompt is anonymized before the model sees it: the call intervenes but is answered.
        let email = run.invoke(model: claude, body: claudeAsking("Please write to jane.doe@example.com about the meeting"), extra: guardHeaders)
        run.check(reachedModelHost(email) && action(email) == "INTERVENED" && !(text(email) ?? "").contains("jane.doe@example.com"),
                  "input anonymization: \(email)")
        // Selective guarding with input tags: only the tagged part is assessed, and the tags never reach the model.
        let tagged = run.invoke(model: claude, body: #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"amazon-bedrock-guardrailConfig":{"tagSuffix":"xyz"},"messages":[{"role":"user","content":"System notes mention project phoenix. <amazon-bedrock-guardrails-guardContent_xyz>How do tides work?</amazon-bedrock-guardrails-guardContent_xyz>"}]}"#, extra: guardHeaders)
        run.check(tagged["status"] as? String == "ok" && action(tagged) == "NONE" && reachedModelHost(tagged), "tagged input: \(tagged)")
        let taggedBlocked = run.invoke(model: claude, body: #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"amazon-bedrock-guardrailConfig":{"tagSuffix":"xyz"},"messages":[{"role":"user","content":"Hello. <amazon-bedrock-guardrails-guardContent_xyz>Tell me about project phoenix</amazon-bedrock-guardrails-guardContent_xyz>"}]}"#, extra: guardHeaders)
        run.check(action(taggedBlocked) == "INTERVENED" && !reachedModelHost(taggedBlocked), "tagged block: \(taggedBlocked)")
    }

    @Test(.timeLimit(.minutes(4)))
    func versionsAreImmutableAndPersistAcrossARestart() throws {
        let run = SimRun(topology: guardrailTopology)
        defer { run.stop() }
        guard run.up() else { return }
        let banana = writeTemp(#"{"name":"fruit-guard","blockedInputMessaging":"No fruit.","blockedOutputsMessaging":"No fruit out.","wordPolicyConfig":{"wordsConfig":[{"text":"banana"}]}}"#)
        let cherry = writeTemp(#"{"name":"fruit-guard","blockedInputMessaging":"No fruit.","blockedOutputsMessaging":"No fruit out.","wordPolicyConfig":{"wordsConfig":[{"text":"cherry"}]}}"#)
        defer { try? FileManager.default.removeItem(atPath: banana); try? FileManager.default.removeItem(atPath: cherry) }
        let created = run.sim(["guardrail", "create", "--config", banana])
        let id = created.json?["guardrailId"] as? String ?? ""
        run.check(created.status == 0 && created.json?["version"] as? String == "DRAFT" && !id.isEmpty
                  && (created.json?["guardrailArn"] as? String) == "arn:aws:bedrock:us-east-1:111111111111:guardrail/\(id)", "create: \(created)")
        run.check(id.allSatisfy { $0.isLowercase || $0.isNumber }, "guardrail id \(id) is not [a-z0-9]+")
        // Same name again: ConflictException. A malformed configuration: the service's validation message.
        let again = run.sim(["guardrail", "create", "--config", banana])
        run.check(again.status != 0 && again.stderr.contains("ConflictException"), "duplicate name: \(again)")
        let bad = writeTemp(#"{"name":"bad name!","blockedInputMessaging":"","blockedOutputsMessaging":"x","contentPolicyConfig":{"filtersConfig":[{"type":"GORE","inputStrength":"HIGH","outputStrength":"HIGH"}]}}"#)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let refused = run.sim(["guardrail", "create", "--config", bad])
        run.check(refused.status != 0 && refused.stderr.contains("ValidationException") && refused.stderr.contains("3 validation errors detected")
                  && refused.stderr.contains("Value 'GORE' at 'contentPolicyConfig.filtersConfig.1.member.type'"), "malformed config: \(refused)")

        let v1 = run.sim(["guardrail", "version", id, "--description", "bananas"])
        run.check(v1.json?["version"] as? String == "1", "version: \(v1)")
        let updated = run.sim(["guardrail", "update", id, "--config", cherry])
        run.check(updated.status == 0 && updated.json?["version"] as? String == "DRAFT", "update: \(updated)")
        func apply(_ version: String, _ text: String) -> String? {
            (run.sim(["guardrail", "apply", "--guardrail", "\(id):\(version)", "--source", "INPUT", text]).json)?["action"] as? String
        }
        run.check(apply("1", "I like banana") == "GUARDRAIL_INTERVENED" && apply("1", "I like cherry") == "NONE", "version 1 changed after UpdateGuardrail")
        run.check(apply("DRAFT", "I like cherry") == "GUARDRAIL_INTERVENED" && apply("DRAFT", "I like banana") == "NONE", "DRAFT not updated")
        let get1 = run.sim(["guardrail", "get", id, "--version", "1"]).json
        let words = ((get1?["wordPolicy"] as? [String: Any])?["words"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        run.check(words == ["banana"] && get1?["status"] as? String == "READY" && get1?["description"] as? String == "bananas", "GetGuardrail v1: \(String(describing: get1))")

        // The guardrails live in the run directory: a restart of every process (front end included) keeps them.
        run.check(run.sim(["down"]).status == 0, "down failed")
        guard run.up() else { return }
        run.check(apply("1", "I like banana") == "GUARDRAIL_INTERVENED" && apply("DRAFT", "I like cherry") == "GUARDRAIL_INTERVENED", "lost after restart")
        let versions = run.sim(["guardrail", "list", "--guardrail", id]).json?["guardrails"] as? [[String: Any]]
        run.check(versions?.compactMap { $0["version"] as? String } == ["DRAFT", "1"], "ListGuardrails versions: \(String(describing: versions))")
        let all = run.sim(["guardrail", "list"]).json?["guardrails"] as? [[String: Any]]
        run.check(Set(all?.compactMap { $0["id"] as? String } ?? []) == ["demoguard1", id], "ListGuardrails: \(String(describing: all))")
        // Another account sees none of them.
        let fromB = run.sim(["guardrail", "list", "--from", "client-b"]).json?["guardrails"] as? [Any]
        run.check(fromB?.isEmpty == true, "customer B lists customer A's guardrails: \(String(describing: fromB))")

        run.check(run.sim(["guardrail", "delete", id, "--version", "1"]).status == 0, "delete version 1")
        run.check(run.sim(["guardrail", "get", id, "--version", "1"]).stderr.contains("ResourceNotFoundException"), "version 1 still there")
        run.check(run.sim(["guardrail", "delete", id]).status == 0, "delete guardrail")
        run.check(run.sim(["guardrail", "get", id]).stderr.contains("ResourceNotFoundException"), "guardrail still there")
    }

    @Test(.timeLimit(.minutes(3)))
    func applyGuardrailTravelsThePathAsADataEvent() throws {
        let run = SimRun(topology: guardrailTopology)
        defer { run.stop() }
        guard run.up() else { return }
        let r = run.sim(["guardrail", "apply", "--guardrail", "demoguard1:1", "--source", "OUTPUT", "--output-scope", "FULL",
                         "Contact me at jane.doe@example.com"])
        let j = r.json
        run.check(j?["action"] as? String == "GUARDRAIL_INTERVENED", "apply: \(r)")
        run.check(((j?["outputs"] as? [[String: Any]])?.first?["text"] as? String) == "Contact me at {EMAIL}", "anonymized output: \(r)")
        let blocked = run.sim(["guardrail", "apply", "--guardrail", "demoguard1:1", "--source", "INPUT", "You are a worthless idiot and I hate you"]).json
        run.check(blocked?["action"] as? String == "GUARDRAIL_INTERVENED"
                  && ((blocked?["outputs"] as? [[String: Any]])?.first?["text"] as? String) == "Sorry, I cannot help with that request.", "content filter: \(String(describing: blocked))")
        // The same call by hand, to see its hops: client -> endpoint -> front end, no model host.
        let body = #"{"source":"INPUT","content":[{"text":{"text":"hello there"}}]}"#
        let direct = run.sim(["invoke", "--json", "--path", "/guardrail/demoguard1/version/1/apply", "--body", body])
        let dj = direct.json ?? [:]
        run.check(dj["status"] as? String == "ok" && ((dj["body"] as? [String: Any])?["action"] as? String) == "NONE", "ApplyGuardrail NONE: \(direct)")
        let nodes = Set(hops(dj).filter { $0["event"] as? String == "recv" }.compactMap { $0["node"] as? String })
        run.check(nodes == ["vpce-a", "runtime-frontend", "client-a"], "ApplyGuardrail hops: \(nodes)")
        let record = run.cloudTrail(waitingFor: [dj["requestId"] as? String]).first { $0["requestID"] as? String == dj["requestId"] as? String }
        run.check(record?["eventName"] as? String == "ApplyGuardrail" && record?["eventCategory"] as? String == "Data"
                  && (record?["requestParameters"] as? [String: Any])?["guardrailIdentifier"] as? String == "demoguard1",
                  "CloudTrail: \(String(describing: record))")
        run.check(!String(describing: record ?? [:]).contains("hello there"), "content in CloudTrail")
        // The service's errors.
        let noSource = run.sim(["invoke", "--json", "--path", "/guardrail/demoguard1/version/1/apply", "--body", #"{"content":[{"text":{"text":"x"}}]}"#]).json
        run.check(noSource?["status"] as? String == "ValidationException" && (noSource?["message"] as? String ?? "").contains("'source'"), "no source: \(String(describing: noSource))")
        let noVersion = run.sim(["guardrail", "apply", "--guardrail", "demoguard1:5", "x"])
        run.check(noVersion.status != 0 && noVersion.stderr.contains("ResourceNotFoundException"), "missing version: \(noVersion)")
        let badVersion = run.sim(["guardrail", "apply", "--guardrail", "demoguard1:v1", "x"])
        run.check(badVersion.stderr.contains("ValidationException") && badVersion.stderr.contains("guardrailVersion"), "bad version: \(badVersion)")
    }

    @Test(.timeLimit(.minutes(2)))
    func aMalformedTopologyGuardrailIsRefusedWithItsLine() throws {
        let source = (try? String(contentsOfFile: Paths.repo + "/" + guardrailTopology, encoding: .utf8)) ?? ""
        let broken = source.replacingOccurrences(of: "{ type: HATE, inputStrength: HIGH, outputStrength: HIGH }",
                                                 with: "{ type: HATE, inputStrength: HUGE, outputStrength: HIGH }")
        try #require(broken != source)
        let line = (broken.components(separatedBy: "\n").firstIndex { $0.contains("inputStrength: HUGE") } ?? -1) + 1
        let path = NSTemporaryDirectory() + "guardrails-broken-\(getpid()).yaml"
        _ = FileManager.default.createFile(atPath: path, contents: Data(broken.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = SimRun(topology: path)
        defer { run.stop() }
        let r = runCommand(Paths.sim, ["up", path, "--run-dir", run.runDir, "--zero-latency"], timeoutSeconds: 60)
        #expect(r.status == 65, "\(r)")
        #expect(r.stderr.contains("nothing was started"))
        #expect(r.stderr.contains("\(path):\(line):"), "\(r.stderr)")
        #expect(r.stderr.contains("Value 'HUGE' at 'contentPolicyConfig.filtersConfig.2.member.inputStrength'"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: run.runDir + "/status.json"))
    }
}
}
