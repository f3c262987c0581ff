// The model stand-ins: validate a model-native request body, generate a deterministic
// answer, and write the model-native response body.
//
// Input token counts (what `usage`, the invocation metrics and CountTokens report) are
// TokenCounter counts of exactly these texts, summed text by text:
//   * Anthropic: the system prompt (string, or each text block), then every text block of
//     every message in order (a string `content` is one text). Non-text blocks count 0.
//   * Titan Text, Titan Embeddings: `inputText`.
//   * Llama, Mistral: `prompt`, template markers included (`<|eot_id|>` is one token).
// Output token counts are TokenCounter counts of the generated text.

/// The result of one invocation.
public struct ModelOutput: Sendable, Equatable {
    /// Model-native JSON response body.
    public var body: [UInt8]
    public var contentType: String
    public var inputTokens: Int
    public var outputTokens: Int
    /// Why generation stopped; nil for embedding models.
    public var stopReason: StopReason?
    /// The generated text ("" for embeddings), for guardrails and logging.
    public var text: String
}

/// A validated request, reduced to what generation needs.
struct PreparedRequest {
    var family: ModelFamily
    var inputTokens: Int
    var generation: GenerationRequest
    /// Anthropic: message ID seed material (the canonical request).
    var canonicalBody: [UInt8]
    // Embeddings.
    var embeddingText = ""
    var dimensions = 1024
    var normalize = true
    var embeddingTypes: [String]?
}

public enum ModelStandIn {
    static let anthropicVersion = "bedrock-2023-05-31"
    static let guardrailConfigKey = "amazon-bedrock-guardrailConfig"

    /// Runs one InvokeModel call against `model`. `adapter` makes it a fine-tuned model.
    public static func invoke(
        model: FoundationModel, body: [UInt8], contentType: String?, accept: String?, adapter: TrainedAdapter? = nil
    ) throws(ModelInvocationError) -> ModelOutput {
        try checkMediaTypes(contentType: contentType, accept: accept)
        let req = try prepare(model: model, body: body)
        if req.family == .titanEmbedding {
            let out = Embeddings.response(req)
            return ModelOutput(body: out, contentType: "application/json", inputTokens: req.inputTokens, outputTokens: 0, stopReason: nil, text: "")
        }
        let gen = TextGenerator.generate(req.generation, adapter: adapter)
        let body = responseBody(model: model, req: req, gen: gen)
        return ModelOutput(
            body: body, contentType: "application/json", inputTokens: req.inputTokens, outputTokens: gen.outputTokens,
            stopReason: gen.stop, text: gen.text)
    }

    /// The input token count InvokeModel would report for this native body (CountTokens).
    public static func countTokens(model: FoundationModel, body: [UInt8]) throws(ModelInvocationError) -> Int {
        try prepare(model: model, body: body).inputTokens
    }

    // MARK: Validation

    static func prepare(model: FoundationModel, body: [UInt8]) throws(ModelInvocationError) -> PreparedRequest {
        let obj = try parseBodyObject(body)
        switch model.family {
        case .anthropicMessages: return try prepareAnthropic(model, obj)
        case .titanText: return try prepareTitan(model, obj)
        case .llamaText: return try prepareLlama(model, obj)
        case .mistralText: return try prepareMistral(model, obj)
        case .titanEmbedding: return try Embeddings.prepare(model, obj)
        }
    }

    static func prepareAnthropic(_ model: FoundationModel, _ obj: JSONObject) throws(ModelInvocationError) -> PreparedRequest {
        var e = SchemaErrors()
        let root = Pointer.root
        let hasMessages = obj["messages"] != nil
        Check.required(hasMessages ? ["max_tokens", "anthropic_version"] : ["messages", "max_tokens", "anthropic_version"], in: obj, at: root, &e)
        Check.extraneous(
            allowed: ["anthropic_version", "anthropic_beta", "max_tokens", "system", "messages", "temperature", "top_p",
                      "top_k", "stop_sequences", "tools", "tool_choice", guardrailConfigKey],
            in: obj, at: root, &e)
        if let v = obj["anthropic_version"], let s = Check.string(v, at: root.appending("anthropic_version"), &e), s != anthropicVersion {
            e.add(root.appending("anthropic_version").text, "\(s) is not a valid enum value")
        }
        var maxTokens = 0
        if let v = obj["max_tokens"] {
            maxTokens = Check.integer(v, min: 1, max: model.maxOutputTokens, at: root.appending("max_tokens"), &e) ?? 0
        }
        var turns: [(role: String, texts: [String])] = []
        if let v = obj["messages"], let items = Check.array(v, at: root.appending("messages"), &e) {
            if items.isEmpty { e.add(root.appending("messages").text, "expected minimum item count: 1, found: 0") }
            for (i, item) in items.enumerated() {
                if let turn = anthropicMessage(item, at: root.appending("messages").appending(i), &e) { turns.append(turn) }
            }
        }
        var systemTexts: [String] = []
        if let v = obj["system"] { systemTexts = anthropicTextOrBlocks(v, at: root.appending("system"), allowEmptyArray: true, &e) ?? [] }
        if let v = obj["temperature"] { _ = Check.number(v, min: 0, max: 1, at: root.appending("temperature"), &e) }
        if let v = obj["top_p"] { _ = Check.number(v, min: 0, max: 1, at: root.appending("top_p"), &e) }
        if let v = obj["top_k"] { _ = Check.integer(v, min: 0, max: 500, at: root.appending("top_k"), &e) }
        var stops: [String] = []
        if let v = obj["stop_sequences"] { stops = Check.stringArray(v, maxItems: 8191, at: root.appending("stop_sequences"), &e) ?? [] }
        if !e.isEmpty {
            // With `messages` present the legacy-completions branch of the service's schema
            // also fails, and the validator reports that first.
            let prefix = hasMessages ? "#: subject must not be valid against schema {\"required\":[\"messages\"]}" : ""
            throw .validation(ServiceMessages.malformed([prefix] + e.items))
        }
        // Conversation rules the Messages API itself enforces (passed through verbatim).
        if let first = turns.first, first.role != "user" {
            throw .validation("messages: first message must use the \"user\" role")
        }
        for i in 1..<max(1, turns.count) where turns[i].role == turns[i - 1].role {
            throw .validation(
                "messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"\(turns[i].role)\" roles in a row")
        }
        for (i, t) in turns.enumerated() {
            let isFinalAssistant = i == turns.count - 1 && t.role == "assistant"
            if !isFinalAssistant, t.texts.allSatisfy({ $0.isEmpty }) {
                throw .validation("messages.\(i): all messages must have non-empty content except for the optional final assistant message")
            }
            if isFinalAssistant, let last = t.texts.last, let ch = last.last, ch.isWhitespace {
                throw .validation("messages: final assistant content cannot end with trailing whitespace")
            }
        }
        let allTexts = systemTexts + turns.flatMap(\.texts)
        let inputTokens = allTexts.reduce(0) { $0 + TokenCounter.count($1) }
        if inputTokens > model.maxInputTokens { throw .validation(ServiceMessages.inputTooLong) }
        let lastUser = turns.last(where: { $0.role == "user" })?.texts.joined(separator: "\n") ?? ""
        let seedText = systemTexts.joined(separator: "\n") + "\u{1}" + turns.map { $0.role + ":" + $0.texts.joined(separator: "\n") }.joined(separator: "\u{1}")
        return PreparedRequest(
            family: .anthropicMessages, inputTokens: inputTokens,
            generation: GenerationRequest(modelId: model.modelId, promptKey: lastUser, seedText: seedText, maxTokens: maxTokens, stopSequences: stops),
            canonicalBody: JSONValue.object(obj).serialized())
    }

    /// A message `{role, content}`; content is a string or a non-empty array of blocks.
    static func anthropicMessage(_ v: JSONValue, at p: @autoclosure () -> Pointer, _ e: inout SchemaErrors) -> (role: String, texts: [String])? {
        guard let m = Check.object(v, at: p(), &e) else { return nil }
        let before = e.items.count
        Check.required(["role", "content"], in: m, at: p(), &e)
        Check.extraneous(allowed: ["role", "content"], in: m, at: p(), &e)
        var role = ""
        if let r = m["role"], let s = Check.string(r, at: p().appending("role"), &e) {
            if s == "user" || s == "assistant" { role = s } else { e.add(p().appending("role").text, "\(s) is not a valid enum value") }
        }
        var texts: [String] = []
        if let c = m["content"] { texts = anthropicTextOrBlocks(c, at: p().appending("content"), allowEmptyArray: false, &e) ?? [] }
        return e.items.count == before ? (role, texts) : nil
    }

    /// A string, or an array of content blocks; returns the text of each text block.
    static func anthropicTextOrBlocks(_ v: JSONValue, at p: @autoclosure () -> Pointer, allowEmptyArray: Bool, _ e: inout SchemaErrors) -> [String]? {
        switch v {
        case .string(let s): return [s]
        case .array(let blocks):
            if blocks.isEmpty && !allowEmptyArray {
                e.add(p().text, "expected type: String, found: JSONArray")
                e.add(p().text, "expected minimum item count: 1, found: 0")
                return nil
            }
            var texts: [String] = []
            let before = e.items.count
            for (i, b) in blocks.enumerated() {
                func bp() -> Pointer { p().appending(i) }
                guard let o = Check.object(b, at: bp(), &e) else { continue }
                Check.required(["type"], in: o, at: bp(), &e)
                guard let t = o["type"], let type = Check.string(t, at: bp().appending("type"), &e) else { continue }
                switch type {
                case "text":
                    Check.required(["text"], in: o, at: bp(), &e)
                    if let tv = o["text"], let s = Check.string(tv, at: bp().appending("text"), &e) { texts.append(s) }
                case "image", "document", "tool_use", "tool_result":
                    continue  // accepted; contributes no text
                default:
                    e.add(bp().appending("type").text, "\(type) is not a valid enum value")
                }
            }
            return e.items.count == before ? texts : nil
        default:
            e.add(p().text, "expected type: String, found: \(Check.typeName(v))")
            e.add(p().text, "expected type: JSONArray, found: \(Check.typeName(v))")
            return nil
        }
    }

    static func prepareTitan(_ model: FoundationModel, _ obj: JSONObject) throws(ModelInvocationError) -> PreparedRequest {
        var e = SchemaErrors()
        let root = Pointer.root
        Check.required(["inputText"], in: obj, at: root, &e)
        Check.extraneous(allowed: ["inputText", "textGenerationConfig", guardrailConfigKey], in: obj, at: root, &e)
        var input = ""
        if let v = obj["inputText"] { input = Check.string(v, at: root.appending("inputText"), &e) ?? "" }
        var maxTokens = model.defaultMaxTokens
        var stops: [String] = []
        if let v = obj["textGenerationConfig"], let cfg = Check.object(v, at: root.appending("textGenerationConfig"), &e) {
            func cp() -> Pointer { root.appending("textGenerationConfig") }
            Check.extraneous(allowed: ["maxTokenCount", "temperature", "topP", "stopSequences"], in: cfg, at: cp(), &e)
            if let m = cfg["maxTokenCount"] {
                maxTokens = Check.integer(m, min: 0, max: model.maxOutputTokens, at: cp().appending("maxTokenCount"), &e) ?? maxTokens
            }
            if let t = cfg["temperature"] { _ = Check.number(t, min: 0, max: 1, at: cp().appending("temperature"), &e) }
            if let t = cfg["topP"] { _ = Check.number(t, min: 0, max: 1, at: cp().appending("topP"), &e) }
            if let s = cfg["stopSequences"] { stops = Check.stringArray(s, at: cp().appending("stopSequences"), &e) ?? [] }
        }
        try e.throwIfAny()
        let n = TokenCounter.count(input)
        if n > model.maxInputTokens { throw .validation(ServiceMessages.titanTooManyInputTokens(max: model.maxInputTokens, count: n)) }
        return PreparedRequest(
            family: .titanText, inputTokens: n,
            generation: GenerationRequest(modelId: model.modelId, promptKey: titanPromptKey(input), seedText: input, maxTokens: maxTokens, stopSequences: stops),
            canonicalBody: [])
    }

    /// Titan prompts are often "User: ...\nBot:"; the key is the last user line block.
    /// (Character semantics: a marker counts only on Character boundaries; see UTF8Text.find.)
    static func titanPromptKey(_ input: String) -> String {
        let key = UTF8Text.withBytes(input) { p -> String? in
            var lo = 0, hi = p.count
            if let r = UTF8Text.find("User:", in: input, p, from: lo, to: hi, last: true) { lo = r.upperBound }
            if let r = UTF8Text.find("Bot:", in: input, p, from: lo, to: hi, last: true) { hi = r.lowerBound }
            return UTF8Text.trimmedASCII(p, lo..<hi, of: input) ?? String(decoding: UnsafeBufferPointer(rebasing: p[lo..<hi]), as: UTF8.self).trimmingSpaces()
        }
        return key ?? ""
    }

    static func prepareLlama(_ model: FoundationModel, _ obj: JSONObject) throws(ModelInvocationError) -> PreparedRequest {
        var e = SchemaErrors()
        let root = Pointer.root
        Check.required(["prompt"], in: obj, at: root, &e)
        Check.extraneous(allowed: ["prompt", "max_gen_len", "temperature", "top_p", guardrailConfigKey], in: obj, at: root, &e)
        var prompt = ""
        if let v = obj["prompt"] { prompt = Check.string(v, at: root.appending("prompt"), &e) ?? "" }
        var maxTokens = model.defaultMaxTokens
        if let v = obj["max_gen_len"] { maxTokens = Check.integer(v, min: 1, max: model.maxOutputTokens, at: root.appending("max_gen_len"), &e) ?? maxTokens }
        if let v = obj["temperature"] { _ = Check.number(v, min: 0, max: 1, at: root.appending("temperature"), &e) }
        if let v = obj["top_p"] { _ = Check.number(v, min: 0, max: 1, at: root.appending("top_p"), &e) }
        try e.throwIfAny()
        let n = TokenCounter.count(prompt)
        if n > model.maxInputTokens { throw .validation(ServiceMessages.llamaContext(model.maxInputTokens)) }
        return PreparedRequest(
            family: .llamaText, inputTokens: n,
            generation: GenerationRequest(modelId: model.modelId, promptKey: chatTemplatePromptKey(prompt), seedText: prompt, maxTokens: maxTokens, stopSequences: []),
            canonicalBody: [])
    }

    static func prepareMistral(_ model: FoundationModel, _ obj: JSONObject) throws(ModelInvocationError) -> PreparedRequest {
        var e = SchemaErrors()
        let root = Pointer.root
        Check.required(["prompt"], in: obj, at: root, &e)
        Check.extraneous(allowed: ["prompt", "max_tokens", "stop", "temperature", "top_p", "top_k", guardrailConfigKey], in: obj, at: root, &e)
        var prompt = ""
        if let v = obj["prompt"] { prompt = Check.string(v, at: root.appending("prompt"), &e) ?? "" }
        var maxTokens = model.defaultMaxTokens
        if let v = obj["max_tokens"] { maxTokens = Check.integer(v, min: 1, max: model.maxOutputTokens, at: root.appending("max_tokens"), &e) ?? maxTokens }
        var stops: [String] = []
        if let v = obj["stop"] { stops = Check.stringArray(v, maxItems: 10, at: root.appending("stop"), &e) ?? [] }
        if let v = obj["temperature"] { _ = Check.number(v, min: 0, max: 1, at: root.appending("temperature"), &e) }
        if let v = obj["top_p"] { _ = Check.number(v, min: 0, max: 1, at: root.appending("top_p"), &e) }
        if let v = obj["top_k"] { _ = Check.integer(v, min: 0, max: 200, at: root.appending("top_k"), &e) }
        try e.throwIfAny()
        let n = TokenCounter.count(prompt)
        if n > model.maxInputTokens { throw .validation(ServiceMessages.inputTooLong) }
        return PreparedRequest(
            family: .mistralText, inputTokens: n,
            generation: GenerationRequest(modelId: model.modelId, promptKey: chatTemplatePromptKey(prompt), seedText: prompt, maxTokens: maxTokens, stopSequences: stops),
            canonicalBody: [])
    }

    /// The last user turn of a Llama 3 (`<|start_header_id|>user<|end_header_id|>`) or
    /// `[INST] ... [/INST]` chat template; the whole prompt otherwise.
    static func chatTemplatePromptKey(_ prompt: String) -> String {
        let key = UTF8Text.withBytes(prompt) { p -> String? in
            let n = p.count
            func trimmed(_ r: Range<Int>) -> String {
                UTF8Text.trimmedASCII(p, r, of: prompt) ?? String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self).trimmingSpaces()
            }
            if let r = UTF8Text.find("<|start_header_id|>user<|end_header_id|>", in: prompt, p, from: 0, to: n, last: true) {
                let end = UTF8Text.find("<|eot_id|>", in: prompt, p, from: r.upperBound, to: n, last: false)?.lowerBound ?? n
                return trimmed(r.upperBound..<end)
            }
            if let r = UTF8Text.find("[INST]", in: prompt, p, from: 0, to: n, last: true) {
                let end = UTF8Text.find("[/INST]", in: prompt, p, from: r.upperBound, to: n, last: false)?.lowerBound ?? n
                return trimmed(r.upperBound..<end)
            }
            return nil
        }
        if let key { return key }
        var s = prompt
        s = removing("<s>", from: s)
        s = removing("</s>", from: s)
        s = removing("<|begin_of_text|>", from: s)
        return s.trimmingSpaces()
    }

    /// `TextGenerator.replace(s, marker, "")` on bytes.
    static func removing(_ marker: StaticString, from s: String) -> String {
        UTF8Text.withBytes(s) { p in
            var out: [UInt8] = []
            var from = 0
            while let r = UTF8Text.find(marker, in: s, p, from: from, to: p.count, last: false) {
                if out.isEmpty { out.reserveCapacity(p.count) }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[from..<r.lowerBound]))
                from = r.upperBound
            }
            if from == 0 { return s }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: p[from..<p.count]))
            return String(decoding: out, as: UTF8.self)
        }
    }

    // MARK: Responses

    static func responseBody(model: FoundationModel, req: PreparedRequest, gen: Generation) -> [UInt8] {
        // Written straight into one buffer, in each family's field order (what serializing the equivalent JSONValue
        // tree gives, byte for byte; the pinned answers check it), without building the tree on every call.
        var o: [UInt8] = []
        o.reserveCapacity(gen.text.utf8.count + 256)
        func raw(_ s: StaticString) { JSONValue.append(s, to: &o) }
        func string(_ s: String) { JSONValue.writeString(s, into: &o) }
        func integer(_ i: Int) { JSONValue.writeInteger(i, into: &o) }
        switch model.family {
        case .anthropicMessages:
            raw(#"{"id":"#); string(anthropicMessageId(model: model, req: req, gen: gen))
            raw(#","type":"message","role":"assistant","model":"#); string(model.nativeModelName)
            raw(#","content":[{"type":"text","text":"#); string(gen.text)
            raw(#"}],"stop_reason":"#); string(gen.stop.native(for: .anthropicMessages))
            raw(#","stop_sequence":"#)
            if let s = gen.matchedStopSequence { string(s) } else { raw("null") }
            raw(#","usage":{"input_tokens":"#); integer(req.inputTokens)
            raw(#","output_tokens":"#); integer(gen.outputTokens); raw("}}")
        case .titanText:
            raw(#"{"inputTextTokenCount":"#); integer(req.inputTokens)
            raw(#","results":[{"tokenCount":"#); integer(gen.outputTokens)
            raw(#","outputText":"#); string(gen.text)
            raw(#","completionReason":"#); string(gen.stop.native(for: .titanText)); raw("}]}")
        case .llamaText:
            raw(#"{"generation":"#); string(gen.text)
            raw(#","prompt_token_count":"#); integer(req.inputTokens)
            raw(#","generation_token_count":"#); integer(gen.outputTokens)
            raw(#","stop_reason":"#); string(gen.stop.native(for: .llamaText)); raw("}")
        case .mistralText:
            raw(#"{"outputs":[{"text":"#); string(gen.text)
            raw(#","stop_reason":"#); string(gen.stop.native(for: .mistralText)); raw("}]}")
        case .titanEmbedding:
            return Embeddings.response(req)
        }
        return o
    }

    static func anthropicMessageId(model: FoundationModel, req: PreparedRequest, gen: Generation) -> String {
        // StableHash.of(parts: [modelId, canonical body as text, text]) without copying the body.
        var h = StableHash.fnv1a(model.modelId, seed: StableHash.offset)
        h = StableHash.fnv1a(CollectionOfOne(0), seed: h)
        h = req.canonicalBody.withUnsafeBufferPointer { StableHash.fnv1a($0, seed: h) }
        h = StableHash.fnv1a(CollectionOfOne(0), seed: h)
        h = StableHash.fnv1a(gen.text, seed: h)
        h = StableHash.mix(StableHash.fnv1a(CollectionOfOne(0), seed: h))
        return "msg_bdrk_01" + Base58.string(seed: h, count: 22)
    }
}
