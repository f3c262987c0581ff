import Foundation
import Testing
@testable import EventStream

/// Cross-check with boto3's decoder: Vectors/botocore/bedrock_streams.json was produced by
/// Vectors/botocore/make_fixture.py (an independent Python encoder, decoded and parsed by botocore 1.43.11 with the
/// real bedrock-runtime model). Our builders must produce the same bytes, so boto3 reads them as the fixture records.
@Suite("Bedrock events")
struct BedrockEventTests {
    func fixture(_ name: String) throws -> (stream: [UInt8], entry: [String: Any]) {
        let all = try Vectors.json("botocore/bedrock_streams.json")
        let entry = try #require(all[name] as? [String: Any])
        let text = try #require(entry["streamBase64"] as? String)
        let stream = try #require(Base64.decode(text))
        return (stream, entry)
    }

    static let chunk1 = Array(#"{"type":"message_start","message":{"role":"assistant"}}"#.utf8)
    static let chunk2 = Array(#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello \u00e9"}}"#.utf8)

    @Test("InvokeModelWithResponseStream chunks and a mid-stream exception are what botocore parsed")
    func invokeStreamMatchesBotocore() throws {
        let (stream, entry) = try fixture("invoke")
        let ours = try [
            BedrockEvents.chunk(Self.chunk1, padding: BedrockEvents.padding(length: 8)),
            BedrockEvents.chunk(Self.chunk2),
            BedrockEvents.exception("ThrottlingException", message: "Too many requests, please wait before trying again."),
        ].flatMap { try $0.encoded() }
        #expect(ours == stream)
        // What boto3 handed the caller: the chunk bytes, then EventStreamError with code throttlingException.
        let events = try #require(entry["botocoreEvents"] as? [[String: Any]])
        let bytes = events.compactMap { (($0["chunk"] as? [String: Any])?["bytes"] as? [String: Any])?["__bytes__"] as? String }
        #expect(bytes == [String(decoding: Self.chunk1, as: UTF8.self), String(decoding: Self.chunk2, as: UTF8.self)])
        let error = try #require(entry["botocoreError"] as? [String: Any])
        #expect(error["code"] as? String == "throttlingException")

        // And our decoder reads the Python-encoded stream back, fed in 5-byte pieces.
        var decoder = EventStreamDecoder()
        var kinds: [BedrockEvents.Kind] = []
        for start in stride(from: 0, to: stream.count, by: 5) {
            decoder.append(stream[start..<min(start + 5, stream.count)])
            while let m = try decoder.next() { kinds.append(try #require(BedrockEvents.classify(m))) }
        }
        #expect(kinds.count == 3)
        guard case .event(let t, let payload) = kinds[0] else { Issue.record("first is not an event"); return }
        #expect(t == "chunk")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
        let b64 = try #require(obj["bytes"] as? String)
        #expect(Base64.decode(b64) == Self.chunk1)
        guard case .exception(let et, _) = kinds[2] else { Issue.record("last is not an exception"); return }
        #expect(et == "throttlingException")
    }

    @Test("ConverseStream events carry unwrapped member payloads, byte-identical to the botocore fixture")
    func converseStreamMatchesBotocore() throws {
        let (stream, entry) = try fixture("converse")
        let ours = try [
            BedrockEvents.messageStart(padding: "abc"),
            BedrockEvents.contentBlockDelta(text: "Hello, \"world\"\n", index: 0, padding: "abcdef"),
            BedrockEvents.contentBlockStop(index: 0),
            BedrockEvents.messageStop(stopReason: "end_turn"),
            BedrockEvents.metadata(inputTokens: 12, outputTokens: 34, latencyMs: 567),
        ].flatMap { try $0.encoded() }
        #expect(ours == stream)
        let events = try #require(entry["botocoreEvents"] as? [[String: Any]])
        #expect(events.compactMap { $0.keys.first } == ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata"])
        let delta = try #require((events[1]["contentBlockDelta"] as? [String: Any])?["delta"] as? [String: Any])
        #expect(delta["text"] as? String == "Hello, \"world\"\n")
        #expect(entry["botocoreError"] is NSNull)
    }

    @Test("exception events use camelCase :exception-type and carry extra fields")
    func exceptionShape() throws {
        let m = BedrockEvents.exception("ModelStreamErrorException", message: "boom", extraFields: [("originalStatusCode", "500")])
        #expect(m.header(":exception-type") == .string("modelStreamErrorException"))
        #expect(m.header(":message-type") == .string("exception"))
        #expect(String(decoding: m.payload, as: UTF8.self) == #"{"message":"boom","originalStatusCode":500}"#)
    }

    @Test("JSON quoting escapes control characters")
    func quoting() {
        #expect(JSONObject.quote("a\u{01}\"\\\t") == #""a\u0001\"\\\t""#)
        #expect(BedrockEvents.padding(length: 3) == "abc")
        #expect(BedrockEvents.padding(length: 100).count == 62)
    }
}
