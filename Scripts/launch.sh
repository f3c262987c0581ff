#!/usr/bin/env bash
# Launch a topology: builds if needed, starts one process per node, waits until every node answers its health
# check, and prints where the logs and the trace are.   usage: Scripts/launch.sh [TOPOLOGY] [bedrock-sim up options]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
topology="${1:-Topologies/default.yaml}"
shift || true
swift build >/dev/null
exec .build/debug/bedrock-sim up "$topology" "$@"
