// The one JSON string-literal writer every hand-written JSON output uses.
import Foundation
@testable import JSONText
import Testing

@Suite("JSON string literals")
struct JSONTextTests {
    @Test func escapesWhatRFC8259RequiresAndNothingElse() {
        #expect(JSONText.quoted("plain") == #""plain""#)
        #expect(JSONText.quoted("a\"b\\c\nd\re\tf") == #""a\"b\\c\nd\re\tf""#)
        #expect(JSONText.quoted("\u{0}\u{1f}") == #""\u0000\u001f""#)
        #expect(JSONText.quoted("é 日本 🙂 \u{7f}") == "\"é 日本 🙂 \u{7f}\"")
    }

    /// The word-at-a-time check that a value needs no escaping: every special byte, at every position of strings
    /// up to three words long (the word loop and the byte tail), among bytes that are not special, ASCII or not.
    @Test func aSpecialByteIsFoundAtEveryPositionOfAWord() {
        let specials: [UInt8] = Array(0..<32) + [34, 92]
        for length in 1...24 {
            for filler: UInt8 in [UInt8(ascii: "a"), 0x7F, 0x80, 0xC3, 0xFF, 0x21, 0x5B, 0x5D] {
                let plain = [UInt8](repeating: filler, count: length)
                #expect(plain.withUnsafeBufferPointer { JSONText.isPlain($0) }, "length \(length), filler \(filler)")
                for position in 0..<length {
                    for special in specials {
                        var bytes = plain
                        bytes[position] = special
                        #expect(!bytes.withUnsafeBufferPointer { JSONText.isPlain($0) },
                                "byte \(special) at \(position) of \(length) among \(filler)")
                    }
                }
            }
        }
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
