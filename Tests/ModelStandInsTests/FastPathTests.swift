import Testing
@testable import ModelStandIns

/// The byte-level fast paths against the Character-based definitions they replaced
/// (kept here, verbatim in behaviour, as the specification).
@Suite struct FastPathTests {
    static func referenceTrim(_ t: String) -> String {
        var s = Substring(t)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    static func referenceTitanKey(_ input: String) -> String {
        var text = Substring(input)
        if let r = text.ranges(of: "User:").last { text = text[r.upperBound...] }
        if let r = text.ranges(of: "Bot:").last { text = text[..<r.lowerBound] }
        return referenceTrim(String(text))
    }

    static func referenceChatKey(_ prompt: String) -> String {
        for (open, close) in [("<|start_header_id|>user<|end_header_id|>", "<|eot_id|>"), ("[INST]", "[/INST]")] {
            if let r = prompt.ranges(of: open).last {
                var rest = prompt[r.upperBound...]
                if let end = rest.firstRange(of: close) { rest = rest[..<end.lowerBound] }
                return referenceTrim(String(rest))
            }
        }
        var s = prompt
        for marker in ["<s>", "</s>", "<|begin_of_text|>"] { s = s.replacing(marker, with: "") }
        return referenceTrim(s)
    }

    // Combining marks, prepended characters (U+0600), ZWJ, CR LF and non-ASCII whitespace
    // next to the markers and at the ends, where Characters and bytes could disagree.
    static let tricky = [
        "User: hi\nBot:", "User:\u{301} a\nBot: b", "\u{0600}User: x Bot: y", "User: e\u{301}  \nBot:", " \u{301}User: hi \u{00A0}",
        "User: 日本 Bot:\u{200D}", "\u{00A0} plain \u{3000}", "\r\n x \r\n", "User: a\u{0600} Bot:", "a User:User: b Bot:Bot:",
        "<s>[INST] q [/INST]", "[INST]\u{301} q [/INST]", "<s>\u{301}x</s>", "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
        "<|start_header_id|>user<|end_header_id|>\u{301} x <|eot_id|>\u{301}", "\u{0600}<s>hello", "", "   ", "x",
        // No markers: the prompt is its own key when neither end is a space or non-ASCII.
        "plain words only", "e\u{301} middle x", "x \u{301}", "\u{301}x", "ends with space ", "\tstarts with a tab",
    ]

    @Test(arguments: tricky)
    func promptKeysAndTrimMatchCharacterSemantics(_ s: String) {
        #expect(ModelStandIn.titanPromptKey(s) == Self.referenceTitanKey(s))
        #expect(ModelStandIn.chatTemplatePromptKey(s) == Self.referenceChatKey(s))
        #expect(s.trimmingSpaces() == Self.referenceTrim(s))
    }

    @Test func asciiKindsMatchUnicodeProperties() {
        for v in 0..<128 {
            let c = Unicode.Scalar(UInt8(v))
            let expected: TokenCounter.Kind =
                c.properties.isWhitespace ? .space
                : (c.properties.isAlphabetic || c.properties.numericType != nil || c == "_") ? .word : .other
            #expect(TokenCounter.kind(UInt32(v)) == expected, "U+\(String(v, radix: 16))")
        }
    }

    @Test(arguments: ["Explain envelope encryption with KMS data keys.", "Naïve café: PrivateLink über alles", "e\u{301}cole isolation", "KMS, KMS and kms keys"])
    func keywordsMatchCharacterDefinition(_ prompt: String) {
        // The Character-based reference.
        var out: [String] = []
        var word = ""
        func flush() {
            defer { word = "" }
            let lower = word.lowercased()
            guard lower.unicodeScalars.count >= 4, !TextGenerator.stopWords.contains(lower), !out.contains(where: { $0.lowercased() == lower }) else { return }
            let rest = word.dropFirst()
            out.append(rest == rest.lowercased() ? lower : word)
        }
        for ch in prompt where out.count < 4 {
            if ch.isLetter || ch.isNumber { word.append(ch) } else { flush() }
        }
        if out.count < 4 { flush() }
        #expect(TextGenerator.keywords(prompt) == Array(out.prefix(4)))
    }

    @Test(arguments: [0, 1, 3, 7, 100])
    func tokenCapEqualsPiecePrefix(_ cap: Int) {
        let text = "  Good question about zürich. 日本語 <|eot_id|> tokenizer!  "
        let pieces = TokenCounter.pieces(text)
        let g = TextGenerator.finish(text, maxTokens: cap, stopSequences: [])
        #expect(g.text == (pieces.count > cap ? pieces.prefix(cap).joined() : text))
        #expect(g.outputTokens == min(cap, pieces.count))
    }

    @Test func earliestStopPrefersEarliestThenFirstListed() throws {
        let r = try #require(TextGenerator.earliestStop(in: "abc é def", ["def", "é", "c é"]))
        #expect(r.0 == "ab" && r.1 == "c é")
        #expect(TextGenerator.earliestStop(in: "abc", ["", "x"]) == nil)
    }
}
