#!/usr/bin/env bash
# The test command: installs what the build needs, builds every target, runs `swift test`, then the SDK wire tests
# (Tests/python: pytest with unchanged boto3 and aws CLI clients against a launched run) in the virtualenv .venv-test.
# Integration tests start real node processes on loopback with hard timeouts and stop them all afterwards.
# SKIP_PYTHON_TESTS=1 runs only the Swift tests.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
swift build
swift test "$@"

if [ "${SKIP_PYTHON_TESTS:-0}" != "1" ]; then
  # Pinned to versions that exist together (awscli 1.46.3 requires botocore 1.43.127).
  PY_PACKAGES=(boto3==1.43.11 botocore==1.43.127 awscli==1.46.3 pytest==9.2.0)
  if [ ! -x .venv-test/bin/pytest ] || ! .venv-test/bin/python -c "import boto3, awscli, pytest" 2>/dev/null; then
    python3 -m venv .venv-test
    timeout 900 .venv-test/bin/pip install -q "${PY_PACKAGES[@]}"
  fi
  BEDROCK_SIM_BIN="$(swift build --show-bin-path)" timeout 600 .venv-test/bin/python -m pytest -q Tests/python
fi
