// kms: the customer account's AWS KMS stand-in (one per customer account that declares one).
//
// Symmetric customer managed keys with aliases, key policies (authoritative; the default policy delegates to the
// account's IAM policies through the account root) and grants (an extra allow path, with EncryptionContextSubset /
// EncryptionContextEquals constraints, retiring principals and grant tokens). GenerateDataKey, Encrypt and Decrypt
// bind the encryption context as AES-256-GCM AAD, so Decrypt with another context fails InvalidCiphertextException.
// Wire format: awsJson1.1 (`X-Amz-Target: TrentService.Op`), errors `{"__type","message"}`.
//
// Key material never rests in plaintext: each key's 32 bytes are sealed under a key derived from the node's master
// secret (RUN_DIR/keys/NODE.master, 0600). Every change is appended to an fsynced log before it is acknowledged.
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import IAMPolicy
import NodeRuntime
import SimCrypto

public struct KMSError: Error {
    public let type: String
    public let status: Int
    public let message: String
    init(_ type: String, _ message: String, status: Int = 400) { self.type = type; self.status = status; self.message = message }
    static func notFound(_ m: String) -> KMSError { KMSError("NotFoundException", m) }
    static func validation(_ m: String) -> KMSError { KMSError("ValidationException", m) }
}

public final class KMSStore {
    public struct Key {
        var id: String
        var arn: String
        var account: String
        var description: String
        var state: String            // Enabled | Disabled | PendingDeletion
        var wrappedMaterial: [UInt8]
        var policy: String
        var creationDate: Double
        var deletionDate: Double?
    }
    public struct Grant {
        var id: String
        var keyId: String
        var grantee: String
        var retiring: String?
        var operations: [String]
        var subset: [String: String]?
        var equals: [String: String]?
        var name: String?
        var token: String
        var creationDate: Double
        var issuingAccount: String
    }

    public private(set) var keys: [String: Key] = [:]
    public private(set) var aliases: [String: String] = [:]     // alias/name -> key id
    public private(set) var grants: [String: Grant] = [:]
    private let log: DurableLog
    private let wrapKey: [UInt8]
    let region: String
    let account: String

    public init(logPath: String, master: [UInt8], region: String, account: String) throws {
        wrapKey = try NodeMasterKey.derive(master, purpose: "kms key material wrap")
        self.region = region
        self.account = account
        let (log, records) = try DurableLog.open(path: logPath)
        self.log = log
        for r in records { apply(try JSONValue.parse(r)) }
    }

    // MARK: persistence

    private func keyJSON(_ k: Key) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(k.id), "arn": .string(k.arn), "account": .string(k.account), "description": .string(k.description),
            "state": .string(k.state), "material": .string(Data(k.wrappedMaterial).base64EncodedString()), "policy": .string(k.policy),
            "created": .number(k.creationDate),
        ]
        if let d = k.deletionDate { o["deletion"] = .number(d) }
        return .object(o)
    }

    private func grantJSON(_ g: Grant) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(g.id), "keyId": .string(g.keyId), "grantee": .string(g.grantee), "operations": .array(g.operations.map { .string($0) }),
            "token": .string(g.token), "created": .number(g.creationDate), "issuingAccount": .string(g.issuingAccount),
        ]
        if let r = g.retiring { o["retiring"] = .string(r) }
        if let n = g.name { o["name"] = .string(n) }
        if let s = g.subset { o["subset"] = .object(s.mapValues { .string($0) }) }
        if let e = g.equals { o["equals"] = .object(e.mapValues { .string($0) }) }
        return .object(o)
    }

    private func apply(_ r: JSONValue) {
        switch r["op"]?.stringValue {
        case "key":
            guard let k = r["key"], let id = k["id"]?.stringValue else { return }
            keys[id] = Key(id: id, arn: k["arn"]?.stringValue ?? "", account: k["account"]?.stringValue ?? "",
                           description: k["description"]?.stringValue ?? "", state: k["state"]?.stringValue ?? "Enabled",
                           wrappedMaterial: Array(Data(base64Encoded: k["material"]?.stringValue ?? "") ?? Data()),
                           policy: k["policy"]?.stringValue ?? "", creationDate: k["created"]?.doubleValue ?? 0, deletionDate: k["deletion"]?.doubleValue)
        case "alias":
            guard let name = r["name"]?.stringValue else { return }
            aliases[name] = r["keyId"]?.stringValue
        case "grant":
            guard let g = r["grant"], let id = g["id"]?.stringValue else { return }
            func dict(_ v: JSONValue?) -> [String: String]? {
                guard case .object(let o)? = v else { return nil }
                return o.compactMapValues(\.stringValue)
            }
            var ops: [String] = []
            if case .array(let a)? = g["operations"] { ops = a.compactMap(\.stringValue) }
            grants[id] = Grant(id: id, keyId: g["keyId"]?.stringValue ?? "", grantee: g["grantee"]?.stringValue ?? "",
                               retiring: g["retiring"]?.stringValue, operations: ops, subset: dict(g["subset"]), equals: dict(g["equals"]),
                               name: g["name"]?.stringValue, token: g["token"]?.stringValue ?? "", creationDate: g["created"]?.doubleValue ?? 0,
                               issuingAccount: g["issuingAccount"]?.stringValue ?? "")
        case "grantDeleted":
            if let id = r["id"]?.stringValue { grants[id] = nil }
        default: break
        }
    }

    /// Logs (fsync) then applies: a change is visible only once it is durable.
    private func commit(_ r: JSONValue) throws {
        do { try log.append(json: r) } catch { throw KMSError("KMSInternalException", "the key store could not persist the change: \(error)", status: 500) }
        apply(r)
    }

    func save(_ k: Key) throws { try commit(.object(["op": .string("key"), "key": keyJSON(k)])) }
    func save(_ g: Grant) throws { try commit(.object(["op": .string("grant"), "grant": grantJSON(g)])) }
    func deleteGrant(_ id: String) throws { try commit(.object(["op": .string("grantDeleted"), "id": .string(id)])) }
    func setAlias(_ name: String, keyId: String?) throws {
        try commit(.object(["op": .string("alias"), "name": .string(name), "keyId": keyId.map { .string($0) } ?? .null]))
    }

    // MARK: keys

    static func defaultPolicy(account: String) -> String {
        #"{"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\#(account):root"},"Action":"kms:*","Resource":"*"}]}"#
    }

    func createKey(description: String, policy: String?) throws -> Key {
        let id = SimIds.uuid()
        let material = SecureRandom.bytes(32)
        let arn = "arn:aws:kms:\(region):\(account):key/\(id)"
        let k = Key(id: id, arn: arn, account: account, description: description, state: "Enabled",
                    wrappedMaterial: try Sealer.seal(key: wrapKey, plaintext: material, aad: Array(arn.utf8)),
                    policy: policy ?? KMSStore.defaultPolicy(account: account), creationDate: Date().timeIntervalSince1970)
        try save(k)
        return k
    }

    /// Key id, key ARN, alias name or alias ARN -> key.
    func resolve(_ keyId: String) throws -> Key {
        var id = keyId
        if id.hasPrefix("arn:aws:kms:") {
            let parts = id.split(separator: ":", maxSplits: 5)
            guard parts.count == 6 else { throw KMSError.notFound("Invalid keyId \(keyId)") }
            id = String(parts[5])
            if id.hasPrefix("key/") { id = String(id.dropFirst(4)) }
        }
        if id.hasPrefix("alias/") {
            guard let target = aliases[id] else { throw KMSError.notFound("Alias \(keyId) is not found.") }
            id = target
        }
        guard let k = keys[id] else { throw KMSError.notFound("Key '\(keyId)' does not exist") }
        return k
    }

    func material(of k: Key) throws -> [UInt8] {
        try Sealer.open(key: wrapKey, sealed: k.wrappedMaterial, aad: Array(k.arn.utf8))
    }

    /// The encryption context as AAD: sorted, length-prefixed pairs (order-independent, unambiguous).
    static func aad(_ context: [String: String]) -> [UInt8] {
        var out: [UInt8] = Array("kms-ec-v1".utf8)
        for (k, v) in context.sorted(by: { $0.key < $1.key }) {
            for s in [k, v] { let b = Array(s.utf8); out += [UInt8(b.count >> 8 & 0xff), UInt8(b.count & 0xff)] + b }
        }
        return out
    }

    /// Ciphertext blob: "SK1" ‖ u8 key-id length ‖ key id ‖ nonce ‖ AES-256-GCM(plaintext, AAD = context).
    func encrypt(_ plaintext: [UInt8], key k: Key, context: [String: String]) throws -> [UInt8] {
        let id = Array(k.id.utf8)
        return Array("SK1".utf8) + [UInt8(id.count)] + id + (try Sealer.seal(key: try material(of: k), plaintext: plaintext, aad: KMSStore.aad(context)))
    }

    static func keyId(ofBlob blob: [UInt8]) -> String? {
        guard blob.count > 4, Array(blob[0..<3]) == Array("SK1".utf8) else { return nil }
        let n = Int(blob[3])
        guard blob.count >= 4 + n + 28 else { return nil }
        return String(decoding: blob[4..<(4 + n)], as: UTF8.self)
    }

    func decrypt(_ blob: [UInt8], key k: Key, context: [String: String]) throws -> [UInt8] {
        let n = Int(blob[3])
        do { return try Sealer.open(key: try material(of: k), sealed: Array(blob[(4 + n)...]), aad: KMSStore.aad(context)) } catch {
            throw KMSError("InvalidCiphertextException", "The ciphertext is invalid, or the encryption context does not match the one it was encrypted with.")
        }
    }
}

public final class KMSRole: NodeRole {
    private let store: KMSStore
    private let iam: PolicyAuthority
    private let authenticator: AWSRequestAuthenticator
    private let audit: ServiceAudit
    private let region: String
    private let account: String

    public init(node: Node, authority: PolicyAuthority? = nil) throws {
        region = node.manifest.region
        account = node.me.accountId
        let master = try NodeMasterKey.load(node: NodeRuntimeNodeInfo(name: node.me.name, keysDirectory: node.manifest.runDirectory + "/keys"))
        store = try KMSStore(logPath: node.manifest.runDirectory + "/state/\(node.me.name)/kms.log", master: master, region: region, account: account)
        let compiled = try CompiledIAMAuthority(runDirectory: node.manifest.runDirectory)
        iam = authority ?? compiled
        authenticator = try AWSRequestAuthenticator(service: "kms", runDirectory: node.manifest.runDirectory, region: region, directory: compiled.directory)
        audit = ServiceAudit(runDirectory: node.manifest.runDirectory, eventSource: "kms.amazonaws.com", region: region)
    }

    public func start(node: Node) {
        node.log("KMS for account \(account): \(store.keys.count) key(s), \(store.grants.count) grant(s), \(store.aliases.count) alias(es) restored")
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        guard envelope.type == .awsRequest, link == .service else {
            node.rejectUnexpected(envelope, from: peer)
            return
        }
        let requestId = envelope.requestId.isEmpty ? SimIds.uuid() : envelope.requestId
        var trace = TraceRecord(event: .decision)
        trace.messageId = envelope.messageId; trace.requestId = envelope.requestId; trace.peer = peer
        let response: HTTPResponse
        var opName = "Unknown"
        var caller: Caller?
        var params: [String: JSONValue] = [:]
        var error: KMSError?
        do {
            let request = try HTTPRequest.decode(envelope.body)
            guard let target = request.header("X-Amz-Target"), target.hasPrefix("TrentService.") else {
                throw KMSError("UnknownOperationException", "Missing or unknown X-Amz-Target header")
            }
            opName = String(target.dropFirst("TrentService.".count))
            switch CallerResolver.resolve(request, peer: peer, node: node, authenticator: authenticator) {
            case .success(let c): caller = c
            case .failure(let why):
                throw KMSError(why.errorType, why.errorType == "AccessDeniedException" ? "Access denied: \(why)" : "\(why)", status: why.httpStatus)
            }
            let body = request.body.isEmpty ? JSONValue.object([:]) : try JSONValue.parse(request.body)
            let out = try handle(opName, body, caller: caller!, params: &params)
            response = awsJSON(out, requestId: requestId)
            trace.decision = "allow"; trace.reason = "kms:\(opName) by \(caller!.arn)"
        } catch let e as KMSError {
            error = e
            response = awsJSONError(e.type, e.status, e.message, requestId: requestId)
            trace.decision = "deny"; trace.reason = "kms:\(opName): \(e.type): \(e.message)"
            trace.details.append(("errorType", e.type))
        } catch {
            let e = KMSError("SerializationException", "Malformed request: \(error)")
            response = awsJSONError(e.type, e.status, e.message, requestId: requestId)
            trace.decision = "deny"; trace.reason = "kms:\(opName): malformed request"
        }
        trace.details.append(("operation", "kms:\(opName)"))
        node.trace(trace)
        audit.record(eventName: opName, requestId: requestId, account: account, caller: caller, parameters: params,
                     errorCode: error?.type, errorMessage: error?.message,
                     readOnly: ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey", "ListKeys", "ListAliases", "ListGrants", "GetKeyPolicy"].contains(opName),
                     resources: params["keyId"]?.stringValue.flatMap { try? store.resolve($0).arn }.map { [$0] } ?? [])
        replyAWS(envelope, response, to: peer, node: node)
    }

    // MARK: operations

    private func context(_ v: JSONValue?) throws -> [String: String] {
        guard let v else { return [:] }
        guard case .object(let o) = v else { throw KMSError.validation("EncryptionContext must be a map of strings") }
        var out: [String: String] = [:]
        for (k, x) in o {
            guard let s = x.stringValue else { throw KMSError.validation("EncryptionContext value for '\(k)' must be a string") }
            out[k] = s
        }
        return out
    }

    private func requireString(_ body: JSONValue, _ field: String) throws -> String {
        guard let s = body[field]?.stringValue, !s.isEmpty else {
            throw KMSError.validation("1 validation error detected: Value null at '\(field.prefix(1).lowercased() + field.dropFirst())' failed to satisfy constraint: Member must not be null")
        }
        return s
    }

    private func checkUsable(_ k: KMSStore.Key) throws {
        switch k.state {
        case "Disabled": throw KMSError("DisabledException", "\(k.arn) is disabled.")
        case "PendingDeletion": throw KMSError("KMSInvalidStateException", "\(k.arn) is pending deletion.")
        default: break
        }
    }

    private func grantTokensValid(_ body: JSONValue) throws {
        guard case .array(let tokens)? = body["GrantTokens"] else { return }
        for t in tokens {
            guard let s = t.stringValue, store.grants.values.contains(where: { $0.token == s }) || s.hasPrefix("gt1-") else {
                throw KMSError("InvalidGrantTokenException", "The grant token is not valid.")
            }
        }
    }

    /// Key policy (authoritative) + IAM (when the key policy delegates to the account) + grants.
    private func authorize(_ action: String, key: KMSStore.Key?, caller: Caller, context ec: [String: String] = [:], extra: [String: ContextValue] = [:]) throws {
        var ctx: [String: ContextValue] = extra
        ctx["kms:CallerAccount"] = .single(caller.account.isEmpty ? caller.arn : caller.account)
        for (k, v) in ec { ctx["kms:EncryptionContext:\(k)"] = .single(v) }
        if !ec.isEmpty { ctx["kms:EncryptionContextKeys"] = .multiple(ec.keys.sorted()) }
        if let via = caller.viaService { ctx["kms:ViaService"] = .single(via) }
        if caller.invokedBy != nil, ctx["kms:ViaService"] == nil { ctx["kms:ViaService"] = .single("bedrock.\(region).amazonaws.com") }
        if let v = caller.sourceVpce { ctx["aws:SourceVpce"] = .single(v) }
        if let v = caller.sourceVpc { ctx["aws:SourceVpc"] = .single(v) }
        if let s = caller.invokedBy { ctx["aws:CalledVia"] = .multiple([s]); ctx["aws:ViaAWSService"] = .single("true") }
        let resource = key?.arn ?? "*"
        var keyPolicy: PolicyDocument? = nil
        if let key {
            do { keyPolicy = try PolicyDocument(json: key.policy, source: "key policy of \(key.arn)", kind: .resourceBased) } catch {
                throw KMSError("MalformedPolicyDocumentException", "\(error)")
            }
        }
        let result = iam.evaluate(action: action, resource: resource, resourceAccount: key?.account ?? account, caller: caller.principal,
                                  context: ctx, resourcePolicy: keyPolicy, resourcePolicyRequired: key != nil)
        if result.isAllowed { return }
        let explicit = result.decision == .explicitlyDenied
        if !explicit, let key {
            let op = String(action.dropFirst(4))
            for g in store.grants.values where g.keyId == key.id && g.operations.contains(op) && grantee(g.grantee, matches: caller) {
                if let eq = g.equals, eq != ec { continue }
                if let sub = g.subset, !sub.allSatisfy({ ec[$0.key] == $0.value }) { continue }
                return
            }
        }
        throw KMSError("AccessDeniedException",
                       "User: \(caller.arn) is not authorized to perform: \(action) on resource: \(resource) because "
                       + (explicit ? "an explicit deny in a policy denies it" : "no key policy, IAM policy or grant allows the \(action) action"))
    }

    private func grantee(_ grantee: String, matches caller: Caller) -> Bool {
        grantee == caller.arn || (caller.principal.roleArn != nil && grantee == caller.principal.roleArn)
    }

    private func keyMetadata(_ k: KMSStore.Key) -> JSONValue {
        var o: [String: JSONValue] = [
            "KeyId": .string(k.id), "Arn": .string(k.arn), "AWSAccountId": .string(k.account), "Description": .string(k.description),
            "KeyState": .string(k.state), "Enabled": .bool(k.state == "Enabled"), "CreationDate": .number(k.creationDate),
            "KeyManager": .string("CUSTOMER"), "KeySpec": .string("SYMMETRIC_DEFAULT"), "CustomerMasterKeySpec": .string("SYMMETRIC_DEFAULT"),
            "KeyUsage": .string("ENCRYPT_DECRYPT"), "Origin": .string("AWS_KMS"), "MultiRegion": .bool(false),
            "EncryptionAlgorithms": .array([.string("SYMMETRIC_DEFAULT")]),
        ]
        if let d = k.deletionDate { o["DeletionDate"] = .number(d) }
        return .object(o)
    }

    private func grantJSON(_ g: KMSStore.Grant, key: KMSStore.Key) -> JSONValue {
        var o: [String: JSONValue] = [
            "GrantId": .string(g.id), "KeyId": .string(key.arn), "GranteePrincipal": .string(g.grantee),
            "Operations": .array(g.operations.map { .string($0) }), "CreationDate": .number(g.creationDate),
            "IssuingAccount": .string("arn:aws:iam::\(g.issuingAccount):root"),
        ]
        if let r = g.retiring { o["RetiringPrincipal"] = .string(r) }
        if let n = g.name { o["Name"] = .string(n) }
        var c: [String: JSONValue] = [:]
        if let s = g.subset { c["EncryptionContextSubset"] = .object(s.mapValues { .string($0) }) }
        if let e = g.equals { c["EncryptionContextEquals"] = .object(e.mapValues { .string($0) }) }
        if !c.isEmpty { o["Constraints"] = .object(c) }
        return .object(o)
    }

    static let grantOperations: Set<String> = ["Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom",
                                               "ReEncryptTo", "CreateGrant", "RetireGrant", "DescribeKey"]

    private func handle(_ op: String, _ body: JSONValue, caller: Caller, params: inout [String: JSONValue]) throws -> JSONValue {
        if let k = body["KeyId"]?.stringValue { params["keyId"] = .string(k) }
        switch op {
        case "CreateKey":
            try authorize("kms:CreateKey", key: nil, caller: caller)
            var policy: String? = nil
            if let p = body["Policy"]?.stringValue {
                do { _ = try PolicyDocument(json: p, source: "Policy", kind: .resourceBased) } catch {
                    throw KMSError("MalformedPolicyDocumentException", "\(error)")
                }
                policy = p
            }
            let k = try store.createKey(description: body["Description"]?.stringValue ?? "", policy: policy)
            params["description"] = .string(k.description)
            return .object(["KeyMetadata": keyMetadata(k)])
        case "DescribeKey":
            let k = try store.resolve(try requireString(body, "KeyId"))
            try authorize("kms:DescribeKey", key: k, caller: caller)
            return .object(["KeyMetadata": keyMetadata(k)])
        case "ListKeys":
            try authorize("kms:ListKeys", key: nil, caller: caller)
            return .object(["Keys": .array(store.keys.values.sorted { $0.creationDate < $1.creationDate }.map { .object(["KeyId": .string($0.id), "KeyArn": .string($0.arn)]) }),
                            "Truncated": .bool(false)])
        case "CreateAlias":
            let name = try requireString(body, "AliasName")
            params["aliasName"] = .string(name)
            guard name.hasPrefix("alias/"), !name.hasPrefix("alias/aws/") else { throw KMSError.validation("Alias must start with the prefix \"alias/\" and must not begin with alias/aws/") }
            guard store.aliases[name] == nil else { throw KMSError("AlreadyExistsException", "An alias with the name \(name) already exists") }
            let k = try store.resolve(try requireString(body, "TargetKeyId"))
            try authorize("kms:CreateAlias", key: k, caller: caller)
            try store.setAlias(name, keyId: k.id)
            return .object([:])
        case "DeleteAlias":
            let name = try requireString(body, "AliasName")
            let k = try store.resolve(name)
            try authorize("kms:DeleteAlias", key: k, caller: caller)
            try store.setAlias(name, keyId: nil)
            return .object([:])
        case "ListAliases":
            try authorize("kms:ListAliases", key: nil, caller: caller)
            var entries: [JSONValue] = []
            for (name, id) in store.aliases.sorted(by: { $0.key < $1.key }) {
                entries.append(.object(["AliasName": .string(name), "AliasArn": .string("arn:aws:kms:\(region):\(account):\(name)"), "TargetKeyId": .string(id)]))
            }
            return .object(["Aliases": .array(entries), "Truncated": .bool(false)])
        case "GetKeyPolicy":
            let k = try store.resolve(try requireString(body, "KeyId"))
            try authorize("kms:GetKeyPolicy", key: k, caller: caller)
            return .object(["Policy": .string(k.policy), "PolicyName": .string("default")])
        case "PutKeyPolicy":
            var k = try store.resolve(try requireString(body, "KeyId"))
            let p = try requireString(body, "Policy")
            try authorize("kms:PutKeyPolicy", key: k, caller: caller)
            do { _ = try PolicyDocument(json: p, source: "Policy", kind: .resourceBased) } catch { throw KMSError("MalformedPolicyDocumentException", "\(error)") }
            k.policy = p
            try store.save(k)
            return .object([:])
        case "EnableKey", "DisableKey":
            var k = try store.resolve(try requireString(body, "KeyId"))
            try authorize("kms:\(op)", key: k, caller: caller)
            if k.state == "PendingDeletion" { throw KMSError("KMSInvalidStateException", "\(k.arn) is pending deletion.") }
            k.state = op == "EnableKey" ? "Enabled" : "Disabled"
            try store.save(k)
            return .object([:])
        case "ScheduleKeyDeletion":
            var k = try store.resolve(try requireString(body, "KeyId"))
            try authorize("kms:ScheduleKeyDeletion", key: k, caller: caller)
            let days = body["PendingWindowInDays"]?.intValue ?? 30
            guard (7...30).contains(days) else { throw KMSError.validation("PendingWindowInDays must be between 7 and 30") }
            if k.state == "PendingDeletion" { throw KMSError("KMSInvalidStateException", "\(k.arn) is pending deletion.") }
            k.state = "PendingDeletion"
            k.deletionDate = Date().timeIntervalSince1970 + Double(days) * 86_400
            try store.save(k)
            return .object(["KeyId": .string(k.arn), "DeletionDate": .number(k.deletionDate!), "KeyState": .string(k.state), "PendingWindowInDays": .number(Double(days))])
        case "CancelKeyDeletion":
            var k = try store.resolve(try requireString(body, "KeyId"))
            try authorize("kms:CancelKeyDeletion", key: k, caller: caller)
            guard k.state == "PendingDeletion" else { throw KMSError("KMSInvalidStateException", "\(k.arn) is not pending deletion.") }
            k.state = "Disabled"          // as in AWS: a key whose deletion is cancelled comes back disabled
            k.deletionDate = nil
            try store.save(k)
            return .object(["KeyId": .string(k.arn)])
        case "CreateGrant":
            let k = try store.resolve(try requireString(body, "KeyId"))
            let grantee = try requireString(body, "GranteePrincipal")
            guard case .array(let opsJSON)? = body["Operations"], !opsJSON.isEmpty else { throw KMSError.validation("Operations must not be empty") }
            let ops = opsJSON.compactMap(\.stringValue)
            guard ops.count == opsJSON.count, ops.allSatisfy(KMSRole.grantOperations.contains) else {
                throw KMSError.validation("Operations must be a list of grant operations (\(KMSRole.grantOperations.sorted().joined(separator: ", ")))")
            }
            var subset: [String: String]? = nil, equals: [String: String]? = nil
            if let c = body["Constraints"] {
                if let s = c["EncryptionContextSubset"] { subset = try context(s) }
                if let e = c["EncryptionContextEquals"] { equals = try context(e) }
            }
            try grantTokensValid(body)
            var extra: [String: ContextValue] = ["kms:GranteePrincipal": .single(grantee), "kms:GrantOperations": .multiple(ops)]
            if caller.invokedBy != nil { extra["kms:GrantIsForAWSResource"] = .single("true") }
            if let r = body["RetiringPrincipal"]?.stringValue { extra["kms:RetiringPrincipal"] = .single(r) }
            try authorize("kms:CreateGrant", key: k, caller: caller, extra: extra)
            try checkUsable(k)
            let id = hexString(SecureRandom.bytes(32))
            let g = KMSStore.Grant(id: id, keyId: k.id, grantee: grantee, retiring: body["RetiringPrincipal"]?.stringValue, operations: ops,
                                   subset: subset, equals: equals, name: body["Name"]?.stringValue, token: "gt1-" + hexString(SecureRandom.bytes(24)),
                                   creationDate: Date().timeIntervalSince1970, issuingAccount: caller.account.isEmpty ? account : caller.account)
            try store.save(g)
            params["granteePrincipal"] = .string(grantee); params["operations"] = .array(ops.map { .string($0) })
            if let r = g.retiring { params["retiringPrincipal"] = .string(r) }
            if let s = subset { params["constraints"] = .object(["encryptionContextSubset": .object(s.mapValues { .string($0) })]) }
            return .object(["GrantId": .string(id), "GrantToken": .string(g.token)])
        case "ListGrants":
            let k = try store.resolve(try requireString(body, "KeyId"))
            try authorize("kms:ListGrants", key: k, caller: caller)
            var list = store.grants.values.filter { $0.keyId == k.id }.sorted { $0.creationDate < $1.creationDate }
            if let gid = body["GrantId"]?.stringValue { list = list.filter { $0.id == gid } }
            if let gp = body["GranteePrincipal"]?.stringValue { list = list.filter { $0.grantee == gp } }
            return .object(["Grants": .array(list.map { grantJSON($0, key: k) }), "Truncated": .bool(false)])
        case "RetireGrant":
            let g: KMSStore.Grant
            if let token = body["GrantToken"]?.stringValue {
                guard let found = store.grants.values.first(where: { $0.token == token }) else { throw KMSError("InvalidGrantTokenException", "The grant token is not valid.") }
                g = found
            } else {
                let k = try store.resolve(try requireString(body, "KeyId"))
                let gid = try requireString(body, "GrantId")
                guard let found = store.grants[gid], found.keyId == k.id else { throw KMSError.notFound("Grant ID \(gid) not found") }
                g = found
            }
            params["grantId"] = .string(g.id)
            let k = try store.resolve(g.keyId)
            params["keyId"] = .string(k.arn)
            // The retiring principal, the grantee when the grant allows RetireGrant, or the key's account may retire it.
            let allowed = g.retiring.map { grantee($0, matches: caller) } == true
                || (g.operations.contains("RetireGrant") && grantee(g.grantee, matches: caller))
                || (caller.principal.type == .root && caller.account == k.account)
            if !allowed { try authorize("kms:RetireGrant", key: k, caller: caller) }
            try store.deleteGrant(g.id)
            return .object([:])
        case "RevokeGrant":
            let k = try store.resolve(try requireString(body, "KeyId"))
            let gid = try requireString(body, "GrantId")
            params["grantId"] = .string(gid)
            try authorize("kms:RevokeGrant", key: k, caller: caller)
            guard let g = store.grants[gid], g.keyId == k.id else { throw KMSError.notFound("Grant ID \(gid) not found") }
            try store.deleteGrant(g.id)
            return .object([:])
        case "GenerateDataKey", "GenerateDataKeyWithoutPlaintext":
            let k = try store.resolve(try requireString(body, "KeyId"))
            let ec = try context(body["EncryptionContext"])
            params["encryptionContext"] = .object(ec.mapValues { .string($0) })
            try grantTokensValid(body)
            try authorize("kms:\(op)", key: k, caller: caller, context: ec)
            try checkUsable(k)
            var n = body["NumberOfBytes"]?.intValue ?? 0
            if n == 0 {
                switch body["KeySpec"]?.stringValue ?? "AES_256" {
                case "AES_256": n = 32
                case "AES_128": n = 16
                default: throw KMSError.validation("KeySpec must be AES_256 or AES_128")
                }
            }
            guard (1...1024).contains(n) else { throw KMSError.validation("NumberOfBytes must be between 1 and 1024") }
            let plain = SecureRandom.bytes(n)
            let blob = try store.encrypt(plain, key: k, context: ec)
            var out: [String: JSONValue] = ["CiphertextBlob": .string(Data(blob).base64EncodedString()), "KeyId": .string(k.arn)]
            if op == "GenerateDataKey" { out["Plaintext"] = .string(Data(plain).base64EncodedString()) }
            return .object(out)
        case "Encrypt":
            let k = try store.resolve(try requireString(body, "KeyId"))
            let ec = try context(body["EncryptionContext"])
            params["encryptionContext"] = .object(ec.mapValues { .string($0) })
            guard let p = body["Plaintext"]?.stringValue, let plain = Data(base64Encoded: p), (1...4096).contains(plain.count) else {
                throw KMSError.validation("Plaintext must be base64 of 1 to 4096 bytes")
            }
            try grantTokensValid(body)
            try authorize("kms:Encrypt", key: k, caller: caller, context: ec)
            try checkUsable(k)
            return .object(["CiphertextBlob": .string(Data(try store.encrypt(Array(plain), key: k, context: ec)).base64EncodedString()),
                            "KeyId": .string(k.arn), "EncryptionAlgorithm": .string("SYMMETRIC_DEFAULT")])
        case "Decrypt":
            guard let b = body["CiphertextBlob"]?.stringValue, let blobData = Data(base64Encoded: b) else {
                throw KMSError.validation("CiphertextBlob must be base64")
            }
            let blob = Array(blobData)
            guard let id = KMSStore.keyId(ofBlob: blob) else { throw KMSError("InvalidCiphertextException", "The ciphertext is not a valid KMS ciphertext blob.") }
            let k = try store.resolve(id)
            params["keyId"] = .string(k.arn)
            if let asked = body["KeyId"]?.stringValue, (try? store.resolve(asked).id) != k.id {
                throw KMSError("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation on the ciphertext.")
            }
            let ec = try context(body["EncryptionContext"])
            params["encryptionContext"] = .object(ec.mapValues { .string($0) })
            try grantTokensValid(body)
            try authorize("kms:Decrypt", key: k, caller: caller, context: ec)
            try checkUsable(k)
            let plain = try store.decrypt(blob, key: k, context: ec)
            return .object(["Plaintext": .string(Data(plain).base64EncodedString()), "KeyId": .string(k.arn), "EncryptionAlgorithm": .string("SYMMETRIC_DEFAULT")])
        default:
            throw KMSError("UnknownOperationException", "TrentService.\(op) is not supported by this KMS stand-in")
        }
    }
}
