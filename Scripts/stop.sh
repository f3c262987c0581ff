#!/usr/bin/env bash
# Stop the run (every node process ends).   usage: Scripts/stop.sh [--run-dir DIR]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(repo_root)"
exec .build/debug/bedrock-sim down "$@"
