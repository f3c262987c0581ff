import Testing
@testable import ModelStandIns

@Suite struct TitanTextTests {
    let input = "Describe how a VPC endpoint keeps traffic private."

    func body(_ cfg: String = "") -> String {
        let i = JSONValue.string(input).serializedString
        return cfg.isEmpty ? #"{"inputText":\#(i)}"# : #"{"inputText":\#(i),"textGenerationConfig":\#(cfg)}"#
    }

    @Test func responseShapeAndCounts() throws {
        let out = try invoke(titanExpress, body(#"{"maxTokenCount":512,"temperature":0.5,"topP":0.9}"#))
        let v = try json(out.body)
        #expect(v.objectValue?.keys == ["inputTextTokenCount", "results"])
        #expect(v["inputTextTokenCount"] == .integer(TokenCounter.count(input)))
        let r = try #require(v["results"]?.arrayValue?.first)
        #expect(r.objectValue?.keys == ["tokenCount", "outputText", "completionReason"])
        #expect(r["completionReason"] == "FINISH")
        let text = try #require(r["outputText"]?.stringValue)
        #expect(text == out.text)
        #expect(r["tokenCount"] == .integer(TokenCounter.count(text)))
        #expect(out.inputTokens == TokenCounter.count(input) && out.outputTokens == TokenCounter.count(text))
        #expect(try invoke(titanExpress, body()).body == out.body)  // default cap 512, sampling ignored
    }

    @Test func lengthAndStopCriteria() throws {
        let full = try invoke(titanExpress, body()).text
        let capped = try invoke(titanExpress, body(#"{"maxTokenCount":7}"#))
        let r = try #require(try json(capped.body)["results"]?.arrayValue?.first)
        #expect(r["completionReason"] == "LENGTH")
        #expect(r["tokenCount"] == 7)
        #expect(capped.text == TokenCounter.pieces(full).prefix(7).joined())
        let zero = try #require(try json(invoke(titanExpress, body(#"{"maxTokenCount":0}"#)).body)["results"]?.arrayValue?.first)
        #expect(zero["outputText"] == "" && zero["tokenCount"] == 0 && zero["completionReason"] == "LENGTH")
        let stopWord = String(full.split(separator: " ")[4])
        let stopped = try invoke(titanExpress, body(#"{"stopSequences":["\#(stopWord)"]}"#))
        let s = try #require(try json(stopped.body)["results"]?.arrayValue?.first)
        #expect(s["completionReason"] == "STOP_CRITERIA_MET")
        #expect(stopped.text == String(full[..<(try #require(full.firstRange(of: stopWord))).lowerBound]))
    }

    @Test func transcriptPromptEchoesLastUserTurn() throws {
        let out = try invoke(titanExpress, #"{"inputText":"User: Tell me about Zanzibar spices.\nBot: Sure.\nUser: What about Madagascar vanilla?\nBot:"}"#)
        #expect(out.text.contains("Madagascar") || out.text.contains("vanilla"))
        #expect(!out.text.contains("Zanzibar"))
    }

    @Test(arguments: [
        ("{}", malformed("#: required key [inputText] not found")),
        (#"{"prompt":"\n\nHuman: hi\n\nAssistant:","max_tokens_to_sample":300}"#,
         malformed("#: required key [inputText] not found#: extraneous key [prompt] is not permitted#: extraneous key [max_tokens_to_sample] is not permitted")),
        (#"{"inputText":5}"#, malformed("#/inputText: expected type: String, found: Integer")),
        (#"{"inputText":"hi","textGenerationConfig":{"maxTokenCount":9000}}"#,
         malformed("#/textGenerationConfig/maxTokenCount: 9000 is not less or equal to 8192")),
        (#"{"inputText":"hi","textGenerationConfig":{"max_tokens":9,"temperature":2}}"#,
         malformed("#/textGenerationConfig: extraneous key [max_tokens] is not permitted#/textGenerationConfig/temperature: 2 is not less or equal to 1")),
        (#"{"inputText":"hi","textGenerationConfig":[]}"#, malformed("#/textGenerationConfig: expected type: JSONObject, found: JSONArray")),
        (#"{"inputText":"hi","textGenerationConfig":{"stopSequences":["a",1]}}"#,
         malformed("#/textGenerationConfig/stopSequences/1: expected type: String, found: Integer")),
    ])
    func expressValidation(_ body: String, _ expected: String) throws {
        #expect(validationMessage(try titanExpress, body) == expected)
    }

    @Test func liteLimits() throws {
        #expect(validationMessage(try titanLite, #"{"inputText":"hi","textGenerationConfig":{"maxTokenCount":5000}}"#)
            == malformed("#/textGenerationConfig/maxTokenCount: 5000 is not less or equal to 4096"))
        let long = String(repeating: "word ", count: 5000)
        #expect(validationMessage(try titanLite, #"{"inputText":"\#(long)"}"#)
            == "400 Bad Request: Too many input tokens. Max input tokens: 4096, request input token count: 5000 ")
        #expect(validationMessage(try titanExpress, #"{"inputText":"\#(long)"}"#) == nil)
    }
}

@Suite struct LlamaTests {
    let prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat does PrivateLink protect?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"

    func body(_ extra: String = "") -> String {
        #"{"prompt":\#(JSONValue.string(prompt).serializedString)\#(extra)}"#
    }

    @Test func responseShapeAndCounts() throws {
        let out = try invoke(llama8b, body(#","max_gen_len":512,"temperature":0.2,"top_p":0.9"#))
        let v = try json(out.body)
        #expect(v.objectValue?.keys == ["generation", "prompt_token_count", "generation_token_count", "stop_reason"])
        // 6 markers, "user"(1), "assi" "stan" "t"(3), "What"(1) "does"(1) "Priv" "ateL" "ink"(3) "prot" "ect"(2) "?"(1)
        #expect(TokenCounter.count(prompt) == 6 + 1 + 3 + 8)
        #expect(v["prompt_token_count"] == .integer(TokenCounter.count(prompt)))
        #expect(v["generation_token_count"] == .integer(TokenCounter.count(out.text)))
        #expect(v["stop_reason"] == "stop")
        #expect(out.text.contains("PrivateLink"))  // the user turn is echoed, not the template
        #expect(!out.text.contains("<|"))
    }

    @Test func lengthStop() throws {
        let v = try json(invoke(llama8b, body(#","max_gen_len":3"#)).body)
        #expect(v["stop_reason"] == "length")
        #expect(v["generation_token_count"] == 3)
    }

    @Test(arguments: [
        ("{}", malformed("#: required key [prompt] not found")),
        (#"{"messages":[{"role":"user","content":"hi"}]}"#,
         malformed("#: required key [prompt] not found#: extraneous key [messages] is not permitted")),
        (#"{"prompt":"hi","max_gen_len":2049}"#, malformed("#/max_gen_len: 2049 is not less or equal to 2048")),
        (#"{"prompt":"hi","max_gen_len":0}"#, malformed("#/max_gen_len: 0 is not greater or equal to 1")),
        (#"{"prompt":"hi","top_p":"high"}"#, malformed("#/top_p: expected type: Number, found: String")),
    ])
    func validation(_ body: String, _ expected: String) throws {
        #expect(validationMessage(try llama8b, body) == expected)
    }

    @Test func contextLimit() throws {
        let long = String(repeating: "go ", count: 8193)
        #expect(validationMessage(try llama8b, #"{"prompt":"\#(long)"}"#)
            == "This model's maximum context length is 8192 tokens. Please reduce the length of the prompt.")
    }

    @Test func modelsDiffer() throws {
        let a = try invoke(llama8b, body()).text
        let b = try invoke(model("meta.llama3-70b-instruct-v1:0"), body()).text
        #expect(a != b)
    }
}

@Suite struct MistralTests {
    @Test func responseShapeAndStop() throws {
        let out = try invoke(mistral7b, #"{"prompt":"<s>[INST] What is an escrow account? [/INST]","max_tokens":200,"top_k":50}"#)
        let v = try json(out.body)
        #expect(v.objectValue?.keys == ["outputs"])
        let o = try #require(v["outputs"]?.arrayValue?.first)
        #expect(o.objectValue?.keys == ["text", "stop_reason"])
        #expect(o["stop_reason"] == "stop")
        #expect(o["text"] == .string(out.text))
        #expect(out.inputTokens == TokenCounter.count("<s>[INST] What is an escrow account? [/INST]"))
        #expect(out.text.contains("escrow") || out.text.contains("account"))
        let word = String(out.text.split(separator: " ")[3])
        let stopped = try invoke(mistral7b, #"{"prompt":"<s>[INST] What is an escrow account? [/INST]","max_tokens":200,"stop":["\#(word)"]}"#)
        #expect(try json(stopped.body)["outputs"]?.arrayValue?.first?["stop_reason"] == "stop")
        #expect(stopped.stopReason == .stopSequence)
        let capped = try json(invoke(mistral7b, #"{"prompt":"hi","max_tokens":2}"#).body)
        #expect(capped["outputs"]?.arrayValue?.first?["stop_reason"] == "length")
    }

    @Test func validation() throws {
        #expect(validationMessage(try mistral7b, #"{"prompt":"hi","max_tokens":8193,"top_k":201}"#)
            == malformed("#/max_tokens: 8193 is not less or equal to 8192#/top_k: 201 is not less or equal to 200"))
    }
}

