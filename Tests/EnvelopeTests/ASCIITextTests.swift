import ASCIIText
import Testing

@Suite("ASCII text helpers")
struct ASCIITextTests {
    @Test func lowercasingTouchesOnlyASCIILetters() {
        #expect(ASCII.lowercased("X-Amz-Date") == "x-amz-date")
        #expect(ASCII.lowercased("already-lower_09") == "already-lower_09")
        #expect(ASCII.lowercased("ÄB-Ç") == "Äb-Ç")
        #expect(ASCII.lowercased("") == "")
        for b in UInt8(0)...UInt8(255) { #expect(ASCII.lower(b) == ((65...90).contains(b) ? b + 32 : b)) }
    }

    @Test func caseInsensitiveEqualityFoldsLettersOnly() {
        #expect(ASCII.equalsIgnoringCase("Content-Type", "content-TYPE"))
        #expect(!ASCII.equalsIgnoringCase("Content-Type", "Content_Type"))
        #expect(!ASCII.equalsIgnoringCase("a", "ab") && ASCII.equalsIgnoringCase("", ""))
        // '@' (0x40) and '`' (0x60) differ only in the bit letters fold on: they are not letters.
        #expect(!ASCII.equalsIgnoringCase("@", "`") && !ASCII.equalsIgnoringCase("[", "{"))
        #expect(ASCII.equalsIgnoringCase("é", "é") && !ASCII.equalsIgnoringCase("é", "É"))
    }

    @Test func validatingUTF8AcceptsASCIIAndUTF8AndRefusesTheRest() {
        func s(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBufferPointer { ASCII.string(validatingUTF8: $0) } }
        #expect(s(Array("plain ascii".utf8)) == "plain ascii")
        #expect(s(Array("préfixe".utf8)) == "préfixe")
        #expect(s([0x61, 0xFF, 0x62]) == nil && s([0xC3]) == nil)
        #expect(s([]) == "")
    }
}
