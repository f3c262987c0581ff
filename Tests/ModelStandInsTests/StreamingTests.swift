import Testing
@testable import ModelStandIns

@Suite struct StreamingTests {
    func stream(_ m: FoundationModel, _ body: String, latency: LatencyModel = .zero) throws -> [ModelStreamChunk] {
        try ModelStandIn.stream(model: m, body: bytes(body), contentType: "application/json", accept: "application/json", latency: latency)
    }

    @Test func anthropicEventsConcatenateToInvokeText() throws {
        let m = try haiku
        let body = claudeBody("How do grants let Bedrock use a customer managed key?")
        let inv = try invoke(m, body)
        let chunks = try stream(m, body, latency: m.latency)
        let events = try chunks.map { try json($0.body) }
        let types = events.compactMap { $0["type"]?.stringValue }
        #expect(types.first == "message_start")
        #expect(types[1] == "content_block_start")
        #expect(Array(types.suffix(3)) == ["content_block_stop", "message_delta", "message_stop"])
        #expect(types.dropFirst(2).dropLast(3).allSatisfy { $0 == "content_block_delta" })
        let deltas = events.filter { $0["type"] == "content_block_delta" }.compactMap { $0["delta"]?["text"]?.stringValue }
        #expect(deltas.joined() == inv.text)
        #expect(chunks.map(\.text).joined() == inv.text)
        #expect(chunks.reduce(0) { $0 + $1.outputTokens } == inv.outputTokens)
        for c in chunks { #expect(TokenCounter.count(c.text) == c.outputTokens) }
        #expect(events[0]["message"]?["id"] == (try json(inv.body))["id"])
        #expect(events[0]["message"]?["usage"]?["input_tokens"] == .integer(inv.inputTokens))
        #expect(events[events.count - 2]["delta"]?["stop_reason"] == "end_turn")
        #expect(events[events.count - 2]["usage"]?["output_tokens"] == .integer(inv.outputTokens))
        let metrics = try #require(events.last?["amazon-bedrock-invocationMetrics"])
        #expect(metrics.objectValue?.keys == ["inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency"])
        #expect(metrics["inputTokenCount"] == .integer(inv.inputTokens))
        #expect(metrics["outputTokenCount"] == .integer(inv.outputTokens))
        #expect(metrics["invocationLatency"] == .integer(Int(m.latency.duration(outputTokens: inv.outputTokens).rounded())))
        #expect(metrics["firstByteLatency"] == 250)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.offsetMs <= $1.offsetMs })
        #expect(chunks.first?.offsetMs == 250)
    }

    @Test func deterministicAndZeroLatency() throws {
        let body = claudeBody("Same stream twice")
        let a = try stream(haiku, body)
        #expect(a == (try stream(haiku, body)))
        #expect(a.allSatisfy { $0.offsetMs == 0 })
        let metrics = try json(a[a.count - 1].body)["amazon-bedrock-invocationMetrics"]
        #expect(metrics?["invocationLatency"] == 0 && metrics?["firstByteLatency"] == 0)
    }

    @Test func anthropicStopSequenceInStream() throws {
        let full = try invoke(haiku, claudeBody("Tell me about guardrails")).text
        let stop = String(full.split(separator: " ")[5])
        let body = claudeBody("Tell me about guardrails", extra: #","stop_sequences":["\#(stop)"]"#)
        let chunks = try stream(haiku, body)
        #expect(chunks.map(\.text).joined() == (try invoke(haiku, body)).text)
        let delta = try json(chunks[chunks.count - 2].body)
        #expect(delta["delta"]?["stop_reason"] == "stop_sequence")
        #expect(delta["delta"]?["stop_sequence"] == .string(stop))
    }

    @Test func titanChunks() throws {
        let m = try titanExpress
        let body = #"{"inputText":"Summarise the shared responsibility model.","textGenerationConfig":{"maxTokenCount":30}}"#
        let inv = try invoke(m, body)
        let chunks = try stream(m, body)
        let events = try chunks.map { try json($0.body) }
        #expect(events.compactMap { $0["outputText"]?.stringValue }.joined() == inv.text)
        #expect(events[0].objectValue?.keys == ["outputText", "index", "totalOutputTextTokenCount", "completionReason", "inputTextTokenCount"])
        #expect(events[0]["inputTextTokenCount"] == .integer(inv.inputTokens))
        #expect(events.dropFirst().allSatisfy { $0["inputTextTokenCount"] == .null })
        #expect(events.dropLast().allSatisfy { $0["completionReason"] == .null })
        let last = try #require(events.last)
        #expect(last["completionReason"] == "LENGTH")
        #expect(last["totalOutputTextTokenCount"] == .integer(inv.outputTokens))
        #expect(last["amazon-bedrock-invocationMetrics"]?["outputTokenCount"] == .integer(inv.outputTokens))
        // Empty generation still ends the stream with one final chunk.
        let empty = try stream(m, #"{"inputText":"hi","textGenerationConfig":{"maxTokenCount":0}}"#)
        #expect(empty.count == 1)
        #expect(try json(empty[0].body)["completionReason"] == "LENGTH")
    }

    @Test func llamaChunksOneTokenEach() throws {
        let m = try llama8b
        let body = #"{"prompt":"Why are model deployment accounts isolated?","max_gen_len":40}"#
        let inv = try invoke(m, body)
        let chunks = try stream(m, body)
        #expect(chunks.count == inv.outputTokens)
        #expect(chunks.allSatisfy { $0.outputTokens == 1 })
        let events = try chunks.map { try json($0.body) }
        #expect(events.compactMap { $0["generation"]?.stringValue }.joined() == inv.text)
        #expect(events[0]["prompt_token_count"] == .integer(inv.inputTokens))
        #expect(events.enumerated().allSatisfy { $0.element["generation_token_count"] == .integer($0.offset + 1) })
        #expect(events.last?["stop_reason"] == "length")
        #expect(events.last?["amazon-bedrock-invocationMetrics"] != nil)
        #expect(events.dropLast().allSatisfy { $0["stop_reason"] == .null && $0["amazon-bedrock-invocationMetrics"] == nil })
    }

    @Test func mistralChunks() throws {
        let m = try mistral7b
        let body = #"{"prompt":"<s>[INST] Define least privilege. [/INST]"}"#
        let inv = try invoke(m, body)
        let events = try stream(m, body).map { try json($0.body) }
        #expect(events.compactMap { $0["outputs"]?.arrayValue?.first?["text"]?.stringValue }.joined() == inv.text)
        #expect(events.last?["outputs"]?.arrayValue?.first?["stop_reason"] == "stop")
    }

    @Test func streamValidatesLikeInvoke() throws {
        let m = try haiku
        #expect(throws: ModelInvocationError.validation(malformed(claudeSchemaPrefix + "#: required key [max_tokens] not found"))) {
            try ModelStandIn.stream(model: m, body: bytes(#"{"anthropic_version":"bedrock-2023-05-31","messages":[{"role":"user","content":"x"}]}"#), contentType: nil, accept: nil)
        }
    }
}
