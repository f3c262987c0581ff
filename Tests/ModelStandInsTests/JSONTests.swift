import Testing
@testable import ModelStandIns

@Suite struct JSONTests {
    @Test func roundTripKeepsOrderAndNumberKinds() throws {
        let text = #"{"z":1,"a":[true,false,null,1.5,-2,"x\"y\\\n"],"m":{"b":0.1,"a":1e3}}"#
        let v = try JSONValue.parse(text)
        #expect(v["z"] == .integer(1))
        #expect(v["m"]?["a"] == .number(1000))
        #expect(v.objectValue?.keys == ["z", "a", "m"])
        #expect(v.serializedString == #"{"z":1,"a":[true,false,null,1.5,-2,"x\"y\\\n"],"m":{"b":0.1,"a":1000.0}}"#)
    }

    @Test func unicodeEscapes() throws {
        let v = try JSONValue.parse(#""\u00e9\ud83d\ude00\u0001""#)
        #expect(v == .string("é😀\u{1}"))
        #expect(v.serializedString == "\"é😀\\u0001\"")
    }

    @Test(arguments: [
        "", "{", #"{"a":1,}"#, #"{"a":1,"a":2}"#, "[1] x", "01", "1.", "-", #""\ud800""#, "tru", #"{"a" 1}"#,
        String(repeating: "[", count: 300) + String(repeating: "]", count: 300),
    ])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }
}
