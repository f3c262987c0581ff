import Foundation
import Testing
import EventStream
import HTTPWire
import TLSServer

/// A stand-in Bedrock runtime built only from the three blocks (TLS, HTTP/1.1, event stream), driven by the real
/// botocore client with `AWS_CA_BUNDLE` pointing at the run CA: proves the pieces fit what the SDK sends and parses.
func fakeBedrock(_ request: HTTPRequest, _ tls: String) -> [[UInt8]] {
    var h = HTTPHeaders()
    h.add("x-amzn-RequestId", "req-\(request.method)-\(request.body.count)")
    let path = request.path
    if path.contains("denied") {
        return [HTTPResponseWriter.awsError(status: 403, errorType: "AccessDeniedException",
                                            message: "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: bedrock:InvokeModel",
                                            requestId: "req-denied")]
    }
    if path.hasSuffix("/invoke-with-response-stream") {
        h.add("Content-Type", BedrockEvents.contentType)
        h.add("X-Amzn-Bedrock-Content-Type", "application/json")
        var out = [HTTPResponseWriter.chunkedHead(status: 200, headers: h)]
        for (i, word) in ["Hello", " from", " the", " simulator"].enumerated() {
            let chunk = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(word)"}}"#
            let event = BedrockEvents.chunk(Array(chunk.utf8), padding: BedrockEvents.padding(length: 3 + i))
            out.append(HTTPResponseWriter.chunk((try? event.encoded()) ?? []))
        }
        if path.contains("throttled") {
            let ex = BedrockEvents.exception("ThrottlingException", message: "Too many requests, please wait before trying again.")
            out.append(HTTPResponseWriter.chunk((try? ex.encoded()) ?? []))
        }
        out.append(HTTPResponseWriter.lastChunk)
        return out
    }
    if path.hasSuffix("/converse-stream") {
        h.add("Content-Type", BedrockEvents.contentType)
        let events = [
            BedrockEvents.messageStart(padding: "ab"),
            BedrockEvents.contentBlockDelta(text: "Hi there", index: 0, padding: "abcd"),
            BedrockEvents.contentBlockStop(index: 0),
            BedrockEvents.messageStop(stopReason: "end_turn"),
            BedrockEvents.metadata(inputTokens: 3, outputTokens: 2, latencyMs: 42),
        ]
        return [HTTPResponseWriter.chunkedHead(status: 200, headers: h)]
            + events.map { HTTPResponseWriter.chunk((try? $0.encoded()) ?? []) } + [HTTPResponseWriter.lastChunk]
    }
    h.add("Content-Type", "application/json")
    h.add("X-Amzn-Bedrock-Input-Token-Count", "3")
    h.add("X-Amzn-Bedrock-Output-Token-Count", "2")
    let echoed = String(decoding: request.body, as: UTF8.self)
    let body = #"{"completion":"ok","tls":"\#(tls)","echo":\#(echoed.isEmpty ? "null" : echoed)}"#
    return [HTTPResponseWriter.serialize(status: 200, headers: h, body: Array(body.utf8))]
}

@Suite("botocore against the TLS + HTTP + event-stream blocks", .serialized, .timeLimit(.minutes(2)))
struct BotocoreTests {
    @Test("InvokeModel, InvokeModelWithResponseStream, ConverseStream, a mid-stream exception and AccessDenied")
    func botocoreClient() throws {
        let server = try TestHTTPSServer(respond: fakeBedrock)
        defer { server.stop() }
        let caPath = try writeTemp(server.caPEM, name: "ca.pem")
        let script = """
        import json, sys, botocore.session
        from botocore.exceptions import EventStreamError
        port = int(sys.argv[1])
        c = botocore.session.get_session().create_client("bedrock-runtime", region_name="us-east-1",
            endpoint_url=f"https://localhost:{port}", aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
        r = c.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=json.dumps({"prompt": "hi"}),
                           contentType="application/json", accept="application/json")
        print("invoke", r["ResponseMetadata"]["RequestId"], json.loads(r["body"].read())["echo"])
        r = c.invoke_model_with_response_stream(modelId="m", body="{}")
        print("stream-type", r["contentType"])
        print("stream", "".join(json.loads(e["chunk"]["bytes"])["delta"]["text"] for e in r["body"]))
        r = c.invoke_model_with_response_stream(modelId="throttled", body="{}")
        try:
            for e in r["body"]: pass
            print("no error")
        except EventStreamError as e:
            print("stream-error", e.response["Error"]["Code"])
        r = c.converse_stream(modelId="m", messages=[{"role": "user", "content": [{"text": "hi"}]}])
        for e in r["stream"]:
            k = next(iter(e))
            print("converse", k, json.dumps(e[k], sort_keys=True))
        try:
            c.invoke_model(modelId="denied", body="{}")
        except c.exceptions.AccessDeniedException as e:
            print("denied", e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], e.response["ResponseMetadata"]["RequestId"])
        """
        let r = try runCommand(["python3", "-c", script, String(server.port)], environment: ["AWS_CA_BUNDLE": caPath], timeoutSeconds: 60)
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("invoke req-POST-16 {'prompt': 'hi'}"), "\(r.output)")
        #expect(r.output.contains("stream-type application/json"), "\(r.output)")
        #expect(r.output.contains("stream Hello from the simulator"), "\(r.output)")
        #expect(r.output.contains("stream-error throttlingException"), "\(r.output)")
        #expect(r.output.contains(#"converse contentBlockDelta {"contentBlockIndex": 0, "delta": {"text": "Hi there"}}"#), "\(r.output)")
        #expect(r.output.contains(#"converse messageStop {"stopReason": "end_turn"}"#), "\(r.output)")
        #expect(r.output.contains(#"converse metadata {"metrics": {"latencyMs": 42}, "usage": {"inputTokens": 3, "outputTokens": 2, "totalTokens": 5}}"#), "\(r.output)")
        #expect(r.output.contains("denied 403 AccessDeniedException req-denied"), "\(r.output)")
        #expect(server.log.contains { $0.hasPrefix("handshake TLSv1.3 sni=localhost") }, "\(server.log)")
    }
}
