// Guardrails on InvokeModel: a gate that assesses the prompt before any model host sees it, and a response filter
// that assesses the completion before it is sealed back. The guardrail is named by the X-Amzn-Bedrock-
// GuardrailIdentifier / X-Amzn-Bedrock-GuardrailVersion headers and looked up in the caller's account. As on the
// real service, an intervention keeps HTTP 200: the text becomes the blocked messaging (or the anonymized text) in
// the model's native body, with "amazon-bedrock-guardrailAction" and, when X-Amzn-Bedrock-Trace is ENABLED or
// ENABLED_FULL, "amazon-bedrock-trace": {"guardrail": {"input": {ID: assessment}, "outputs": [{ID: assessment}]}}.
// Selective input tags: "amazon-bedrock-guardrailConfig": {"tagSuffix": S} in the body marks
// <amazon-bedrock-guardrails-guardContent_S>…</amazon-bedrock-guardrails-guardContent_S> spans as the only
// guarded input; the config member and the tags are removed before the body reaches the model.
// Trace records carry the guardrail id, the action and the policy types that acted, never the matched text.
import Envelope
import FoundationEssentials
import Guardrails
import ModelStandIns
import NodeRuntime
import RoleKit
import SimCrypto

typealias NativeJSON = ModelStandIns.JSONValue

/// Reading and rewriting the prompt and completion text of model-native bodies.
enum NativeText {
    /// Applies `f` to every prompt string of a native request body, in document order.
    static func mapPrompt(_ body: inout JSONObject, family: ModelFamily, _ f: (String) -> String) {
        func blocks(_ v: NativeJSON) -> NativeJSON {
            switch v {
            case .string(let s): return .string(f(s))
            case .array(let items):
                return .array(items.map { item in
                    guard case .object(var o) = item, o["type"]?.stringValue == "text", let t = o["text"]?.stringValue else { return item }
                    o["text"] = .string(f(t))
                    return .object(o)
                })
            default: return v
            }
        }
        switch family {
        case .anthropicMessages:
            if let s = body["system"] { body["system"] = blocks(s) }
            if case .array(let messages)? = body["messages"] {
                body["messages"] = .array(messages.map { m in
                    guard case .object(var o) = m, let c = o["content"] else { return m }
                    o["content"] = blocks(c)
                    return .object(o)
                })
            }
        case .titanText, .titanEmbedding:
            if let s = body["inputText"]?.stringValue { body["inputText"] = .string(f(s)) }
        case .llamaText, .mistralText:
            if let s = body["prompt"]?.stringValue { body["prompt"] = .string(f(s)) }
        }
    }

    /// The generated text of a native response body.
    static func completion(_ body: JSONObject, family: ModelFamily) -> String? {
        switch family {
        case .anthropicMessages:
            guard case .array(let c)? = body["content"] else { return nil }
            return c.compactMap { $0["type"]?.stringValue == "text" ? $0["text"]?.stringValue : nil }.joined()
        case .titanText: return body["results"]?.arrayValue?.compactMap { $0["outputText"]?.stringValue }.joined()
        case .llamaText: return body["generation"]?.stringValue
        case .mistralText: return body["outputs"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined()
        case .titanEmbedding: return nil
        }
    }

    /// A native response body that carries only `text` (a prompt blocked before any model ran).
    static func blockedResponse(model: FoundationModel, text: String) -> [UInt8] {
        let template: JSONObject
        switch model.family {
        case .anthropicMessages:
            template = JSONObject([("id", .string("msg_bdrk_" + SimIds.hex(SecureRandom.bytes(12)))), ("type", "message"), ("role", "assistant"),
                                   ("model", .string(model.nativeModelName)), ("content", .array([])), ("stop_reason", "end_turn"),
                                   ("stop_sequence", nil), ("usage", .object(JSONObject([("input_tokens", 0), ("output_tokens", 0)])))])
        case .titanText:
            template = JSONObject([("inputTextTokenCount", 0), ("results", .array([.object(JSONObject([
                ("tokenCount", 0), ("outputText", ""), ("completionReason", "FINISH")]))]))])
        case .llamaText:
            template = JSONObject([("generation", ""), ("prompt_token_count", 0), ("generation_token_count", 0), ("stop_reason", "stop")])
        case .mistralText:
            template = JSONObject([("outputs", .array([.object(JSONObject([("text", ""), ("stop_reason", "stop")]))]))])
        case .titanEmbedding:
            template = JSONObject([("embedding", .array([])), ("inputTextTokenCount", 0)])
        }
        let body = NativeJSON.object(template).serialized()
        return (try? ModelStandIn.rewritingText(family: model.family, body: body, text: text, guardrailAction: "INTERVENED")) ?? body
    }

    /// Splits `text` into untagged and tagged (guard_content) parts for tag suffix `suffix`.
    static func tagged(_ text: String, suffix: String) -> [(text: String, tagged: Bool)] {
        let open = "<amazon-bedrock-guardrails-guardContent_\(suffix)>", close = "</amazon-bedrock-guardrails-guardContent_\(suffix)>"
        var parts: [(String, Bool)] = []
        var rest = Substring(text)
        while let o = rest.firstRange(of: open) {
            if o.lowerBound > rest.startIndex { parts.append((String(rest[..<o.lowerBound]), false)) }
            let after = rest[o.upperBound...]
            if let c = after.firstRange(of: close) {
                parts.append((String(after[..<c.lowerBound]), true))
                rest = after[c.upperBound...]
            } else {
                parts.append((String(after), true))   // an unclosed tag guards the rest of the string
                rest = ""
            }
        }
        if !rest.isEmpty || parts.isEmpty { parts.append((String(rest), false)) }
        return parts
    }
}

enum GuardrailOutcome {
    static func blocked(_ a: GuardrailAssessment) -> Bool {
        (a.topicPolicy?.topics.contains { $0.action == .blocked } ?? false)
            || (a.contentPolicy?.filters.contains { $0.action == .blocked } ?? false)
            || (a.wordPolicy.map { $0.customWords.contains { $0.action == .blocked } || $0.managedWordLists.contains { $0.action == .blocked } } ?? false)
            || (a.sensitiveInformationPolicy.map { $0.piiEntities.contains { $0.action == .blocked } || $0.regexes.contains { $0.action == .blocked } } ?? false)
            || (a.contextualGroundingPolicy?.filters.contains { $0.action == .blocked } ?? false)
    }

    /// Which policies acted, by type only (no matched text): e.g. "contentPolicy INSULTS=BLOCKED, sensitiveInformationPolicy EMAIL=ANONYMIZED".
    static func summary(_ a: GuardrailAssessment) -> String {
        var parts: [String] = []
        if let t = a.topicPolicy { let x = t.topics.filter(\.detected).map { "\($0.name)=\($0.action.rawValue)" }; if !x.isEmpty { parts.append("topicPolicy " + x.joined(separator: " ")) } }
        if let c = a.contentPolicy { let x = c.filters.filter(\.detected).map { "\($0.type)=\($0.action.rawValue)" }; if !x.isEmpty { parts.append("contentPolicy " + x.joined(separator: " ")) } }
        if let w = a.wordPolicy {
            let n = w.customWords.count + w.managedWordLists.count
            if n > 0 { parts.append("wordPolicy \(w.customWords.count) custom, \(w.managedWordLists.count) profanity") }
        }
        if let s = a.sensitiveInformationPolicy {
            let x = Set(s.piiEntities.filter(\.detected).map { "\($0.type)=\($0.action.rawValue)" } + s.regexes.filter(\.detected).map { "\($0.name)=\($0.action.rawValue)" }).sorted()
            if !x.isEmpty { parts.append("sensitiveInformationPolicy " + x.joined(separator: " ")) }
        }
        if let g = a.contextualGroundingPolicy { let x = g.filters.filter(\.detected).map { "\($0.type)=\($0.action.rawValue)" }; if !x.isEmpty { parts.append("contextualGroundingPolicy " + x.joined(separator: " ")) } }
        return parts.isEmpty ? "nothing detected" : parts.joined(separator: ", ")
    }

    static func assessmentJSON(_ a: GuardrailAssessment) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? enc.encode(a)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Adds "amazon-bedrock-trace": {"guardrail": {"input": {ID: …}, "outputs": [{ID: …}]}} to a native body.
    static func addTrace(_ body: [UInt8], id: String, input: String?, output: String?) -> [UInt8] {
        guard case .object(var o)? = try? NativeJSON.parse(body) else { return body }
        var guardrail = JSONObject()
        if let input, let v = try? NativeJSON.parse(input) { guardrail["input"] = .object(JSONObject([(id, v)])) }
        if let output, let v = try? NativeJSON.parse(output) { guardrail["outputs"] = .array([.object(JSONObject([(id, v)]))]) }
        o["amazon-bedrock-trace"] = .object(JSONObject([("guardrail", .object(guardrail))]))
        return NativeJSON.object(o).serialized()
    }
}

/// Assesses an InvokeModel prompt with the caller's guardrail before routing.
public struct GuardrailInputGate: FrontendGate {
    public let name = "guardrail-input"
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }

    /// What a Converse call naming a guardrail in its body gets: not simulated yet, and a security simulator must
    /// not answer unfiltered a call that asked for a guardrail (the IAM gate has authorized ApplyGuardrail on it).
    static let converseGuardrailRefusal = BedrockError.validation(
        "Guardrails named in a Converse guardrailConfig are not simulated yet: name the guardrail with InvokeModel's "
            + "X-Amzn-Bedrock-GuardrailIdentifier and X-Amzn-Bedrock-GuardrailVersion headers.")

    public func evaluate(_ call: inout FrontendCall, node: Node) -> GateDecision {
        if call.converseGuardrailConfig != nil {
            return .deny(GuardrailInputGate.converseGuardrailRefusal,
                         reason: "guardrailConfig on Converse is not simulated: refused rather than answered unfiltered")
        }
        guard call.runtimeOperation == .invokeModel || call.runtimeOperation == .invokeModelWithResponseStream,
              let identifier = call.request.header("X-Amzn-Bedrock-GuardrailIdentifier") else {
            return .pass(reason: "no guardrail on this call")
        }
        guard let version = call.request.header("X-Amzn-Bedrock-GuardrailVersion") else {
            return .deny(.validation("Guardrail version is required when a guardrail identifier is provided."), reason: "guardrail version missing")
        }
        guard GuardrailStore.isVersion(version) else {
            return .deny(GuardrailAPI.patternError(version, "guardrailVersion", GuardrailStore.versionPattern), reason: "malformed guardrail version")
        }
        guard identifier.utf8.count <= 2048, GuardrailStore.parseIdentifier(identifier) != nil else {
            return .deny(GuardrailAPI.patternError(identifier, "guardrailIdentifier", GuardrailStore.identifierPattern), reason: "malformed guardrail identifier")
        }
        call.auditParameters["guardrailIdentifier"] = .string(identifier)
        call.auditParameters["guardrailVersion"] = .string(version)
        let notFound = BedrockError.resourceNotFound("The guardrail identifier or version provided in the request does not exist.")
        guard let g = store.find(identifier, account: call.callerAccount) else {
            return .deny(notFound, reason: "no guardrail \(identifier) in account \(call.callerAccount)")
        }
        let engine: GuardrailEngine?
        do { engine = try store.engine(g, version: version) } catch {
            return .deny(.internalFailure("The guardrail configuration is unreadable."), reason: "stored guardrail \(g.id) unreadable")
        }
        guard let engine else { return .deny(notFound, reason: "guardrail \(g.id) has no version \(version)") }
        guard let model = ModelCatalog.lookup(call.modelId, region: node.manifest.region) else { return .pass(reason: "unknown model") }
        guard !model.family.isEmbedding else {
            return .deny(.validation("Guardrails are not supported for the model \(model.modelId)."), reason: "guardrail on an embedding model")
        }
        guard case .object(var body)? = try? NativeJSON.parse(call.request.body) else {
            return .pass(reason: "body is not JSON; the model host will refuse it")   // the model's own validation answers
        }
        var suffix: String?
        var modified = false
        if let gc = body["amazon-bedrock-guardrailConfig"] {
            body["amazon-bedrock-guardrailConfig"] = nil
            modified = true
            if let s = gc["tagSuffix"] {
                guard let t = s.stringValue, (1...20).contains(t.count), t.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                    return .deny(.validation("1 validation error detected: Value at 'amazon-bedrock-guardrailConfig.tagSuffix' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9]{1,20}"),
                                 reason: "malformed tag suffix")
                }
                suffix = t
            }
        }
        // One content block per prompt string (or per tagged / untagged part of it).
        var blocks: [GuardrailContentBlock] = []
        var partsPerString: [[(text: String, tagged: Bool)]] = []
        NativeText.mapPrompt(&body, family: model.family) { s in
            let parts = suffix.map { NativeText.tagged(s, suffix: $0) } ?? [(s, false)]
            partsPerString.append(parts)
            for p in parts { blocks.append(GuardrailContentBlock(text: p.text, qualifiers: p.tagged ? [.guardContent] : [])) }
            return s
        }
        let traceMode = call.request.header("X-Amzn-Bedrock-Trace")?.uppercased() ?? "DISABLED"
        let result = engine.assess(source: .input, content: blocks, outputScope: traceMode == "ENABLED_FULL" ? .full : .interventions)
        guard let assessment = result.assessments.first else { return .pass(reason: "guardrail returned no assessment") }
        let tag = "guardrail \(g.id):\(version)"
        call.attributes["guardrailId"] = g.id
        call.attributes["guardrailVersion"] = version
        call.attributes["guardrailTrace"] = traceMode
        if traceMode == "ENABLED" || traceMode == "ENABLED_FULL" { call.attributes["guardrailInputAssessment"] = GuardrailOutcome.assessmentJSON(assessment) }
        if result.action == .guardrailIntervened && GuardrailOutcome.blocked(assessment) {
            let message = engine.configuration.blockedInputMessaging
            var out = NativeText.blockedResponse(model: model, text: message)
            if let a = call.attributes["guardrailInputAssessment"] { out = GuardrailOutcome.addTrace(out, id: g.id, input: a, output: nil) }
            let response = HTTPResponse(status: 200, headers: [HTTPHeader("Content-Type", "application/json")], body: out)
            return .respond(response, reason: "\(tag) blocked the input before routing: \(GuardrailOutcome.summary(assessment))")
        }
        if result.action == .guardrailIntervened {
            // Masked input: the model sees the anonymized text of every guarded part.
            call.attributes["guardrailInputAction"] = "INTERVENED"
            var masked = result.outputs.map(\.text)[...]
            var k = 0
            NativeText.mapPrompt(&body, family: model.family) { s in
                defer { k += 1 }
                guard k < partsPerString.count else { return s }
                let anyTagged = blocks.contains { $0.qualifiers.contains(.guardContent) }
                return partsPerString[k].map { p in
                    let guarded = anyTagged ? p.tagged : true
                    return guarded ? (masked.popFirst() ?? p.text) : p.text
                }.joined()
            }
            modified = true
        } else if suffix != nil {
            // Tags are guardrail markup, not prompt: strip them before the model sees the text.
            var k = 0
            NativeText.mapPrompt(&body, family: model.family) { s in
                defer { k += 1 }
                return k < partsPerString.count ? partsPerString[k].map(\.text).joined() : s
            }
        }
        if modified || suffix != nil { call.request.body = NativeJSON.object(body).serialized() }
        return .pass(reason: "\(tag) input \(result.action == .guardrailIntervened ? "anonymized" : "passed"): \(GuardrailOutcome.summary(assessment))")
    }
}

/// Assesses the completion of an InvokeModel call that named a guardrail.
public struct GuardrailOutputFilter: ResponseFilter {
    public let name = "guardrail-output"
    let store: GuardrailStore
    public init(store: GuardrailStore) { self.store = store }

    public func filter(_ call: FrontendCall, response: inout HTTPResponse, node: Node) -> (decision: String, reason: String)? {
        guard let id = call.attributes["guardrailId"], let version = call.attributes["guardrailVersion"], response.status == 200,
              let g = store.find(id, account: call.callerAccount), let engine = try? store.engine(g, version: version),
              let model = ModelCatalog.lookup(call.modelId, region: node.manifest.region),
              case .object(let body)? = try? NativeJSON.parse(response.body),
              let text = NativeText.completion(body, family: model.family) else { return nil }
        let traceMode = call.attributes["guardrailTrace"] ?? "DISABLED"
        let result = engine.assess(source: .output, content: [GuardrailContentBlock(text: text)],
                                   outputScope: traceMode == "ENABLED_FULL" ? .full : .interventions)
        guard let assessment = result.assessments.first else { return nil }
        let blocked = result.action == .guardrailIntervened && GuardrailOutcome.blocked(assessment)
        let replacement: String? = blocked ? engine.configuration.blockedOutputsMessaging
            : result.action == .guardrailIntervened ? result.outputs.map(\.text).joined() : nil
        let intervened = result.action == .guardrailIntervened || call.attributes["guardrailInputAction"] == "INTERVENED"
        guard var out = try? ModelStandIn.rewritingText(family: model.family, body: response.body, text: replacement,
                                                        guardrailAction: intervened ? "INTERVENED" : "NONE") else { return nil }
        if traceMode == "ENABLED" || traceMode == "ENABLED_FULL" {
            out = GuardrailOutcome.addTrace(out, id: g.id, input: call.attributes["guardrailInputAssessment"],
                                            output: GuardrailOutcome.assessmentJSON(assessment))
        }
        response.body = out
        let what = blocked ? "blocked the output" : result.action == .guardrailIntervened ? "anonymized the output" : "passed the output"
        return (blocked ? "intervene" : result.action == .guardrailIntervened ? "mask" : "allow",
                "guardrail \(g.id):\(version) \(what): \(GuardrailOutcome.summary(assessment))")
    }
}
