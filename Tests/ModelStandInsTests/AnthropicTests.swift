import Testing
@testable import ModelStandIns

@Suite struct AnthropicTests {
    let prompt = "Explain envelope encryption with KMS data keys in a few sentences."

    @Test func responseShapeAndUsage() throws {
        let out = try invoke(haiku, claudeBody(prompt))
        let v = try json(out.body)
        #expect(v.objectValue?.keys == ["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"])
        let id = try #require(v["id"]?.stringValue)
        #expect(id.hasPrefix("msg_bdrk_01") && id.count == 33)
        #expect(v["type"] == "message")
        #expect(v["role"] == "assistant")
        #expect(v["model"] == "claude-3-haiku-20240307")
        #expect(v["stop_reason"] == "end_turn")
        #expect(v["stop_sequence"] == .null)
        let block = try #require(v["content"]?.arrayValue?.first)
        #expect(block.objectValue?.keys == ["type", "text"])
        #expect(block["type"] == "text")
        let text = try #require(block["text"]?.stringValue)
        #expect(text == out.text)
        #expect(!text.isEmpty)
        #expect(text.contains("envelope") || text.contains("encryption") || text.contains("KMS"))
        #expect(v["usage"]?.objectValue?.keys == ["input_tokens", "output_tokens"])
        #expect(v["usage"]?["input_tokens"] == .integer(TokenCounter.count(prompt)))
        #expect(v["usage"]?["output_tokens"] == .integer(TokenCounter.count(text)))
        #expect(out.inputTokens == TokenCounter.count(prompt))
        #expect(out.outputTokens == TokenCounter.count(text))
        #expect(out.stopReason == .endTurn)
        #expect(out.contentType == "application/json")
    }

    @Test func deterministic() throws {
        let a = try invoke(haiku, claudeBody(prompt))
        let b = try invoke(haiku, claudeBody(prompt))
        #expect(a.body == b.body)
        #expect(a == b)
        #expect(try invoke(haiku, claudeBody(prompt + " Please")).body != a.body)
        #expect(try invoke(sonnet35, claudeBody(prompt)).text != a.text)
    }

    @Test func inputTokensCountSystemAndEveryTextBlock() throws {
        let body = #"""
        {"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"system":"You are terse.",
         "messages":[{"role":"user","content":[{"type":"text","text":"First question here."},{"type":"text","text":"And more."}]},
                     {"role":"assistant","content":"An answer."},
                     {"role":"user","content":"Second question?"}]}
        """#
        let out = try invoke(haiku, body)
        let expected = ["You are terse.", "First question here.", "And more.", "An answer.", "Second question?"]
            .map(TokenCounter.count).reduce(0, +)
        #expect(out.inputTokens == expected)
        #expect(try ModelStandIn.countTokens(model: haiku, body: bytes(body)) == expected)
        #expect(try json(out.body)["usage"]?["input_tokens"] == .integer(expected))
    }

    @Test func maxTokensCapsOutput() throws {
        let full = try invoke(haiku, claudeBody(prompt)).text
        let capped = try invoke(haiku, claudeBody(prompt, maxTokens: 5))
        #expect(capped.outputTokens == 5)
        #expect(capped.stopReason == .maxTokens)
        #expect(capped.text == TokenCounter.pieces(full).prefix(5).joined())
        let v = try json(capped.body)
        #expect(v["stop_reason"] == "max_tokens")
        #expect(v["usage"]?["output_tokens"] == 5)
        // A cap above the natural length changes nothing.
        #expect(try invoke(haiku, claudeBody(prompt, maxTokens: 4096)).text == full)
    }

    @Test func stopSequenceEndsGeneration() throws {
        let full = try invoke(haiku, claudeBody(prompt)).text
        let words = full.split(separator: " ").map(String.init)
        let stopWord = words[words.count / 2]
        let expectedText = String(full[..<(try #require(full.firstRange(of: stopWord))).lowerBound])
        let out = try invoke(haiku, claudeBody(prompt, extra: #","stop_sequences":["\#(stopWord)","zzzz-never"]"#))
        #expect(out.stopReason == .stopSequence)
        #expect(out.text == expectedText)
        let v = try json(out.body)
        #expect(v["stop_reason"] == "stop_sequence")
        #expect(v["stop_sequence"] == .string(stopWord))
        #expect(v["usage"]?["output_tokens"] == .integer(TokenCounter.count(expectedText)))
        // A cap that falls before the stop sequence wins.
        let capped = try invoke(haiku, claudeBody(prompt, maxTokens: 2, extra: #","stop_sequences":["\#(stopWord)"]"#))
        #expect(capped.stopReason == .maxTokens)
    }

    @Test func finalAssistantPrefillIsAccepted() throws {
        let body = #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"Name a colour."},{"role":"assistant","content":"The colour is"}]}"#
        let out = try invoke(haiku, body)
        #expect(out.outputTokens > 0)
    }

    @Test func bodyNotJSONOrNotAnObject() throws {
        for body in ["hello", "[1,2]", "", #"{"a":1"#, "\"text\""] {
            #expect(validationMessage(try haiku, body) == "Malformed input request, please reformat your input and try again.")
        }
    }

    @Test(arguments: [
        ("{}", malformed("#: required key [messages] not found#: required key [max_tokens] not found#: required key [anthropic_version] not found")),
        (#"{"messages":[{"role":"user","content":"hi"}],"anthropic_version":"bedrock-2023-05-31"}"#,
         malformed(claudeSchemaPrefix + "#: required key [max_tokens] not found")),
        (#"{"messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#: required key [max_tokens] not found#: required key [anthropic_version] not found")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":"100","messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/max_tokens: expected type: Integer, found: String")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10000,"messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/max_tokens: 10000 is not less or equal to 4096")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/max_tokens: 0 is not greater or equal to 1")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"stream":true,"model":"claude"}"#,
         malformed(claudeSchemaPrefix + "#: extraneous key [stream] is not permitted#: extraneous key [model] is not permitted")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[]}]}"#,
         malformed(claudeSchemaPrefix + "#/messages/0/content: expected type: String, found: JSONArray#/messages/0/content: expected minimum item count: 1, found: 0")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":5}]}"#,
         malformed(claudeSchemaPrefix + "#/messages/0/content: expected type: String, found: Integer#/messages/0/content: expected type: JSONArray, found: Integer")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[]}"#,
         malformed(claudeSchemaPrefix + "#/messages: expected minimum item count: 1, found: 0")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":"hi"}"#,
         malformed(claudeSchemaPrefix + "#/messages: expected type: JSONArray, found: String")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/messages/0/role: system is not a valid enum value")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"content":"hi","name":"x"}]}"#,
         malformed(claudeSchemaPrefix + "#/messages/0: required key [role] not found#/messages/0: extraneous key [name] is not permitted")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text"}]}]}"#,
         malformed(claudeSchemaPrefix + "#/messages/0/content/0: required key [text] not found")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":[{"type":"video"}]}]}"#,
         malformed(claudeSchemaPrefix + "#/messages/0/content/0/type: video is not a valid enum value")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"temperature":1.5,"top_p":-0.1,"top_k":"5","messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/temperature: 1.5 is not less or equal to 1#/top_p: -0.1 is not greater or equal to 0#/top_k: expected type: Integer, found: String")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"stop_sequences":"END","messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/stop_sequences: expected type: JSONArray, found: String")),
        (#"{"anthropic_version":"bedrock-2023-01-01","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/anthropic_version: bedrock-2023-01-01 is not a valid enum value")),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10.5,"messages":[{"role":"user","content":"hi"}]}"#,
         malformed(claudeSchemaPrefix + "#/max_tokens: expected type: Integer, found: BigDecimal")),
    ])
    func schemaErrors(_ body: String, _ expected: String) throws {
        #expect(validationMessage(try haiku, body) == expected)
    }

    @Test(arguments: [
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"assistant","content":"hi"}]}"#,
         #"messages: first message must use the "user" role"#),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}"#,
         #"messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row"#),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":""}]}"#,
         "messages.0: all messages must have non-empty content except for the optional final assistant message"),
        (#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b "}]}"#,
         "messages: final assistant content cannot end with trailing whitespace"),
    ])
    func conversationErrors(_ body: String, _ expected: String) throws {
        #expect(validationMessage(try haiku, body) == expected)
    }

    @Test func inputTooLong() throws {
        let long = String(repeating: "a ", count: 200_001)
        #expect(validationMessage(try haiku, claudeBody(long)) == "Input is too long for requested model.")
    }

    @Test func mediaTypes() throws {
        let m = try haiku
        let body = bytes(claudeBody("hi"))
        #expect(throws: ModelInvocationError.validation("The provided Content Type is invalid or not supported for this model")) {
            try ModelStandIn.invoke(model: m, body: body, contentType: "text/plain", accept: nil)
        }
        #expect(throws: ModelInvocationError.validation("The provided Accept Type is invalid or not supported for this model")) {
            try ModelStandIn.invoke(model: m, body: body, contentType: nil, accept: "text/html")
        }
        _ = try ModelStandIn.invoke(model: m, body: body, contentType: "application/json; charset=utf-8", accept: "*/*")
        _ = try ModelStandIn.invoke(model: m, body: body, contentType: nil, accept: nil)
    }

    @Test func errorMapsToValidationException() {
        let e = ModelInvocationError.validation("x")
        #expect(e.code == "ValidationException")
        #expect(e.httpStatus == 400)
        #expect(e.message == "x")
    }
}
