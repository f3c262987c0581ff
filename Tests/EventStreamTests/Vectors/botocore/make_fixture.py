#!/usr/bin/env python3
"""Generates bedrock_streams.json, the botocore cross-check fixture for EventStreamTests.

Run once from this directory with botocore installed (`python3 make_fixture.py`; generated with botocore 1.43.11).
It encodes two Bedrock response streams with an encoder written here independently of the Swift code
(struct.pack + binascii.crc32, the framing of bedrock-api.md §1.4), then decodes them with botocore's own
EventStreamBuffer and parses every event with botocore's EventStreamJSONParser (what the rest-json parser uses for event streams) against the real
bedrock-runtime service model, exactly as boto3 would. The fixture stores the stream bytes (base64) and what
boto3 hands the caller, so the Swift test can check both that its builders produce the same bytes and that
those bytes mean what boto3 expects.
"""
import base64, binascii, json, struct
import botocore.session
from botocore.eventstream import EventStreamBuffer, EventStream
from botocore.parsers import EventStreamJSONParser
from botocore.exceptions import EventStreamError


def header(name, value):
    n = name.encode()
    v = value.encode()
    return struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v


def message(headers, payload):
    h = b"".join(header(k, v) for k, v in headers)
    total = 16 + len(h) + len(payload)
    prelude = struct.pack(">II", total, len(h))
    prelude += struct.pack(">I", binascii.crc32(prelude) & 0xFFFFFFFF)
    body = prelude + h + payload
    return body + struct.pack(">I", binascii.crc32(body) & 0xFFFFFFFF)


def event(kind, obj):
    return message([(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")],
                   json.dumps(obj, separators=(",", ":")).encode())


def exception(member, msg):
    return message([(":exception-type", member), (":content-type", "application/json"),
                    (":message-type", "exception")], json.dumps({"message": msg}, separators=(",", ":")).encode())


chunk1 = b'{"type":"message_start","message":{"role":"assistant"}}'
chunk2 = b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello \\u00e9"}}'
invoke_stream = (
    event("chunk", {"bytes": base64.b64encode(chunk1).decode(), "p": "abcdefgh"})
    + event("chunk", {"bytes": base64.b64encode(chunk2).decode()})
    + exception("throttlingException", "Too many requests, please wait before trying again.")
)
converse_stream = (
    event("messageStart", {"role": "assistant", "p": "abc"})
    + event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hello, \"world\"\n"}, "p": "abcdef"})
    + event("contentBlockStop", {"contentBlockIndex": 0})
    + event("messageStop", {"stopReason": "end_turn"})
    + event("metadata", {"usage": {"inputTokens": 12, "outputTokens": 34, "totalTokens": 46},
                         "metrics": {"latencyMs": 567}})
)


class Raw:
    def __init__(self, data):
        self.data = data

    def stream(self):
        # Arbitrary 7-byte pieces, so botocore's buffer has to reassemble messages.
        for i in range(0, len(self.data), 7):
            yield self.data[i:i + 7]

    def close(self):
        pass


def parse(operation, member, data):
    model = botocore.session.get_session().get_service_model("bedrock-runtime")
    shape = model.operation_model(operation).output_shape.members[member]
    events, error = [], None
    try:
        for e in EventStream(Raw(data), shape, EventStreamJSONParser(), operation):
            events.append(e)
    except EventStreamError as err:
        error = {"code": err.response["Error"]["Code"], "message": err.response["Error"]["Message"]}
    buf = EventStreamBuffer()
    buf.add_data(data)
    return events, error, len(list(buf))


def jsonable(x):
    if isinstance(x, bytes):
        return {"__bytes__": x.decode()}
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [jsonable(v) for v in x]
    return x


out = {}
for name, op, member, data in [("invoke", "InvokeModelWithResponseStream", "body", invoke_stream),
                               ("converse", "ConverseStream", "stream", converse_stream)]:
    events, error, count = parse(op, member, data)
    out[name] = {"operation": op, "streamBase64": base64.b64encode(data).decode(), "messageCount": count,
                 "botocoreEvents": jsonable(events), "botocoreError": error}
with open("bedrock_streams.json", "w") as f:
    json.dump(out, f, indent=2, ensure_ascii=False)
    f.write("\n")
print(json.dumps(out, indent=1, ensure_ascii=False)[:3000])
