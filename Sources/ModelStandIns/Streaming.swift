// Model-native chunks for InvokeModelWithResponseStream.
//
// Each chunk body is the JSON the model emits (the front end base64-encodes it into a
// PayloadPart event). The generated text is the same as InvokeModel's for the same
// request; the chunks' `text` fields concatenate to it and their `outputTokens` sum to its
// token count. The last chunk carries "amazon-bedrock-invocationMetrics" with latencies
// derived from the caller's LatencyModel; `offsetMs` tells a host when to send each chunk.

public struct ModelStreamChunk: Sendable, Equatable {
    /// Model-native JSON chunk.
    public var body: [UInt8]
    /// Generated text carried by this chunk ("" for framing chunks such as message_start).
    public var text: String
    /// Output tokens in `text`.
    public var outputTokens: Int
    /// Milliseconds after the start of the invocation at which the chunk is ready.
    public var offsetMs: Double
}

extension ModelStandIn {
    /// Runs one InvokeModelWithResponseStream call. Embedding models refuse with the
    /// service's "The model is unsupported for streaming." before the body is looked at.
    public static func stream(
        model: FoundationModel, body: [UInt8], contentType: String?, accept: String?,
        adapter: TrainedAdapter? = nil, latency: LatencyModel = .zero
    ) throws(ModelInvocationError) -> [ModelStreamChunk] {
        guard model.responseStreamingSupported else { throw .validation(ServiceMessages.streamingUnsupported) }
        try checkMediaTypes(contentType: contentType, accept: accept)
        let req = try prepare(model: model, body: body)
        let gen = TextGenerator.generate(req.generation, adapter: adapter)
        return chunks(model: model, req: req, gen: gen, latency: latency)
    }

    /// Token groups per text chunk, cycling: Claude sends 1–3 tokens per delta, Titan
    /// sends large chunks, Llama one token at a time.
    static func groupSizes(_ family: ModelFamily) -> [Int] {
        switch family {
        case .anthropicMessages: return [1, 2, 3, 2]
        case .titanText: return [8]
        case .llamaText: return [1]
        case .mistralText: return [1, 2]
        case .titanEmbedding: return [1]
        }
    }

    /// Splits text into groups of whole tokens: (text, tokens, index of the group's last token).
    static func groups(_ text: String, sizes: [Int]) -> [(String, Int, Int)] {
        let pieces = TokenCounter.pieces(text)
        var out: [(String, Int, Int)] = []
        var i = 0
        var k = 0
        while i < pieces.count {
            let n = min(sizes[k % sizes.count], pieces.count - i)
            out.append((pieces[i..<(i + n)].joined(), n, i + n - 1))
            i += n
            k += 1
        }
        return out
    }

    static func metrics(_ req: PreparedRequest, _ gen: Generation, _ latency: LatencyModel) -> JSONValue {
        .object(JSONObject([
            ("inputTokenCount", .integer(req.inputTokens)),
            ("outputTokenCount", .integer(gen.outputTokens)),
            ("invocationLatency", .integer(latency.invocationLatencyMs(outputTokens: gen.outputTokens))),
            ("firstByteLatency", .integer(latency.firstByteLatencyMs)),
        ]))
    }

    static let metricsKey = "amazon-bedrock-invocationMetrics"

    static func chunks(model: FoundationModel, req: PreparedRequest, gen: Generation, latency: LatencyModel) -> [ModelStreamChunk] {
        let groups = groups(gen.text, sizes: groupSizes(model.family))
        let first = latency.offsetOfToken(0)
        let end = latency.duration(outputTokens: gen.outputTokens)
        func chunk(_ v: JSONValue, _ text: String = "", _ tokens: Int = 0, at: Double) -> ModelStreamChunk {
            ModelStreamChunk(body: v.serialized(), text: text, outputTokens: tokens, offsetMs: at)
        }
        var out: [ModelStreamChunk] = []
        switch model.family {
        case .anthropicMessages:
            out.append(chunk(.object(JSONObject([
                ("type", "message_start"),
                ("message", .object(JSONObject([
                    ("id", .string(anthropicMessageId(model: model, req: req, gen: gen))),
                    ("type", "message"), ("role", "assistant"), ("model", .string(model.nativeModelName)),
                    ("content", .array([])), ("stop_reason", .null), ("stop_sequence", .null),
                    // The service reports 1 output token here; the real count comes in message_delta.
                    ("usage", .object(JSONObject([("input_tokens", .integer(req.inputTokens)), ("output_tokens", 1)]))),
                ]))),
            ])), at: first))
            out.append(chunk(.object(JSONObject([
                ("type", "content_block_start"), ("index", 0),
                ("content_block", .object(JSONObject([("type", "text"), ("text", "")]))),
            ])), at: first))
            for (text, n, last) in groups {
                out.append(chunk(.object(JSONObject([
                    ("type", "content_block_delta"), ("index", 0),
                    ("delta", .object(JSONObject([("type", "text_delta"), ("text", .string(text))]))),
                ])), text, n, at: latency.offsetOfToken(last)))
            }
            out.append(chunk(.object(JSONObject([("type", "content_block_stop"), ("index", 0)])), at: end))
            out.append(chunk(.object(JSONObject([
                ("type", "message_delta"),
                ("delta", .object(JSONObject([
                    ("stop_reason", .string(gen.stop.native(for: .anthropicMessages))),
                    ("stop_sequence", gen.matchedStopSequence.map { .string($0) } ?? .null),
                ]))),
                ("usage", .object(JSONObject([("output_tokens", .integer(gen.outputTokens))]))),
            ])), at: end))
            out.append(chunk(.object(JSONObject([("type", "message_stop"), (metricsKey, metrics(req, gen, latency))])), at: end))
        case .titanText, .llamaText, .mistralText:
            let parts = groups.isEmpty ? [("", 0, -1)] : groups
            var cumulative = 0
            for (i, (text, n, last)) in parts.enumerated() {
                cumulative += n
                let isLast = i == parts.count - 1
                var o = JSONObject()
                switch model.family {
                case .titanText:
                    o["outputText"] = .string(text)
                    o["index"] = 0
                    o["totalOutputTextTokenCount"] = .integer(cumulative)
                    o["completionReason"] = isLast ? .string(gen.stop.native(for: .titanText)) : .null
                    o["inputTextTokenCount"] = i == 0 ? .integer(req.inputTokens) : .null
                case .llamaText:
                    o["generation"] = .string(text)
                    o["prompt_token_count"] = i == 0 ? .integer(req.inputTokens) : .null
                    o["generation_token_count"] = .integer(cumulative)
                    o["stop_reason"] = isLast ? .string(gen.stop.native(for: .llamaText)) : .null
                default:
                    o["outputs"] = .array([.object(JSONObject([
                        ("text", .string(text)),
                        ("stop_reason", isLast ? .string(gen.stop.native(for: .mistralText)) : .null),
                    ]))])
                }
                if isLast { o[metricsKey] = metrics(req, gen, latency) }
                out.append(chunk(.object(o), text, n, at: isLast ? end : latency.offsetOfToken(last)))
            }
        case .titanEmbedding:
            break  // refused before generation
        }
        return out
    }
}
