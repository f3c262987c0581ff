// CountTokens (POST /model/{modelId}/count-tokens) and a body-rewriting helper for
// guardrail outcomes.
//
// CountTokens request: {"input": {"invokeModel": {"body": "<base64 of a native body>"}}}
// or {"input": {"converse": {"messages": [...], "system": [...]}}}; response
// {"inputTokens": N}, the same count InvokeModel / Converse report for that input.

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

public enum CountTokens {
    /// The CountTokens response body for a CountTokens request body.
    public static func respond(model: FoundationModel, requestBody: [UInt8]) throws(ModelInvocationError) -> [UInt8] {
        let n = try count(model: model, requestBody: requestBody)
        return JSONValue.object(JSONObject([("inputTokens", .integer(n))])).serialized()
    }

    /// The input token count for a CountTokens request body.
    public static func count(model: FoundationModel, requestBody: [UInt8]) throws(ModelInvocationError) -> Int {
        let obj = try parseBodyObject(requestBody)
        guard obj["input"] != nil else {
            throw .validation(ConverseAdapter.coralError("input", .null, "Member must not be null"))
        }
        guard let input = obj["input"]?.objectValue, input.members.count == 1 else {
            throw .validation(ServiceMessages.malformedRequest)
        }
        if let inv = input["invokeModel"] {
            guard let b64 = inv["body"]?.stringValue, let data = Data(base64Encoded: b64) else {
                throw .validation(ServiceMessages.malformedRequest)
            }
            return try ModelStandIn.countTokens(model: model, body: Array(data))
        }
        if let conv = input["converse"] {
            return try ConverseAdapter.countTokens(model: model, converseBody: JSONValue.object(conv.objectValue ?? JSONObject()).serialized())
        }
        throw .validation(ServiceMessages.malformedRequest)
    }
}

extension ModelStandIn {
    /// A native response body with its generated text replaced (e.g. by a guardrail's
    /// blocked-output message) and, when given, `"amazon-bedrock-guardrailAction"` added
    /// ("INTERVENED" or "NONE"). Token counts and the stop reason are left as generated.
    /// Embedding bodies get only the action field.
    public static func rewritingText(family: ModelFamily, body: [UInt8], text: String?, guardrailAction: String?) throws(ModelInvocationError) -> [UInt8] {
        guard case .object(var o)? = try? JSONValue.parse(body) else { throw .validation(ServiceMessages.malformedRequest) }
        if let text {
            switch family {
            case .anthropicMessages:
                o["content"] = .array([.object(JSONObject([("type", "text"), ("text", .string(text))]))])
            case .titanText:
                if case .object(var r)? = o["results"]?.arrayValue?.first {
                    r["outputText"] = .string(text)
                    o["results"] = .array([.object(r)])
                }
            case .llamaText:
                o["generation"] = .string(text)
            case .mistralText:
                if case .object(var r)? = o["outputs"]?.arrayValue?.first {
                    r["text"] = .string(text)
                    o["outputs"] = .array([.object(r)])
                }
            case .titanEmbedding:
                break
            }
        }
        if let guardrailAction { o["amazon-bedrock-guardrailAction"] = .string(guardrailAction) }
        return JSONValue.object(o).serialized()
    }
}
