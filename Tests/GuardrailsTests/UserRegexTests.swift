import Testing
@testable import Guardrails

@Suite("Custom regexes on Swift Regex")
struct UserRegexTests {
    @Test("the literal prefix used to skip texts is one every match must start with", arguments: [
        ("ORD-[0-9]{6}", "ORD-"), ("abc?", "ab"), ("ab*c", "a"), ("ab{2}", "a"), ("a|b", ""), ("x(a|b)", ""),
        ("(?i)falcon", ""), ("\\d+", ""), ("^ORD", ""), ("order:\\s*\\d", "order:"), ("Kelvin", ""), ("oK", "o"), ("a;b", "a"),
    ])
    func literalPrefix(pattern: String, prefix: String) {
        #expect(UserRegex.literalPrefix(pattern) == Array(prefix.utf8))
    }

    @Test("byte search behind the prefix filter")
    func containsBytes() {
        let t = Array("Order ORD-123456".utf8)
        #expect(t.containsBytes(Array("ORD-".utf8)))
        #expect(t.containsBytes(Array("3456".utf8)))
        #expect(!t.containsBytes(Array("ORD-9".utf8)))
        #expect(!Array("OR".utf8).containsBytes(Array("ORD".utf8)))
    }

    @Test("matches are found with and without a usable prefix; \\b is ICU's simple word boundary")
    func matching() {
        func matches(_ pattern: String, _ text: String) -> [String] {
            var c = GuardrailConfiguration(name: "t", blockedInputMessaging: "b", blockedOutputsMessaging: "b")
            c.regexes = [.init(name: "r", pattern: pattern, action: .none)]
            let r = GuardrailEngine(configuration: c).assess(source: .input, content: [.init(text: text)])
            return r.assessments.first?.sensitiveInformationPolicy?.regexes.map(\.match) ?? []
        }
        #expect(matches("ORD-[0-9]{6}", "ORD-123456 and ORD-654321") == ["ORD-123456", "ORD-654321"])
        #expect(matches("ORD-[0-9]{6}", "no orders here").isEmpty)
        #expect(matches("\\b\\d{2}\\b", "ab-12 x345 67") == ["12", "67"])
        #expect(matches("(?i)falcon-\\d+", "FALCON-9, Falcon-10") == ["FALCON-9", "Falcon-10"])
    }
}
