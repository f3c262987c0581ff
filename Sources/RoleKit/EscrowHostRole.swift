// escrow-host: an on-demand model host in a model-deployment ("escrow") account owned by the Bedrock service team,
// one per model provider per region. It holds read-only copies of the provider's base models, is shared by all
// customers, and answers model-native InvokeModel bodies after the latency its topology gives each model. It keeps
// nothing: a request lives in memory only until its answer is sent.
import Envelope
import ModelStandIns
import NodeRuntime

public final class EscrowHostRole: NodeRole {
    /// Decodes requests reusing the Strings of the method, path and headers that repeat from call to call.
    private let decoder = EnvelopeDecoder()
    struct Held { let envelope: Envelope; let response: HTTPResponse; let peer: String }
    /// A streamed invocation: its chunks go out one by one at their offsets from the latency model.
    final class Streaming {
        let envelope: Envelope
        let peer: String
        let chunks: [ModelStreamChunk]
        let startedNs: UInt64
        var next = 0
        let inputTokens: Int
        let outputTokens: Int
        init(envelope: Envelope, peer: String, chunks: [ModelStreamChunk], inputTokens: Int, outputTokens: Int) {
            self.envelope = envelope; self.peer = peer; self.chunks = chunks; self.inputTokens = inputTokens; self.outputTokens = outputTokens
            startedNs = SimClock.monotonicNanoseconds()
        }
    }
    private var models: [String: (FoundationModel, LatencyModel)] = [:]
    private var held: [UInt64: Held] = [:]
    private var streams: [UInt64: Streaming] = [:]
    /// Request message id -> timer token, so a cancel can drop the call.
    private var tokenOfRequest: [String: UInt64] = [:]
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
        if envelope.type == .cancel {
            // The caller went away: drop the call (held answer or remaining chunks); nothing more is sent.
            if let token = tokenOfRequest.removeValue(forKey: envelope.inReplyTo) {
                held[token] = nil
                let st = streams.removeValue(forKey: token)
                var r = TraceRecord(event: .decision)
                r.messageId = envelope.inReplyTo; r.requestId = envelope.requestId; r.decision = "cancel"
                r.reason = st.map { "stream dropped after \($0.next) of \($0.chunks.count) chunks" } ?? "held answer dropped"
                node.trace(r)
            }
            return
        }
        guard envelope.type == .modelRequest else {
            node.rejectUnexpected(envelope, from: peer)
            return
        }
        let response: HTTPResponse
        var latencyMs = 0.0
        var decision = TraceRecord(event: .decision)
        decision.messageId = envelope.messageId; decision.requestId = envelope.requestId
        do {
            let request = try decoder.request(envelope.body)
            guard case .success(let routed) = RuntimeRouter.route(request), let (model, latency) = models[routed.modelId] else {
                throw BedrockError.resourceNotFound("This host does not serve the requested model.")
            }
            if routed.operation == .invokeModelWithResponseStream {
                do {
                    let chunks = try ModelStandIn.stream(model: model, body: request.body, contentType: request.header("Content-Type"),
                                                         accept: request.header("Accept"), latency: latency)
                    let output = chunks.reduce(0) { $0 + $1.outputTokens }
                    let input = (try? ModelStandIn.countTokens(model: model, body: request.body)) ?? 0
                    let st = Streaming(envelope: envelope, peer: peer, chunks: chunks, inputTokens: input, outputTokens: output)
                    let token = nextToken; nextToken += 1
                    streams[token] = st
                    tokenOfRequest[envelope.messageId] = token
                    decision.decision = "inference"
                    decision.reason = "\(model.modelId): streaming \(chunks.count) chunks, \(input) input / \(output) output tokens over \(Int(chunks.last?.offsetMs ?? 0)) ms"
                    decision.details = [("modelId", model.modelId)]
                    node.trace(decision)
                    pump(token, node: node)
                    return
                } catch {
                    throw BedrockError.validation(error.message)
                }
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
                (decision.reason, decision.details) = inferenceNote(model.modelId, out.inputTokens, out.outputTokens, Int(latencyMs))
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
            tokenOfRequest[envelope.messageId] = token
            node.schedule(afterMs: latencyMs, token: token)
        } else {
            reply(envelope, response, to: peer, node: node)
        }
    }

    /// The inference record's reason and details per model and counts (calls repeat them; no content: a model id
    /// and numbers).
    private struct InferenceNote: Hashable { let model: String, input: Int, output: Int, latency: Int }
    private var inferenceNotes = BoundedCache<InferenceNote, (String, [(String, String)])>(limit: 1024)
    private func inferenceNote(_ model: String, _ input: Int, _ output: Int, _ latency: Int) -> (String, [(String, String)]) {
        inferenceNotes.value(for: InferenceNote(model: model, input: input, output: output, latency: latency)) {
            ("\(model): \(input) input / \(output) output tokens, latency \(latency) ms", [("modelId", model)])
        }
    }

    public func timerFired(_ token: UInt64, node: Node) {
        if streams[token] != nil { pump(token, node: node); return }
        guard let h = held.removeValue(forKey: token) else { return }
        tokenOfRequest[h.envelope.messageId] = nil
        reply(h.envelope, h.response, to: h.peer, node: node)
    }

    /// Sends every chunk that is due, each as its own envelope as it is produced; then the end of the stream (a
    /// model-response with the token counts), or a timer for the next chunk.
    private func pump(_ token: UInt64, node: Node) {
        guard let st = streams[token] else { return }
        let elapsedMs = Double(SimClock.monotonicNanoseconds() - st.startedNs) / 1e6
        while st.next < st.chunks.count, st.chunks[st.next].offsetMs <= elapsedMs {
            let c = st.chunks[st.next]
            st.next += 1
            node.send(st.envelope.reply(.streamChunk, messageId: node.ids.next(), from: node.address, body: c.body), to: st.peer, link: .service)
        }
        if st.next < st.chunks.count {
            node.schedule(afterMs: st.chunks[st.next].offsetMs - elapsedMs, token: token)
            return
        }
        streams[token] = nil
        tokenOfRequest[st.envelope.messageId] = nil
        reply(st.envelope, HTTPResponse(status: 200, headers: [
            HTTPHeader("Content-Type", "application/json"),
            HTTPHeader("X-Amzn-Bedrock-Input-Token-Count", String(st.inputTokens)),
            HTTPHeader("X-Amzn-Bedrock-Output-Token-Count", String(st.outputTokens)),
        ]), to: st.peer, node: node)
    }

    private func reply(_ request: Envelope, _ response: HTTPResponse, to peer: String, node: Node) {
        node.send(request.reply(.modelResponse, messageId: node.ids.next(), from: node.address, body: response.encode()),
                  to: peer, link: .service)
    }
}
