#!/usr/bin/env bash
# The demo: installs missing Debian packages, builds, launches the default topology, injects requests, prints their
# hops, and stops everything (also on Ctrl-C).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
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
if python3 -c "import boto3" 2>/dev/null; then
  echo "== an unchanged boto3 script through client-a's SDK endpoint (HTTPS, its own SigV4 signature):"
  ( eval "$("$sim" env --run-dir "$run_dir" --client client-a)"
    python3 - <<'PY'
import boto3, json
rt = boto3.client("bedrock-runtime")
r = rt.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0",
                    body=json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 40,
                                     "messages": [{"role": "user", "content": "What does the escrow account protect?"}]}))
print("  x-amzn-RequestId", r["ResponseMetadata"]["RequestId"], "->", json.loads(r["body"].read())["content"][0]["text"][:80], "...")
PY
  ) || echo "  (boto3 call failed)"
else
  echo "== (boto3 is not installed: skipping the SDK step; Scripts/test.sh installs it in .venv-test)"
fi
echo
"$sim" status --run-dir "$run_dir" || true
echo "== stopping"
"$sim" down --run-dir "$run_dir"
trap - EXIT INT TERM
