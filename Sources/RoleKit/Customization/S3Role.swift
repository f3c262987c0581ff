// s3: the customer account's Amazon S3 stand-in (path-style REST: PUT/GET/HEAD/DELETE /bucket/key, PUT /bucket,
// GET /bucket?list-type=2, PUT|GET|DELETE /bucket?policy). Authorization: bucket policy (Principal, Condition with
// aws:SourceVpce / aws:SourceVpc ...) and the caller's identity policies, through the IAMPolicy engine.
//
// Every object is encrypted at rest: SSE-KMS (x-amz-server-side-encryption: aws:kms) with a data key from the
// account's kms node (GenerateDataKey as the requester, encryption context {"aws:s3:arn": object ARN}, Decrypt on
// read), else SSE-S3 with a data key sealed under this node's master key. Only ciphertext and the wrapped data key
// are written, to an fsynced log, before PutObject is acknowledged. Errors use S3's XML shape.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import IAMPolicy
import NodeRuntime
import SimCrypto

public final class S3Role: NodeRole {
    struct Object {
        var ciphertext: [UInt8]
        var sse: String              // aws:kms | AES256
        var kmsKeyId: String?
        var wrappedKey: [UInt8]
        var etag: String
        var size: Int
        var lastModified: Double
        var contentType: String
    }
    struct Bucket {
        var created: Double
        var policy: String?
        var objects: [String: Object] = [:]
    }

    private var buckets: [String: Bucket] = [:]
    private let log: DurableLog
    private let wrapKey: [UInt8]
    private let iam: PolicyAuthority
    private let authenticator: AWSRequestAuthenticator
    private let audit: ServiceAudit
    private let calls = AWSCalls()
    private let kmsNode: String?
    private let account: String
    private let region: String

    public init(node: Node, authority: PolicyAuthority? = nil) throws {
        account = node.me.accountId
        region = node.manifest.region
        kmsNode = node.me.settings["kms"]
        let master = try NodeMasterKey.load(node: NodeRuntimeNodeInfo(name: node.me.name, keysDirectory: node.manifest.runDirectory + "/keys"))
        wrapKey = try NodeMasterKey.derive(master, purpose: "s3 sse-s3 data key wrap")
        let compiled = try CompiledIAMAuthority(runDirectory: node.manifest.runDirectory)
        iam = authority ?? compiled
        authenticator = try AWSRequestAuthenticator(service: "s3", runDirectory: node.manifest.runDirectory, region: region, directory: compiled.directory)
        audit = ServiceAudit(runDirectory: node.manifest.runDirectory, eventSource: "s3.amazonaws.com", region: region)
        let (log, records) = try DurableLog.open(path: node.manifest.runDirectory + "/state/\(node.me.name)/s3.log")
        self.log = log
        for r in records { apply(try JSONValue.parse(r)) }
    }

    public func start(node: Node) {
        let n = buckets.values.reduce(0) { $0 + $1.objects.count }
        node.log("S3 for account \(account): \(buckets.count) bucket(s), \(n) object(s) restored; SSE-KMS via \(kmsNode ?? "none")")
    }

    // MARK: persistence

    private func apply(_ r: JSONValue) {
        let b = r["bucket"]?.stringValue ?? ""
        switch r["op"]?.stringValue {
        case "createBucket": buckets[b] = Bucket(created: r["created"]?.doubleValue ?? 0)
        case "deleteBucket": buckets[b] = nil
        case "policy": buckets[b]?.policy = r["policy"]?.stringValue
        case "put":
            guard let key = r["key"]?.stringValue else { return }
            buckets[b]?.objects[key] = Object(
                ciphertext: Array(Data(base64Encoded: r["data"]?.stringValue ?? "") ?? Data()), sse: r["sse"]?.stringValue ?? "AES256",
                kmsKeyId: r["kmsKeyId"]?.stringValue, wrappedKey: Array(Data(base64Encoded: r["wrappedKey"]?.stringValue ?? "") ?? Data()),
                etag: r["etag"]?.stringValue ?? "", size: r["size"]?.intValue ?? 0, lastModified: r["lastModified"]?.doubleValue ?? 0,
                contentType: r["contentType"]?.stringValue ?? "application/octet-stream")
        case "delete":
            if let key = r["key"]?.stringValue { buckets[b]?.objects[key] = nil }
        default: break
        }
    }

    private func commit(_ r: JSONValue) throws {
        try log.append(json: r)
        apply(r)
    }

    // MARK: requests

    struct S3Failure: Error { let code: String; let status: Int; let message: String }

    private func xmlEscape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    private func errorResponse(_ f: S3Failure, requestId: String, resource: String) -> HTTPResponse {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(f.code)</Code><Message>\(xmlEscape(f.message))</Message><Resource>\(xmlEscape(resource))</Resource><RequestId>\(requestId)</RequestId></Error>"
        return HTTPResponse(status: f.status, headers: [HTTPHeader("Content-Type", "application/xml"), HTTPHeader("x-amz-request-id", requestId),
                                                        HTTPHeader("x-amzn-ErrorType", f.code)], body: Array(xml.utf8))
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        if case .upstream = link, calls.handle(envelope, from: peer, node: node) { return }
        guard envelope.type == .awsRequest, link == .service else {
            node.rejectUnexpected(envelope, from: peer)
            return
        }
        let requestId = envelope.requestId.isEmpty ? SimIds.uuid() : envelope.requestId
        guard let request = try? HTTPRequest.decode(envelope.body) else {
            replyAWS(envelope, errorResponse(S3Failure(code: "MalformedXML", status: 400, message: "Malformed request"), requestId: requestId, resource: ""), to: peer, node: node)
            return
        }
        let caller: Caller
        switch CallerResolver.resolve(request, peer: peer, node: node, authenticator: authenticator) {
        case .success(let c): caller = c
        case .failure(let why):
            // S3's codes for the SigV4 failures (RESTAuthentication.html); anything else is AccessDenied.
            let code: String
            switch why.errorType {
            case "InvalidSignatureException": code = "SignatureDoesNotMatch"
            case "UnrecognizedClientException": code = "InvalidAccessKeyId"
            case "ExpiredTokenException": code = "ExpiredToken"
            case "IncompleteSignatureException": code = "AuthorizationHeaderMalformed"
            case "InternalFailure": code = "InternalError"
            default: code = "AccessDenied"
            }
            let f = S3Failure(code: code, status: why.httpStatus, message: "\(why)")
            finish(envelope, peer: peer, node: node, op: "Unknown", caller: nil, bucket: "", key: nil, result: .failure(f))
            return
        }
        let path = request.path.split(separator: "?", maxSplits: 1)[0]
        let parts = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
        let bucket = parts.first.map { String($0) } ?? ""
        let key = parts.count > 1 ? RuntimeRouter.percentDecode(String(parts[1])) ?? String(parts[1]) : nil
        let query = parseQuery(request.query.isEmpty ? (request.path.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "") : request.query)
        let op: String
        switch (request.method, key != nil, bucket.isEmpty) {
        case ("GET", false, true): op = "ListBuckets"
        case ("PUT", false, false): op = query["policy"] != nil ? "PutBucketPolicy" : "CreateBucket"
        case ("GET", false, false): op = query["policy"] != nil ? "GetBucketPolicy" : "ListObjectsV2"
        case ("DELETE", false, false): op = query["policy"] != nil ? "DeleteBucketPolicy" : "DeleteBucket"
        case ("PUT", true, _): op = "PutObject"
        case ("GET", true, _): op = "GetObject"
        case ("HEAD", true, _): op = "HeadObject"
        case ("DELETE", true, _): op = "DeleteObject"
        default:
            finish(envelope, peer: peer, node: node, op: "Unknown", caller: caller, bucket: bucket, key: key,
                   result: .failure(S3Failure(code: "MethodNotAllowed", status: 405, message: "The specified method is not allowed against this resource.")))
            return
        }
        let done: (Result<HTTPResponse, S3Failure>) -> Void = { [weak self] result in
            self?.finish(envelope, peer: peer, node: node, op: op, caller: caller, bucket: bucket, key: key, result: result)
        }
        do {
            try handle(op, request: request, bucket: bucket, key: key, query: query, caller: caller, requestId: requestId, node: node, done: done)
        } catch let f as S3Failure {
            done(.failure(f))
        } catch {
            done(.failure(S3Failure(code: "InternalError", status: 500, message: "We encountered an internal error: \(error)")))
        }
    }

    private func finish(_ envelope: Envelope, peer: String, node: Node, op: String, caller: Caller?, bucket: String, key: String?,
                        result: Result<HTTPResponse, S3Failure>) {
        let requestId = envelope.requestId
        var r = TraceRecord(event: .decision)
        r.messageId = envelope.messageId; r.requestId = requestId; r.peer = peer
        r.details = [("operation", "s3:\(op)")]
        var response: HTTPResponse
        var failure: S3Failure?
        switch result {
        case .success(let resp):
            response = resp
            r.decision = "allow"; r.reason = "s3:\(op) \(bucket)\(key.map { "/" + $0 } ?? "") by \(caller?.arn ?? "?")"
        case .failure(let f):
            failure = f
            response = errorResponse(f, requestId: requestId, resource: "/\(bucket)\(key.map { "/" + $0 } ?? "")")
            r.decision = "deny"; r.reason = "s3:\(op) \(bucket)\(key.map { "/" + $0 } ?? ""): \(f.code): \(f.message)"
            r.details.append(("errorType", f.code))
        }
        response.headers.append(HTTPHeader("x-amz-request-id", requestId))
        node.trace(r)
        var params: [String: JSONValue] = ["bucketName": .string(bucket)]
        if let key { params["key"] = .string(key) }
        let dataEvent = ["PutObject", "GetObject", "HeadObject", "DeleteObject", "ListObjectsV2"].contains(op)
        audit.record(eventName: op == "ListObjectsV2" ? "ListObjects" : op, requestId: requestId, account: account, caller: caller, parameters: params,
                     errorCode: failure?.code, errorMessage: failure?.message,
                     readOnly: ["GetObject", "HeadObject", "ListObjectsV2", "ListBuckets", "GetBucketPolicy"].contains(op),
                     category: dataEvent ? "Data" : "Management",
                     resources: bucket.isEmpty ? [] : ["arn:aws:s3:::\(bucket)\(key.map { "/" + $0 } ?? "")"])
        replyAWS(envelope, response, to: peer, node: node)
    }

    private func parseQuery(_ q: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            let k = RuntimeRouter.percentDecode(String(kv[0])) ?? String(kv[0])
            out[k] = kv.count > 1 ? (RuntimeRouter.percentDecode(String(kv[1])) ?? String(kv[1])) : ""
        }
        return out
    }

    private func authorize(_ action: String, resource: String, bucket: String, caller: Caller, extra: [String: ContextValue] = [:]) throws {
        var ctx = extra
        ctx["aws:SecureTransport"] = "true"
        if let v = caller.sourceVpce { ctx["aws:SourceVpce"] = .single(v) }
        if let v = caller.sourceVpc { ctx["aws:SourceVpc"] = .single(v) }
        if let s = caller.invokedBy { ctx["aws:CalledVia"] = .multiple([s]); ctx["aws:ViaAWSService"] = .single("true") }
        if let v = caller.sourceArn { ctx["aws:SourceArn"] = .single(v) }
        if let v = caller.sourceAccount { ctx["aws:SourceAccount"] = .single(v) }
        var policy: PolicyDocument? = nil
        if let text = buckets[bucket]?.policy { policy = try? PolicyDocument(json: text, source: "bucket policy of \(bucket)", kind: .resourceBased) }
        let result = iam.evaluate(action: action, resource: resource, resourceAccount: account, caller: caller.principal, context: ctx,
                                  resourcePolicy: policy, resourcePolicyRequired: false)
        guard result.isAllowed else {
            let why = result.decision == .explicitlyDenied ? "with an explicit deny in a \(result.blockedBy.contains(.resource) ? "resource-based" : "identity-based") policy"
                : "because no identity-based policy or bucket policy allows the \(action) action"
            throw S3Failure(code: "AccessDenied", status: 403, message: "User: \(caller.arn) is not authorized to perform: \(action) on resource: \"\(resource)\" \(why)")
        }
    }

    private func requireBucket(_ name: String) throws -> Bucket {
        guard let b = buckets[name] else { throw S3Failure(code: "NoSuchBucket", status: 404, message: "The specified bucket does not exist") }
        return b
    }

    private func kmsFailure(_ e: BedrockError) -> S3Failure {
        e.errorType == "AccessDeniedException"
            ? S3Failure(code: "AccessDenied", status: 403, message: "KMS denied the request: \(e.message)")
            : S3Failure(code: "KMS.\(e.errorType)", status: e.httpStatus >= 500 ? 503 : 400, message: e.message)
    }

    /// A call to the account's kms node on behalf of `caller` (kms:ViaService = s3).
    private func kms(_ op: String, _ body: JSONValue, caller: Caller, requestId: String, node: Node, then: @escaping (Result<JSONValue, S3Failure>) -> Void) {
        guard let kmsNode else {
            then(.failure(S3Failure(code: "InvalidArgument", status: 400, message: "SSE-KMS is not available: this account has no kms node")))
            return
        }
        var req = HTTPRequest(method: "POST", path: "/", body: body.serialized())
        req.setHeader("X-Amz-Target", "TrentService.\(op)")
        req.setHeader("Content-Type", "application/x-amz-json-1.1")
        req.setHeader(SimHeader.principal, caller.arn)
        req.setHeader(SimHeader.viaService, "s3.\(region).amazonaws.com")
        if let i = caller.invokedBy { req.setHeader(SimHeader.invokedBy, i) }
        if let v = caller.sourceVpce { req.setHeader(SimHeader.sourceVpce, v) }
        if let v = caller.sourceVpc { req.setHeader(SimHeader.eniVpc, v) }
        calls.call(req, to: kmsNode, requestId: requestId, node: node) { result in
            switch result {
            case .failure(let e): then(.failure(self.kmsFailure(e)))
            case .success(let resp):
                if let e = awsError(of: resp) { then(.failure(self.kmsFailure(e))); return }
                guard let j = try? JSONValue.parse(resp.body) else { then(.failure(S3Failure(code: "InternalError", status: 500, message: "malformed KMS answer"))); return }
                then(.success(j))
            }
        }
    }

    private func handle(_ op: String, request: HTTPRequest, bucket: String, key: String?, query: [String: String], caller: Caller,
                        requestId: String, node: Node, done: @escaping (Result<HTTPResponse, S3Failure>) -> Void) throws {
        let bucketArn = "arn:aws:s3:::\(bucket)"
        func ok(_ body: String = "", status: Int = 200, headers: [HTTPHeader] = []) -> HTTPResponse {
            HTTPResponse(status: status, headers: headers + (body.isEmpty ? [] : [HTTPHeader("Content-Type", "application/xml")]), body: Array(body.utf8))
        }
        switch op {
        case "ListBuckets":
            try authorize("s3:ListAllMyBuckets", resource: "*", bucket: "", caller: caller)
            let items = buckets.keys.sorted().map { "<Bucket><Name>\(xmlEscape($0))</Name></Bucket>" }.joined()
            done(.success(ok("<ListAllMyBucketsResult><Buckets>\(items)</Buckets></ListAllMyBucketsResult>")))
        case "CreateBucket":
            guard bucket.count >= 3, bucket.count <= 63, bucket.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." }) else {
                throw S3Failure(code: "InvalidBucketName", status: 400, message: "The specified bucket is not valid.")
            }
            try authorize("s3:CreateBucket", resource: bucketArn, bucket: bucket, caller: caller)
            guard buckets[bucket] == nil else { throw S3Failure(code: "BucketAlreadyOwnedByYou", status: 409, message: "Your previous request to create the named bucket succeeded and you already own it.") }
            try commit(.object(["op": .string("createBucket"), "bucket": .string(bucket), "created": .number(Date().timeIntervalSince1970)]))
            done(.success(ok(headers: [HTTPHeader("Location", "/\(bucket)")])))
        case "DeleteBucket":
            let b = try requireBucket(bucket)
            try authorize("s3:DeleteBucket", resource: bucketArn, bucket: bucket, caller: caller)
            guard b.objects.isEmpty else { throw S3Failure(code: "BucketNotEmpty", status: 409, message: "The bucket you tried to delete is not empty") }
            try commit(.object(["op": .string("deleteBucket"), "bucket": .string(bucket)]))
            done(.success(ok(status: 204)))
        case "PutBucketPolicy":
            _ = try requireBucket(bucket)
            try authorize("s3:PutBucketPolicy", resource: bucketArn, bucket: bucket, caller: caller)
            let text = String(decoding: request.body, as: UTF8.self)
            do { _ = try PolicyDocument(json: text, source: "bucket policy of \(bucket)", kind: .resourceBased) } catch {
                throw S3Failure(code: "MalformedPolicy", status: 400, message: "\(error)")
            }
            try commit(.object(["op": .string("policy"), "bucket": .string(bucket), "policy": .string(text)]))
            done(.success(ok(status: 204)))
        case "GetBucketPolicy":
            let b = try requireBucket(bucket)
            try authorize("s3:GetBucketPolicy", resource: bucketArn, bucket: bucket, caller: caller)
            guard let p = b.policy else { throw S3Failure(code: "NoSuchBucketPolicy", status: 404, message: "The bucket policy does not exist") }
            done(.success(HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(p.utf8))))
        case "DeleteBucketPolicy":
            _ = try requireBucket(bucket)
            try authorize("s3:DeleteBucketPolicy", resource: bucketArn, bucket: bucket, caller: caller)
            try commit(.object(["op": .string("policy"), "bucket": .string(bucket), "policy": .null]))
            done(.success(ok(status: 204)))
        case "ListObjectsV2":
            let b = try requireBucket(bucket)
            let prefix = query["prefix"] ?? ""
            try authorize("s3:ListBucket", resource: bucketArn, bucket: bucket, caller: caller, extra: ["s3:prefix": .single(prefix)])
            let keys = b.objects.keys.filter { $0.hasPrefix(prefix) }.sorted()
            let items = keys.map { k in
                let o = b.objects[k]!
                return "<Contents><Key>\(xmlEscape(k))</Key><Size>\(o.size)</Size><ETag>\"\(o.etag)\"</ETag><LastModified>\(SimClock.iso8601(unixMs: UInt64(o.lastModified * 1000)))</LastModified><StorageClass>STANDARD</StorageClass></Contents>"
            }.joined()
            done(.success(ok("<ListBucketResult><Name>\(xmlEscape(bucket))</Name><Prefix>\(xmlEscape(prefix))</Prefix><KeyCount>\(keys.count)</KeyCount><IsTruncated>false</IsTruncated>\(items)</ListBucketResult>")))
        case "PutObject":
            _ = try requireBucket(bucket)
            let key = key!
            let objectArn = "\(bucketArn)/\(key)"
            let sse = request.header("x-amz-server-side-encryption") ?? "AES256"
            var extra: [String: ContextValue] = ["s3:x-amz-server-side-encryption": .single(sse)]
            if let k = request.header("x-amz-server-side-encryption-aws-kms-key-id") { extra["s3:x-amz-server-side-encryption-aws-kms-key-id"] = .single(k) }
            try authorize("s3:PutObject", resource: objectArn, bucket: bucket, caller: caller, extra: extra)
            let body = request.body
            let contentType = request.header("Content-Type") ?? "application/octet-stream"
            let etag = String(hexString(SHA256Digest.hash(body)).prefix(32))
            let store: ([UInt8], [UInt8], String?) throws -> Void = { dataKey, wrapped, kmsKeyId in
                let ct = try Sealer.seal(key: dataKey, plaintext: body, aad: Array(objectArn.utf8))
                var rec: [String: JSONValue] = [
                    "op": .string("put"), "bucket": .string(bucket), "key": .string(key), "data": .string(Data(ct).base64EncodedString()),
                    "sse": .string(kmsKeyId == nil ? "AES256" : "aws:kms"), "wrappedKey": .string(Data(wrapped).base64EncodedString()),
                    "etag": .string(etag), "size": .number(Double(body.count)), "lastModified": .number(Date().timeIntervalSince1970),
                    "contentType": .string(contentType),
                ]
                if let kmsKeyId { rec["kmsKeyId"] = .string(kmsKeyId) }
                try self.commit(.object(rec))
            }
            var headers = [HTTPHeader("ETag", "\"\(etag)\""), HTTPHeader("x-amz-server-side-encryption", sse == "aws:kms" ? "aws:kms" : "AES256")]
            if sse == "aws:kms" {
                guard let keyId = request.header("x-amz-server-side-encryption-aws-kms-key-id") else {
                    throw S3Failure(code: "InvalidArgument", status: 400, message: "SSE-KMS needs x-amz-server-side-encryption-aws-kms-key-id (this stand-in has no aws/s3 managed key)")
                }
                kms("GenerateDataKey", .object(["KeyId": .string(keyId), "KeySpec": .string("AES_256"),
                                                "EncryptionContext": .object(["aws:s3:arn": .string(objectArn)])]),
                    caller: caller, requestId: requestId, node: node) { result in
                    switch result {
                    case .failure(let f): done(.failure(f))
                    case .success(let j):
                        guard let p = j["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }),
                              let c = j["CiphertextBlob"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                            done(.failure(S3Failure(code: "InternalError", status: 500, message: "malformed GenerateDataKey answer"))); return
                        }
                        let arn = j["KeyId"]?.stringValue ?? keyId
                        do {
                            try store(Array(p), Array(c), arn)
                            headers.append(HTTPHeader("x-amz-server-side-encryption-aws-kms-key-id", arn))
                            done(.success(ok(headers: headers)))
                        } catch { done(.failure(S3Failure(code: "InternalError", status: 500, message: "could not persist the object: \(error)"))) }
                    }
                }
            } else {
                let dataKey = SecureRandom.bytes(32)
                try store(dataKey, try Sealer.seal(key: wrapKey, plaintext: dataKey, aad: Array(objectArn.utf8)), nil)
                done(.success(ok(headers: headers)))
            }
        case "GetObject", "HeadObject":
            let b = try requireBucket(bucket)
            let key = key!
            let objectArn = "\(bucketArn)/\(key)"
            try authorize("s3:GetObject", resource: objectArn, bucket: bucket, caller: caller)
            guard let o = b.objects[key] else { throw S3Failure(code: "NoSuchKey", status: 404, message: "The specified key does not exist.") }
            var headers = [HTTPHeader("ETag", "\"\(o.etag)\""), HTTPHeader("Content-Type", o.contentType), HTTPHeader("Content-Length", String(o.size)),
                           HTTPHeader("x-amz-server-side-encryption", o.sse)]
            if let k = o.kmsKeyId { headers.append(HTTPHeader("x-amz-server-side-encryption-aws-kms-key-id", k)) }
            let deliver: ([UInt8]) -> Void = { dataKey in
                if op == "HeadObject" { done(.success(HTTPResponse(status: 200, headers: headers))); return }
                do { done(.success(HTTPResponse(status: 200, headers: headers, body: try Sealer.open(key: dataKey, sealed: o.ciphertext, aad: Array(objectArn.utf8))))) } catch {
                    done(.failure(S3Failure(code: "InternalError", status: 500, message: "the stored object failed authentication")))
                }
            }
            if o.sse == "aws:kms" {
                if op == "HeadObject" { deliver([]); return }
                kms("Decrypt", .object(["CiphertextBlob": .string(Data(o.wrappedKey).base64EncodedString()),
                                        "EncryptionContext": .object(["aws:s3:arn": .string(objectArn)])]),
                    caller: caller, requestId: requestId, node: node) { result in
                    switch result {
                    case .failure(let f): done(.failure(f))
                    case .success(let j):
                        guard let p = j["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                            done(.failure(S3Failure(code: "InternalError", status: 500, message: "malformed Decrypt answer"))); return
                        }
                        deliver(Array(p))
                    }
                }
            } else {
                deliver(try Sealer.open(key: wrapKey, sealed: o.wrappedKey, aad: Array(objectArn.utf8)))
            }
        case "DeleteObject":
            _ = try requireBucket(bucket)
            let key = key!
            try authorize("s3:DeleteObject", resource: "\(bucketArn)/\(key)", bucket: bucket, caller: caller)
            try commit(.object(["op": .string("delete"), "bucket": .string(bucket), "key": .string(key)]))
            done(.success(ok(status: 204)))
        default:
            throw S3Failure(code: "NotImplemented", status: 501, message: "\(op) is not implemented")
        }
    }

    public func timerFired(_ token: UInt64, node: Node) { _ = calls.timerFired(token, node: node) }
    public func linkChanged(peer: String, up: Bool, node: Node) { if !up { calls.peerDown(peer) } }
}
