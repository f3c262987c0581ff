// escrow-host: an on-demand model host in a model-deployment ("escrow") account owned by the Bedrock service team,
// one per model provider per region. It holds read-only copies of the provider's base models, is shared by all
// customers, and answers model-native InvokeModel bodies after the latency its topology gives each model. It keeps
// nothing: a request lives in memory only until its answer is sent.
import Envelope
import ModelStandIns
import NodeRuntime

public final class EscrowHostRole: NodeRole {
    struct Held { let envelope: Envelope; let response: HTTPResponse; let peer: String }
    private var models: [String: (FoundationModel, LatencyModel)] = [:]
    private var held: [UInt64: Held] = [:]
    private var nextToken: UInt64 = 1

    public init(node: Node) throws {
        for m in node.me.models {
            guard let model = ModelCatalog.lookup(m.id, region: node.manifest.region) else {
                throw NodeStartupError("model \(m.id) is not in the catalogue")
            }
            models[model.modelId] = (model, LatencyModel(firstTokenMs: m.firstTokenMs, tokensPerSecond: m.tokensPerSecond))
        }
    }

    public func start(node: Node) {
        node.log("holding read-only copies of \(models.keys.sorted().joined(separator: ", "))")
    }

    public func receive(_ envelope: Envelope, routingHeader: [UInt8], from peer: String, link: Link, node: Node) {
        guard envelope.type == .modelRequest else {
            var r = TraceRecord(event: .rejected)
            r.peer = peer; r.messageId = envelope.messageId; r.decision = "reject"; r.reason = "unexpected \(envelope.type)"
            node.trace(r)
            return
        }
        let response: HTTPResponse
        var latencyMs = 0.0
        var decision = TraceRecord(event: .decision)
        decision.messageId = envelope.messageId; decision.requestId = envelope.requestId
        do {
            let request = try HTTPRequest.decode(envelope.body)
            guard case .success(let routed) = RuntimeRouter.route(request), let (model, latency) = models[routed.modelId] else {
                throw BedrockError.resourceNotFound("This host does not serve the requested model.")
            }
            do {
                let out = try ModelStandIn.invoke(model: model, body: request.body, contentType: request.header("Content-Type"),
                                                  accept: request.header("Accept"))
                latencyMs = latency.duration(outputTokens: out.outputTokens)
                response = HTTPResponse(status: 200, headers: [
                    HTTPHeader("Content-Type", out.contentType),
                    HTTPHeader("X-Amzn-Bedrock-Input-Token-Count", String(out.inputTokens)),
                    HTTPHeader("X-Amzn-Bedrock-Output-Token-Count", String(out.outputTokens)),
                ], body: out.body)
                decision.decision = "inference"
                decision.reason = "\(model.modelId): \(out.inputTokens) input / \(out.outputTokens) output tokens, latency \(Int(latencyMs)) ms"
                decision.details = [("modelId", model.modelId)]
            } catch {
                let err = BedrockError.validation(error.message)
                response = err.httpResponse(requestId: envelope.requestId)
                decision.decision = "error"; decision.reason = "ValidationException from \(model.modelId)"
                decision.details = [("modelId", model.modelId), ("errorType", "ValidationException")]
            }
        } catch let err as BedrockError {
            response = err.httpResponse(requestId: envelope.requestId)
            decision.decision = "error"; decision.reason = err.errorType
        } catch {
            let err = BedrockError.validation("Malformed model request.")
            response = err.httpResponse(requestId: envelope.requestId)
            decision.decision = "error"; decision.reason = "malformed model request: \(error)"
        }
        node.trace(decision)
        if latencyMs > 0 {
            let token = nextToken; nextToken += 1
            held[token] = Held(envelope: envelope, response: response, peer: peer)
            node.schedule(afterMs: latencyMs, token: token)
        } else {
            reply(envelope, response, to: peer, node: node)
        }
    }

    public func timerFired(_ token: UInt64, node: Node) {
        guard let h = held.removeValue(forKey: token) else { return }
        reply(h.envelope, h.response, to: h.peer, node: node)
    }

    private func reply(_ request: Envelope, _ response: HTTPResponse, to peer: String, node: Node) {
        let e = Envelope(
            type: .modelResponse, messageId: node.ids.next(), inReplyTo: request.messageId, requestId: request.requestId,
            traceparent: request.traceparent, source: node.address, destination: request.source,
            deadlineUnixMs: request.deadlineUnixMs, body: response.encode())
        node.send(e, to: peer, link: .service)
    }
}
