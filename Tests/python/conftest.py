"""Fixtures for the SDK wire tests: each test session launches its own simulator run with the real
`bedrock-sim up` (in a temporary run directory, stopped in the fixture finalizer) and talks to it with unchanged
boto3 / aws CLI clients. Every test has a hard time limit (SIGALRM)."""
import json
import os
import shutil
import signal
import subprocess
import tempfile

import boto3
import pytest
from botocore.config import Config

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOPOLOGY = os.path.join(REPO, "Tests", "python", "sdk-topology.yaml")
TEST_TIME_LIMIT_S = 60


def sim_binary():
    env = os.environ.get("BEDROCK_SIM_BIN")
    candidates = [os.path.join(env, "bedrock-sim")] if env else []
    candidates += [os.path.join(REPO, ".build", c, "bedrock-sim") for c in ("debug", "release")]
    for c in candidates:
        if os.path.exists(c):
            return c
    raise RuntimeError("bedrock-sim is not built (looked in %s); run swift build" % candidates)


def run(args, timeout=90, check=True):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s\n%s" % (" ".join(args), r.returncode, r.stdout, r.stderr))
    return r


class Sim:
    """One live run: its directory, the env lines of `bedrock-sim env`, and client factories."""

    def __init__(self, run_dir, plain_http=False):
        self.run_dir = run_dir
        self.plain_http = plain_http
        self.bin = sim_binary()
        self.env = self.env_for()
        self.endpoint = self.env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        self.ca = self.env.get("AWS_CA_BUNDLE")

    def env_for(self, principal=None):
        args = [self.bin, "env", "--run-dir", self.run_dir] + (["--principal", principal] if principal else [])
        out = run(args, timeout=30).stdout
        env = {}
        for line in out.splitlines():
            if line.startswith("export "):
                k, v = line[len("export "):].split("=", 1)
                env[k] = v.strip("'")
        return env

    def client(self, service="bedrock-runtime", principal=None, region=None, **config):
        e = self.env_for(principal) if principal else self.env
        cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30, connect_timeout=5, **config)
        return boto3.session.Session(
            aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=e.get("AWS_SESSION_TOKEN"), region_name=region or e["AWS_REGION"],
        ).client(service, endpoint_url=self.endpoint, verify=self.ca if self.ca else False, config=cfg)

    def trace(self):
        with open(os.path.join(self.run_dir, "trace.jsonl")) as f:
            return [json.loads(l) for l in f if l.strip()]

    def cloudtrail(self, account="111111111111"):
        path = os.path.join(self.run_dir, "cloudtrail", account + ".jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]


def launch(tmp_prefix, extra):
    run_dir = tempfile.mkdtemp(prefix=tmp_prefix)
    binary = sim_binary()
    run([binary, "up", TOPOLOGY, "--run-dir", run_dir, "--owner-pid", str(os.getpid()), "--sdk-deadline-ms", "4000"] + extra, timeout=120)
    return run_dir, binary


def stop(run_dir, binary):
    subprocess.run([binary, "down", "--run-dir", run_dir], capture_output=True, timeout=30)
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def sim():
    run_dir, binary = launch("bedrock-sim-sdk-", [])
    try:
        yield Sim(run_dir)
    finally:
        stop(run_dir, binary)


@pytest.fixture(scope="session")
def plain_sim():
    run_dir, binary = launch("bedrock-sim-sdk-plain-", ["--plain-http"])
    try:
        yield Sim(run_dir, plain_http=True)
    finally:
        stop(run_dir, binary)


@pytest.fixture(scope="session")
def quota_sim():
    """A run with an on-demand quota of 1 request per second per account and model."""
    run_dir, binary = launch("bedrock-sim-sdk-quota-", ["--on-demand-rps", "1"])
    try:
        yield Sim(run_dir)
    finally:
        stop(run_dir, binary)


@pytest.fixture(autouse=True)
def hard_time_limit():
    def expired(signum, frame):
        raise TimeoutError("test exceeded its %d s time limit" % TEST_TIME_LIMIT_S)
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
