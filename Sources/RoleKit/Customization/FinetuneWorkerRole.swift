// finetune-worker: Bedrock's model-customization control plane and training worker, in a model-deployment account.
// The front end forwards CreateModelCustomizationJob, Get/List/StopModelCustomizationJob and Get/List/DeleteCustomModel
// here (ForwardingOperation), with the caller's principal and account.
//
// A job: the caller needs iam:PassRole on roleArn; the worker assumes that customer role (its trust policy must allow
// bedrock.amazonaws.com with aws:SourceAccount / aws:SourceArn), reads the training JSONL from the customer's S3 *as
// that role*, trains the deterministic adapter (ModelStandIns.TrainedAdapter), creates a grant for
// bedrock.amazonaws.com on the customer's key (as the role), generates a data key under it with the encryption context
// {"aws:bedrock:custom-model-arn": ARN} (as bedrock.amazonaws.com, through the grant), stores the sealed artifact in
// its model store, and writes metrics to the output S3 prefix (as the role). Any denial ends the job Failed with a
// failureMessage naming it. Training data lives only in memory for the job and is never written anywhere.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import IAMPolicy
import ModelStandIns
import NodeRuntime
import SimCrypto

public struct ErrorResponse: Error { let response: HTTPResponse }
public struct JobFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

public final class FinetuneWorkerRole: NodeRole {
    private var jobs: [String: [String: JSONValue]] = [:]      // by job ARN
    private var models: [String: [String: JSONValue]] = [:]    // by custom model ARN
    private var tokens: [String: String] = [:]                 // account|clientRequestToken -> job ARN
    private let log: DurableLog
    private let iam: PolicyAuthority
    private let calls = AWSCalls()
    private let storeDir: String
    private let region: String
    private let provider: String?
    private let wrapKey: [UInt8]
    private var timers: [UInt64: () -> Void] = [:]
    private var nextToken: UInt64 = 1
    /// Simulated training time per epoch, so a job is observably InProgress and can be stopped.
    private let msPerEpoch: Double

    public init(node: Node, authority: PolicyAuthority? = nil) throws {
        region = node.manifest.region
        provider = node.account.provider
        iam = try authority ?? CompiledIAMAuthority(runDirectory: node.manifest.runDirectory)
        storeDir = ModelStore.directory(runDirectory: node.manifest.runDirectory, worker: node.me.name)
        try FileManager.default.createDirectory(atPath: storeDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let master = try NodeMasterKey.load(node: NodeRuntimeNodeInfo(name: node.me.name, keysDirectory: node.manifest.runDirectory + "/keys"))
        wrapKey = try NodeMasterKey.derive(master, purpose: "bedrock aws-owned model key")
        msPerEpoch = Double(node.manifest.settings["trainingMsPerEpoch"] ?? "") ?? 150
        let (log, records) = try DurableLog.open(path: node.manifest.runDirectory + "/state/\(node.me.name)/control.log")
        self.log = log
        for r in records {
            guard let j = try? JSONValue.parse(r), case .object(let o)? = j["value"], let arn = j["arn"]?.stringValue else { continue }
            if j["kind"]?.stringValue == "job" { jobs[arn] = o } else { models[arn] = o }
            if let t = o["clientRequestToken"]?.stringValue, let a = o["account"]?.stringValue { tokens[a + "|" + t] = arn }
        }
        // A job in flight when the worker died cannot resume (its training data was only in memory): it fails.
        for (arn, j) in jobs where ["InProgress", "Stopping"].contains(j["status"]?.stringValue ?? "") {
            var j = j
            j["status"] = .string("Failed"); j["failureMessage"] = .string("Internal error: the training worker restarted during the job.")
            jobs[arn] = j
            try? persist(kind: "job", arn: arn)
            if let m = j["outputModelArn"]?.stringValue, var model = models[m] {
                model["modelStatus"] = .string("Failed"); model["failureMessage"] = j["failureMessage"]; models[m] = model
                try? persist(kind: "model", arn: m)
            }
        }
    }

    private func persist(kind: String, arn: String) throws {
        let v = kind == "job" ? jobs[arn] : models[arn]
        try log.append(json: .object(["kind": .string(kind), "arn": .string(arn), "value": .object(v ?? [:])]))
    }

    public func start(node: Node) {
        node.log("customization worker for \(provider ?? "?") base models: \(jobs.count) job(s), \(models.count) custom model(s) restored")
    }

    // MARK: plumbing

    private func after(_ ms: Double, node: Node, _ f: @escaping () -> Void) {
        let t = nextToken; nextToken += 1
        timers[t] = f
        node.schedule(afterMs: ms, token: t)
    }

    public func timerFired(_ token: UInt64, node: Node) {
        if calls.timerFired(token, node: node) { return }
        timers.removeValue(forKey: token)?()
    }

    public func linkChanged(peer: String, up: Bool, node: Node) { if !up { calls.peerDown(peer) } }

    private func error(_ type: String, _ status: Int, _ message: String, _ requestId: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("x-amzn-ErrorType", type),
                                               HTTPHeader("x-amzn-RequestId", requestId)],
                     body: JSONValue.object(["message": .string(message), "__type": .string(type)]).serialized())
    }

    private func json(_ v: JSONValue, status: Int = 200, _ requestId: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("x-amzn-RequestId", requestId)], body: v.serialized())
    }

    private static func shortId() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String(SecureRandom.bytes(12).map { alphabet[Int($0) % alphabet.count] })
    }

    /// The text of the first `<name>…</name>` in an S3 XML error body (stdlib only).
    static func xmlElement(_ name: String, in text: String) -> String? {
        guard let open = text.firstRange(of: "<\(name)>"), let close = text[open.upperBound...].firstRange(of: "</\(name)>") else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
    }

    private func now() -> JSONValue { .string(SimClock.iso8601(unixMs: SimClock.unixMilliseconds())) }

    // MARK: requests from the front end

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        if case .upstream = link, calls.handle(envelope, from: peer, node: node) { return }
        guard envelope.type == .awsRequest, link == .service, node.manifest.node(named: peer)?.role == "runtime-frontend",
              let request = try? HTTPRequest.decode(envelope.body) else {
            node.rejectUnexpected(envelope, from: peer)
            return
        }
        let requestId = envelope.requestId
        let account = request.header(SimHeader.callerAccount) ?? ""
        let principal = request.header(SimHeader.principal).flatMap { PrincipalInfo.derive(from: $0) }
            ?? PrincipalInfo(arn: "arn:aws:iam::\(account):root", accountId: account, type: .root)
        var response: HTTPResponse
        let path = request.path.split(separator: "?", maxSplits: 1)[0]
        let seg = path.split(separator: "/").map { RuntimeRouter.percentDecode(String($0)) ?? String($0) }
        switch (request.method, seg.count, seg.first ?? "") {
        case ("POST", 1, "model-customization-jobs"): response = create(request, account: account, principal: principal, requestId: requestId, node: node)
        case ("GET", 1, "model-customization-jobs"): response = listJobs(account: account, requestId)
        case ("GET", 2, "model-customization-jobs"): response = getJob(seg[1], account: account, requestId)
        case ("POST", 3, "model-customization-jobs") where seg[2] == "stop": response = stopJob(seg[1], account: account, requestId, node: node)
        case ("GET", 1, "custom-models"): response = listModels(account: account, requestId)
        case ("GET", 2, "custom-models"): response = getModel(seg[1], account: account, requestId)
        case ("DELETE", 2, "custom-models"): response = deleteModel(seg[1], account: account, requestId, node: node)
        default: response = error("UnknownOperationException", 404, "No customization operation serves \(request.method) \(path)", requestId)
        }
        var r = TraceRecord(event: .decision)
        r.messageId = envelope.messageId; r.requestId = requestId; r.peer = peer
        r.decision = response.status < 300 ? "allow" : "deny"
        r.reason = "\(request.method) \(path) for account \(account): HTTP \(response.status)"
        if let e = BedrockError.from(response) { r.details.append(("errorType", e.errorType)) }
        node.trace(r)
        replyAWS(envelope, response, to: peer, node: node)
    }

    /// A job or model named by ARN or name, visible only to its own account. Another account's ARN: AccessDenied.
    private func lookup(_ id: String, in table: [String: [String: JSONValue]], nameKey: String, account: String, kind: String, requestId: String)
        -> Result<String, ErrorResponse> {
        if id.hasPrefix("arn:") {
            let owner = arnAccountField(id)
            guard owner == account else {
                return .failure(ErrorResponse(response: error("AccessDeniedException", 403, "User in account \(account) is not authorized to access \(kind) \(id): it belongs to another account", requestId)))
            }
            guard table[id] != nil else { return .failure(ErrorResponse(response: error("ResourceNotFoundException", 404, "The \(kind) \(id) was not found.", requestId))) }
            return .success(id)
        }
        if let (arn, _) = table.first(where: { $0.value[nameKey]?.stringValue == id && $0.value["account"]?.stringValue == account }) { return .success(arn) }
        return .failure(ErrorResponse(response: error("ResourceNotFoundException", 404, "The \(kind) \(id) was not found.", requestId)))
    }

    private func create(_ request: HTTPRequest, account: String, principal: PrincipalInfo, requestId: String, node: Node) -> HTTPResponse {
        guard let body = try? JSONValue.parse(request.body), case .object(let b) = body else {
            return error("ValidationException", 400, "The request body must be a JSON object.", requestId)
        }
        for f in ["jobName", "customModelName", "roleArn", "baseModelIdentifier"] where b[f]?.stringValue?.isEmpty ?? true {
            return error("ValidationException", 400, "1 validation error detected: Value null at '\(f)' failed to satisfy constraint: Member must not be null", requestId)
        }
        guard let trainingUri = b["trainingDataConfig"]?["s3Uri"]?.stringValue, trainingUri.hasPrefix("s3://") else {
            return error("ValidationException", 400, "trainingDataConfig.s3Uri must be an s3:// URI", requestId)
        }
        guard let outputUri = b["outputDataConfig"]?["s3Uri"]?.stringValue, outputUri.hasPrefix("s3://") else {
            return error("ValidationException", 400, "outputDataConfig.s3Uri must be an s3:// URI", requestId)
        }
        if let t = b["clientRequestToken"]?.stringValue, let existing = tokens[account + "|" + t] {
            return json(.object(["jobArn": .string(existing)]), status: 201, requestId)      // idempotent retry
        }
        let roleArn = b["roleArn"]!.stringValue!
        guard let model = ModelCatalog.lookup(b["baseModelIdentifier"]!.stringValue!, region: region) else {
            return error("ValidationException", 400, "The base model \(b["baseModelIdentifier"]!.stringValue!) is not a foundation model in \(region).", requestId)
        }
        guard model.customizationsSupported.contains(b["customizationType"]?.stringValue ?? "FINE_TUNING") else {
            return error("ValidationException", 400, "The base model \(model.modelId) does not support \(b["customizationType"]?.stringValue ?? "FINE_TUNING").", requestId)
        }
        guard provider == nil || model.provider.rawValue == provider else {
            return error("ValidationException", 400, "This Region's customization fleet for \(model.modelId) is not available.", requestId)
        }
        guard arnAccountField(roleArn) == account else {
            return error("ValidationException", 400, "The role \(roleArn) must belong to account \(account).", requestId)
        }
        let name = b["customModelName"]!.stringValue!
        if models.values.contains(where: { $0["modelName"]?.stringValue == name && $0["account"]?.stringValue == account }) {
            return error("ResourceInUseException", 409, "A custom model named \(name) already exists.", requestId)
        }
        if jobs.values.contains(where: { $0["jobName"]?.stringValue == b["jobName"]!.stringValue! && $0["account"]?.stringValue == account }) {
            return error("ResourceInUseException", 409, "A job named \(b["jobName"]!.stringValue!) already exists.", requestId)
        }
        // iam:PassRole: the caller must be allowed to hand this role to Bedrock.
        let pass = iam.evaluate(action: "iam:PassRole", resource: roleArn, caller: principal,
                                context: ["iam:PassedToService": .single(bedrockServicePrincipal)], resourcePolicy: nil, resourcePolicyRequired: false)
        guard pass.isAllowed else {
            return error("AccessDeniedException", 403, "User: \(principal.arn) is not authorized to perform: iam:PassRole on resource: \(roleArn)", requestId)
        }
        let jobArn = "arn:aws:bedrock:\(region):\(account):model-customization-job/\(model.modelId)/\(Self.shortId())"
        let modelArn = "arn:aws:bedrock:\(region):\(account):custom-model/\(model.modelId)/\(Self.shortId())"
        var job: [String: JSONValue] = [
            "jobArn": .string(jobArn), "jobName": .string(b["jobName"]!.stringValue!), "outputModelName": .string(name),
            "outputModelArn": .string(modelArn), "roleArn": .string(roleArn), "status": .string("InProgress"),
            "baseModelArn": .string("arn:aws:bedrock:\(region)::foundation-model/\(model.modelId)"), "account": .string(account),
            "creationTime": now(), "lastModifiedTime": now(), "customizationType": .string(b["customizationType"]?.stringValue ?? "FINE_TUNING"),
            "hyperParameters": b["hyperParameters"] ?? .object([:]), "trainingDataConfig": b["trainingDataConfig"]!,
            "outputDataConfig": b["outputDataConfig"]!, "statusDetails": .object(["dataProcessingDetails": .object(["status": .string("InProgress")]),
                                                                                  "trainingDetails": .object(["status": .string("NotStarted")])]),
        ]
        for k in ["validationDataConfig", "vpcConfig", "clientRequestToken", "customModelKmsKeyId"] { if let v = b[k] { job[k] = v } }
        let modelRecord: [String: JSONValue] = [
            "modelArn": .string(modelArn), "modelName": .string(name), "jobArn": .string(jobArn), "account": .string(account),
            "baseModelArn": job["baseModelArn"]!, "baseModelId": .string(model.modelId), "customizationType": job["customizationType"]!,
            "hyperParameters": job["hyperParameters"]!, "trainingDataConfig": job["trainingDataConfig"]!, "outputDataConfig": job["outputDataConfig"]!,
            "creationTime": now(), "modelStatus": .string("Creating"),
        ]
        jobs[jobArn] = job
        models[modelArn] = modelRecord
        do { try persist(kind: "job", arn: jobArn); try persist(kind: "model", arn: modelArn) } catch {
            jobs[jobArn] = nil; models[modelArn] = nil
            return self.error("InternalServerException", 500, "could not record the job: \(error)", requestId)
        }
        if let t = b["clientRequestToken"]?.stringValue { tokens[account + "|" + t] = jobArn }
        node.log("job \(jobArn) accepted for account \(account)")
        run(jobArn, node: node)
        return json(.object(["jobArn": .string(jobArn)]), status: 201, requestId)
    }

    private func summary(_ j: [String: JSONValue]) -> JSONValue {
        var o: [String: JSONValue] = [:]
        for k in ["jobArn", "jobName", "status", "baseModelArn", "customModelArn", "customModelName", "creationTime", "lastModifiedTime", "endTime", "customizationType"] {
            if let v = j[k] { o[k] = v }
        }
        o["customModelArn"] = j["outputModelArn"]; o["customModelName"] = j["outputModelName"]
        return .object(o)
    }

    private func publicJob(_ j: [String: JSONValue]) -> JSONValue {
        var o = j
        o["account"] = nil
        return .object(o)
    }

    private func listJobs(account: String, _ requestId: String) -> HTTPResponse {
        let mine = jobs.values.filter { $0["account"]?.stringValue == account }.sorted { ($0["creationTime"]?.stringValue ?? "") < ($1["creationTime"]?.stringValue ?? "") }
        return json(.object(["modelCustomizationJobSummaries": .array(mine.map(summary))]), requestId)
    }

    private func getJob(_ id: String, account: String, _ requestId: String) -> HTTPResponse {
        switch lookup(id, in: jobs, nameKey: "jobName", account: account, kind: "model customization job", requestId: requestId) {
        case .failure(let r): return r.response
        case .success(let arn): return json(publicJob(jobs[arn]!), requestId)
        }
    }

    private func stopJob(_ id: String, account: String, _ requestId: String, node: Node) -> HTTPResponse {
        switch lookup(id, in: jobs, nameKey: "jobName", account: account, kind: "model customization job", requestId: requestId) {
        case .failure(let r): return r.response
        case .success(let arn):
            guard jobs[arn]?["status"]?.stringValue == "InProgress" else {
                return error("ValidationException", 400, "The job \(arn) is \(jobs[arn]?["status"]?.stringValue ?? "?") and cannot be stopped.", requestId)
            }
            setJob(arn, ["status": .string("Stopping")])
            return json(.object([:]), requestId)
        }
    }

    private func publicModel(_ m: [String: JSONValue]) -> JSONValue {
        var o = m
        for k in ["account", "encryptedDataKey", "grantToken", "grantId", "artifact", "baseModelId", "worker", "keySource"] { o[k] = nil }
        return .object(o)
    }

    private func listModels(account: String, _ requestId: String) -> HTTPResponse {
        let mine = models.values.filter { $0["account"]?.stringValue == account }
        return json(.object(["modelSummaries": .array(mine.map { m in
            .object(["modelArn": m["modelArn"] ?? .null, "modelName": m["modelName"] ?? .null, "creationTime": m["creationTime"] ?? .null,
                     "baseModelArn": m["baseModelArn"] ?? .null, "modelStatus": m["modelStatus"] ?? .null, "customizationType": m["customizationType"] ?? .null])
        })]), requestId)
    }

    private func getModel(_ id: String, account: String, _ requestId: String) -> HTTPResponse {
        switch lookup(id, in: models, nameKey: "modelName", account: account, kind: "custom model", requestId: requestId) {
        case .failure(let r): return r.response
        case .success(let arn): return json(publicModel(models[arn]!), requestId)
        }
    }

    private func deleteModel(_ id: String, account: String, _ requestId: String, node: Node) -> HTTPResponse {
        switch lookup(id, in: models, nameKey: "modelName", account: account, kind: "custom model", requestId: requestId) {
        case .failure(let r): return r.response
        case .success(let arn):
            let m = models[arn]!
            guard m["modelStatus"]?.stringValue != "Creating" else {
                return error("ValidationException", 400, "The custom model \(arn) is still being created.", requestId)
            }
            // Bedrock retires its grant on the customer's key when the model is deleted.
            if let token = m["grantToken"]?.stringValue, let kms = peer(role: "kms", account: account, node: node) {
                kmsCall("RetireGrant", .object(["GrantToken": .string(token)]), principal: bedrockServicePrincipal, to: kms, requestId: requestId,
                        sourceArn: arn, account: account, node: node) { result in
                    if case .failure(let e) = result { node.log("retiring the grant of \(arn) failed: \(e.message)") }
                }
            }
            let id12 = String(arn.split(separator: "/").last ?? "")
            try? FileManager.default.removeItem(atPath: storeDir + "/\(id12).bin")
            try? FileManager.default.removeItem(atPath: storeDir + "/\(id12).json")
            models[arn] = nil
            try? persist(kind: "model", arn: arn)
            return json(.object([:]), requestId)
        }
    }

    private func setJob(_ arn: String, _ changes: [String: JSONValue]) {
        guard var j = jobs[arn] else { return }
        for (k, v) in changes { j[k] = v }
        j["lastModifiedTime"] = now()
        jobs[arn] = j
        try? persist(kind: "job", arn: arn)
    }

    private func setModel(_ arn: String, _ changes: [String: JSONValue]) {
        guard var m = models[arn] else { return }
        for (k, v) in changes { m[k] = v }
        models[arn] = m
        try? persist(kind: "model", arn: arn)
    }

    // MARK: the job

    private func peer(role: String, account: String, node: Node) -> String? {
        node.me.connects.first { n in node.manifest.node(named: n).map { $0.role == role && $0.accountId == account } ?? false }
    }

    private func fail(_ jobArn: String, _ message: String, node: Node) {
        guard let j = jobs[jobArn] else { return }
        let stopped = j["status"]?.stringValue == "Stopping"
        setJob(jobArn, ["status": .string(stopped ? "Stopped" : "Failed"), "endTime": now(),
                        "failureMessage": stopped ? .null : .string(message)])
        if let m = j["outputModelArn"]?.stringValue {
            setModel(m, ["modelStatus": .string("Failed"), "failureMessage": .string(stopped ? "The job was stopped." : message)])
        }
        var r = TraceRecord(event: .decision)
        r.decision = stopped ? "stopped" : "failed"; r.reason = "\(jobArn): \(stopped ? "stopped" : message)"
        node.trace(r)
        node.log("job \(jobArn) \(stopped ? "stopped" : "failed: \(message)")")
    }

    /// Whether the job may go on (a stop request ends it at the next step).
    private func live(_ jobArn: String, node: Node) -> Bool {
        guard let s = jobs[jobArn]?["status"]?.stringValue else { return false }
        if s == "Stopping" { fail(jobArn, "stopped", node: node); return false }
        return s == "InProgress"
    }

    private func s3Parts(_ uri: String) -> (bucket: String, key: String) {
        let rest = uri.dropFirst("s3://".count)
        let parts = rest.split(separator: "/", maxSplits: 1)
        return (String(parts.first ?? ""), parts.count > 1 ? String(parts[1]) : "")
    }

    private func s3Call(_ method: String, uri: String, body: [UInt8] = [], headers: [String: String] = [:], session: String, job: [String: JSONValue],
                        node: Node, done: @escaping (Result<HTTPResponse, JobFailure>) -> Void) {
        let account = job["account"]?.stringValue ?? ""
        guard let s3 = peer(role: "s3", account: account, node: node) else { done(.failure(JobFailure("account \(account) has no S3 reachable from Bedrock"))); return }
        let (bucket, key) = s3Parts(uri)
        var req = HTTPRequest(method: method, path: "/\(bucket)/\(RuntimeRouter.percentEncodeSegment(key))", body: body)
        req.setHeader("Host", "s3.\(region).amazonaws.com")
        req.setHeader(SimHeader.principal, session)
        req.setHeader(SimHeader.sourceArn, job["jobArn"]?.stringValue ?? "")
        req.setHeader(SimHeader.sourceAccount, account)
        for (k, v) in headers { req.setHeader(k, v) }
        // With vpcConfig, the job's ENIs sit in the customer's VPC, so its S3 traffic goes through that VPC's gateway endpoint.
        if job["vpcConfig"] != nil, let vpc = node.manifest.nodes.first(where: { $0.accountId == account && $0.vpc != nil })?.vpc {
            req.setHeader(SimHeader.eniVpc, vpc)
        }
        calls.call(req, to: s3, requestId: SimIds.uuid(), node: node) { result in
            switch result {
            case .failure(let e): done(.failure(JobFailure("S3 (\(uri)) unreachable: \(e.message)")))
            case .success(let r):
                if r.status >= 300 {
                    let text = String(decoding: r.body, as: UTF8.self)
                    let code = Self.xmlElement("Code", in: text) ?? "HTTP \(r.status)"
                    let msg = Self.xmlElement("Message", in: text) ?? ""
                    done(.failure(JobFailure("\(code) from S3 for \(method == "GET" ? "s3:GetObject" : "s3:PutObject") on \(uri): \(msg)")))
                } else {
                    done(.success(r))
                }
            }
        }
    }

    private func kmsCall(_ op: String, _ body: JSONValue, principal: String, to kms: String, requestId: String, sourceArn: String, account: String,
                         node: Node, done: @escaping (Result<JSONValue, BedrockError>) -> Void) {
        var req = HTTPRequest(method: "POST", path: "/", body: body.serialized())
        req.setHeader("X-Amz-Target", "TrentService.\(op)")
        req.setHeader("Content-Type", "application/x-amz-json-1.1")
        req.setHeader(SimHeader.principal, principal)
        req.setHeader(SimHeader.sourceArn, sourceArn)
        req.setHeader(SimHeader.sourceAccount, account)
        calls.call(req, to: kms, requestId: requestId, node: node) { result in
            switch result {
            case .failure(let e): done(.failure(e))
            case .success(let r):
                if let e = awsError(of: r) { done(.failure(e)); return }
                done((try? JSONValue.parse(r.body)).map { .success($0) } ?? .failure(.internalFailure("malformed KMS answer")))
            }
        }
    }

    private func run(_ jobArn: String, node: Node) {
        guard let job = jobs[jobArn] else { return }
        let account = job["account"]?.stringValue ?? ""
        let roleArn = job["roleArn"]?.stringValue ?? ""
        // 1. Assume the customer's service role: its trust policy must allow bedrock.amazonaws.com for this job.
        guard let role = iam.role(arn: roleArn) else {
            fail(jobArn, "Bedrock could not assume the service role \(roleArn): the role does not exist.", node: node); return
        }
        let trust = PolicyEvaluator.evaluate(EvaluationInput(
            request: RequestContext(action: "sts:AssumeRole", resource: roleArn, principal: PrincipalInfo(arn: bedrockServicePrincipal, type: .service),
                                    context: ["aws:SourceAccount": .single(account), "aws:SourceArn": .single(jobArn)]),
            resourcePolicy: role.trustPolicy, resourcePolicyRequired: true))
        var t = TraceRecord(event: .decision)
        t.decision = trust.isAllowed ? "allow" : "deny"
        t.reason = "sts:AssumeRole \(roleArn) by \(bedrockServicePrincipal) (aws:SourceAccount \(account), aws:SourceArn \(jobArn)): \(trust.decision.rawValue)"
        t.details = [("operation", "sts:AssumeRole")]
        node.trace(t)
        guard trust.isAllowed else {
            fail(jobArn, "Bedrock could not assume the service role \(roleArn): its trust policy does not allow bedrock.amazonaws.com to assume it for this job (aws:SourceAccount/aws:SourceArn).", node: node)
            return
        }
        let roleName = roleArn.split(separator: "/").last.map(String.init) ?? "role"
        let session = "arn:aws:sts::\(account):assumed-role/\(roleName)/BedrockModelCustomization-\(jobArn.split(separator: "/").last ?? "")"
        // 2. Read the training (and validation) data from the customer's S3 as that role.
        let trainingUri = job["trainingDataConfig"]?["s3Uri"]?.stringValue ?? ""
        s3Call("GET", uri: trainingUri, session: session, job: job, node: node) { [self] result in
            guard live(jobArn, node: node) else { return }
            switch result {
            case .failure(let why): fail(jobArn, "Bedrock could not read the training data as \(roleArn): \(why)", node: node)
            case .success(let r):
                var validation: [UInt8]? = nil
                let afterValidation = { [self] in
                    setJob(jobArn, ["statusDetails": .object(["dataProcessingDetails": .object(["status": .string("Completed")]),
                                                              "trainingDetails": .object(["status": .string("InProgress")])])])
                    train(jobArn, data: r.body, validation: validation, session: session, node: node)
                }
                if case .array(let vs)? = job["validationDataConfig"]?["validators"], let uri = vs.first?["s3Uri"]?.stringValue {
                    s3Call("GET", uri: uri, session: session, job: job, node: node) { [self] v in
                        guard live(jobArn, node: node) else { return }
                        switch v {
                        case .failure(let why): fail(jobArn, "Bedrock could not read the validation data as \(roleArn): \(why)", node: node)
                        case .success(let vr): validation = vr.body; afterValidation()
                        }
                    }
                } else {
                    afterValidation()
                }
            }
        }
    }

    private func train(_ jobArn: String, data: [UInt8], validation: [UInt8]?, session: String, node: Node) {
        guard let job = jobs[jobArn] else { return }
        var hp: [String: String] = [:]
        if case .object(let o)? = job["hyperParameters"] { for (k, v) in o { hp[k] = v.stringValue ?? v.intValue.map(String.init) } }
        let adapter: TrainedAdapter
        var metrics: [String: Double]
        do { (adapter, metrics) = try TrainedAdapter.train(jsonl: data, hyperParameters: hp) } catch {
            fail(jobArn, "The training data is not valid: \(error.description)", node: node); return
        }
        if let v = validation, let loss = try? adapter.validationLoss(jsonl: v) { metrics["validationLoss"] = loss }
        let epochs = Double(hp["epochCount"] ?? "") ?? 2
        // Training takes simulated time; the data stays only in this closure's memory.
        after(max(1, epochs) * msPerEpoch, node: node) { [self] in
            guard live(jobArn, node: node) else { return }
            seal(jobArn, adapter: adapter, metrics: metrics, session: session, node: node)
        }
    }

    private func seal(_ jobArn: String, adapter: TrainedAdapter, metrics: [String: Double], session: String, node: Node) {
        guard let job = jobs[jobArn], let modelArn = job["outputModelArn"]?.stringValue else { return }
        let account = job["account"]?.stringValue ?? ""
        let requestId = SimIds.uuid()
        let store: ([UInt8], JSONValue, [String: JSONValue]) -> Void = { [self] dataKey, keySource, extra in
            let id12 = String(modelArn.split(separator: "/").last ?? "")
            do {
                let sealed = try Sealer.seal(key: dataKey, plaintext: adapter.serialized(), aad: Array(modelArn.utf8))
                try ModelStore.writeDurably(sealed, to: storeDir + "/\(id12).bin")
                var meta = models[modelArn] ?? [:]
                for (k, v) in extra { meta[k] = v }
                meta["keySource"] = keySource
                meta["artifact"] = .string(storeDir + "/\(id12).bin")
                meta["worker"] = .string(node.me.name)
                meta["trainingMetrics"] = .object(["trainingLoss": .number(metrics["trainingLoss"] ?? adapter.lossByEpoch.last ?? 0)])
                if let v = metrics["validationLoss"] { meta["validationMetrics"] = .array([.object(["validationLoss": .number(v)])]) }
                models[modelArn] = meta
                try persist(kind: "model", arn: modelArn)
                var file = meta
                file["modelStatus"] = .string("Active")
                try ModelStore.writeDurably(JSONValue.object(file).serialized(), to: storeDir + "/\(id12).json")
            } catch {
                fail(jobArn, "Internal error storing the custom model: \(error)", node: node); return
            }
            writeMetrics(jobArn, metrics: metrics, adapter: adapter, session: session, node: node)
        }
        guard let keyId = job["customModelKmsKeyId"]?.stringValue else {
            // No customer key: an AWS-owned key (the worker's own).
            let dk = SecureRandom.bytes(32)
            guard let wrapped = try? Sealer.seal(key: wrapKey, plaintext: dk, aad: Array(modelArn.utf8)) else { fail(jobArn, "Internal error", node: node); return }
            store(dk, .string("aws-owned"), ["encryptedDataKey": .string(Data(wrapped).base64EncodedString())])
            return
        }
        guard let kms = peer(role: "kms", account: account, node: node) else {
            fail(jobArn, "The KMS key \(keyId) is not reachable from Bedrock (account \(account) has no KMS).", node: node); return
        }
        let context: JSONValue = .object(["aws:bedrock:custom-model-arn": .string(modelArn)])
        // 1. Describe the key and 2. create Bedrock's grant on it, as the service role (invokedBy bedrock.amazonaws.com).
        kmsCall("DescribeKey", .object(["KeyId": .string(keyId)]), principal: session, to: kms, requestId: requestId, sourceArn: jobArn, account: account, node: node) { [self] d in
            guard live(jobArn, node: node) else { return }
            guard case .success(let desc) = d, let keyArn = desc["KeyMetadata"]?["Arn"]?.stringValue else {
                if case .failure(let e) = d { fail(jobArn, "KMS key \(keyId): \(e.errorType): \(e.message)", node: node) }
                return
            }
            kmsCall("CreateGrant", .object([
                "KeyId": .string(keyArn), "GranteePrincipal": .string(bedrockServicePrincipal), "RetiringPrincipal": .string(bedrockServicePrincipal),
                "Operations": .array(["Decrypt", "GenerateDataKey", "DescribeKey"].map { .string($0) }),
                "Constraints": .object(["EncryptionContextSubset": context]), "Name": .string("bedrock-custom-model-\(modelArn.split(separator: "/").last ?? "")"),
            ]), principal: session, to: kms, requestId: requestId, sourceArn: jobArn, account: account, node: node) { [self] g in
                guard live(jobArn, node: node) else { return }
                guard case .success(let grant) = g, let token = grant["GrantToken"]?.stringValue, let grantId = grant["GrantId"]?.stringValue else {
                    if case .failure(let e) = g { fail(jobArn, "Bedrock could not create a grant on KMS key \(keyArn) as \(session): \(e.errorType): \(e.message)", node: node) }
                    return
                }
                // 3. A data key for the artifact, as bedrock.amazonaws.com through the grant, bound to the model ARN.
                kmsCall("GenerateDataKey", .object(["KeyId": .string(keyArn), "KeySpec": .string("AES_256"), "EncryptionContext": context,
                                                    "GrantTokens": .array([.string(token)])]),
                        principal: bedrockServicePrincipal, to: kms, requestId: requestId, sourceArn: jobArn, account: account, node: node) { [self] k in
                    guard live(jobArn, node: node) else { return }
                    guard case .success(let dk) = k, let p = dk["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
                          let c = dk["CiphertextBlob"]?.stringValue else {
                        if case .failure(let e) = k { fail(jobArn, "KMS key \(keyArn) refused GenerateDataKey: \(e.errorType): \(e.message)", node: node) }
                        return
                    }
                    store(Array(p), .string("customer-kms"), ["encryptedDataKey": .string(c), "modelKmsKeyArn": .string(keyArn),
                                                             "grantToken": .string(token), "grantId": .string(grantId)])
                }
            }
        }
    }

    private func writeMetrics(_ jobArn: String, metrics: [String: Double], adapter: TrainedAdapter, session: String, node: Node) {
        guard let job = jobs[jobArn], let out = job["outputDataConfig"]?["s3Uri"]?.stringValue, let modelArn = job["outputModelArn"]?.stringValue else { return }
        let jobId = jobArn.split(separator: "/").last.map(String.init) ?? "job"
        var csv = "step_number,epoch_number,training_loss\n"
        for (i, l) in adapter.lossByEpoch.enumerated() { csv += "\(i + 1),\(i + 1),\(l)\n" }
        let prefix = out.hasSuffix("/") ? out : out + "/"
        s3Call("PUT", uri: "\(prefix)model-customization-job-\(jobId)/training_artifacts/step_wise_training_metrics.csv", body: Array(csv.utf8),
               headers: ["Content-Type": "text/csv"], session: session, job: job, node: node) { [self] result in
            guard live(jobArn, node: node) else { return }
            switch result {
            case .failure(let why): fail(jobArn, "Bedrock could not write the output metrics as \(job["roleArn"]?.stringValue ?? ""): \(why)", node: node)
            case .success:
                setJob(jobArn, ["status": .string("Completed"), "endTime": now(),
                                "trainingMetrics": .object(["trainingLoss": .number(metrics["trainingLoss"] ?? adapter.lossByEpoch.last ?? 0)]),
                                "statusDetails": .object(["dataProcessingDetails": .object(["status": .string("Completed")]),
                                                          "trainingDetails": .object(["status": .string("Completed")])]),
                                "outputModelKmsKeyArn": models[modelArn]?["modelKmsKeyArn"] ?? .null])
                setModel(modelArn, ["modelStatus": .string("Active")])
                var r = TraceRecord(event: .decision)
                r.decision = "completed"; r.reason = "\(jobArn): custom model \(modelArn) is Active"
                node.trace(r)
                node.log("job \(jobArn) completed; training data discarded")
            }
        }
    }
}
