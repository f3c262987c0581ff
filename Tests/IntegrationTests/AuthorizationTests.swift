// Authentication and authorization on the real request path (real processes through SimRun): SigV4 failures with the
// service's error types, IAM identity policies, permissions boundaries, session policies, SCPs, VPC endpoint policies,
// aws:SourceVpce and bedrock:GuardrailIdentifier conditions, cross-account calls, model access, CloudTrail identity,
// and policy files refused at `up`.
import Foundation
import NodeRuntime
import Testing

private let titan = "amazon.titan-text-express-v1"
private let titanBody = #"{"inputText":"hi","textGenerationConfig":{"maxTokenCount":8}}"#
private let llama = "meta.llama3-8b-instruct-v1:0"
private let llamaBody = #"{"prompt":"hi","max_gen_len":8}"#

extension SimRun {
    /// invoke with extra CLI arguments; returns status, message and hops.
    func call(_ model: String, _ body: String, from: String, principal: String? = nil, _ extra: [String] = []) -> [String: Any] {
        invoke(model: model, body: body, from: from, extra: (principal.map { ["--principal", $0] } ?? []) + extra)
    }

    /// A control-plane call by method and path.
    func callPath(_ method: String, _ path: String, body: String = "", from: String, principal: String) -> [String: Any] {
        let r = sim(["invoke", "--json", "--method", method, "--path", path, "--body", body, "--from", from, "--principal", principal], timeoutSeconds: 90)
        guard let j = r.json else {
            Issue.record("invoke printed no JSON (exit \(r.status)):\n\(r.stdout)\n\(r.stderr)")
            return [:]
        }
        return j
    }
}

/// A fresh directory for a test's own topology and run.
private func temporaryDirectory(_ prefix: String) throws -> String {
    let dir = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The default topology up to its principals, for a test to append principals of its own.
private func defaultTopologyBeforePrincipals() throws -> String {
    let base = try String(contentsOfFile: Paths.repo + "/Topologies/default.yaml", encoding: .utf8)
    return String(base[..<base.range(of: "# --- Principals")!.lowerBound])
}

private func status(_ r: [String: Any]) -> String { r["status"] as? String ?? "?" }
private func message(_ r: [String: Any]) -> String { r["message"] as? String ?? "" }
private func hops(_ r: [String: Any]) -> [[String: Any]] { r["hops"] as? [[String: Any]] ?? [] }
private func reachedHost(_ r: [String: Any]) -> Bool { hops(r).contains { $0["role"] as? String == "escrow-host" } }
private func reachedFrontend(_ r: [String: Any]) -> Bool { hops(r).contains { $0["role"] as? String == "runtime-frontend" } }
private func gateRecord(_ r: [String: Any], _ gate: String) -> [String: Any]? {
    hops(r).first { ($0["gate"] as? String) == gate && ($0["decision"] as? String) == "deny" }
}

extension RealProcessTests {
@Suite("Authorization (real processes)", .serialized)
struct AuthorizationTests {
    @Test(.timeLimit(.minutes(4)))
    func everySigV4FailureGetsTheServiceErrorOverTheRealPath() throws {
        let run = SimRun()
        defer { run.stop() }
        guard run.up() else { return }
        // Signed as botocore signs: accepted, with the IAM user in CloudTrail.
        let ok = run.invoke(model: claude, body: claudeBody)
        run.check(status(ok) == "ok", "signed call failed: \(ok)")
        let cases: [(option: String, type: String, http: Int, text: String)] = [
            ("sigv4-access-key=AKIAUNKNOWNKEY000001", "UnrecognizedClientException", 403, "The security token included in the request is invalid."),
            ("sigv4-secret=wrong", "InvalidSignatureException", 403, "The request signature we calculated does not match"),
            ("sigv4-skew=-900", "InvalidSignatureException", 403, "Signature expired:"),
            ("sigv4-skew=900", "InvalidSignatureException", 403, "Signature not yet current:"),
            ("sigv4-tamper=body", "InvalidSignatureException", 403, "The request signature we calculated does not match"),
            ("sigv4-drop-header=content-type", "InvalidSignatureException", 403, "The request signature we calculated does not match"),
            ("sigv4-region=eu-west-1", "InvalidSignatureException", 403, "Credential should be scoped to a valid region, not 'eu-west-1'."),
            ("sigv4=off", "MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
            ("claim-access-key=AKIAEXAMPLECUSTB0001", "AccessDeniedException", 403, "does not match the identity the VPC endpoint authorized"),
        ]
        for c in cases {
            let r = run.invoke(model: claude, body: claudeBody, extra: ["--option", c.option])
            run.check(status(r) == c.type && r["httpStatus"] as? Int == c.http, "\(c.option): expected \(c.type) \(c.http), got \(r)")
            run.check(message(r).contains(c.text), "\(c.option): message '\(message(r))' lacks '\(c.text)'")
            run.check(!reachedHost(r), "\(c.option): the request reached a model host")
            run.check(gateRecord(r, "sigv4-authentication") != nil, "\(c.option): no sigv4-authentication deny record in \(hops(r))")
            let trail = run.cloudTrail("111111111111", waitingFor: [r["requestId"] as? String])
                .first { $0["requestID"] as? String == r["requestId"] as? String }
            run.check(trail?["errorCode"] as? String == c.type, "\(c.option): CloudTrail errorCode \(String(describing: trail?["errorCode"]))")
        }
        // CloudTrail userIdentity for an IAM user and for a role session, and vpcEndpointId.
        let session = run.invoke(model: claude, body: claudeBody, extra: ["--principal", "BedrockApp/app-session"])
        run.check(status(session) == "ok", "role session call failed: \(session)")
        let trail = run.cloudTrail("111111111111", waitingFor: [ok["requestId"] as? String, session["requestId"] as? String])
        let user = trail.first { $0["requestID"] as? String == ok["requestId"] as? String }?["userIdentity"] as? [String: Any]
        run.check(user?["type"] as? String == "IAMUser" && user?["arn"] as? String == "arn:aws:iam::111111111111:user/app-a"
                  && user?["accessKeyId"] as? String == "AKIAEXAMPLECUSTA0001" && user?["userName"] as? String == "app-a"
                  && (user?["principalId"] as? String ?? "").hasPrefix("AIDA") && user?["accountId"] as? String == "111111111111",
                  "IAMUser identity: \(String(describing: user))")
        let assumedRecord = trail.first { $0["requestID"] as? String == session["requestId"] as? String }
        let assumed = assumedRecord?["userIdentity"] as? [String: Any]
        let issuer = (assumed?["sessionContext"] as? [String: Any])?["sessionIssuer"] as? [String: Any]
        run.check(assumed?["type"] as? String == "AssumedRole" && assumed?["arn"] as? String == "arn:aws:sts::111111111111:assumed-role/BedrockApp/app-session"
                  && (assumed?["principalId"] as? String ?? "").hasSuffix(":app-session") && issuer?["arn"] as? String == "arn:aws:iam::111111111111:role/BedrockApp",
                  "AssumedRole identity: \(String(describing: assumed))")
        run.check(assumedRecord?["vpcEndpointId"] as? String == "vpce-0a1b2c3d4e5f60001", "vpcEndpointId: \(String(describing: assumedRecord))")
        // A principal that does not exist is refused by the CLI, not sent unsigned.
        let bad = run.sim(["invoke", "--model", claude, "--body", claudeBody, "--principal", "nobody"])
        run.check(bad.status != 0 && bad.stderr.contains("no principal 'nobody'"), "unknown principal: \(bad.stderr)")
    }

    @Test(.timeLimit(.minutes(5)))
    func seedPoliciesBoundariesSessionsSCPsAndEndpointPoliciesDecideAsAWSDoes() throws {
        let run = SimRun(topology: "Topologies/authorization.yaml")
        defer { run.stop() }
        guard run.up() else { return }
        func denied(_ r: [String: Any], _ suffix: String, _ what: String) {
            run.check(status(r) == "AccessDeniedException" && r["httpStatus"] as? Int == 403, "\(what): expected AccessDeniedException, got \(r)")
            run.check(message(r).hasSuffix(suffix), "\(what): message '\(message(r))' does not end with '\(suffix)'")
            run.check(!reachedHost(r), "\(what): a denied request reached a model host")
        }
        // The seed's identity policy: anthropic.* only.
        run.check(status(run.call(claude, claudeBody, from: "client-a", principal: "claude-dev")) == "ok", "claude-dev may call Claude")
        let titanByClaudeDev = run.call(titan, titanBody, from: "client-a", principal: "claude-dev")
        denied(titanByClaudeDev, "because no identity-based policy allows the bedrock:InvokeModel action", "claude-dev on Titan")
        run.check(message(titanByClaudeDev).hasPrefix("User: arn:aws:iam::111111111111:user/claude-dev is not authorized to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1"),
                  "message: \(message(titanByClaudeDev))")
        // The seed's deny: unless bedrock:GuardrailIdentifier is the approved guardrail (ARN:version).
        let unguarded = run.call(claude, claudeBody, from: "client-a", principal: "guarded-app")
        denied(unguarded, "with an explicit deny in an identity-based policy", "guarded-app without a guardrail")
        let record = gateRecord(unguarded, "iam-authorization")
        run.check((record?["reason"] as? String ?? "").contains("DenyInferenceWithoutTheApprovedGuardrail")
                  && (record?["reason"] as? String ?? "").contains("require-guardrail.json"),
                  "the deny trace record must name the policy file and statement: \(String(describing: record))")
        let guarded = run.call(claude, claudeBody, from: "client-a", principal: "guarded-app",
                               ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=abcd1234efgh", "--header", "X-Amzn-Bedrock-GuardrailVersion=1"])
        run.check(status(guarded) == "ok", "guarded-app with the approved guardrail: \(guarded)")
        let otherVersion = run.call(claude, claudeBody, from: "client-a", principal: "guarded-app",
                                    ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=abcd1234efgh", "--header", "X-Amzn-Bedrock-GuardrailVersion=2"])
        denied(otherVersion, "with an explicit deny in an identity-based policy", "guarded-app with another guardrail version")
        // A permissions boundary caps an identity policy that allows everything.
        denied(run.call(titan, titanBody, from: "client-a", principal: "capped-dev"),
               "because no permissions boundary allows the bedrock:InvokeModel action", "capped-dev on Titan")
        run.check(status(run.call(claude, claudeBody, from: "client-a", principal: "capped-dev")) == "ok", "capped-dev may call Claude")
        // A session policy caps a role session.
        denied(run.call(claude, claudeBody, from: "client-a", principal: "Analyst/analyst-1"),
               "because no session policy allows the bedrock:InvokeModel action", "analyst session on Claude")
        run.check(status(run.call(titan, titanBody, from: "client-a", principal: "analyst-1")) == "ok", "analyst session may call Titan")
        // aws:SourceVpce: the same principal through another endpoint is denied.
        run.check(status(run.call(titan, titanBody, from: "client-a", principal: "pinned-app")) == "ok", "pinned-app through vpce-a")
        denied(run.call(titan, titanBody, from: "client-a2", principal: "pinned-app"),
               "with an explicit deny in an identity-based policy", "pinned-app through vpce-a2")
        // SCPs: an explicit deny at an OU, and an account-level allow list that omits the action.
        denied(run.call(llama, llamaBody, from: "client-b", principal: "app-b"),
               "with an explicit deny in a service control policy", "app-b on Llama (OU SCP)")
        denied(run.callPath("GET", "/foundation-models", from: "client-b", principal: "app-b"),
               "because no service control policy allows the bedrock:ListFoundationModels action", "app-b ListFoundationModels")
        run.check(status(run.call(titan, titanBody, from: "client-b", principal: "app-b")) == "ok", "app-b may call Titan")
        // The endpoint policy denies a principal IAM allows, inside the VPC: the request never reaches the front end.
        let blocked = run.call(titan, titanBody, from: "client-b", principal: "blocked-b")
        denied(blocked, "with an explicit deny in a VPC endpoint policy", "blocked-b through vpce-b")
        run.check(!reachedFrontend(blocked), "an endpoint-policy denial left the VPC: \(hops(blocked))")
        let vpceRecord = gateRecord(blocked, "vpce-policy")
        run.check(vpceRecord?["node"] as? String == "vpce-b" && vpceRecord?["account"] as? String == "222222222222"
                  && (vpceRecord?["reason"] as? String ?? "").contains("DenyBlockedB"),
                  "the endpoint's deny record must name the statement, in the customer account: \(String(describing: vpceRecord))")
        // Cross-account: a customer-b principal using customer-a's endpoint (which admits only account A) ...
        let foreign = run.call(titan, titanBody, from: "client-a", principal: "app-b")
        denied(foreign, "because no VPC endpoint policy allows the bedrock:InvokeModel action", "app-b through vpce-a")
        run.check(!reachedFrontend(foreign), "the cross-account call left customer-a's VPC")
        // ... and a guardrail of another account: cross-account access needs a resource policy; no reason is given.
        let crossGuardrail = run.call(titan, titanBody, from: "client-a", principal: "pinned-app",
                                      ["--header", "X-Amzn-Bedrock-GuardrailIdentifier=arn:aws:bedrock:us-east-1:222222222222:guardrail/zzz111",
                                       "--header", "X-Amzn-Bedrock-GuardrailVersion=1"])
        denied(crossGuardrail, "on resource: arn:aws:bedrock:us-east-1:222222222222:guardrail/zzz111", "cross-account guardrail")
        // Denials are in the caller's CloudTrail with the error.
        let scpDenied = run.call(llama, llamaBody, from: "client-b", principal: "app-b")
        let trail = run.cloudTrail("222222222222", waitingFor: [scpDenied["requestId"] as? String])
            .first { $0["requestID"] as? String == scpDenied["requestId"] as? String }
        run.check(trail?["errorCode"] as? String == "AccessDeniedException" && (trail?["errorMessage"] as? String ?? "").contains("service control policy")
                  && (trail?["userIdentity"] as? [String: Any])?["userName"] as? String == "app-b", "CloudTrail denial: \(String(describing: trail))")
    }

    @Test(.timeLimit(.minutes(4)))
    func modelAccessIsASeparateGateGrantedThroughTheControlPlane() throws {
        let run = SimRun(topology: "Topologies/authorization.yaml")
        defer { run.stop() }
        guard run.up() else { return }
        let encoded = "anthropic.claude-3-haiku-20240307-v1%3A0"
        // IAM allows app-b, but account B has neither the agreement nor the use-case form.
        let before = run.call(claude, claudeBody, from: "client-b", principal: "app-b")
        run.check(status(before) == "AccessDeniedException" && message(before) == "You don't have access to the model with the specified model ID.", "before: \(before)")
        run.check(gateRecord(before, "model-access") != nil && !reachedHost(before), "model-access gate record: \(hops(before))")
        let availability = run.callPath("GET", "/foundation-model-availability/\(encoded)", from: "client-b", principal: "app-b")
        let a = availability["body"] as? [String: Any]
        run.check((a?["agreementAvailability"] as? [String: Any])?["status"] as? String == "NOT_AVAILABLE"
                  && a?["authorizationStatus"] as? String == "AUTHORIZED", "availability: \(availability)")
        // The offer, the agreement, then (Anthropic) the use-case form.
        let offers = run.callPath("GET", "/list-foundation-model-agreement-offers/\(encoded)", from: "client-b", principal: "app-b")
        let token = (((offers["body"] as? [String: Any])?["offers"] as? [[String: Any]])?.first?["offerToken"] as? String) ?? ""
        run.check(!token.isEmpty, "no offer token: \(offers)")
        let wrong = run.callPath("POST", "/create-foundation-model-agreement", body: #"{"offerToken":"forged","modelId":"\#(claude)"}"#, from: "client-b", principal: "app-b")
        run.check(status(wrong) == "ValidationException", "a forged offer token must be refused: \(wrong)")
        let agreement = run.callPath("POST", "/create-foundation-model-agreement", body: #"{"offerToken":"\#(token)","modelId":"\#(claude)"}"#, from: "client-b", principal: "app-b")
        run.check(status(agreement) == "ok" && agreement["httpStatus"] as? Int == 202, "CreateFoundationModelAgreement: \(agreement)")
        let stillNoForm = run.call(claude, claudeBody, from: "client-b", principal: "app-b")
        run.check(status(stillNoForm) == "AccessDeniedException", "Anthropic also needs the use-case form: \(stillNoForm)")
        let form = run.callPath("POST", "/use-case-for-model-access", body: #"{"formData":"eyJ1c2VDYXNlIjoidGVzdCJ9"}"#, from: "client-b", principal: "app-b")
        run.check(status(form) == "ok" && form["httpStatus"] as? Int == 201, "PutUseCaseForModelAccess: \(form)")
        run.check(status(run.call(claude, claudeBody, from: "client-b", principal: "app-b")) == "ok", "after agreement and form the call succeeds")
        // The state is on disk in the run directory, and the CLI changes it for the running front end.
        let state = (try? String(contentsOfFile: run.runDir + "/model-access.json", encoding: .utf8)) ?? ""
        run.check(state.contains(claude) && state.contains("222222222222"), "model-access.json: \(state)")
        let revoke = run.sim(["model-access", "revoke", "--account", "customer-b", "--model", claude])
        run.check(revoke.status == 0, "model-access revoke: \(revoke.stderr)")
        run.check(status(run.call(claude, claudeBody, from: "client-b", principal: "app-b")) == "AccessDeniedException", "revoked from the CLI")
        let grant = run.sim(["model-access", "grant", "--account", "customer-b", "--model", claude])
        run.check(grant.status == 0, "model-access grant: \(grant.stderr)")
        run.check(status(run.call(claude, claudeBody, from: "client-b", principal: "app-b")) == "ok", "granted again from the CLI")
        // The control-plane operations are authorized by IAM as their own actions (the SCP allows them; the
        // endpoint policy of vpce-a does not admit account B).
        let viaA = run.callPath("GET", "/use-case-for-model-access", from: "client-a", principal: "app-b")
        run.check(status(viaA) == "AccessDeniedException" && message(viaA).contains("bedrock:GetUseCaseForModelAccess"), "via vpce-a: \(viaA)")
    }

    /// The front end keeps the decisions of the current second (its request context has whole-second times); a
    /// policy that allows only until a moment must deny the first call after it, whatever was decided before.
    @Test(.timeLimit(.minutes(2)))
    func aTimeConditionedPolicyDeniesOnceItsTimeHasPassed() throws {
        let dir = try temporaryDirectory("bedrock-sim-timed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let until = Date().addingTimeInterval(8)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        let topology = try defaultTopologyBeforePrincipals() + """
        principals:
          - account: customer-a
            users:
              - name: timed-app
                accessKeys: [{ id: AKIAEXAMPLETIMED0001, secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYTIMED00001 }]
                policies:
                  - document:
                      Version: "2012-10-17"
                      Statement:
                        - Effect: Allow
                          Action: bedrock:InvokeModel
                          Resource: "*"
                          Condition: { DateLessThan: { "aws:CurrentTime": "\(f.string(from: until))" } }
            modelAccess: all

        """
        try topology.write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
        let run = SimRun(topology: dir + "/t.yaml")
        defer { run.stop() }
        guard run.up() else { return }
        var before: [String] = []
        while Date() < until.addingTimeInterval(-2) && before.count < 4 {
            before.append(status(run.call(titan, titanBody, from: "client-a", principal: "timed-app")))
        }
        run.check(!before.isEmpty && before.allSatisfy { $0 == "ok" }, "before \(until): \(before)")
        Thread.sleep(until: until.addingTimeInterval(1.2))
        let after = run.call(titan, titanBody, from: "client-a", principal: "timed-app")
        run.check(status(after) == "AccessDeniedException", "after \(until): \(after)")
    }

    @Test(.timeLimit(.minutes(2)))
    func malformedOrMissingPolicyFilesAreRefusedAtUpWithFileAndJSONPath() throws {
        let dir = try temporaryDirectory("bedrock-sim-authz")
        try FileManager.default.createDirectory(atPath: dir + "/policies", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let topology = try defaultTopologyBeforePrincipals() + """
        principals:
          - account: customer-a
            users:
              - name: app-a
                accessKeys: [{ id: AKIAEXAMPLECUSTA0001, secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYCUSTA00001 }]
                policies:
                  - file: policies/effect-typo.json
                  - file: policies/missing.json
                  - file: policies/not-json.json
                  - document:
                      Version: "2012-10-17"
                      Statement:
                        - Effect: Allow
                          Action: bedrock:InvokeModel
                          Principal: "*"
                          Resource: "*"

        """
        try topology.write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
        try #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"},{"Effect":"Permit","Action":"bedrock:*","Resource":"*"}]}"#
            .write(toFile: dir + "/policies/effect-typo.json", atomically: true, encoding: .utf8)
        try "{ not json".write(toFile: dir + "/policies/not-json.json", atomically: true, encoding: .utf8)
        let runDir = dir + "/run"
        let r = runCommand(Paths.sim, ["up", dir + "/t.yaml", "--run-dir", runDir, "--zero-latency"], timeoutSeconds: 60)
        defer { _ = runCommand(Paths.sim, ["down", "--run-dir", runDir], timeoutSeconds: 20) }
        #expect(r.status == 65, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("nothing was started"))
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let file = dir + "/t.yaml"
        // file:line:column: key path: message naming the policy file and the JSON path.
        #expect(lines.contains { $0.contains("\(file):") && $0.contains("principals[0].users[0].policies[0].file") && $0.contains("effect-typo.json")
            && $0.contains("$.Statement[1].Effect") && $0.contains("\"Permit\"") }, "\(r.stderr)")
        #expect(lines.contains { $0.contains("principals[0].users[0].policies[1].file") && $0.contains("cannot read policy file") && $0.contains("missing.json") }, "\(r.stderr)")
        #expect(lines.contains { $0.contains("principals[0].users[0].policies[2].file") && $0.contains("not-json.json") && $0.contains("line 1") }, "\(r.stderr)")
        // An inline document points at its own YAML line: the Principal element an identity policy may not have.
        let principalLine = topology.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("Principal: \"*\"") }.map { $0 + 1 } ?? -1
        #expect(lines.contains { $0.contains("\(file):\(principalLine):") && $0.contains("principals[0].users[0].policies[3].document") }, "line \(principalLine): \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: runDir + "/manifest.json"), "a refused topology must start nothing")
    }
}
}
