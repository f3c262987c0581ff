import Testing
@testable import SimCrypto

/// Decodes a hex literal from a published vector; a typo in a vector fails the test, not the process.
func hex(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    try #require(bytes(fromHex: text.filter { !$0.isWhitespace }), "bad hex literal", sourceLocation: sourceLocation)
}

func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
