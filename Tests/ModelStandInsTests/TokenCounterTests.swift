import Testing
@testable import ModelStandIns

@Suite struct TokenCounterTests {
    @Test func countsWordsPunctuationAndLongWords() {
        #expect(TokenCounter.count("") == 0)
        #expect(TokenCounter.count(" \n\t ") == 0)
        #expect(TokenCounter.count("a b c") == 3)
        // "Hell" "o" "," "worl" "d" "!"
        #expect(TokenCounter.count("Hello, world!") == 6)
        // "toke" "nize" "r"
        #expect(TokenCounter.count("tokenizer") == 3)
        #expect(TokenCounter.count("abcd") == 1)
        #expect(TokenCounter.count("abcde") == 2)
        #expect(TokenCounter.count("2024-06-20") == 5)  // "2024" "-" "06" "-" "20"
    }

    @Test func specialMarkersAndIdeographs() {
        #expect(TokenCounter.count("<|eot_id|>") == 1)
        #expect(TokenCounter.count("<|begin_of_text|>hi") == 2)
        #expect(TokenCounter.count("<| x |>") == 5)  // whitespace inside: not a marker
        #expect(TokenCounter.count("<||>") == 4)  // empty name: not a marker
        #expect(TokenCounter.count("日本語") == 3)
        #expect(TokenCounter.count("a🙂b") == 3)
    }

    @Test(arguments: [
        "Hello, world!", "  leading and trailing  ", "Supercalifragilisticexpialidocious words.",
        "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>", "日本語のテキスト and English", "x",
    ])
    func piecesConcatenateAndCountOneEach(_ text: String) {
        let pieces = TokenCounter.pieces(text)
        #expect(pieces.joined() == text)
        #expect(pieces.count == TokenCounter.count(text))
        for p in pieces { #expect(TokenCounter.count(p) == 1) }
        // Cutting at a piece boundary gives exactly that many tokens (the max-token cap relies on it).
        for k in 0...pieces.count { #expect(TokenCounter.count(pieces.prefix(k).joined()) == k) }
    }

    @Test func whitespaceOnlyHasNoPieces() {
        #expect(TokenCounter.pieces("   ").isEmpty)
    }
}

@Suite struct LatencyModelTests {
    @Test func zeroLatencyIsZero() {
        let z = LatencyModel.zero
        #expect(z.offsetOfToken(0) == 0)
        #expect(z.offsetOfToken(100) == 0)
        #expect(z.duration(outputTokens: 0) == 0)
        #expect(z.duration(outputTokens: 500) == 0)
        #expect(z.invocationLatencyMs(outputTokens: 10) == 0)
        #expect(z.firstByteLatencyMs == 0)
    }

    @Test func offsetsAndDuration() throws {
        let l = LatencyModel(firstTokenMs: 100, tokensPerSecond: 50)
        #expect(l.offsetOfToken(0) == 100)
        #expect(l.offsetOfToken(1) == 120)
        #expect(l.duration(outputTokens: 0) == 100)
        #expect(l.duration(outputTokens: 1) == 100)
        #expect(l.duration(outputTokens: 10) == 280)
        #expect(l.invocationLatencyMs(outputTokens: 10) == 280)
        #expect(l.firstByteLatencyMs == 100)
    }

    /// The one-loop ASCII count gives what the general scan gives (`pieces` walks with `scan`), markers and
    /// non-ASCII text included (those go to the scan).
    @Test func asciiCountAgreesWithTheScan() {
        let parts = ["word", "abcdefghij", "_x", "42", " ", "  ", "\n", ".", ",", "<|eot|>", "<", "|", ">", "é", "日本", "a-b", "\t"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<4000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...30, using: &g) { s += parts.randomElement(using: &g)! }
            #expect(TokenCounter.count(s) == TokenCounter.pieces(s).count, "text: \(s.debugDescription)")
        }
    }

    /// The marker search skips eight candidate positions at a time; it finds what a position-by-position search finds.
    @Test func markerSearchAgreesWithANaiveSearch() {
        let parts = ["User:", "Bot:", "User", "Bo", "U", "B", ":", "ser", "xxxxxxxx", " ", "\n", "é", "e\u{301}"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...16, using: &g) { s += parts.randomElement(using: &g)! }
            let bytes = Array(s.utf8)
            bytes.withUnsafeBufferPointer { p in
                let from = Int.random(in: 0...p.count, using: &g), to = Int.random(in: from...p.count, using: &g)
                for last in [false, true] {
                    for needle in ["User:", "Bot:"] as [StaticString] {
                        let m = needle.utf8CodeUnitCount
                        let n = Array(UnsafeBufferPointer(start: needle.utf8Start, count: m))
                        var hits: [Int] = []
                        if to - from >= m {
                            for i in from...(to - m) where Array(p[i..<(i + m)]) == n
                                && UTF8Text.isCharacterBoundary(s, p, i) && UTF8Text.isCharacterBoundary(s, p, i + m) { hits.append(i) }
                        }
                        let expected = (last ? hits.last : hits.first).map { $0..<($0 + m) }
                        #expect(UTF8Text.find(needle, in: s, p, from: from, to: to, last: last) == expected, "\(s.debugDescription) \(from)..<\(to)")
                    }
                }
            }
        }
    }

    /// The count with a cut (the stand-ins' max-token cap) through the ASCII loop gives what the general scan gives,
    /// for every limit, markers and non-ASCII text included.
    @Test func asciiCutAgreesWithTheScan() {
        let parts = ["word", "abcdefghij", "_x", "42", " ", "\n", ".", ",", "<|eot|>", "<", "é", "日本", "a-b", "abcde"]
        var g = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            var s = ""
            for _ in 0..<Int.random(in: 0...20, using: &g) { s += parts.randomElement(using: &g)! }
            let limit = Int.random(in: 0...30, using: &g)
            let scanned = Array(s.utf8).withUnsafeBufferPointer { TokenCounter.countScanning($0, cutAt: limit) }
            let got = TokenCounter.count(s, cutAt: limit)
            #expect(got.count == scanned.count && got.prefixBytes == scanned.prefixBytes, "\(s.debugDescription) limit \(limit)")
        }
    }
}
