// What the front end does to serve Converse, ConverseStream, CountTokens and InvokeModelWithResponseStream on top of
// the model hosts' model-native invocations: Converse bodies become native requests (ConverseAdapter), native
// answers become Converse answers, native stream chunks become `chunk` events or ConverseStream events, and a
// guardrail that stops a stream gets its blocked messaging in the stream's own shape.
import EventStream
import ModelStandIns

typealias NJSON = ModelStandIns.JSONValue
typealias NObject = ModelStandIns.JSONObject

public enum RuntimeTranslation {
    static func model(_ id: String, region: String) -> FoundationModel? { ModelCatalog.lookup(id, region: region) }

    /// The native InvokeModel body for a Converse / ConverseStream body.
    static func converseToNative(modelId: String, region: String, body: [UInt8]) -> Result<[UInt8], BedrockError> {
        guard let m = model(modelId, region: region) else { return .failure(.invalidModelIdentifier) }
        do { return .success(try ConverseAdapter.nativeRequest(model: m, converseBody: body)) } catch {
            return .failure(.validation(error.message))
        }
    }

    /// The CountTokens answer, computed at the front end (no model host needed).
    static func countTokens(modelId: String, region: String, body: [UInt8]) -> Result<[UInt8], BedrockError> {
        guard let m = model(modelId, region: region) else { return .failure(.invalidModelIdentifier) }
        do { return .success(try CountTokens.respond(model: m, requestBody: body)) } catch {
            return .failure(.validation(error.message))
        }
    }

    /// The generated text of a native answer ("" when it has none).
    static func completionText(_ body: [UInt8], modelId: String, region: String) -> String {
        guard let m = model(modelId, region: region), let r = try? ConverseAdapter.nativeResult(family: m.family, body: body) else { return "" }
        return r.text
    }

    static func converseStopReason(_ native: String?) -> String {
        switch native {
        case "max_tokens", "LENGTH", "length": return "max_tokens"
        case "stop_sequence", "STOP_CRITERIA_MET": return "stop_sequence"
        case "GUARDRAIL_INTERVENED", "guardrail_intervened": return "guardrail_intervened"
        default: return "end_turn"
        }
    }

    /// The Converse answer for a native InvokeModel answer.
    static func converseResponse(modelId: String, region: String, nativeBody: [UInt8], inputTokens: Int, outputTokens: Int, latencyMs: Int) -> Result<[UInt8], BedrockError> {
        guard let m = model(modelId, region: region) else { return .failure(.invalidModelIdentifier) }
        let result: (text: String, stopReason: StopReason)
        do { result = try ConverseAdapter.nativeResult(family: m.family, body: nativeBody) } catch { return .failure(.validation(error.message)) }
        var stop = result.stopReason.rawValue
        if case .object(let o)? = try? NJSON.parse(nativeBody), o["amazon-bedrock-guardrailAction"]?.stringValue == "INTERVENED" {
            stop = "guardrail_intervened"
        }
        let v: NJSON = .object(NObject([
            ("output", .object(NObject([("message", .object(NObject([
                ("role", "assistant"), ("content", .array([.object(NObject([("text", .string(result.text))]))])),
            ])))]))),
            ("stopReason", .string(stop)),
            ("usage", .object(NObject([("inputTokens", .integer(inputTokens)), ("outputTokens", .integer(outputTokens)),
                                       ("totalTokens", .integer(inputTokens + outputTokens))]))),
            ("metrics", .object(NObject([("latencyMs", .integer(latencyMs))]))),
        ]))
        return .success(v.serialized())
    }
}

/// Turns the native chunks of one streamed invocation into event-stream bytes, as they arrive.
final class StreamTranslator {
    let family: ModelFamily?
    let converse: Bool
    private(set) var text = ""
    private(set) var nativeStop: String?
    private(set) var inputTokens = 0
    private(set) var outputTokens = 0
    private var started = false
    private var paddingSeed = 0

    init(modelId: String, region: String, converse: Bool) {
        family = ModelCatalog.lookup(modelId, region: region)?.family
        self.converse = converse
    }

    /// Bedrock pads each event with a field of varying length against length side channels.
    private func padding() -> String {
        paddingSeed = (paddingSeed &* 1_103_515_245 &+ 12_345) & 0x7fff_ffff
        return BedrockEvents.padding(length: 1 + paddingSeed % 40)
    }

    static func encode(_ m: EventStreamMessage) -> [UInt8] { (try? m.encoded()) ?? [] }

    /// The event bytes for one native chunk, and the text it carries (what a guardrail window accumulates).
    func events(forNative chunk: [UInt8]) -> (bytes: [UInt8], text: String) {
        let piece = read(chunk)
        if !converse { return (StreamTranslator.encode(BedrockEvents.chunk(chunk, padding: padding())), piece) }
        var out: [UInt8] = []
        if !started {
            started = true
            out += StreamTranslator.encode(BedrockEvents.messageStart(padding: padding()))
        }
        if !piece.isEmpty { out += StreamTranslator.encode(BedrockEvents.contentBlockDelta(text: piece, padding: padding())) }
        return (out, piece)
    }

    /// What ends a ConverseStream: contentBlockStop, messageStop, metadata (nothing for InvokeModelWithResponseStream,
    /// whose last native chunk already carries the invocation metrics).
    func closingEvents(latencyMs: Int, stopReason: String? = nil) -> [UInt8] {
        guard converse else { return [] }
        var out: [UInt8] = []
        if !started { started = true; out += StreamTranslator.encode(BedrockEvents.messageStart(padding: padding())) }
        out += StreamTranslator.encode(BedrockEvents.contentBlockStop(padding: padding()))
        out += StreamTranslator.encode(BedrockEvents.messageStop(stopReason: stopReason ?? RuntimeTranslation.converseStopReason(nativeStop), padding: padding()))
        out += StreamTranslator.encode(BedrockEvents.metadata(inputTokens: inputTokens, outputTokens: outputTokens, latencyMs: latencyMs, padding: padding()))
        return out
    }

    /// The guardrail's blocked messaging as the last events of the stream, in the stream's own shape.
    func blockedEvents(message: String, latencyMs: Int) -> [UInt8] {
        if converse {
            var out: [UInt8] = []
            if !started { started = true; out += StreamTranslator.encode(BedrockEvents.messageStart(padding: padding())) }
            out += StreamTranslator.encode(BedrockEvents.contentBlockDelta(text: message, padding: padding()))
            return out + closingEvents(latencyMs: latencyMs, stopReason: "guardrail_intervened")
        }
        let action: (String, NJSON) = ("amazon-bedrock-guardrailAction", "INTERVENED")
        var natives: [NJSON] = []
        switch family {
        case .anthropicMessages?:
            natives = [
                .object(NObject([("type", "content_block_delta"), ("index", 0),
                                 ("delta", .object(NObject([("type", "text_delta"), ("text", .string(message))])))])),
                .object(NObject([("type", "content_block_stop"), ("index", 0)])),
                .object(NObject([("type", "message_delta"), ("delta", .object(NObject([("stop_reason", "end_turn"), ("stop_sequence", nil)]))),
                                 ("usage", .object(NObject([("output_tokens", .integer(outputTokens))])))])),
                .object(NObject([("type", "message_stop"), action])),
            ]
        case .titanText?:
            natives = [.object(NObject([("outputText", .string(message)), ("index", 0), ("totalOutputTextTokenCount", .integer(outputTokens)),
                                        ("completionReason", "FINISH"), action]))]
        case .llamaText?:
            natives = [.object(NObject([("generation", .string(message)), ("generation_token_count", .integer(outputTokens)),
                                        ("stop_reason", "stop"), action]))]
        default:
            natives = [.object(NObject([("outputs", .array([.object(NObject([("text", .string(message)), ("stop_reason", "stop")]))])), action]))]
        }
        return natives.flatMap { StreamTranslator.encode(BedrockEvents.chunk($0.serialized(), padding: padding())) }
    }

    /// Reads the text, stop reason and token counts from a native chunk.
    private func read(_ chunk: [UInt8]) -> String {
        guard case .object(let o)? = try? NJSON.parse(chunk) else { return "" }
        if let m = o["amazon-bedrock-invocationMetrics"] {
            if let i = m["inputTokenCount"]?.intValue { inputTokens = i }
            if let n = m["outputTokenCount"]?.intValue { outputTokens = n }
        }
        var piece = ""
        switch family {
        case .anthropicMessages?:
            switch o["type"]?.stringValue {
            case "content_block_delta": piece = o["delta"]?["text"]?.stringValue ?? ""
            case "message_delta": if let s = o["delta"]?["stop_reason"]?.stringValue { nativeStop = s }
            case "message_start": if let i = o["message"]?["usage"]?["input_tokens"]?.intValue { inputTokens = i }
            default: break
            }
        case .titanText?:
            piece = o["outputText"]?.stringValue ?? ""
            if let s = o["completionReason"]?.stringValue { nativeStop = s }
        case .llamaText?:
            piece = o["generation"]?.stringValue ?? ""
            if let s = o["stop_reason"]?.stringValue { nativeStop = s }
        case .mistralText?:
            let first = o["outputs"]?.arrayValue?.first
            piece = first?["text"]?.stringValue ?? ""
            if let s = first?["stop_reason"]?.stringValue { nativeStop = s }
        default: break
        }
        text += piece
        return piece
    }
}
