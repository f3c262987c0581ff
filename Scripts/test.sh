#!/usr/bin/env bash
# The test command: installs what the build needs, builds every target, runs `swift test`.
# Integration tests start real node processes on loopback with hard timeouts and stop them all afterwards.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(repo_root)"
ensure_swift
ensure_packages
swift build
swift test "$@"
