#!/usr/bin/env bash
# SDK benchmark: boto3 against the simulator and against moto_server, and time to first streamed chunk.
# Builds release, installs boto3 + moto[server] into .venv-test when missing, runs Scripts/bench-sdk.py "$@".
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
swift build -c release
if ! .venv-test/bin/python -c "import boto3, moto" 2>/dev/null; then
  python3 -m venv .venv-test
  timeout 900 .venv-test/bin/pip install -q boto3==1.43.11 botocore==1.43.127 awscli==1.46.3 pytest==9.2.0 "moto[server]==5.2.5"
fi
BEDROCK_SIM_BIN="$(swift build -c release --show-bin-path)" .venv-test/bin/python Scripts/bench-sdk.py "$@"
