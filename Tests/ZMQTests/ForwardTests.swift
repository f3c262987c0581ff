// Moving messages without copying, as the benchmark's baseline echo server does: one multipart message per call,
// waiting at most ZMQ_RCVTIMEO.
import Testing
import ZMQ

@Suite("Forwarding")
struct ForwardTests {
    @Test func forwardNextEchoesOneMessageAndReportsATimeout() throws {
        let context = try Context()
        defer { context.terminate() }
        let echo = try Socket(context: context, type: .router)
        defer { echo.close() }
        try echo.setReceiveTimeout(milliseconds: 50)
        let endpoint = "inproc://forward-\(UInt32.random(in: 0...UInt32.max))"
        try echo.bind(endpoint)
        let client = try Socket(context: context, type: .dealer)
        defer { client.close() }
        try client.setReceiveTimeout(milliseconds: 2000)   // a failure ends the test, it does not hang it
        try client.connect(endpoint)
        #expect(try echo.forwardNext(to: echo) == false, "nothing queued: the wait times out")
        try client.send([Array("one".utf8)], dontWait: false)
        try client.send([Array("two".utf8)], dontWait: false)
        #expect(try echo.forwardNext(to: echo))
        // One message per call: the second is still queued at the echo, and the first is back at the client.
        let first = try #require(try client.receive(dontWait: false))
        #expect(first.frames == [Array("one".utf8)])
        #expect(try client.receive(dontWait: true) == nil)
        #expect(try echo.forwardNext(to: echo))
        let second = try #require(try client.receive(dontWait: false))
        #expect(second.frames == [Array("two".utf8)])
    }
}
