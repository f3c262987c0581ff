#!/usr/bin/env python3
"""Regenerates botocore-bedrock.json: requests signed by botocore itself, for the SigV4 cross-check tests.

Run from this directory:  python3 generate.py > botocore-bedrock.json
(It was produced with botocore 1.43.11 / Python 3.11; the version is recorded in the output.)

For each case it builds a real boto3-style client (bedrock-runtime or bedrock), pins botocore's clock
(botocore.auth.get_current_datetime) to a fixed instant, and intercepts the request at 'before-send'
(after signing, before any network I/O), recording exactly what botocore would put on the wire: method,
raw path, raw query, headers in order (plus the Host header that urllib3 adds from the URL), body, and
botocore's own CanonicalRequest / StringToSign debug log lines. Nothing is sent anywhere.
"""
import base64, datetime, json, logging, sys
from unittest import mock
from urllib.parse import urlsplit

import botocore
import botocore.session
from botocore.awsrequest import AWSResponse

SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
BODY_1K = json.dumps({
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 256,
    "messages": [{"role": "user", "content": "x" * 900}],
}, separators=(",", ":")).encode()
BODY_1K = BODY_1K + b" " * (1024 - len(BODY_1K))  # exactly 1 KiB, still valid JSON


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append((record.msg, record.args))


def run(case):
    session = botocore.session.get_session()
    client = session.create_client(
        case["client"], region_name=case["region"],
        aws_access_key_id=case["accessKeyId"], aws_secret_access_key=SECRET,
        aws_session_token=case.get("sessionToken"))
    captured = {}

    def before_send(request, **kwargs):
        captured["request"] = request
        return AWSResponse(request.url, 200, {}, None)

    client.meta.events.register("before-send", before_send)
    capture = Capture()
    log = logging.getLogger("botocore.auth")
    log.setLevel(logging.DEBUG)
    log.addHandler(capture)
    when = datetime.datetime.strptime(case["amzDate"], "%Y%m%dT%H%M%SZ")
    try:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            try:
                getattr(client, case["operation"])(**case["params"])
            except Exception:
                pass  # the empty fake response may not parse; the request is already captured
    finally:
        log.removeHandler(capture)
    request = captured["request"]
    url = urlsplit(request.url)
    headers = [["Host", url.netloc]]
    for name, value in request.headers.items():
        headers.append([name, value.decode() if isinstance(value, bytes) else str(value)])
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    logged = {msg.split(":")[0]: args[0] for msg, args in capture.records if args}
    return {
        "name": case["name"],
        "operation": case["operation"],
        "region": case["region"],
        "service": "bedrock",
        "accessKeyId": case["accessKeyId"],
        "secretAccessKey": SECRET,
        "sessionToken": case.get("sessionToken"),
        "amzDate": case["amzDate"],
        "method": request.method,
        "path": url.path,
        "query": url.query,
        "headers": headers,
        "bodyBase64": base64.b64encode(body).decode(),
        "canonicalRequest": logged["CanonicalRequest"],
        "stringToSign": logged["StringToSign"],
        "authorization": dict((k.lower(), v) for k, v in headers)["authorization"],
    }


CASES = [
    dict(name="invoke-model-1kib", client="bedrock-runtime", region="us-east-1", accessKeyId="AKIDEXAMPLE",
         amzDate="20240501T120000Z", operation="invoke_model",
         params=dict(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=BODY_1K,
                     contentType="application/json", accept="application/json")),
    dict(name="invoke-model-inference-profile-arn-session-token", client="bedrock-runtime", region="us-west-2",
         accessKeyId="ASIAEXAMPLETEMPORARY", sessionToken="FwoGZXIvYXdzEXAMPLE//+token/with=chars",
         amzDate="20240502T235959Z", operation="invoke_model",
         params=dict(modelId="arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
                     body=b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":16,"messages":[{"role":"user","content":"Hi"}]}',
                     contentType="application/json", accept="*/*",
                     guardrailIdentifier="gr1abc2def3", guardrailVersion="DRAFT", trace="ENABLED")),
    dict(name="converse", client="bedrock-runtime", region="eu-central-1", accessKeyId="AKIDEXAMPLE",
         amzDate="20240615T083000Z", operation="converse",
         params=dict(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                     messages=[{"role": "user", "content": [{"text": "Hello, world"}]}],
                     inferenceConfig={"maxTokens": 64})),
    dict(name="invoke-model-with-response-stream", client="bedrock-runtime", region="us-east-1", accessKeyId="AKIDEXAMPLE",
         amzDate="20240501T120500Z", operation="invoke_model_with_response_stream",
         params=dict(modelId="amazon.titan-text-express-v1", body=b'{"inputText":"Hello"}',
                     contentType="application/json", accept="application/json")),
    dict(name="list-foundation-models-query", client="bedrock", region="us-east-1", accessKeyId="AKIDEXAMPLE",
         amzDate="20240501T120000Z", operation="list_foundation_models",
         params=dict(byProvider="Anthropic", byOutputModality="TEXT", byInferenceType="ON_DEMAND")),
]

if __name__ == "__main__":
    out = {
        "generator": "generate.py in this directory",
        "botocore": botocore.__version__,
        "python": sys.version.split()[0],
        "cases": [run(c) for c in CASES],
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
