// provisioned-host: a dedicated host in a model-deployment account that holds one customer's private copy of a
// model (provisioned throughput). It is bound to one customer account by the topology (its `kms:` node), serves only
// the provisioned model the front end assigned to it, and only for that account.
//
// A custom model is stored sealed under a data key that only the customer's KMS can unwrap, through the grant
// Bedrock holds. The host unwraps it when it loads and again before every invocation (Decrypt as
// bedrock.amazonaws.com with the grant token): disabling the key, scheduling its deletion or revoking the grant makes
// loading and every further invocation fail closed with an error naming the key; enabling it again resumes service.
// Model units bound throughput: at most units x provisionedRpsPerUnit requests per rolling second (ThrottlingException).
import Envelope
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import ModelStandIns
import NodeRuntime
import SimCrypto

public final class ProvisionedHostRole: NodeRole {
    struct Assignment {
        var provisionedModelArn: String
        var modelArn: String
        var model: FoundationModel
        var units: Int
        var custom: JSONValue?          // the model store metadata of a custom model
        var adapter: TrainedAdapter?
    }
    private var assignment: Assignment?
    private let calls = AWSCalls()
    private let boundAccount: String
    private let kmsNode: String
    private let rpsPerUnit: Int
    private var recent: [UInt64] = []      // monotonic ms of accepted requests in the last second

    public init(node: Node) throws {
        guard let kms = node.me.settings["kms"], let account = node.manifest.node(named: kms)?.accountId else {
            throw NodeStartupError("provisioned-host needs settings.kms naming the customer's kms node")
        }
        kmsNode = kms
        boundAccount = account
        rpsPerUnit = Int(node.manifest.settings["provisionedRpsPerUnit"] ?? "") ?? 10
    }

    public func start(node: Node) {
        node.log("dedicated host for account \(boundAccount) (key access through \(kmsNode)); idle")
    }

    public func timerFired(_ token: UInt64, node: Node) { _ = calls.timerFired(token, node: node) }
    public func linkChanged(peer: String, up: Bool, node: Node) { if !up { calls.peerDown(peer) } }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        if case .upstream = link, calls.handle(envelope, from: peer, node: node) { return }
        guard link == .service, node.manifest.node(named: peer)?.role == "runtime-frontend", let request = try? HTTPRequest.decode(envelope.body) else {
            node.rejectUnexpected(envelope, from: peer)
            return
        }
        switch envelope.type {
        case .awsRequest where request.path == "/load":
            load(request, envelope: envelope, peer: peer, node: node)
        case .awsRequest where request.path == "/unload":
            if let a = assignment { node.log("unloaded \(a.provisionedModelArn); private copy dropped") }
            assignment = nil
            replyAWS(envelope, HTTPResponse(status: 200), to: peer, node: node)
        case .modelRequest:
            invoke(request, envelope: envelope, peer: peer, node: node)
        default:
            replyAWS(envelope, BedrockError.validation("unsupported request").httpResponse(requestId: envelope.requestId), to: peer, node: node)
        }
    }

    private func decision(_ envelope: Envelope, _ d: String, _ reason: String, node: Node, error: String? = nil) {
        var r = TraceRecord(event: .decision)
        r.messageId = envelope.messageId; r.requestId = envelope.requestId; r.decision = d; r.reason = reason
        if let error { r.details.append(("errorType", error)) }
        node.trace(r)
    }

    /// Unwraps the custom model's data key through the customer's KMS and opens the artifact.
    private func unseal(_ meta: JSONValue, requestId: String, node: Node, done: @escaping (Result<TrainedAdapter, BedrockError>) -> Void) {
        let modelArn = meta["modelArn"]?.stringValue ?? ""
        guard let path = meta["artifact"]?.stringValue, let sealed = FileManager.default.contents(atPath: path) else {
            done(.failure(.internalFailure("The artifact of custom model \(modelArn) is missing from the model store."))); return
        }
        guard meta["keySource"]?.stringValue == "customer-kms", let keyArn = meta["modelKmsKeyArn"]?.stringValue,
              let blob = meta["encryptedDataKey"]?.stringValue, let token = meta["grantToken"]?.stringValue else {
            done(.failure(.validation("Custom model \(modelArn) is not encrypted with a customer key this host can use."))); return
        }
        var req = HTTPRequest(method: "POST", path: "/", body: JSONValue.object([
            "CiphertextBlob": .string(blob), "KeyId": .string(keyArn), "GrantTokens": .array([.string(token)]),
            "EncryptionContext": .object(["aws:bedrock:custom-model-arn": .string(modelArn)]),
        ]).serialized())
        req.setHeader("X-Amz-Target", "TrentService.Decrypt")
        req.setHeader("Content-Type", "application/x-amz-json-1.1")
        req.setHeader(SimHeader.principal, bedrockServicePrincipal)
        req.setHeader(SimHeader.sourceArn, modelArn)
        req.setHeader(SimHeader.sourceAccount, boundAccount)
        calls.call(req, to: kmsNode, requestId: requestId, node: node) { result in
            var kmsError: BedrockError?
            switch result {
            case .failure(let e): kmsError = e
            case .success(let r):
                if let e = awsError(of: r) { kmsError = e; break }
                guard let p = (try? JSONValue.parse(r.body))?["Plaintext"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                    kmsError = .internalFailure("malformed KMS answer"); break
                }
                do {
                    let plain = try Sealer.open(key: Array(p), sealed: Array(sealed), aad: Array(modelArn.utf8))
                    done(.success(try TrainedAdapter(serialized: plain)))
                } catch {
                    done(.failure(.internalFailure("The artifact of custom model \(modelArn) failed authentication.")))
                }
                return
            }
            let e = kmsError!
            done(.failure(.accessDenied("The custom model \(modelArn) cannot be decrypted: the KMS key \(keyArn) refused Decrypt (\(e.errorType): \(e.message)). Check that the key is enabled and that Bedrock's grant on it exists.")))
        }
    }

    private func load(_ request: HTTPRequest, envelope: Envelope, peer: String, node: Node) {
        guard let body = try? JSONValue.parse(request.body), let pt = body["provisionedModelArn"]?.stringValue, let modelArn = body["modelArn"]?.stringValue,
              let baseId = body["baseModelId"]?.stringValue, let model = ModelCatalog.lookup(baseId, region: node.manifest.region) else {
            replyAWS(envelope, BedrockError.validation("malformed load request").httpResponse(requestId: envelope.requestId), to: peer, node: node); return
        }
        guard body["account"]?.stringValue == boundAccount else {
            decision(envelope, "deny", "refused to load a model for account \(body["account"]?.stringValue ?? "?"): this host serves only \(boundAccount)", node: node)
            replyAWS(envelope, BedrockError.accessDenied("This dedicated host serves only account \(boundAccount).").httpResponse(requestId: envelope.requestId), to: peer, node: node)
            return
        }
        if let a = assignment, a.provisionedModelArn != pt {
            replyAWS(envelope, BedrockError("ConflictException", 409, "This host already serves \(a.provisionedModelArn).").httpResponse(requestId: envelope.requestId), to: peer, node: node)
            return
        }
        let units = body["modelUnits"]?.intValue ?? 1
        guard modelArn.contains(":custom-model/") else {
            assignment = Assignment(provisionedModelArn: pt, modelArn: modelArn, model: model, units: units, custom: nil, adapter: nil)
            decision(envelope, "loaded", "private copy of base model \(model.modelId) for \(pt) (\(units) unit(s))", node: node)
            replyAWS(envelope, HTTPResponse(status: 200), to: peer, node: node)
            return
        }
        guard let (meta, _) = ModelStore.find(arn: modelArn, runDirectory: node.manifest.runDirectory), meta["account"]?.stringValue == boundAccount else {
            replyAWS(envelope, BedrockError.resourceNotFound("Custom model \(modelArn) is not in the model store for account \(boundAccount).").httpResponse(requestId: envelope.requestId), to: peer, node: node)
            return
        }
        unseal(meta, requestId: envelope.requestId, node: node) { [self] result in
            switch result {
            case .success(let adapter):
                assignment = Assignment(provisionedModelArn: pt, modelArn: modelArn, model: model, units: units, custom: meta, adapter: adapter)
                decision(envelope, "loaded", "custom model \(modelArn) decrypted through the customer's key grant for \(pt) (\(units) unit(s))", node: node)
                replyAWS(envelope, HTTPResponse(status: 200), to: peer, node: node)
            case .failure(let e):
                assignment = nil
                decision(envelope, "deny", "load of \(modelArn) failed closed: \(e.message)", node: node, error: e.errorType)
                replyAWS(envelope, e.httpResponse(requestId: envelope.requestId), to: peer, node: node)
            }
        }
    }

    private func answer(_ envelope: Envelope, _ response: HTTPResponse, to peer: String, node: Node) {
        node.send(envelope.reply(.modelResponse, messageId: node.ids.next(), from: node.address, body: response.encode()),
                  to: peer, link: .service)
    }

    private func invoke(_ request: HTTPRequest, envelope: Envelope, peer: String, node: Node) {
        let fail = { [self] (e: BedrockError, reason: String) in
            decision(envelope, "deny", reason, node: node, error: e.errorType)
            answer(envelope, e.httpResponse(requestId: envelope.requestId), to: peer, node: node)
        }
        guard let a = assignment else { fail(.modelNotReady, "no model loaded"); return }
        guard case .success(let routed) = RuntimeRouter.route(request), routed.modelId == a.provisionedModelArn else {
            fail(.resourceNotFound("This host does not serve the requested model."), "request for another model"); return
        }
        guard request.header(SimHeader.callerAccount) == boundAccount else {
            fail(.accessDenied("The provisioned model \(a.provisionedModelArn) belongs to another account."), "caller account \(request.header(SimHeader.callerAccount) ?? "?") is not \(boundAccount)")
            return
        }
        let now = SimClock.monotonicMilliseconds()
        recent.removeAll { now - $0 >= 1000 }
        guard recent.count < a.units * rpsPerUnit else {
            fail(.throttling, "over \(a.units) model unit(s) = \(a.units * rpsPerUnit) requests/s")
            return
        }
        recent.append(now)
        let run = { [self] (adapter: TrainedAdapter?) -> Void in
            do throws(ModelInvocationError) {
                let out = try ModelStandIn.invoke(model: a.model, body: request.body, contentType: request.header("Content-Type"),
                                                  accept: request.header("Accept"), adapter: adapter)
                decision(envelope, "inference", "\(a.provisionedModelArn) (\(adapter == nil ? "base" : "custom") \(a.modelArn)): \(out.inputTokens) in / \(out.outputTokens) out", node: node)
                answer(envelope, HTTPResponse(status: 200, headers: [
                    HTTPHeader("Content-Type", out.contentType),
                    HTTPHeader("X-Amzn-Bedrock-Input-Token-Count", String(out.inputTokens)),
                    HTTPHeader("X-Amzn-Bedrock-Output-Token-Count", String(out.outputTokens)),
                ], body: out.body), to: peer, node: node)
            } catch {
                fail(.validation(error.message), "ValidationException from \(a.model.modelId)")
            }
        }
        guard let meta = a.custom else { run(Optional<TrainedAdapter>.none); return }
        // Every invocation re-checks the key: a disabled key or revoked grant stops the model at once.
        unseal(meta, requestId: envelope.requestId, node: node) { [self] result in
            switch result {
            case .success(let adapter):
                assignment?.adapter = adapter
                run(adapter)
            case .failure(let e):
                assignment?.adapter = nil          // fail closed: drop the decrypted copy
                fail(e, "custom model unavailable: \(e.message)")
            }
        }
    }
}
