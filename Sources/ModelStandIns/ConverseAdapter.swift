// Converse / ConverseStream on top of the native stand-ins.
//
// A Converse request is validated with the service's Converse messages, mapped to the
// model family's native InvokeModel body (so the escrow host only ever runs native
// bodies), and the native response is mapped back. Token usage is the native call's:
//   Anthropic: system and message texts as in InvokeModel;
//   Titan: the rendered "User: … \nBot:" transcript;
//   Llama 3: the rendered chat template (markers count one token each);
//   Mistral: the rendered "<s>[INST] … [/INST]" prompt.
// Llama's native body has no stop-sequence parameter, so Converse stopSequences are not
// applied for Llama models.

/// A parsed Converse request.
public struct ConverseRequest: Sendable, Equatable {
    public struct Turn: Sendable, Equatable {
        public var role: String
        public var text: String
    }

    public var turns: [Turn]
    public var system: [String]
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stopSequences: [String]
    /// `additionalModelRequestFields`, merged into the native body (model-specific parameters).
    public var additionalModelRequestFields: JSONObject?
}

/// One ConverseStream event: `eventType` is the `:event-type` header, `payload` the
/// event's own JSON object (not wrapped in its member name).
public struct ConverseStreamEvent: Sendable, Equatable {
    public var eventType: String
    public var payload: [UInt8]
    public var text: String
    public var outputTokens: Int
    public var offsetMs: Double
}

public enum ConverseAdapter {
    // MARK: Request

    /// Parses and validates a Converse request body for `model`.
    public static func parse(model: FoundationModel, converseBody: [UInt8]) throws(ModelInvocationError) -> ConverseRequest {
        guard !model.family.isEmbedding else { throw .validation(ServiceMessages.converseUnsupported) }
        let obj = try parseBodyObject(converseBody)
        var turns: [ConverseRequest.Turn] = []
        let messages = obj["messages"]?.arrayValue ?? []
        if obj["messages"] != nil && obj["messages"]?.arrayValue == nil { throw .validation(ServiceMessages.malformedRequest) }
        for (i, m) in messages.enumerated() {
            guard let role = m["role"]?.stringValue, role == "user" || role == "assistant" else {
                throw .validation(coralError("messages.\(i + 1).member.role", m["role"] ?? .null, "Member must satisfy enum value set: [user, assistant]"))
            }
            guard let blocks = m["content"]?.arrayValue else {
                throw .validation(coralError("messages.\(i + 1).member.content", m["content"] ?? .null, "Member must not be null"))
            }
            var texts: [String] = []
            for (j, b) in blocks.enumerated() {
                if let t = b["text"] ?? b["guardContent"]?["text"]?["text"] {
                    guard let s = t.stringValue else { throw .validation(ServiceMessages.malformedRequest) }
                    if s.trimmingSpaces().isEmpty { throw .validation(ServiceMessages.converseBlankText("messages.\(i).content.\(j)")) }
                    texts.append(s)
                }
            }
            turns.append(.init(role: role, text: texts.joined(separator: "\n")))
        }
        guard let first = turns.first, first.role == "user" else { throw .validation(ServiceMessages.converseFirstMessageUser) }
        for i in 1..<turns.count where turns[i].role == turns[i - 1].role {
            throw .validation(ServiceMessages.converseAlternate)
        }
        var system: [String] = []
        if let sys = obj["system"] {
            guard let blocks = sys.arrayValue else { throw .validation(ServiceMessages.malformedRequest) }
            for b in blocks {
                if let t = b["text"] ?? b["guardContent"]?["text"]?["text"] {
                    guard let s = t.stringValue else { throw .validation(ServiceMessages.malformedRequest) }
                    system.append(s)
                }
            }
        }
        var req = ConverseRequest(turns: turns, system: system, maxTokens: nil, temperature: nil, topP: nil, stopSequences: [],
                                  additionalModelRequestFields: nil)
        if let extra = obj["additionalModelRequestFields"] {
            guard let o = extra.objectValue else { throw .validation(ServiceMessages.malformedRequest) }
            req.additionalModelRequestFields = o
        }
        if let cfg = obj["inferenceConfig"] {
            guard let c = cfg.objectValue else { throw .validation(ServiceMessages.malformedRequest) }
            if let v = c["maxTokens"] {
                guard let n = v.intValue else { throw .validation(ServiceMessages.malformedRequest) }
                if n < 1 { throw .validation(coralError("inferenceConfig.maxTokens", v, "Member must have value greater than or equal to 1")) }
                if n > model.maxOutputTokens { throw .validation(ServiceMessages.converseMaxTokens(model.maxOutputTokens)) }
                req.maxTokens = n
            }
            for (key, path) in [("temperature", "inferenceConfig.temperature"), ("topP", "inferenceConfig.topP")] {
                guard let v = c[key] else { continue }
                guard let d = v.doubleValue else { throw .validation(ServiceMessages.malformedRequest) }
                if d < 0 { throw .validation(coralError(path, v, "Member must have value greater than or equal to 0")) }
                if d > 1 { throw .validation(coralError(path, v, "Member must have value less than or equal to 1")) }
                if key == "temperature" { req.temperature = d } else { req.topP = d }
            }
            if let v = c["stopSequences"] {
                guard let items = v.arrayValue else { throw .validation(ServiceMessages.malformedRequest) }
                if items.count > 4 { throw .validation(coralError("inferenceConfig.stopSequences", v, "Member must have length less than or equal to 4")) }
                for item in items {
                    guard let s = item.stringValue else { throw .validation(ServiceMessages.malformedRequest) }
                    req.stopSequences.append(s)
                }
            }
        }
        return req
    }

    /// The service's request-shape (Coral) validation message.
    static func coralError(_ path: String, _ value: JSONValue, _ constraint: String) -> String {
        let shown: String
        switch value {
        case .null: shown = "Value null"
        case .array(let items): shown = "Value '[" + items.map(Check.render).joined(separator: ", ") + "]'"
        default: shown = "Value '\(Check.render(value))'"
        }
        return "1 validation error detected: \(shown) at '\(path)' failed to satisfy constraint: \(constraint)"
    }

    /// The model-native InvokeModel body equivalent to a Converse request.
    public static func nativeRequest(model: FoundationModel, converseBody: [UInt8]) throws(ModelInvocationError) -> [UInt8] {
        nativeBody(model: model, try parse(model: model, converseBody: converseBody))
    }

    public static func nativeBody(model: FoundationModel, _ r: ConverseRequest) -> [UInt8] {
        let maxTokens = r.maxTokens ?? model.defaultMaxTokens
        var o = JSONObject()
        switch model.family {
        case .anthropicMessages:
            o["anthropic_version"] = .string(ModelStandIn.anthropicVersion)
            o["max_tokens"] = .integer(maxTokens)
            if !r.system.isEmpty { o["system"] = .string(r.system.joined(separator: "\n")) }
            o["messages"] = .array(r.turns.map { t in
                .object(JSONObject([("role", .string(t.role)), ("content", .array([.object(JSONObject([("type", "text"), ("text", .string(t.text))]))]))]))
            })
            if let t = r.temperature { o["temperature"] = .number(t) }
            if let p = r.topP { o["top_p"] = .number(p) }
            if !r.stopSequences.isEmpty { o["stop_sequences"] = .array(r.stopSequences.map { .string($0) }) }
        case .titanText:
            var transcript = r.system.isEmpty ? "" : r.system.joined(separator: "\n") + "\n\n"
            for t in r.turns { transcript += (t.role == "user" ? "User: " : "Bot: ") + t.text + "\n" }
            transcript += "Bot:"
            o["inputText"] = .string(transcript)
            var cfg = JSONObject()
            cfg["maxTokenCount"] = .integer(maxTokens)
            if let t = r.temperature { cfg["temperature"] = .number(t) }
            if let p = r.topP { cfg["topP"] = .number(p) }
            if !r.stopSequences.isEmpty { cfg["stopSequences"] = .array(r.stopSequences.map { .string($0) }) }
            o["textGenerationConfig"] = .object(cfg)
        case .llamaText:
            var p = "<|begin_of_text|>"
            if !r.system.isEmpty { p += "<|start_header_id|>system<|end_header_id|>\n\n" + r.system.joined(separator: "\n") + "<|eot_id|>" }
            for t in r.turns { p += "<|start_header_id|>\(t.role)<|end_header_id|>\n\n" + t.text + "<|eot_id|>" }
            p += "<|start_header_id|>assistant<|end_header_id|>\n\n"
            o["prompt"] = .string(p)
            o["max_gen_len"] = .integer(maxTokens)
            if let t = r.temperature { o["temperature"] = .number(t) }
            if let tp = r.topP { o["top_p"] = .number(tp) }
        case .mistralText:
            var p = "<s>"
            for (i, t) in r.turns.enumerated() {
                if t.role == "user" {
                    let sys = i == 0 && !r.system.isEmpty ? r.system.joined(separator: "\n") + "\n\n" : ""
                    p += "[INST] " + sys + t.text + " [/INST]"
                } else {
                    p += " " + t.text + "</s>"
                }
            }
            o["prompt"] = .string(p)
            o["max_tokens"] = .integer(maxTokens)
            if !r.stopSequences.isEmpty { o["stop"] = .array(r.stopSequences.map { .string($0) }) }
            if let t = r.temperature { o["temperature"] = .number(t) }
            if let tp = r.topP { o["top_p"] = .number(tp) }
        case .titanEmbedding:
            break  // refused in parse
        }
        for m in r.additionalModelRequestFields?.members ?? [] { o[m.key] = m.value }
        return JSONValue.object(o).serialized()
    }

    // MARK: Response

    /// The generated text and stop reason in a native response body.
    public static func nativeResult(family: ModelFamily, body: [UInt8]) throws(ModelInvocationError) -> (text: String, stopReason: StopReason) {
        guard case .object(let o)? = try? JSONValue.parse(body) else { throw .validation(ServiceMessages.malformedRequest) }
        func reason(_ s: String?) -> StopReason {
            switch s {
            case "max_tokens", "LENGTH", "length": return .maxTokens
            case "stop_sequence", "STOP_CRITERIA_MET": return .stopSequence
            default: return .endTurn
            }
        }
        switch family {
        case .anthropicMessages:
            let text = (o["content"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
            return (text, reason(o["stop_reason"]?.stringValue))
        case .titanText:
            let r = o["results"]?.arrayValue?.first
            return (r?["outputText"]?.stringValue ?? "", reason(r?["completionReason"]?.stringValue))
        case .llamaText:
            return (o["generation"]?.stringValue ?? "", reason(o["stop_reason"]?.stringValue))
        case .mistralText:
            let r = o["outputs"]?.arrayValue?.first
            return (r?["text"]?.stringValue ?? "", reason(r?["stop_reason"]?.stringValue))
        case .titanEmbedding:
            throw .validation(ServiceMessages.converseUnsupported)
        }
    }

    /// The Converse response body for a native invocation's output.
    public static func converseResponse(model: FoundationModel, output: ModelOutput, latencyMs: Int) throws(ModelInvocationError) -> [UInt8] {
        let (text, stop) = try nativeResult(family: model.family, body: output.body)
        return responseJSON(text: text, stop: stop, input: output.inputTokens, output: output.outputTokens, latencyMs: latencyMs).serialized()
    }

    static func usage(_ input: Int, _ output: Int) -> JSONValue {
        .object(JSONObject([("inputTokens", .integer(input)), ("outputTokens", .integer(output)), ("totalTokens", .integer(input + output))]))
    }

    static func responseJSON(text: String, stop: StopReason, input: Int, output: Int, latencyMs: Int) -> JSONValue {
        .object(JSONObject([
            ("output", .object(JSONObject([("message", .object(JSONObject([
                ("role", "assistant"),
                ("content", .array([.object(JSONObject([("text", .string(text))]))])),
            ])))]))),
            ("stopReason", .string(stop.rawValue)),
            ("usage", usage(input, output)),
            ("metrics", .object(JSONObject([("latencyMs", .integer(latencyMs))]))),
        ]))
    }

    // MARK: Whole calls

    /// A full Converse call; the returned body is the Converse response, `latencyMs` from `latency`.
    public static func converse(
        model: FoundationModel, body: [UInt8], adapter: TrainedAdapter? = nil, latency: LatencyModel = .zero
    ) throws(ModelInvocationError) -> ModelOutput {
        let native = try nativeRequest(model: model, converseBody: body)
        let out = try modelErrors { () throws(ModelInvocationError) in
            try ModelStandIn.invoke(model: model, body: native, contentType: "application/json", accept: "application/json", adapter: adapter)
        }
        let bodyOut = try converseResponse(model: model, output: out, latencyMs: latency.invocationLatencyMs(outputTokens: out.outputTokens))
        return ModelOutput(body: bodyOut, contentType: "application/json", inputTokens: out.inputTokens, outputTokens: out.outputTokens, stopReason: out.stopReason, text: out.text)
    }

    /// A full ConverseStream call: messageStart, contentBlockDelta…, contentBlockStop,
    /// messageStop, metadata (text blocks have no contentBlockStart).
    public static func converseStream(
        model: FoundationModel, body: [UInt8], adapter: TrainedAdapter? = nil, latency: LatencyModel = .zero
    ) throws(ModelInvocationError) -> [ConverseStreamEvent] {
        let native = try nativeRequest(model: model, converseBody: body)
        let req = try modelErrors { () throws(ModelInvocationError) in try ModelStandIn.prepare(model: model, body: native) }
        let gen = TextGenerator.generate(req.generation, adapter: adapter)
        let end = latency.duration(outputTokens: gen.outputTokens)
        func ev(_ type: String, _ v: JSONValue, _ text: String = "", _ n: Int = 0, at: Double) -> ConverseStreamEvent {
            ConverseStreamEvent(eventType: type, payload: v.serialized(), text: text, outputTokens: n, offsetMs: at)
        }
        var out = [ev("messageStart", .object(JSONObject([("role", "assistant")])), at: latency.offsetOfToken(0))]
        for (text, n, last) in ModelStandIn.groups(gen.text, sizes: ModelStandIn.groupSizes(model.family)) {
            out.append(ev("contentBlockDelta", .object(JSONObject([
                ("delta", .object(JSONObject([("text", .string(text))]))), ("contentBlockIndex", 0),
            ])), text, n, at: latency.offsetOfToken(last)))
        }
        out.append(ev("contentBlockStop", .object(JSONObject([("contentBlockIndex", 0)])), at: end))
        out.append(ev("messageStop", .object(JSONObject([("stopReason", .string(gen.stop.rawValue))])), at: end))
        out.append(ev("metadata", .object(JSONObject([
            ("usage", usage(req.inputTokens, gen.outputTokens)),
            ("metrics", .object(JSONObject([("latencyMs", .integer(latency.invocationLatencyMs(outputTokens: gen.outputTokens)))]))),
        ])), at: end))
        return out
    }

    /// The input token count a Converse call would report (CountTokens with `converse` input).
    public static func countTokens(model: FoundationModel, converseBody: [UInt8]) throws(ModelInvocationError) -> Int {
        let native = try nativeRequest(model: model, converseBody: converseBody)
        return try modelErrors { () throws(ModelInvocationError) in try ModelStandIn.countTokens(model: model, body: native) }
    }

    /// Converse reports the model's own refusals of the mapped native body with this prefix.
    static func modelErrors<T>(_ body: () throws(ModelInvocationError) -> T) throws(ModelInvocationError) -> T {
        do {
            return try body()
        } catch {
            throw .validation("The model returned the following errors: " + error.message)
        }
    }
}
