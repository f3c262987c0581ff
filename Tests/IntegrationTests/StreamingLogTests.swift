// StreamingLog (the trace's and CloudTrail's writer): starting writeback and dropping written ranges from the page
// cache must never lose or reorder a byte, with another writer appending to the same file between its writes.
import Foundation
import NodeRuntime
import Testing

@Suite("StreamingLog")
struct StreamingLogTests {
    @Test func everyByteArrivesInOrderAcrossManyWindowsWithAnotherAppenderInBetween() throws {
        let path = NSTemporaryDirectory() + "streaming-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(path) }
        let fd = try #require(POSIX.openAppend(path))
        let other = try #require(POSIX.openAppend(path))   // e.g. the KMS stand-in appending to the same trail
        defer { close(fd); close(other) }
        let log = StreamingLog(fd: fd, window: 64 * 1024)   // ~80 windows: writeback started and ranges dropped often
        var expected: [UInt8] = []
        for i in 0..<3000 {
            let line = Array("{\"n\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 3000))\"}\n".utf8)
            #expect(log.append(line))
            expected += line
            if i % 97 == 0 {
                let foreign = Array("{\"other\":\(i)}\n".utf8)
                #expect(POSIX.writeAll(other, foreign))
                expected += foreign
            }
        }
        #expect(expected.count > 4 << 20)
        let written = try #require(FileManager.default.contents(atPath: path))
        #expect(written.count == expected.count)
        #expect([UInt8](written) == expected)
    }

    @Test func aLogOpenedOnAnExistingFileContinuesAfterItsEnd() throws {
        let path = NSTemporaryDirectory() + "streaming-log-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        defer { unlink(path) }
        let first = try #require(POSIX.openAppend(path))
        #expect(POSIX.writeAll(first, Array(String(repeating: "a", count: 100_000).utf8)))
        close(first)
        let fd = try #require(POSIX.openAppend(path))
        defer { close(fd) }
        let log = StreamingLog(fd: fd, window: 4096)
        for _ in 0..<50 { #expect(log.append(Array(String(repeating: "b", count: 1000).utf8))) }
        let written = try #require(FileManager.default.contents(atPath: path))
        #expect(written.count == 150_000)
        #expect(written.prefix(100_000).allSatisfy { $0 == UInt8(ascii: "a") })
        #expect(written.suffix(50_000).allSatisfy { $0 == UInt8(ascii: "b") })
    }
}
