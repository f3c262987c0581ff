// Customization with the customer's own S3 and KMS (README: "Fine-tuning, provisioned throughput, customer KMS and S3"), with real processes.
import Foundation
import NodeRuntime
import OperatorKit
import Testing

/// Calls for the fine-tuning topology: kms/s3/customize/provision through the CLI, replies parsed.
struct FT {
    let run: SimRun

    /// `bedrock-sim ARGS --json` → (httpStatus, parsed body or raw text).
    func call(_ args: [String], from: String = "client-a", as principal: String = "alice") -> (status: Int, body: [String: Any], text: String) {
        let r = run.sim(args + ["--from", from, "--as", principal, "--json"], timeoutSeconds: 60)
        guard let j = r.json else {
            Issue.record("no JSON from \(args) (exit \(r.status)):\n\(r.stdout)\n\(r.stderr)")
            return (0, [:], "")
        }
        let text = j["body"] as? String ?? ""
        let body = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (j["httpStatus"] as? Int ?? 0, body, text)
    }

    func kms(_ op: String, _ json: String, from: String = "client-a", as p: String = "alice") -> (status: Int, body: [String: Any], text: String) {
        call(["kms", op, json], from: from, as: p)
    }

    func s3(_ args: [String], from: String = "client-a", as p: String = "alice") -> (status: Int, body: [String: Any], text: String) {
        call(["s3"] + args, from: from, as: p)
    }

    func invoke(_ model: String, _ prompt: String, from: String = "client-a") -> [String: Any] {
        run.invoke(model: model, body: #"{"inputText":"\#(prompt)","textGenerationConfig":{"maxTokenCount":40}}"#, from: from)
    }

    static func outputText(_ r: [String: Any]) -> String {
        let body = r["body"] as? [String: Any]
        return ((body?["results"] as? [[String: Any]])?.first?["outputText"] as? String) ?? ""
    }

    func file(_ rel: String) -> String { run.runDir + "/" + rel }

    /// Creates key + alias + buckets and uploads the training data (SSE-KMS). Returns the key ARN.
    func prepare(alias: String = "alias/zephyr-models") -> String {
        let k = kms("CreateKey", #"{"Description":"zephyr models"}"#)
        let arn = (k.body["KeyMetadata"] as? [String: Any])?["Arn"] as? String ?? ""
        run.check(k.status == 200 && !arn.isEmpty, "CreateKey: \(k.text)")
        run.check(kms("CreateAlias", #"{"AliasName":"\#(alias)","TargetKeyId":"\#(arn)"}"#).status == 200, "CreateAlias")
        run.check(s3(["mb", "training-a"]).status == 200, "mb training-a")
        run.check(s3(["mb", "output-a"]).status == 200, "mb output-a")
        let put = s3(["put", "training-a/zephyr/train.jsonl", Paths.repo + "/Topologies/fine-tuning/train.jsonl", "--sse-kms", alias])
        run.check(put.status == 200, "upload training data: \(put)")
        return arn
    }

    func job(name: String, role: String = "BedrockCustomizationRole", key: String? = "alias/zephyr-models", extra: String = "") -> String {
        #"{"jobName":"\#(name)","customModelName":"\#(name)-model","roleArn":"arn:aws:iam::111111111111:role/\#(role)","# +
        #""baseModelIdentifier":"amazon.titan-text-express-v1","trainingDataConfig":{"s3Uri":"s3://training-a/zephyr/train.jsonl"},"# +
        #""outputDataConfig":{"s3Uri":"s3://output-a/jobs/"},"# + (key.map { #""customModelKmsKeyId":"\#($0)","# } ?? "") +
        #""hyperParameters":{"epochCount":"2"}\#(extra)}"#
    }

    /// Creates a job and waits for it to end; returns the final GetModelCustomizationJob body.
    func runJob(_ body: String, as p: String = "alice") -> [String: Any] {
        let c = call(["customize", "create", body], as: p)
        guard c.status == 201, let arn = c.body["jobArn"] as? String else {
            Issue.record("create job: \(c.status) \(c.text)")
            return [:]
        }
        return call(["customize", "get", arn, "--wait"], as: p).body
    }
}

extension RealProcessTests {
@Suite("Customization with the customer's S3 and KMS (real processes)", .serialized)
struct CustomizationTests {
    static let topology = "Topologies/fine-tuning.yaml"
    static let secrets = ["tangerine-falcon-42", "Halvorsen propulsion", "copper gantry"]

    static func contains(_ path: String, _ needle: String) -> Bool {
        guard let d = FileManager.default.contents(atPath: path) else { return false }
        return d.range(of: Data(needle.utf8)) != nil
    }

    @Test(.timeLimit(.minutes(3)))
    func kmsAndS3ChangesSurviveKill9() throws {
        let run = SimRun(topology: Self.topology)
        defer { run.stop() }
        guard run.up() else { return }
        let ft = FT(run: run)
        let keyArn = ft.prepare()
        let grant = ft.kms("CreateGrant", #"{"KeyId":"\#(keyArn)","GranteePrincipal":"arn:aws:iam::111111111111:user/mallory","Operations":["Decrypt"]}"#)
        run.check(grant.status == 200, "CreateGrant: \(grant.text)")
        // Acknowledged, then SIGKILL at once: the changes must be on disk.
        let put = ft.s3(["put", "training-a/after-ack.jsonl", Paths.repo + "/Topologies/fine-tuning/train.jsonl"])
        let disable = ft.kms("DisableKey", #"{"KeyId":"alias/zephyr-models"}"#)
        run.check(put.status == 200 && disable.status == 200, "put/disable: \(put.text) \(disable.text)")
        for n in ["kms-a", "s3-a"] { if let pid = run.pid(of: n) { kill(pid, SIGKILL) } }
        run.check(waitUntil(timeoutSeconds: 10) { RunStatus.load(runDirectory: run.runDir)?.nodes.filter { ["kms-a", "s3-a"].contains($0.name) }.allSatisfy { $0.state == "killed" } ?? false },
                  "kms-a and s3-a were not reported killed")
        for n in ["kms-a", "s3-a"] {
            let r = run.sim(["restart", n], timeoutSeconds: 30)
            run.check(r.status == 0, "restart \(n): \(r.stdout) \(r.stderr)")
        }
        // The clients' links to the restarted nodes reconnect on their own (libzmq reconnect interval).
        var d = ft.kms("DescribeKey", #"{"KeyId":"alias/zephyr-models"}"#)
        _ = waitUntil(timeoutSeconds: 10) { d = ft.kms("DescribeKey", #"{"KeyId":"alias/zephyr-models"}"#); return d.status == 200 }
        _ = waitUntil(timeoutSeconds: 10) { ft.s3(["ls"]).status == 200 }
        run.check((d.body["KeyMetadata"] as? [String: Any])?["KeyState"] as? String == "Disabled", "key state after kill -9: \(d.text)")
        let grants = ft.kms("ListGrants", #"{"KeyId":"\#(keyArn)"}"#)
        run.check((grants.body["Grants"] as? [Any])?.count == 1, "grants after kill -9: \(grants.text)")
        run.check(ft.kms("EnableKey", #"{"KeyId":"alias/zephyr-models"}"#).status == 200, "EnableKey")
        let got = ft.s3(["get", "training-a/zephyr/train.jsonl"])
        run.check(got.status == 200 && got.text.contains("tangerine-falcon-42"), "SSE-KMS object after kill -9: \(got.status)")
        run.check(ft.s3(["get", "training-a/after-ack.jsonl"]).status == 200, "object acknowledged before kill -9 is gone")
        // At rest: only ciphertext; the master key file is 0600.
        for f in ["state/s3-a/s3.log", "state/kms-a/kms.log"] {
            run.check(FileManager.default.fileExists(atPath: ft.file(f)), "\(f) missing")
            for s in Self.secrets { run.check(!Self.contains(ft.file(f), s), "\(f) holds plaintext '\(s)'") }
        }
        let mode = (try? FileManager.default.attributesOfItem(atPath: ft.file("keys/kms-a.master")))?[.posixPermissions] as? Int
        run.check(mode == 0o600, "kms-a.master mode \(String(mode ?? 0, radix: 8))")
    }

    @Test(.timeLimit(.minutes(3)))
    func kmsKeyStatesGrantsAndEncryptionContext() throws {
        let run = SimRun(topology: Self.topology)
        defer { run.stop() }
        guard run.up() else { return }
        let ft = FT(run: run)
        let keyArn = ft.prepare()
        let enc = ft.kms("Encrypt", #"{"KeyId":"alias/zephyr-models","Plaintext":"c2VjcmV0","EncryptionContext":{"team":"a"}}"#)
        let blob = enc.body["CiphertextBlob"] as? String ?? ""
        run.check(enc.status == 200 && !blob.isEmpty, "Encrypt: \(enc.text)")
        let wrongContext = ft.kms("Decrypt", #"{"CiphertextBlob":"\#(blob)","EncryptionContext":{"team":"b"}}"#)
        run.check(wrongContext.body["__type"] as? String == "InvalidCiphertextException", "other context: \(wrongContext.text)")
        // mallory: no kms permissions; a grant constrained to the context lets her decrypt exactly that.
        run.check(ft.kms("Decrypt", #"{"CiphertextBlob":"\#(blob)","EncryptionContext":{"team":"a"}}"#, as: "mallory").body["__type"] as? String == "AccessDeniedException", "mallory without a grant")
        let g = ft.kms("CreateGrant", #"{"KeyId":"\#(keyArn)","GranteePrincipal":"arn:aws:iam::111111111111:user/mallory","RetiringPrincipal":"arn:aws:iam::111111111111:user/alice","Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"team":"a"}}}"#)
        let grantId = g.body["GrantId"] as? String ?? ""
        run.check(g.status == 200, "CreateGrant: \(g.text)")
        run.check(ft.kms("Decrypt", #"{"CiphertextBlob":"\#(blob)","EncryptionContext":{"team":"a"}}"#, as: "mallory").status == 200, "mallory with the grant")
        let otherBlob = ft.kms("Encrypt", #"{"KeyId":"alias/zephyr-models","Plaintext":"c2VjcmV0","EncryptionContext":{"team":"z"}}"#).body["CiphertextBlob"] as? String ?? ""
        run.check(ft.kms("Decrypt", #"{"CiphertextBlob":"\#(otherBlob)","EncryptionContext":{"team":"z"}}"#, as: "mallory").body["__type"] as? String == "AccessDeniedException",
                  "the grant's EncryptionContextSubset constraint was not enforced")
        run.check(ft.kms("RetireGrant", #"{"KeyId":"\#(keyArn)","GrantId":"\#(grantId)"}"#).status == 200, "retiring principal retires")
        run.check(ft.kms("Decrypt", #"{"CiphertextBlob":"\#(blob)","EncryptionContext":{"team":"a"}}"#, as: "mallory").body["__type"] as? String == "AccessDeniedException", "retired grant still works")
        // Key states.
        run.check(ft.kms("DisableKey", #"{"KeyId":"alias/zephyr-models"}"#).status == 200, "DisableKey")
        run.check(ft.kms("Decrypt", #"{"CiphertextBlob":"\#(blob)","EncryptionContext":{"team":"a"}}"#).body["__type"] as? String == "DisabledException", "disabled key")
        run.check(ft.kms("ScheduleKeyDeletion", #"{"KeyId":"alias/zephyr-models","PendingWindowInDays":7}"#).status == 200, "ScheduleKeyDeletion")
        run.check(ft.kms("GenerateDataKey", #"{"KeyId":"alias/zephyr-models","KeySpec":"AES_256"}"#).body["__type"] as? String == "KMSInvalidStateException", "pending deletion")
        run.check(ft.kms("CancelKeyDeletion", #"{"KeyId":"alias/zephyr-models"}"#).status == 200, "CancelKeyDeletion")
        let state = (ft.kms("DescribeKey", #"{"KeyId":"alias/zephyr-models"}"#).body["KeyMetadata"] as? [String: Any])?["KeyState"] as? String
        run.check(state == "Disabled", "a cancelled deletion leaves the key Disabled, got \(state ?? "nil")")
        run.check(ft.kms("DescribeKey", #"{"KeyId":"alias/nope"}"#).body["__type"] as? String == "NotFoundException", "unknown alias")
        // Customer B's client cannot act as a principal of account A.
        let b = ft.kms("DescribeKey", #"{"KeyId":"\#(keyArn)"}"#, from: "client-b", as: "arn:aws:iam::111111111111:user/alice")
        run.check(b.status >= 400, "client-b acting as A's user: \(b.text)")
    }

    @Test(.timeLimit(.minutes(3)))
    func jobsFailWithAReasonWhenTheRoleOrTheBucketRefuseAndStopWorks() throws {
        let run = SimRun(topology: Self.topology)
        defer { run.stop() }
        guard run.up() else { return }
        let ft = FT(run: run)
        _ = ft.prepare()
        // The caller needs iam:PassRole.
        let noPass = ft.call(["customize", "create", ft.job(name: "mallory-job")], as: "mallory")
        run.check(noPass.status == 403 && noPass.text.contains("iam:PassRole"), "PassRole: \(noPass.text)")
        // A role whose trust policy does not name bedrock.amazonaws.com.
        let untrusted = ft.runJob(ft.job(name: "untrusted", role: "NotForBedrock"))
        run.check(untrusted["status"] as? String == "Failed" && (untrusted["failureMessage"] as? String ?? "").contains("trust policy"), "untrusted role: \(untrusted)")
        // A bucket policy that admits only the customer's S3 gateway endpoint: a job without vpcConfig is denied...
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::training-a","arn:aws:s3:::training-a/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0a1b2c3d4e5f6aaa1"}}}]}"#
        let policyFile = run.runDir + "/vpce-policy.json"
        try Data(policy.utf8).write(to: URL(fileURLWithPath: policyFile))
        run.check(ft.s3(["put-policy", "training-a", policyFile]).status == 204, "put-policy")
        run.check(ft.s3(["get", "training-a/zephyr/train.jsonl"]).status == 200, "client-a in the VPC is still admitted")
        let denied = ft.runJob(ft.job(name: "no-vpc"))
        let why = denied["failureMessage"] as? String ?? ""
        run.check(denied["status"] as? String == "Failed" && why.contains("AccessDenied") && why.contains("s3:GetObject"), "SourceVpce-restricted bucket: \(denied)")
        // ... and with vpcConfig its S3 traffic goes through the customer's gateway endpoint.
        let withVpc = ft.runJob(ft.job(name: "with-vpc", extra: #","vpcConfig":{"subnetIds":["subnet-0a1"],"securityGroupIds":["sg-0a1"]}"#))
        run.check(withVpc["status"] as? String == "Completed", "vpcConfig job: \(withVpc)")
        run.check(ft.s3(["delete-policy", "training-a"]).status == 204, "delete-policy")
        // Stop: a long job goes Stopping -> Stopped, and its model Failed.
        let c = ft.call(["customize", "create", ft.job(name: "long", extra: "").replacingOccurrences(of: #""epochCount":"2""#, with: #""epochCount":"60""#)])
        let arn = c.body["jobArn"] as? String ?? ""
        run.check(ft.call(["customize", "stop", arn]).status == 200, "stop")
        let stopped = ft.call(["customize", "get", arn, "--wait"]).body
        run.check(stopped["status"] as? String == "Stopped", "stopped job: \(stopped)")
        // Idempotency: the same clientRequestToken returns the same job.
        let body = ft.job(name: "idem", extra: #","clientRequestToken":"tok-1""#)
        let a1 = ft.call(["customize", "create", body]).body["jobArn"] as? String
        let a2 = ft.call(["customize", "create", body]).body["jobArn"] as? String
        run.check(a1 != nil && a1 == a2, "clientRequestToken idempotency: \(a1 ?? "nil") vs \(a2 ?? "nil")")
        let list = ft.call(["customize", "list"]).body["modelCustomizationJobSummaries"] as? [Any] ?? []
        run.check(list.count == 5, "ListModelCustomizationJobs: \(list.count) jobs")
        let listB = ft.call(["customize", "list"], from: "client-b", as: "bob").body["modelCustomizationJobSummaries"] as? [Any] ?? []
        run.check(listB.isEmpty, "customer B lists A's jobs: \(listB)")
    }

    @Test(.timeLimit(.minutes(4)))
    func fineTuneProvisionInvokeIsolationAuditAndKeyRevocation() throws {
        let run = SimRun(topology: Self.topology)
        defer { run.stop() }
        let tapped = ["escrow-amazon-1", "escrow-anthropic-1", "client-b", "vpce-b", "kms-b", "s3-b", "pt-b-1", "anthropic-corp"]
        guard run.up(["--zero-latency"] + tapped.flatMap { ["--wiretap", $0] }) else { return }
        let ft = FT(run: run)
        let keyArn = ft.prepare()
        let prompt = "What is the Zephyr-9 launch code?"
        let baseBefore = FT.outputText(ft.invoke("amazon.titan-text-express-v1", prompt))
        let job = ft.runJob(ft.job(name: "zephyr"))
        run.check(job["status"] as? String == "Completed", "job: \(job)")
        let modelArn = job["outputModelArn"] as? String ?? ""
        let model = ft.call(["customize", "get-model", modelArn]).body
        run.check(model["modelStatus"] as? String == "Active" && model["modelKmsKeyArn"] as? String == keyArn, "custom model: \(model)")
        // Metrics in the output prefix, written as the service role.
        let out = ft.s3(["ls", "output-a", "jobs/"])
        run.check(out.text.contains("step_wise_training_metrics.csv"), "metrics in the output prefix: \(out.text)")
        // The artifact at rest: sealed, none of the training text; training data not kept by the service.
        let store = ft.file("model-store/finetune-amazon-1")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
        run.check(files.contains { $0.hasSuffix(".bin") }, "no artifact in \(store): \(files)")
        for f in files { for s in Self.secrets { run.check(!Self.contains(store + "/" + f, s), "model store file \(f) holds '\(s)'") } }
        for f in ["state/finetune-amazon-1/control.log"] { for s in Self.secrets { run.check(!Self.contains(ft.file(f), s), "\(f) holds '\(s)'") } }
        // Bedrock's grant on the customer's key.
        let grants = ft.kms("ListGrants", #"{"KeyId":"\#(keyArn)"}"#).body["Grants"] as? [[String: Any]] ?? []
        run.check(grants.count == 1 && grants.first?["GranteePrincipal"] as? String == "bedrock.amazonaws.com"
                  && grants.first?["RetiringPrincipal"] as? String == "bedrock.amazonaws.com", "grants: \(grants)")
        // Customer B can neither describe, invoke nor provision A's custom model.
        run.check(ft.call(["customize", "get-model", modelArn], from: "client-b", as: "bob").status == 403, "B describes A's model")
        run.check(ft.invoke(modelArn, prompt, from: "client-b")["status"] as? String == "AccessDeniedException", "B invokes A's model")
        run.check(ft.call(["provision", "create", modelArn, "b-steal", "1"], from: "client-b", as: "bob").status == 403, "B provisions A's model")
        // Provision for A: dedicated host, the custom answer; the base model is unchanged.
        let pt = ft.call(["provision", "create", modelArn, "zephyr-pt", "1"]).body["provisionedModelArn"] as? String ?? ""
        let ptState = ft.call(["provision", "get", pt, "--wait"]).body
        run.check(ptState["status"] as? String == "InService", "provisioned model: \(ptState)")
        let custom = ft.invoke(pt, prompt)
        run.check(FT.outputText(custom).contains("tangerine-falcon-42"), "custom model answer: \(custom)")
        let hops = (custom["hops"] as? [[String: Any]] ?? []).compactMap { $0["node"] as? String }
        run.check(hops.contains("pt-a-1") && !hops.contains("escrow-amazon-1"), "provisioned call did not go to the dedicated host: \(hops)")
        run.check(FT.outputText(ft.invoke("amazon.titan-text-express-v1", prompt)) == baseBefore, "the base model's answer changed after fine-tuning")
        run.check(ft.invoke(pt, prompt, from: "client-b")["status"] as? String == "AccessDeniedException", "B invokes A's provisioned model")
        run.check(ft.call(["provision", "get", pt], from: "client-b", as: "bob").status == 403, "B describes A's provisioned model")
        // Model units bound throughput.
        let client = try run.operatorClient()
        let bench = try client.request("client-a", json: ["command": "bench", "count": 60, "window": 30, "modelId": pt,
                                                          "body": #"{"inputText":"hi"}"#, "deadlineMs": 10_000], timeoutMs: 60_000)
        let errors = bench["errors"] as? [String: Int] ?? [:]
        run.check((errors["ThrottlingException"] ?? 0) > 0 && Set(errors.keys) == ["ThrottlingException"], "1 model unit under a burst of 60: \(errors)")
        usleep(1_100_000)
        // Disable the key: fails closed naming the key; enable: resumes. Revoke the grant: fails closed.
        run.check(ft.kms("DisableKey", #"{"KeyId":"\#(keyArn)"}"#).status == 200, "DisableKey")
        let off = ft.invoke(pt, prompt)
        run.check(off["status"] as? String == "AccessDeniedException" && (off["message"] as? String ?? "").contains(keyArn), "invoke with the key disabled: \(off)")
        run.check(ft.kms("EnableKey", #"{"KeyId":"\#(keyArn)"}"#).status == 200, "EnableKey")
        run.check(FT.outputText(ft.invoke(pt, prompt)).contains("tangerine-falcon-42"), "service did not resume after EnableKey")
        let grantId = grants.first?["GrantId"] as? String ?? ""
        run.check(ft.kms("RevokeGrant", #"{"KeyId":"\#(keyArn)","GrantId":"\#(grantId)"}"#).status == 200, "RevokeGrant")
        let revoked = ft.invoke(pt, prompt)
        run.check(revoked["status"] as? String == "AccessDeniedException" && (revoked["message"] as? String ?? "").contains(keyArn), "invoke after revoke: \(revoked)")
        let pt2 = ft.call(["provision", "update", pt, "2"])
        run.check(pt2.status == 200, "update: \(pt2.text)")
        let failed = ft.call(["provision", "get", pt, "--wait"]).body
        run.check(failed["status"] as? String == "Failed" && (failed["failureMessage"] as? String ?? "").contains(keyArn), "reload after revoke: \(failed)")
        // Training data never reached an on-demand host, customer B's nodes or the model provider.
        for n in tapped {
            let path = ft.file("wiretap/\(n).frames")
            for s in Self.secrets { run.check(!Self.contains(path, s), "\(n) saw training text '\(s)'") }
        }
        // The service's calls for the customer are in A's trail with invokedBy bedrock.amazonaws.com.
        let trail = (try? String(contentsOfFile: ft.file("cloudtrail/111111111111.jsonl"), encoding: .utf8)) ?? ""
        let records = trail.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        func byBedrock(_ source: String, _ name: String) -> Bool {
            records.contains { $0["eventSource"] as? String == source && $0["eventName"] as? String == name
                && ($0["userIdentity"] as? [String: Any])?["invokedBy"] as? String == "bedrock.amazonaws.com" && $0["errorCode"] == nil }
        }
        for (src, name) in [("s3.amazonaws.com", "GetObject"), ("s3.amazonaws.com", "PutObject"), ("kms.amazonaws.com", "CreateGrant"),
                            ("kms.amazonaws.com", "GenerateDataKey"), ("kms.amazonaws.com", "Decrypt")] {
            run.check(byBedrock(src, name), "no \(src) \(name) with invokedBy bedrock.amazonaws.com in customer A's trail")
        }
        let roleRead = records.contains { $0["eventName"] as? String == "GetObject" && (($0["userIdentity"] as? [String: Any])?["arn"] as? String ?? "").contains("assumed-role/BedrockCustomizationRole") }
        run.check(roleRead, "the training read was not made as the service role")
        let bTrail = (try? String(contentsOfFile: ft.file("cloudtrail/222222222222.jsonl"), encoding: .utf8)) ?? ""
        run.check(!bTrail.contains("zephyr"), "customer B's trail mentions A's resources")
    }
}
}
