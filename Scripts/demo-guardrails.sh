#!/usr/bin/env bash
# The Guardrails demo: launches Topologies/guardrails.yaml, shows a prompt stopped at the front end (no model host
# in its hops), an answer with a card number anonymized, ApplyGuardrail through the PrivateLink path, immutable
# versions through the control plane, and stops everything (also on Ctrl-C).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
echo "== building"
swift build
run_dir="$(pwd)/.bedrock-sim/demo-guardrails"
sim=".build/debug/bedrock-sim"
claude="anthropic.claude-3-haiku-20240307-v1:0"
guard=(--header X-Amzn-Bedrock-GuardrailIdentifier=demoguard1 --header X-Amzn-Bedrock-GuardrailVersion=1)
"$sim" down --run-dir "$run_dir" >/dev/null 2>&1 || true
trap '"$sim" down --run-dir "$run_dir" >/dev/null 2>&1 || true' EXIT INT TERM
echo "== launching Topologies/guardrails.yaml (customer A owns guardrail demoguard1, version 1)"
"$sim" up Topologies/guardrails.yaml --run-dir "$run_dir" --zero-latency >/dev/null
"$sim" guardrail list --run-dir "$run_dir"
echo
echo "== a denied word in the prompt: blocked at the front end, HTTP 200, no escrow host in the hops"
"$sim" invoke --run-dir "$run_dir" --model "$claude" "${guard[@]}" --header X-Amzn-Bedrock-Trace=ENABLED \
  --body '{"anthropic_version":"bedrock-2023-05-31","max_tokens":60,"messages":[{"role":"user","content":"Tell me about project phoenix"}]}'
echo
echo "== a card number the model repeats: anonymized in the answer"
"$sim" invoke --run-dir "$run_dir" --model "$claude" "${guard[@]}" \
  --body '{"anthropic_version":"bedrock-2023-05-31","max_tokens":120,"messages":[{"role":"user","content":"Is my card 4111111111111111 still valid?"}]}' \
  | sed -n '1,20p'
echo
echo "== ApplyGuardrail through client-a -> vpce-a -> runtime-frontend"
"$sim" guardrail apply --run-dir "$run_dir" --guardrail demoguard1:1 --source OUTPUT "Write to jane.doe@example.com"
echo
echo "== versions are immutable: create, publish version 1, change the DRAFT"
cfg="$run_dir/fruit.json"
# Guardrails persist in the run directory across runs, so each demo run uses a fresh name.
echo '{"name":"fruit-guard-'"$(date +%s)"'","blockedInputMessaging":"No fruit.","blockedOutputsMessaging":"No fruit.","wordPolicyConfig":{"wordsConfig":[{"text":"banana"}]}}' > "$cfg"
id=$("$sim" guardrail create --run-dir "$run_dir" --config "$cfg" | sed -n 's/.*"guardrailId" : "\(.*\)".*/\1/p')
"$sim" guardrail version --run-dir "$run_dir" "$id" --description bananas >/dev/null
sed 's/banana/cherry/' "$cfg" > "$cfg.2"
"$sim" guardrail update --run-dir "$run_dir" "$id" --config "$cfg.2" >/dev/null
for v in 1 DRAFT; do
  printf '  %s:%-5s banana -> ' "$id" "$v"
  "$sim" guardrail apply --run-dir "$run_dir" --guardrail "$id:$v" "I like banana" | sed 's/^{"action":"\([A-Z_]*\)".*/\1/'
done
"$sim" guardrail delete --run-dir "$run_dir" "$id" >/dev/null
echo
echo "== stopping"
"$sim" down --run-dir "$run_dir"
trap - EXIT INT TERM
