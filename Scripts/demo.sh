#!/usr/bin/env bash
# The demo: installs missing Debian packages, builds, launches the default topology, injects requests, prints their
# hops, and stops everything (also on Ctrl-C).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(repo_root)"
ensure_swift
ensure_packages
echo "== building"
swift build
run_dir="$(pwd)/.bedrock-sim/demo"
sim=".build/debug/bedrock-sim"
"$sim" down --run-dir "$run_dir" >/dev/null 2>&1 || true
trap '"$sim" down --run-dir "$run_dir" >/dev/null 2>&1 || true' EXIT INT TERM
echo "== launching Topologies/default.yaml"
"$sim" up Topologies/default.yaml --run-dir "$run_dir"
Scripts/inject.sh --run-dir "$run_dir"
echo
echo "== the model provider's node tried to reach the escrow hosts:"
grep '"event":"refused"' "$run_dir/trace.jsonl" | head -4 | sed 's/^/  /'
echo
echo "== CloudTrail records written for customer A (no prompt or completion in them):"
head -2 "$run_dir/cloudtrail/111111111111.jsonl" | sed 's/^/  /'
echo
"$sim" status --run-dir "$run_dir" || true
echo "== stopping"
"$sim" down --run-dir "$run_dir"
trap - EXIT INT TERM
