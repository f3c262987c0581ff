import ASCIIText
import Testing

@Suite("ASCII text helpers")
struct ASCIITextTests {
    @Test func withUTF8GivesEveryByteOfAnyString() {
        let large = String(repeating: "é-x\u{0}y", count: 20)
        for s in ["", "a", "short\u{0}nul", "ünïcödé", large, String(large.dropFirst(3)), String(Substring(large).prefix(7))] {
            #expect(ASCII.withUTF8(s) { Array($0) } == Array(s.utf8))
        }
    }

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

    /// The word-at-a-time scans stop exactly where a byte-by-byte loop does, from every start offset.
    @Test func swarScansAgreeWithByteLoops() {
        var g = SystemRandomNumberGenerator()
        // Mostly letters, with the bytes the scans stop at mixed in at random places.
        let alphabet: [UInt8] = Array("abcdefghXYZ .,:".utf8) + [0x22, 0x5C, 0x00, 0x1F, 0x20, 0x7F, 0x80, 0xC3, 0xFF, 0x30, 0x39, 0x2F, 0x3A]
        for _ in 0..<4000 {
            let n = Int.random(in: 0...40, using: &g)
            let bytes = (0..<n).map { _ in Bool.random(using: &g) && Bool.random(using: &g) ? alphabet.randomElement(using: &g)! : UInt8.random(in: 97...122, using: &g) }
            let start = Int.random(in: 0...n, using: &g)
            bytes.withUnsafeBufferPointer { p in
                var end = start, high = false
                while end < n, !(p[end] == 0x22 || p[end] == 0x5C || p[end] < 0x20) { if p[end] >= 0x80 { high = true }; end += 1 }
                let run = SWAR.jsonStringRun(p, from: start)
                #expect(run.end == end && run.nonASCII == high, "\(bytes) from \(start)")
                var d = start
                while d < n, !(p[d] >= 0x80 || (0x30...0x39).contains(p[d])) { d += 1 }
                #expect(SWAR.firstDigitOrHigh(p, from: start) == d, "\(bytes) from \(start)")
            }
        }
    }

    /// Each lane test, for every byte value in every lane of a word whose other lanes are all letters.
    @Test func swarLaneTestsAreExact() {
        for lane in 0..<8 {
            for b in UInt8(0)...UInt8(255) {
                var bytes = Array("qwertyui".utf8)
                bytes[lane] = b
                let w = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(SWAR.has(w, 0x22) == bytes.contains(0x22))
                #expect(SWAR.hasLess(w, 0x20) == bytes.contains(where: { $0 < 0x20 }))
                #expect(SWAR.hasHigh(w) == (b >= 0x80))
                if b < 0x80 { #expect(SWAR.hasDigitASCII(w) == (0x30...0x39).contains(b), "byte \(b) in lane \(lane)") }
            }
        }
        #expect(ASCII.string(ascii: UnsafeBufferPointer(start: nil, count: 0)) == "")
    }
}
