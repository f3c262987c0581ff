import Testing
@testable import Guardrails

/// Hostile and random input must never crash the scanner or the engine, and matches must be
/// ordered, non-overlapping and inside the text.
struct RobustnessTests {
    static let alphabet: [String] = ["0", "1", "4", "9", " ", "-", ".", ":", "/", "@", "(", ")", "+", "x", "A", "K", "I", "G", "B",
                                     "a", "e", "é", "😀", "\n", "#", "=", "secret", "password:", "NHS ", "SSN ", "www.", "http://",
                                     "Dr. ", "John ", "Smith", " Street", "AKIA", "GB82", "::", "ff", "age ", "years old", "'"]

    @Test("random strings", arguments: 0..<8)
    func random(_ seed: Int) {
        var r = CorpusRng(s: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        let engine = GuardrailEngine(configuration: BenchmarkConfig.full)
        for _ in 0..<200 {
            var s = ""
            for _ in 0..<r.between(0, 60) { s += r.pick(Self.alphabet) }
            let bytes = Array(s.utf8)
            let matches = SharedTables.scanner.scan(s)
            var last = 0
            for m in matches {
                #expect(m.start >= last && m.start < m.end && m.end <= bytes.count, "\(s)")
                last = m.end
            }
            let res = engine.assess(source: .input, content: [.init(text: s), .init(text: s, qualifiers: [.groundingSource]), .init(text: "q", qualifiers: [.query])])
            #expect(!res.jsonBytes().isEmpty)
        }
    }

    @Test("edge inputs")
    func edges() {
        for s in ["", " ", "@", "@@@", "a@", "@b.com", "(", "(555", "+", "+1", "4", "AKIA", "secret", "password:", "1.2.3.", "::", "ff:", "12 ",
                  String(repeating: "9", count: 5000), String(repeating: "a.", count: 3000), String(repeating: "(555) ", count: 500)] {
            _ = SharedTables.scanner.scan(s)
            let r = GuardrailEngine(configuration: BenchmarkConfig.full).assess(source: .output, content: [.init(text: s)])
            #expect(r.guardrailCoverage?.textCharacters.total == s.utf16.count)
        }
    }
}

enum BenchmarkConfig {
    static let full = GuardrailBenchmark.fullConfiguration()
}
