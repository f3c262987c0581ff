import Testing
@testable import ModelStandIns

@Suite("Length instructions")
struct RequestedLengthTests {
    @Test func aPromptThatAsksForALengthGetsIt() throws {
        let model = try #require(ModelCatalog.lookup("anthropic.claude-3-haiku-20240307-v1:0", region: "us-east-1"))
        let long = Array(#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":600,"messages":[{"role":"user","content":"Write an essay of 500 tokens about distributed systems"}]}"#.utf8)
        let out = try ModelStandIn.invoke(model: model, body: long, contentType: "application/json", accept: nil)
        #expect(out.outputTokens >= 500 && out.outputTokens <= 600)
        let capped = Array(#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":100,"messages":[{"role":"user","content":"Write an essay of 500 tokens about distributed systems"}]}"#.utf8)
        let c = try ModelStandIn.invoke(model: model, body: capped, contentType: "application/json", accept: nil)
        #expect(c.outputTokens == 100 && c.stopReason == .maxTokens)
        let plain = Array(#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":600,"messages":[{"role":"user","content":"Write an essay about distributed systems"}]}"#.utf8)
        #expect(try ModelStandIn.invoke(model: model, body: plain, contentType: "application/json", accept: nil).outputTokens < 200)
    }

    @Test func lengthInstructionsAreParsed() {
        #expect(TextGenerator.requestedLength("in about 300 words please") == 300)
        #expect(TextGenerator.requestedLength("give me 1 token") == 1)
        #expect(TextGenerator.requestedLength("version 3 of the API") == nil)
        #expect(TextGenerator.requestedLength("99999 tokens") == nil)
    }

    /// The ASCII fast path decides exactly as the Unicode definition on every ASCII prompt.
    @Test func asciiFastPathAgreesWithTheDefinition() {
        let pieces = ["300", "words", "Tokens", "token", "WORD", "0", "8192", "8193", "007", "12abc", "abc12", "the",
                      "99999999999999999999999", "-", " ", ", ", ".", "\n", "5", "tokens.", "x"]
        var g = SystemRandomNumberGenerator()
        func agree(_ pieces: [String], prompts: Int, maxPieces: Int) {
            for _ in 0..<prompts {
                var s = ""
                for _ in 0..<Int.random(in: 0...maxPieces, using: &g) {
                    s += pieces.randomElement(using: &g)!
                    if Bool.random(using: &g) { s += " " }
                }
                #expect(TextGenerator.requestedLength(s) == TextGenerator.unicodeRequestedLength(s), "prompt: \(s)")
            }
        }
        agree(pieces, prompts: 5000, maxPieces: 8)
        // Long prompts: the fast path skips to the next digit eight bytes at a time, then back to its word's start.
        agree(pieces + ["distributed", "systems", "abcdefgh12", "x9", "é", "tokenization", "  "], prompts: 3000, maxPieces: 40)
        // Non-ASCII prompts take the general path.
        #expect(TextGenerator.requestedLength("écris 40 mots, 30 words") == 30)
        #expect(TextGenerator.requestedLength("٣ tokens then 7 tokens") == 7)
    }
}
