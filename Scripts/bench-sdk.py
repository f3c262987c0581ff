#!/usr/bin/env python3
"""SDK benchmark (issue 6): the same sequential boto3 InvokeModel loop against the simulator (TLS, SigV4, IAM,
end-to-end sealing, trace: the whole path) and against moto_server (whose bedrock-runtime InvokeModel is a stub), in
the same run; then the time to first chunk of a streamed response from a model at firstTokenMs 20, 50 tokens/s.
Figures are printed, never asserted. Usage: Scripts/bench-sdk.sh [--calls N] [--streams N]"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import boto3
from botocore.config import Config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TOPOLOGY = os.path.join(REPO, "Tests", "python", "sdk-topology.yaml")
TITAN = "amazon.titan-text-express-v1"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loop(client, calls, body):
    client.invoke_model(modelId=TITAN, body=body)  # warm the connection
    started = time.perf_counter()
    for _ in range(calls):
        client.invoke_model(modelId=TITAN, body=body)["body"].read()
    return calls / (time.perf_counter() - started)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--streams", type=int, default=5)
    ap.add_argument("--bin", default=os.environ.get("BEDROCK_SIM_BIN", os.path.join(REPO, ".build", "release")))
    a = ap.parse_args()
    sim = os.path.join(a.bin, "bedrock-sim")
    run_dir = tempfile.mkdtemp(prefix="bedrock-sim-bench-sdk-")
    moto = None
    try:
        subprocess.run([sim, "up", TOPOLOGY, "--run-dir", run_dir, "--owner-pid", str(os.getpid())], check=True,
                       capture_output=True, timeout=120)
        env = {}
        for line in subprocess.run([sim, "env", "--run-dir", run_dir], check=True, capture_output=True, text=True).stdout.splitlines():
            if line.startswith("export "):
                k, v = line[7:].split("=", 1)
                env[k] = v.strip("'")
        cfg = Config(retries={"max_attempts": 1}, read_timeout=60)
        session = boto3.session.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                                        region_name=env["AWS_REGION"])
        rt = session.client("bedrock-runtime", endpoint_url=env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"], verify=env["AWS_CA_BUNDLE"], config=cfg)
        body = json.dumps({"inputText": "hello"})

        port = free_port()
        moto_bin = os.path.join(os.path.dirname(sys.executable), "moto_server")
        moto = subprocess.Popen([moto_bin, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        mrt = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1").client(
            "bedrock-runtime", endpoint_url="http://127.0.0.1:%d" % port, config=cfg)

        sim_rate = loop(rt, a.calls, body)
        moto_rate = loop(mrt, a.calls, body)

        ttfc, total, tokens = [], [], 0
        stream_body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 500,
                                  "messages": [{"role": "user", "content": "Write an essay of 500 tokens about distributed systems"}]})
        for _ in range(a.streams):
            t0 = time.perf_counter()
            r = rt.invoke_model_with_response_stream(modelId=CLAUDE, body=stream_body)
            first = None
            for event in r["body"]:
                if first is None:
                    first = time.perf_counter() - t0
                chunk = json.loads(event["chunk"]["bytes"])
                if "amazon-bedrock-invocationMetrics" in chunk:
                    tokens = chunk["amazon-bedrock-invocationMetrics"]["outputTokenCount"]
            ttfc.append(first * 1000)
            total.append((time.perf_counter() - t0) * 1000)

        print("SDK benchmark (boto3 %s, sequential InvokeModel, %d calls, %s)" % (boto3.__version__, a.calls, a.bin))
        print("  bedrock-sim (TLS, SigV4, IAM, endpoint policy, e2e sealing, trace)  %8.0f calls/s" % sim_rate)
        print("  moto_server (plain HTTP, stub InvokeModel, no auth)                 %8.0f calls/s" % moto_rate)
        print("  ratio bedrock-sim / moto                                             %8.2f" % (sim_rate / moto_rate))
        print("InvokeModelWithResponseStream, Claude stand-in at firstTokenMs 20, 50 tokens/s, max_tokens 500 (%d output tokens), %d runs"
              % (tokens, a.streams))
        print("  time to first chunk  median %.1f ms  (min %.1f, max %.1f)" % (statistics.median(ttfc), min(ttfc), max(ttfc)))
        print("  time to last chunk   median %.1f ms" % statistics.median(total))
    finally:
        if moto:
            moto.terminate()
            moto.wait(timeout=10)
        subprocess.run([sim, "down", "--run-dir", run_dir], capture_output=True, timeout=30)
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
