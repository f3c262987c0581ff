import Testing
@testable import ModelStandIns

let region = "us-east-1"

func model(_ id: String) throws -> FoundationModel {
    try #require(ModelCatalog.lookup(id, region: region))
}

var haiku: FoundationModel { get throws { try model("anthropic.claude-3-haiku-20240307-v1:0") } }
var sonnet35: FoundationModel { get throws { try model("anthropic.claude-3-5-sonnet-20240620-v1:0") } }
var titanExpress: FoundationModel { get throws { try model("amazon.titan-text-express-v1") } }
var titanLite: FoundationModel { get throws { try model("amazon.titan-text-lite-v1") } }
var titanEmbed: FoundationModel { get throws { try model("amazon.titan-embed-text-v2:0") } }
var llama8b: FoundationModel { get throws { try model("meta.llama3-8b-instruct-v1:0") } }
var mistral7b: FoundationModel { get throws { try model("mistral.mistral-7b-instruct-v0:2") } }

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func json(_ b: [UInt8]) throws -> JSONValue { try JSONValue.parse(b) }

func invoke(_ m: FoundationModel, _ body: String, adapter: TrainedAdapter? = nil) throws -> ModelOutput {
    try ModelStandIn.invoke(model: m, body: bytes(body), contentType: "application/json", accept: "application/json", adapter: adapter)
}

/// The ValidationException message for a body, or nil when it was accepted.
func validationMessage(_ m: FoundationModel, _ body: String) -> String? {
    do {
        _ = try ModelStandIn.invoke(model: m, body: bytes(body), contentType: "application/json", accept: "application/json")
        return nil
    } catch {
        return error.message
    }
}

func claudeBody(_ prompt: String, maxTokens: Int = 512, extra: String = "") -> String {
    let p = JSONValue.string(prompt).serializedString
    return #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":\#(maxTokens),"messages":[{"role":"user","content":\#(p)}]\#(extra)}"#
}

func malformed(_ errors: String) -> String {
    "Malformed input request: \(errors), please reformat your input and try again."
}

let claudeSchemaPrefix = #"#: subject must not be valid against schema {"required":["messages"]}"#

func cosine(_ a: [Double], _ b: [Double]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in 0..<min(a.count, b.count) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i] }
    return dot / (na.squareRoot() * nb.squareRoot())
}
