// The one JSON string-literal writer every hand-written JSON output uses.
import Foundation
import JSONText
import Testing

@Suite("JSON string literals")
struct JSONTextTests {
    @Test func escapesWhatRFC8259RequiresAndNothingElse() {
        #expect(JSONText.quoted("plain") == #""plain""#)
        #expect(JSONText.quoted("a\"b\\c\nd\re\tf") == #""a\"b\\c\nd\re\tf""#)
        #expect(JSONText.quoted("\u{0}\u{1f}") == #""\u0000\u001f""#)
        #expect(JSONText.quoted("é 日本 🙂 \u{7f}") == "\"é 日本 🙂 \u{7f}\"")
    }

    @Test func everyLiteralParsesBackToItsString() throws {
        var g = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1f}", "é", "🙂", " ", "/"]
        for _ in 0..<500 {
            let s = String((0..<Int.random(in: 0...12, using: &g)).map { _ in alphabet.randomElement(using: &g)! })
            let parsed = try JSONSerialization.jsonObject(with: Data(JSONText.quoted(s).utf8), options: .fragmentsAllowed) as? String
            #expect(parsed == s)
        }
    }
}
