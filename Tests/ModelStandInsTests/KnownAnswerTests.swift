import Foundation
import Testing
@testable import ModelStandIns

@Suite struct KnownAnswerTests {
    // FNV-1a 64-bit test vectors from the FNV reference (http://www.isthe.com/chongo/tech/comp/fnv/).
    @Test func fnv1a64Vectors() {
        #expect(StableHash.of("") == 0xcbf2_9ce4_8422_2325)
        #expect(StableHash.of("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(StableHash.of("foobar") == 0x8594_4171_f739_67e8)
    }

    /// Pinned output of a prompt that asks for a length (the generator then adds body sentences, counting each):
    /// the text and its count since the word-wise generation seed (StableHash.seed); the byte-buffer generator was
    /// checked identical to the String-per-sentence one before that.
    @Test func pinnedLengthRequestResponse() throws {
        let titan = try #require(ModelCatalog.lookup("amazon.titan-text-express-v1", region: "us-east-1"))
        let out = try invoke(titan, #"{"inputText":"Please write 300 words about escrow accounts and private links","textGenerationConfig":{"maxTokenCount":4000}}"#)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(out.body)) as? [String: Any])
        let result = try #require((body["results"] as? [[String: Any]])?.first)
        let text = try #require(result["outputText"] as? String)
        #expect(text.utf8.count == 1132 && StableHash.of(text) == 0x326b_8a75_9a4b_6326)
        #expect(result["tokenCount"] as? Int == 317)
    }

    /// Pinned output: any change of generator, vocabulary, tokenizer or serializer, or any
    /// per-process randomness (e.g. Swift's seeded Hasher) would change these bytes.
    @Test func pinnedClaudeResponse() throws {
        let out = try invoke(haiku, #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":24,"messages":[{"role":"user","content":"Why isolate model providers?"}]}"#)
        #expect(String(decoding: out.body, as: UTF8.self) == #"{"id":"msg_bdrk_013m9AKhgG5XN9ct4GXeh4c9","type":"message","role":"assistant","model":"claude-3-haiku-20240307","content":[{"type":"text","text":"In short, isolate comes down to a few key ideas. In practice, model shapes"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":24}}"#)
    }
}

@Suite struct CountTokensTests {
    @Test func invokeModelAndConverseInputs() throws {
        let m = try haiku
        let native = claudeBody("How many tokens is this prompt?")
        let b64 = Data(native.utf8).base64EncodedString()
        let req = #"{"input":{"invokeModel":{"body":"\#(b64)"}}}"#
        let expected = try invoke(m, native).inputTokens
        #expect(String(decoding: try CountTokens.respond(model: m, requestBody: bytes(req)), as: UTF8.self) == #"{"inputTokens":\#(expected)}"#)
        let conv = #"{"input":{"converse":{"messages":[{"role":"user","content":[{"text":"How many tokens is this prompt?"}]}]}}}"#
        #expect(try CountTokens.count(model: m, requestBody: bytes(conv)) == expected)
        #expect(throws: ModelInvocationError.validation("1 validation error detected: Value null at 'input' failed to satisfy constraint: Member must not be null")) {
            try CountTokens.count(model: m, requestBody: bytes("{}"))
        }
        // The native body is validated like InvokeModel.
        let bad = Data(#"{"messages":[]}"#.utf8).base64EncodedString()
        #expect(throws: ModelInvocationError.self) {
            try CountTokens.count(model: m, requestBody: bytes(#"{"input":{"invokeModel":{"body":"\#(bad)"}}}"#))
        }
    }
}

@Suite struct RewriteTests {
    @Test(arguments: [
        "anthropic.claude-3-haiku-20240307-v1:0", "amazon.titan-text-express-v1", "meta.llama3-8b-instruct-v1:0",
        "mistral.mistral-7b-instruct-v0:2",
    ])
    func replacesTextAndAddsAction(_ id: String) throws {
        let m = try model(id)
        let native = try ConverseAdapter.nativeRequest(model: m, converseBody: bytes(#"{"messages":[{"role":"user","content":[{"text":"Say something."}]}]}"#))
        let out = try ModelStandIn.invoke(model: m, body: native, contentType: nil, accept: nil)
        let rewritten = try ModelStandIn.rewritingText(family: m.family, body: out.body, text: "Sorry, blocked.", guardrailAction: "INTERVENED")
        #expect(try ConverseAdapter.nativeResult(family: m.family, body: rewritten).text == "Sorry, blocked.")
        #expect(try json(rewritten)["amazon-bedrock-guardrailAction"] == "INTERVENED")
        let untouched = try ModelStandIn.rewritingText(family: m.family, body: out.body, text: nil, guardrailAction: nil)
        #expect(untouched == out.body)
    }
}

@Suite struct ConverseShapeErrorTests {
    func converseError(_ body: String) throws -> String? {
        do { _ = try ConverseAdapter.converse(model: haiku, body: bytes(body)); return nil } catch let e as ModelInvocationError { return e.message }
    }

    @Test func coralStyleMessages() throws {
        #expect(try converseError(#"{"messages":[{"role":"system","content":[{"text":"x"}]}]}"#)
            == "1 validation error detected: Value 'system' at 'messages.1.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]")
        #expect(try converseError(#"{"messages":[{"role":"user"}]}"#)
            == "1 validation error detected: Value null at 'messages.1.member.content' failed to satisfy constraint: Member must not be null")
        #expect(try converseError(#"{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"maxTokens":0}}"#)
            == "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1")
        #expect(try converseError(#"{"messages":[{"role":"user","content":[{"text":"x"}]}],"inferenceConfig":{"stopSequences":["a","b","c","d","e"]}}"#)
            == "1 validation error detected: Value '[a, b, c, d, e]' at 'inferenceConfig.stopSequences' failed to satisfy constraint: Member must have length less than or equal to 4")
    }
}

@Suite struct ConverseAdditionalFieldsTests {
    @Test func mergedIntoNativeBodyAndModelErrorsPrefixed() throws {
        let m = try haiku
        let ok = #"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"additionalModelRequestFields":{"top_k":200}}"#
        #expect(try json(ConverseAdapter.nativeRequest(model: m, converseBody: bytes(ok)))["top_k"] == 200)
        _ = try ConverseAdapter.converse(model: m, body: bytes(ok))
        let bad = #"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"additionalModelRequestFields":{"top_k":900}}"#
        #expect(throws: ModelInvocationError.validation(
            "The model returned the following errors: " + malformed(claudeSchemaPrefix + "#/top_k: 900 is not less or equal to 500"))) {
            try ConverseAdapter.converse(model: m, body: bytes(bad))
        }
        #expect(throws: ModelInvocationError.self) { try ConverseAdapter.converseStream(model: m, body: bytes(bad)) }
    }
}

/// Titan Text, Llama and Titan Embeddings bodies pinned the same way (recorded from the
/// implementation before the UTF-8 fast paths went in): byte-level optimisations must not
/// change a single output byte. The Titan prompt has a non-ASCII key word on purpose.
@Suite struct PinnedFamilyResponseTests {
    @Test func pinnedTitanTextResponse() throws {
        let out = try invoke(titanExpress, #"{"inputText":"User: How does Zürich's escrow host protect prompts?\nBot:","textGenerationConfig":{"maxTokenCount":40,"stopSequences":["zzz"]}}"#)
        #expect(String(decoding: out.body, as: UTF8.self) == #"{"inputTextTokenCount":18,"results":[{"tokenCount":40,"outputText":"Here is a brief overview of zürich. When the request measures, the efficient signal protects as well. It also helps to test the detail before","completionReason":"LENGTH"}]}"#)
    }

    @Test func pinnedLlamaResponse() throws {
        let out = try invoke(llama8b, #"{"prompt":"<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhy isolate model providers from each other?<|eot_id|><|start_header_id|>assistant<|end_header_id|>","max_gen_len":32}"#)
        #expect(String(decoding: out.body, as: UTF8.self) == #"{"generation":"Let me walk through isolate step by step. Each signal should balance the layered factor within model. In practice,","prompt_token_count":23,"generation_token_count":32,"stop_reason":"length"}"#)
    }

    @Test func pinnedEmbeddingResponse() throws {
        let out = try invoke(titanEmbed, #"{"inputText":"Envelope encryption with KMS data keys","dimensions":256,"embeddingTypes":["binary"]}"#)
        #expect(String(decoding: out.body, as: UTF8.self) == #"{"embedding":[0.0,0.0,-0.17277369,0.0,-0.08638684,0.0,0.0,-0.08638684,0.08638684,0.0,0.0,0.0,0.0,0.0,-0.17277369,0.17277369,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.08638684,0.0,0.08638684,0.0,0.0,0.0,0.0,0.0,0.0,-0.08638684,0.0,0.0,0.0,0.08638684,0.17277369,-0.08638684,0.0,0.0,0.0,0.17277369,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.08638684,0.0,0.08638684,-0.08638684,0.08638684,0.08638684,0.0,0.0,0.0,0.0,-0.08638684,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,-0.08638684,-0.08638684,0.0,0.0,0.08638684,0.08638684,0.0,0.0,0.0,0.0,0.0,0.0,0.0,-0.08638684,0.08638684,0.0,0.08638684,0.17277369,0.0,0.17277369,0.0,0.0,0.0,0.0,0.0,0.0,0.08638684,0.0,0.0,0.0,0.0,0.0,-0.08638684,0.08638684,0.0,0.0,-0.08638684,0.08638684,0.0,0.08638684,0.0,0.0,0.0,0.0,-0.08638684,-0.08638684,0.0,0.0,-0.08638684,0.17277369,0.0,0.17277369,0.08638684,0.0,0.08638684,0.0,0.0,0.08638684,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.08638684,0.0,0.0,0.17277369,0.08638684,0.0,0.0,0.0,0.08638684,0.0,0.25916053,0.0,0.0,0.0,0.0,0.0,0.08638684,0.08638684,0.08638684,0.0,0.08638684,0.0,0.0,0.0,0.0,0.0,0.0,0.0,-0.08638684,0.17277369,0.0,-0.08638684,0.08638684,0.0,0.08638684,0.0,0.0,0.0,0.08638684,0.0,-0.08638684,0.0,-0.08638684,0.0,0.0,0.0,-0.08638684,0.0,-0.08638684,0.0,-0.08638684,0.0,0.0,0.0,0.0,-0.08638684,0.0,0.0,0.0,0.0,0.0,0.08638684,0.0,0.0,-0.17277369,-0.08638684,0.0,-0.17277369,0.17277369,0.0,0.0,0.08638684,0.0,0.08638684,0.0,0.0,0.0,0.17277369,0.0,0.0,0.0,0.0,0.0,-0.17277369,0.08638684,0.0,0.0,0.0,0.08638684,0.0,0.0,0.0,0.08638684,0.08638684,0.0,0.08638684,0.0,0.0,0.0,-0.08638684,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0],"embeddingsByType":{"binary":[0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0,0,0,0,1,0,0,0,0,0,0,0,1,0,1,0,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,0,0,0,0,0,0,0,0,1,0,1,1,0,1,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,0,1,0,1,0,0,0,0,0,0,0,0,0,1,0,1,1,0,1,0,0,1,0,0,0,0,0,0,0,0,1,0,0,1,1,0,0,0,1,0,1,0,0,0,0,0,1,1,1,0,1,0,0,0,0,0,0,0,0,1,0,0,1,0,1,0,0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,0,0,0,1,0,0,1,0,1,0,0,0,1,0,0,0,0,0,0,1,0,0,0,1,0,0,0,1,1,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0]},"inputTextTokenCount":9}"#)
    }
}
