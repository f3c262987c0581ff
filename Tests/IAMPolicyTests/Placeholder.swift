import Testing
@testable import IAMPolicy
@Test func placeholder() { #expect(Bool(true)) }
