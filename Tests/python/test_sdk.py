"""The simulator through unchanged AWS clients (boto3, the aws CLI, openssl s_client): every operation on its real
path over TLS with the SDK's own SigV4 signature, the errors botocore raises, streaming with EventStream, and the
listener's behaviour on bad TLS and bad HTTP."""
import datetime
import json
import os
import socket
import ssl
import subprocess
import time
from unittest import mock

import botocore
import botocore.auth
import pytest

CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
TITAN = "amazon.titan-text-express-v1"
LLAMA = "meta.llama3-8b-instruct-v1:0"


def claude_body(text="hello there", max_tokens=30):
    return json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": max_tokens,
                       "messages": [{"role": "user", "content": text}]})


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


# MARK: unchanged clients through `bedrock-sim env`

def test_env_makes_an_unchanged_boto3_script_work(sim):
    script = ("import boto3, json; rt = boto3.client('bedrock-runtime'); "
              "r = rt.invoke_model(modelId='%s', body=json.dumps({'inputText': 'hi'})); "
              "print(json.loads(r['body'].read())['results'][0]['outputText'][:20])" % TITAN)
    cmd = 'eval "$(%s env --run-dir %s)" && python3 -c "%s"' % (sim.bin, sim.run_dir, script)
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()


def test_aws_cli_invoke_model(sim, tmp_path):
    out = tmp_path / "out.json"
    aws = os.path.join(os.path.dirname(__import__("sys").executable), "aws")
    if not os.path.exists(aws):
        aws = "aws"
    cmd = ('eval "$(%s env --run-dir %s)" && %s bedrock-runtime invoke-model --model-id %s '
           '--body \'{"inputText":"hello"}\' --endpoint-url "$AWS_ENDPOINT_URL_BEDROCK_RUNTIME" %s'
           % (sim.bin, sim.run_dir, aws, TITAN, out))
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["contentType"] == "application/json"
    assert "outputText" in json.loads(out.read_text())["results"][0]


# MARK: runtime operations

def test_invoke_model_headers_and_cloudtrail_request_id(sim):
    rt = sim.client()
    r = rt.invoke_model(modelId=CLAUDE, body=claude_body(), accept="application/json", contentType="application/json")
    body = json.loads(r["body"].read())
    assert body["type"] == "message" and body["content"][0]["text"]
    h = r["ResponseMetadata"]["HTTPHeaders"]
    assert int(h["x-amzn-bedrock-input-token-count"]) > 0
    assert int(h["x-amzn-bedrock-output-token-count"]) == body["usage"]["output_tokens"]
    assert "x-amzn-bedrock-invocation-latency" in h
    request_id = r["ResponseMetadata"]["RequestId"]
    time.sleep(0.3)  # the audit trail is flushed every few ms
    records = [c for c in sim.cloudtrail() if c.get("requestID") == request_id]
    assert records and records[0]["eventName"] == "InvokeModel"
    assert records[0]["userIdentity"]["userName"] == "app-a"


def test_invoke_model_with_response_stream_arrives_over_time(sim):
    rt = sim.client()
    started = time.monotonic()
    r = rt.invoke_model_with_response_stream(modelId=CLAUDE, body=claude_body(max_tokens=60), accept="application/json")
    assert r["contentType"] == "application/json"
    assert r["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    arrivals, chunks = [], []
    for event in r["body"]:
        arrivals.append(time.monotonic() - started)
        chunks.append(json.loads(event["chunk"]["bytes"]))
    types = [c["type"] for c in chunks]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert "amazon-bedrock-invocationMetrics" in chunks[-1]
    # 60 tokens at 50 tokens/s: the first chunk comes long before the last.
    assert arrivals[-1] - arrivals[0] > 0.5


def test_converse(sim):
    r = sim.client().converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "hello"}]}],
                              inferenceConfig={"maxTokens": 20})
    assert r["output"]["message"]["role"] == "assistant"
    assert r["output"]["message"]["content"][0]["text"]
    assert r["stopReason"] in ("end_turn", "max_tokens")
    assert r["usage"]["totalTokens"] == r["usage"]["inputTokens"] + r["usage"]["outputTokens"]
    assert "latencyMs" in r["metrics"]


def test_converse_stream_events(sim):
    r = sim.client().converse_stream(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "hello"}]}],
                                     inferenceConfig={"maxTokens": 20})
    events = list(r["stream"])
    names = [list(e.keys())[0] for e in events]
    assert names[0] == "messageStart" and names[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    assert text
    assert events[-2]["messageStop"]["stopReason"] in ("end_turn", "max_tokens")
    assert events[-1]["metadata"]["usage"]["outputTokens"] > 0


def test_count_tokens(sim):
    rt = sim.client()
    r = rt.count_tokens(modelId=CLAUDE, input={"converse": {"messages": [{"role": "user", "content": [{"text": "hello there"}]}]}})
    conv = rt.converse(modelId=CLAUDE, messages=[{"role": "user", "content": [{"text": "hello there"}]}], inferenceConfig={"maxTokens": 5})
    assert r["inputTokens"] == conv["usage"]["inputTokens"]


def test_apply_guardrail(sim):
    r = sim.client().apply_guardrail(guardrailIdentifier="sdkguard1", guardrailVersion="1", source="INPUT",
                                     content=[{"text": {"text": "Tell me about project phoenix"}}])
    assert r["action"] == "GUARDRAIL_INTERVENED"
    assert r["outputs"][0]["text"] == "Sorry, I cannot help with that request."


def test_guardrail_on_a_stream_stops_it_with_the_blocked_messaging(sim):
    # The stand-in model writes "measure" in its answer to this prompt; the guardrail blocks that word.
    r = sim.client().invoke_model_with_response_stream(modelId=CLAUDE, body=claude_body(max_tokens=40),
                                                       guardrailIdentifier="sdkguard1", guardrailVersion="1")
    chunks = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    text = "".join(c.get("delta", {}).get("text", "") for c in chunks)
    assert "measure " not in text
    assert "withheld by a guardrail" in text
    assert chunks[-1]["amazon-bedrock-guardrailAction"] == "INTERVENED"


def test_guardrail_blocks_a_streamed_input(sim):
    r = sim.client().invoke_model_with_response_stream(modelId=CLAUDE, body=claude_body("Tell me about project phoenix"),
                                                       guardrailIdentifier="sdkguard1", guardrailVersion="1")
    chunks = [json.loads(e["chunk"]["bytes"]) for e in r["body"]]
    assert chunks[0]["amazon-bedrock-guardrailAction"] == "INTERVENED"
    assert chunks[0]["content"][0]["text"] == "Sorry, I cannot help with that request."


# MARK: control plane through the same listener

def test_control_plane_catalogue_and_model_access(sim):
    b = sim.client("bedrock")
    models = b.list_foundation_models(byProvider="Anthropic")["modelSummaries"]
    assert any(m["modelId"] == CLAUDE for m in models)
    assert b.get_foundation_model(modelIdentifier=CLAUDE)["modelDetails"]["modelId"] == CLAUDE
    offers = b.list_foundation_model_agreement_offers(modelId=CLAUDE)["offers"]
    assert offers and offers[0]["offerToken"]
    avail = b.get_foundation_model_availability(modelId=CLAUDE)
    assert avail["agreementAvailability"]["status"] == "AVAILABLE"


def test_control_plane_guardrails(sim):
    b = sim.client("bedrock")
    created = b.create_guardrail(name="sdk-made", blockedInputMessaging="no", blockedOutputsMessaging="no",
                                 wordPolicyConfig={"wordsConfig": [{"text": "banana"}]})
    gid = created["guardrailId"]
    assert created["version"] == "DRAFT"
    assert b.get_guardrail(guardrailIdentifier=gid)["name"] == "sdk-made"
    assert b.create_guardrail_version(guardrailIdentifier=gid)["version"] == "1"
    assert any(g["id"] == gid for g in b.list_guardrails()["guardrails"])
    b.delete_guardrail(guardrailIdentifier=gid)
    with pytest.raises(b.exceptions.ResourceNotFoundException):
        b.get_guardrail(guardrailIdentifier=gid)


def test_model_invocation_logging_configuration(sim):
    b = sim.client("bedrock")
    config = {"s3Config": {"bucketName": "invocation-logs", "keyPrefix": "bedrock/"}, "textDataDeliveryEnabled": True}
    b.put_model_invocation_logging_configuration(loggingConfig=config)
    assert b.get_model_invocation_logging_configuration()["loggingConfig"] == config
    b.delete_model_invocation_logging_configuration()
    assert "loggingConfig" not in b.get_model_invocation_logging_configuration()
    with pytest.raises(b.exceptions.ValidationException):
        b.put_model_invocation_logging_configuration(loggingConfig={"cloudWatchConfig": {"logGroupName": "g", "roleArn": "not-an-arn"}})


# MARK: errors as botocore raises them

def test_access_denied(sim):
    rt = sim.client(principal="claude-only")
    with pytest.raises(rt.exceptions.AccessDeniedException) as e:
        rt.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hi"}))
    assert "is not authorized to perform: bedrock:InvokeModel" in str(e.value)
    assert error_code(e) == ("AccessDeniedException", 403)
    assert e.value.response["ResponseMetadata"]["RequestId"]
    rt.invoke_model(modelId=CLAUDE, body=claude_body(max_tokens=5))  # the same principal may use Anthropic models


def test_throttling_beyond_the_on_demand_quota(quota_sim):
    # 8 calls at once against a quota of 1 request/s: unless they spread over 8 seconds, some share a window and are throttled
    # whatever the machine's speed. Retries are off (botocore would otherwise retry ThrottlingException).
    from concurrent.futures import ThreadPoolExecutor
    rt = quota_sim.client()

    def call(_):
        try:
            rt.invoke_model(modelId=CLAUDE, body=claude_body(max_tokens=5))
            return "ok"
        except rt.exceptions.ThrottlingException as e:
            assert (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]) == ("ThrottlingException", 429)
            assert "Too many requests" in str(e)
            return "ThrottlingException"

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(call, range(8)))
    assert codes.count("ok") >= 1 and codes.count("ThrottlingException") >= 1, codes


def test_validation_errors(sim):
    rt = sim.client()
    with pytest.raises(rt.exceptions.ValidationException) as e:
        rt.invoke_model(modelId=TITAN, body=b"this is not json")
    assert error_code(e) == ("ValidationException", 400)
    with pytest.raises(rt.exceptions.ValidationException) as e:
        rt.invoke_model(modelId="vendor.no-such-model-v1:0", body=b"{}")
    assert "model identifier is invalid" in str(e.value)


def test_resource_not_found(sim):
    rt = sim.client()
    with pytest.raises(rt.exceptions.ResourceNotFoundException) as e:
        rt.invoke_model(modelId=CLAUDE, body=claude_body(), guardrailIdentifier="nosuchguard", guardrailVersion="1")
    assert error_code(e) == ("ResourceNotFoundException", 404)
    b = sim.client("bedrock")
    with pytest.raises(b.exceptions.ResourceNotFoundException):
        b.get_foundation_model(modelIdentifier="vendor.no-such-model")


def test_model_timeout(sim):
    # The Llama host takes 30 s to its first token; the run's SDK deadline is 4 s.
    rt = sim.client()
    with pytest.raises(rt.exceptions.ModelTimeoutException) as e:
        rt.invoke_model(modelId=LLAMA, body=json.dumps({"prompt": "hi"}))
    assert error_code(e) == ("ModelTimeoutException", 408)


# MARK: SigV4 as the service checks it

def test_signed_for_another_region(sim):
    rt = sim.client(region="eu-west-1")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rt.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hi"}))
    assert error_code(e)[0] == "InvalidSignatureException"
    assert "eu-west-1" in str(e.value)


def test_body_tampered_after_signing(sim):
    rt = sim.client()

    def tamper(request, **kwargs):
        # Same length, one character changed: the signature no longer matches the body.
        request.body = request.body.replace(b"hello", b"jello")
    rt.meta.events.register("before-send.bedrock-runtime.InvokeModel", tamper)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        rt.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hello"}))
    assert error_code(e) == ("InvalidSignatureException", 403)


def test_expired_signature(sim):
    rt = sim.client()
    past = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=past):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            rt.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hi"}))
    code, status = error_code(e)
    assert status == 403 and code in ("InvalidSignatureException", "SignatureDoesNotMatch")
    assert "Signature expired" in str(e.value) or "expired" in str(e.value).lower()


# MARK: the listener

def test_tls_1_1_refused_and_tls_1_3_offered(sim):
    old = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % sim.port, "-tls1_1", "-CAfile", sim.ca],
                         input="", capture_output=True, text=True, timeout=20)
    assert old.returncode != 0
    new = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % sim.port, "-tls1_3", "-CAfile", sim.ca,
                          "-servername", "bedrock-runtime.us-east-1.amazonaws.com"],
                         input="", capture_output=True, text=True, timeout=20)
    assert "TLSv1.3" in new.stdout and "Verify return code: 0 (ok)" in new.stdout
    sim.client().invoke_model(modelId=TITAN, body=json.dumps({"inputText": "still up"}))


def raw_https(sim, payload):
    ctx = ssl.create_default_context(cafile=sim.ca)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            t.sendall(payload)
            data = b""
            while True:
                chunk = t.recv(65536)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data and b"Connection: close" in data:
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")]
                    if length and len(body) >= length[0]:
                        break
            return data


def test_malformed_http_gets_400_and_the_listener_stays_up(sim):
    bad = raw_https(sim, b"GARBAGE\r\n\r\n")
    assert bad.startswith(b"HTTP/1.1 400") and b"x-amzn-ErrorType: ValidationException" in bad
    big = raw_https(sim, b"POST /model/x/invoke HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999999\r\n\r\n")
    assert big.startswith(b"HTTP/1.1 413")
    chunked = raw_https(sim, b"POST /model/x/invoke HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n")
    assert chunked.startswith(b"HTTP/1.1 400")
    unsigned = raw_https(sim, b"GET /foundation-models HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert unsigned.startswith(b"HTTP/1.1 403") and b"x-amzn-RequestId" in unsigned
    sim.client().invoke_model(modelId=TITAN, body=json.dumps({"inputText": "still up"}))


def test_client_disconnect_mid_stream_frees_the_request_everywhere(sim):
    rt = sim.client()
    r = rt.invoke_model_with_response_stream(modelId=CLAUDE, body=claude_body(max_tokens=400))
    request_id = r["ResponseMetadata"]["RequestId"]
    events = iter(r["body"])
    next(events)
    next(events)
    r["body"].close()  # closes the connection with about 390 tokens still to come
    deadline = time.monotonic() + 5
    seen = set()
    while time.monotonic() < deadline and not {"client-a", "runtime-frontend", "escrow-anthropic-1"} <= seen:
        time.sleep(0.2)
        seen = {t["node"] for t in sim.trace() if t.get("requestId") == request_id and t.get("decision") == "cancel"}
    assert {"client-a", "runtime-frontend", "escrow-anthropic-1"} <= seen


def test_plain_http_sets_secure_transport_false(plain_sim):
    assert plain_sim.endpoint.startswith("http://")
    plain_sim.client().invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hi"}))
    rt = plain_sim.client(principal="tls-only")
    with pytest.raises(rt.exceptions.AccessDeniedException) as e:
        rt.invoke_model(modelId=TITAN, body=json.dumps({"inputText": "hi"}))
    assert "explicit deny" in str(e.value)
