#!/usr/bin/env bash
# The benchmark (release build): the full request path against the raw libzmq baseline, plus the engine figures.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
swift build -c release
exec .build/release/bedrock-sim bench "$@"
