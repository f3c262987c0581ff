import Testing
@testable import ModelStandIns

@Suite struct ConverseTests {
    let body = #"{"messages":[{"role":"user","content":[{"text":"What is PrivateLink?"}]},{"role":"assistant","content":[{"text":"A private path."}]},{"role":"user","content":[{"text":"Why use it with Bedrock?"}]}],"system":[{"text":"Be brief."}],"inferenceConfig":{"maxTokens":300,"temperature":0.5,"topP":0.9,"stopSequences":["ZZZ"]}}"#

    @Test func anthropicNativeMapping() throws {
        let native = try ConverseAdapter.nativeRequest(model: haiku, converseBody: bytes(body))
        #expect(String(decoding: native, as: UTF8.self) == #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":300,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"What is PrivateLink?"}]},{"role":"assistant","content":[{"type":"text","text":"A private path."}]},{"role":"user","content":[{"type":"text","text":"Why use it with Bedrock?"}]}],"temperature":0.5,"top_p":0.9,"stop_sequences":["ZZZ"]}"#)
    }

    @Test func otherFamiliesNativeMapping() throws {
        let titan = String(decoding: try ConverseAdapter.nativeRequest(model: titanExpress, converseBody: bytes(body)), as: UTF8.self)
        #expect(titan == #"{"inputText":"Be brief.\n\nUser: What is PrivateLink?\nBot: A private path.\nUser: Why use it with Bedrock?\nBot:","textGenerationConfig":{"maxTokenCount":300,"temperature":0.5,"topP":0.9,"stopSequences":["ZZZ"]}}"#)
        let llama = try json(ConverseAdapter.nativeRequest(model: llama8b, converseBody: bytes(body)))
        #expect(llama.objectValue?.keys == ["prompt", "max_gen_len", "temperature", "top_p"])
        #expect(llama["prompt"] == .string("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is PrivateLink?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA private path.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhy use it with Bedrock?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"))
        let mistral = try json(ConverseAdapter.nativeRequest(model: mistral7b, converseBody: bytes(body)))
        #expect(mistral["prompt"] == "<s>[INST] Be brief.\n\nWhat is PrivateLink? [/INST] A private path.</s>[INST] Why use it with Bedrock? [/INST]")
        #expect(mistral["stop"] == ["ZZZ"])
    }

    @Test(arguments: [
        "anthropic.claude-3-haiku-20240307-v1:0", "amazon.titan-text-express-v1", "meta.llama3-8b-instruct-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
    ])
    func responseMatchesNativeInvoke(_ id: String) throws {
        let m = try model(id)
        let native = try ConverseAdapter.nativeRequest(model: m, converseBody: bytes(body))
        let inv = try ModelStandIn.invoke(model: m, body: native, contentType: nil, accept: nil)
        let out = try ConverseAdapter.converse(model: m, body: bytes(body), latency: m.latency)
        let v = try json(out.body)
        #expect(v.objectValue?.keys == ["output", "stopReason", "usage", "metrics"])
        #expect(v["output"]?["message"]?["role"] == "assistant")
        #expect(v["output"]?["message"]?["content"] == .array([.object(JSONObject([("text", .string(inv.text))]))]))
        #expect(v["stopReason"] == .string(inv.stopReason?.rawValue ?? "?"))
        #expect(v["usage"]?.objectValue?.keys == ["inputTokens", "outputTokens", "totalTokens"])
        #expect(v["usage"]?["inputTokens"] == .integer(inv.inputTokens))
        #expect(v["usage"]?["outputTokens"] == .integer(TokenCounter.count(inv.text)))
        #expect(v["usage"]?["totalTokens"] == .integer(inv.inputTokens + inv.outputTokens))
        #expect(v["metrics"]?["latencyMs"] == .integer(m.latency.invocationLatencyMs(outputTokens: inv.outputTokens)))
        #expect(try ConverseAdapter.countTokens(model: m, converseBody: bytes(body)) == inv.inputTokens)
        // The split path (native on the host, mapping at the front end) gives the same bytes.
        #expect(try ConverseAdapter.converseResponse(model: m, output: inv, latencyMs: m.latency.invocationLatencyMs(outputTokens: inv.outputTokens)) == out.body)
        #expect(out.body == (try ConverseAdapter.converse(model: m, body: bytes(body), latency: m.latency)).body)
    }

    @Test func stopReasonSpellings() throws {
        let short = #"{"messages":[{"role":"user","content":[{"text":"Explain token quotas."}]}],"inferenceConfig":{"maxTokens":3}}"#
        for m in [try haiku, try titanExpress, try llama8b, try mistral7b] {
            #expect(try json(ConverseAdapter.converse(model: m, body: bytes(short)).body)["stopReason"] == "max_tokens")
        }
        let full = try ConverseAdapter.converse(model: titanExpress, body: bytes(#"{"messages":[{"role":"user","content":[{"text":"Explain token quotas."}]}]}"#))
        #expect(try json(full.body)["stopReason"] == "end_turn")
        let stop = String(full.text.split(separator: " ")[2])
        let stopped = #"{"messages":[{"role":"user","content":[{"text":"Explain token quotas."}]}],"inferenceConfig":{"stopSequences":["\#(stop)"]}}"#
        #expect(try json(ConverseAdapter.converse(model: titanExpress, body: bytes(stopped)).body)["stopReason"] == "stop_sequence")
        #expect(try json(ConverseAdapter.converse(model: haiku, body: bytes(stopped)).body)["stopReason"] != "max_tokens")
    }

    func converseError(_ m: FoundationModel, _ body: String) -> String? {
        do { _ = try ConverseAdapter.converse(model: m, body: bytes(body)); return nil } catch { return error.message }
    }

    @Test func validationMessages() throws {
        let m = try haiku
        #expect(converseError(m, #"{"messages":[]}"#) == "A conversation must start with a user message. Try again with a conversation that starts with a user message.")
        #expect(converseError(m, #"{"messages":[{"role":"assistant","content":[{"text":"hi"}]}]}"#)
            == "A conversation must start with a user message. Try again with a conversation that starts with a user message.")
        #expect(converseError(m, #"{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"user","content":[{"text":"b"}]}]}"#)
            == "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.")
        #expect(converseError(m, #"{"messages":[{"role":"user","content":[{"text":"  "}]}]}"#)
            == "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.")
        #expect(converseError(m, #"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":5000}}"#)
            == "The maximum tokens you requested exceeds the model limit of 4096. Try again with a maximum tokens value that is lower than 4096.")
        #expect(converseError(m, #"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"temperature":2}}"#)
            == "1 validation error detected: Value '2' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1")
        #expect(converseError(m, "not json") == "Malformed input request, please reformat your input and try again.")
        #expect(converseError(try llama8b, #"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":4096}}"#)
            == "The maximum tokens you requested exceeds the model limit of 2048. Try again with a maximum tokens value that is lower than 2048.")
    }

    @Test func converseStreamEvents() throws {
        let m = try haiku
        let plain = try ConverseAdapter.converse(model: m, body: bytes(body), latency: m.latency)
        let events = try ConverseAdapter.converseStream(model: m, body: bytes(body), latency: m.latency)
        let types = events.map(\.eventType)
        #expect(types.first == "messageStart")
        #expect(Array(types.suffix(3)) == ["contentBlockStop", "messageStop", "metadata"])
        #expect(types.dropFirst().dropLast(3).allSatisfy { $0 == "contentBlockDelta" })
        #expect(String(decoding: events[0].payload, as: UTF8.self) == #"{"role":"assistant"}"#)
        let deltas = try events.filter { $0.eventType == "contentBlockDelta" }.map { try json($0.payload) }
        #expect(deltas.allSatisfy { $0["contentBlockIndex"] == 0 })
        #expect(deltas.compactMap { $0["delta"]?["text"]?.stringValue }.joined() == plain.text)
        #expect(events.map(\.text).joined() == plain.text)
        let stop = try json(events[events.count - 2].payload)
        #expect(stop == (try json(bytes(#"{"stopReason":"\#(plain.stopReason?.rawValue ?? "")"}"#))))
        let meta = try json(events[events.count - 1].payload)
        #expect(meta["usage"] == (try json(plain.body))["usage"])
        #expect(meta["metrics"] == (try json(plain.body))["metrics"])
    }
}
