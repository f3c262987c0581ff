#!/usr/bin/env bash
# Send sample requests into a running topology (default run directory) and print each one's hops.
#   usage: Scripts/inject.sh [--run-dir DIR]
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(repo_root)"
sim=".build/debug/bedrock-sim"
show() { echo; echo "== $1"; shift; "$sim" invoke "$@"; echo "(exit $?)"; }
show "Claude 3 Haiku from customer A (succeeds)" "$@" --from client-a --model anthropic.claude-3-haiku-20240307-v1:0 \
  --body '{"anthropic_version":"bedrock-2023-05-31","max_tokens":60,"messages":[{"role":"user","content":"How does Bedrock keep my prompts private?"}]}'
show "Titan Text Express from customer B (succeeds)" "$@" --from client-b --model amazon.titan-text-express-v1 \
  --body '{"inputText":"Summarise the shared responsibility model.","textGenerationConfig":{"maxTokenCount":40}}'
show "Llama 3 8B (succeeds)" "$@" --from client-a --model meta.llama3-8b-instruct-v1:0 --body '{"prompt":"What is an escrow account?","max_gen_len":40}'
show "Titan Embeddings V2 (succeeds)" "$@" --from client-b --model amazon.titan-embed-text-v2:0 --body '{"inputText":"private link","dimensions":256}'
show "Malformed body (ValidationException from the model host)" "$@" --from client-a --model anthropic.claude-3-haiku-20240307-v1:0 --body '{"messages":[]}'
show "Unknown model (ValidationException at the front end)" "$@" --from client-a --model acme.unknown-model-v1 --body '{}'
show "A body tampered after sealing (rejected by the front end)" "$@" --from client-a --option tamper=body \
  --model amazon.titan-text-express-v1 --body '{"inputText":"hello"}'
exit 0
