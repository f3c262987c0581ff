import Testing
@testable import ModelStandIns

@Suite struct EmbeddingTests {
    func embed(_ text: String, _ extra: String = "") throws -> (vector: [Double], body: JSONValue, out: ModelOutput) {
        let out = try invoke(titanEmbed, #"{"inputText":\#(JSONValue.string(text).serializedString)\#(extra)}"#)
        let v = try json(out.body)
        let vec = try #require(v["embedding"]?.arrayValue?.compactMap { $0.doubleValue })
        return (vec, v, out)
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func defaultShapeDimensionAndNormalisation() throws {
        let text = "Bedrock keeps prompts out of the provider's reach."
        let (vec, body, out) = try embed(text)
        #expect(body.objectValue?.keys == ["embedding", "inputTextTokenCount"])
        #expect(vec.count == 1024)
        #expect(abs(norm(vec) - 1) < 1e-6)
        #expect(body["inputTextTokenCount"] == .integer(TokenCounter.count(text)))
        #expect(out.inputTokens == TokenCounter.count(text))
        #expect(out.outputTokens == 0 && out.stopReason == nil && out.text.isEmpty)
    }

    @Test(arguments: [256, 512, 1024])
    func dimensions(_ d: Int) throws {
        let (vec, _, _) = try embed("hello world", #","dimensions":\#(d)"#)
        #expect(vec.count == d)
        #expect(abs(norm(vec) - 1) < 1e-6)
    }

    @Test func unnormalisedIsNotUnitLength() throws {
        let (vec, _, _) = try embed("A somewhat longer sentence with several different words in it.", #","normalize":false"#)
        #expect(abs(norm(vec) - 1) > 0.05)
    }

    @Test func deterministic() throws {
        let a = try invoke(titanEmbed, #"{"inputText":"same text","dimensions":512}"#)
        let b = try invoke(titanEmbed, #"{"inputText":"same text","dimensions":512}"#)
        #expect(a.body == b.body)
    }

    @Test func similarityFollowsOverlap() throws {
        let base = try embed("The cat sat quietly on the warm mat.").vector
        let paraphrase = try embed("the cat sat quietly on a warm mat").vector
        let related = try embed("A cat is sleeping on the mat.").vector
        let unrelated = try embed("Quarterly revenue grew in the semiconductor division.").vector
        #expect(abs(cosine(base, base) - 1) < 1e-9)
        #expect(cosine(base, paraphrase) > cosine(base, related))
        #expect(cosine(base, related) > cosine(base, unrelated))
        #expect(cosine(base, paraphrase) > 0.8)
        #expect(cosine(base, unrelated) < 0.3)
    }

    @Test func embeddingTypes() throws {
        let (vec, body, _) = try embed("binary please", #","dimensions":256,"embeddingTypes":["float","binary"]"#)
        #expect(body.objectValue?.keys == ["embedding", "embeddingsByType", "inputTextTokenCount"])
        let byType = try #require(body["embeddingsByType"])
        #expect(byType.objectValue?.keys == ["float", "binary"])
        #expect(byType["float"]?.arrayValue?.compactMap { $0.doubleValue } == vec)
        let bits = try #require(byType["binary"]?.arrayValue?.compactMap { $0.intValue })
        #expect(bits == vec.map { $0 > 0 ? 1 : 0 })
    }

    @Test(arguments: [
        ("{}", malformed("#: required key [inputText] not found")),
        (#"{"inputText":"hi","dimensions":100}"#, malformed("#/dimensions: 100 is not a valid enum value")),
        (#"{"inputText":"hi","dimensions":"512"}"#, malformed("#/dimensions: 512 is not a valid enum value")),
        (#"{"inputText":""}"#, malformed("#/inputText: expected minLength: 1, actual: 0")),
        (#"{"inputText":"hi","normalize":"yes"}"#, malformed("#/normalize: expected type: Boolean, found: String")),
        (#"{"inputText":"hi","embeddingTypes":["int8"]}"#, malformed("#/embeddingTypes/0: int8 is not a valid enum value")),
        (#"{"inputText":"hi","embeddingTypes":[]}"#, malformed("#/embeddingTypes: expected minimum item count: 1, found: 0")),
        (#"{"texts":["hi"],"input_type":"search_document"}"#,
         malformed("#: required key [inputText] not found#: extraneous key [texts] is not permitted#: extraneous key [input_type] is not permitted")),
    ])
    func validation(_ body: String, _ expected: String) throws {
        #expect(validationMessage(try titanEmbed, body) == expected)
    }

    @Test func tooManyTokens() throws {
        let long = String(repeating: "x ", count: 8193)
        #expect(validationMessage(try titanEmbed, #"{"inputText":"\#(long)"}"#)
            == "400 Bad Request: Too many input tokens. Max input tokens: 8192, request input token count: 8193 ")
    }

    @Test func noStreamingNoConverse() throws {
        let m = try titanEmbed
        #expect(throws: ModelInvocationError.validation("The model is unsupported for streaming.")) {
            try ModelStandIn.stream(model: m, body: bytes(#"{"inputText":"hi"}"#), contentType: nil, accept: nil)
        }
        #expect(throws: ModelInvocationError.validation(
            "This action doesn't support the model that you provided. Try again with a supported text or chat model.")) {
            try ConverseAdapter.converse(model: m, body: bytes(#"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#))
        }
    }
}
