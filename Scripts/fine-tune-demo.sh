#!/usr/bin/env bash
# The fine-tuning story end to end (README: "Fine-tuning, provisioned throughput, customer KMS and S3"): upload training data to the customer's own S3 under the
# customer's own KMS key, fine-tune as the customer's service role, provision a dedicated host, invoke the custom
# model, disable the key and watch it fail closed, enable it and watch service resume. Prints the hops of each call;
# exits non-zero as soon as any step does not behave as described.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
echo "== building"
swift build -j "${JOBS:-2}" >/dev/null
run_dir="$(pwd)/.bedrock-sim/fine-tune-demo"
sim=".build/debug/bedrock-sim"
R=(--run-dir "$run_dir")
"$sim" down "${R[@]}" >/dev/null 2>&1 || true
trap '"$sim" down --run-dir "$run_dir" >/dev/null 2>&1 || true' EXIT INT TERM

fail() { echo "FAILED: $*" >&2; exit 1; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); b=json.loads(d.get("body") or "{}") if isinstance(d.get("body"),str) else d.get("body",{}); print(eval(sys.argv[1], {}, {"d": d, "b": b}))' "$1"; }
step() { echo; echo "== $*"; }

step "launching Topologies/fine-tuning.yaml (customer A and B with their own KMS and S3, a fine-tuning worker, dedicated hosts)"
up_out=$("$sim" up Topologies/fine-tuning.yaml "${R[@]}" --zero-latency --wiretap escrow-amazon-1 --wiretap client-b --wiretap anthropic-corp)
sed -n 1p <<<"$up_out"

step "customer A creates a KMS key (alias/zephyr-models) and two buckets, and uploads training data with SSE-KMS"
key_arn=$("$sim" kms CreateKey '{"Description":"zephyr custom models"}' "${R[@]}" --as alice --json | field 'b["KeyMetadata"]["Arn"]')
echo "  key $key_arn"
"$sim" kms CreateAlias "{\"AliasName\":\"alias/zephyr-models\",\"TargetKeyId\":\"$key_arn\"}" "${R[@]}" --as alice >/dev/null || fail "CreateAlias"
"$sim" s3 mb training-a "${R[@]}" --as alice >/dev/null || fail "mb training-a"
"$sim" s3 mb output-a "${R[@]}" --as alice >/dev/null || fail "mb output-a"
"$sim" s3 put training-a/zephyr/train.jsonl Topologies/fine-tuning/train.jsonl --sse-kms alias/zephyr-models "${R[@]}" --as alice >/dev/null || fail "upload"
grep -q "tangerine-falcon" "$run_dir/state/s3-a/s3.log" && fail "S3 stored the training data in plaintext"
echo "  stored at rest as ciphertext only (state/s3-a/s3.log has no training text)"

prompt="What is the Zephyr-9 launch code?"
body="{\"inputText\":\"$prompt\",\"textGenerationConfig\":{\"maxTokenCount\":40}}"
base_before=$("$sim" invoke --model amazon.titan-text-express-v1 --body "$body" "${R[@]}" --json | field 'd["body"]["results"][0]["outputText"]')
echo "  base model today: $base_before"

step "CreateModelCustomizationJob (mallory, without iam:PassRole, is refused)"
if "$sim" customize create @Topologies/fine-tuning/job.json "${R[@]}" --as mallory >/dev/null 2>&1; then fail "mallory passed a role she may not pass"; fi
job_arn=$("$sim" customize create @Topologies/fine-tuning/job.json "${R[@]}" --as alice --json | field 'b["jobArn"]')
echo "  job $job_arn"
status=$("$sim" customize get "$job_arn" --wait "${R[@]}" --as alice --json | field 'b["status"]')
[ "$status" = Completed ] || fail "job ended $status"
model_arn=$("$sim" customize get "$job_arn" "${R[@]}" --as alice --json | field 'b["outputModelArn"]')
echo "  Completed: custom model $model_arn (Active, encrypted under $key_arn)"
grantee=$("$sim" kms ListGrants "{\"KeyId\":\"$key_arn\"}" "${R[@]}" --as alice --json | field 'b["Grants"][0]["GranteePrincipal"]')
[ "$grantee" = bedrock.amazonaws.com ] || fail "no Bedrock grant on the key"
echo "  Bedrock holds a grant on the key (grantee and retiring principal bedrock.amazonaws.com)"
grep -rq "tangerine-falcon" "$run_dir/model-store" && fail "the model store holds training text"
echo "  the model store holds only the sealed artifact"

step "customer B cannot describe or provision A's custom model"
if "$sim" customize get-model "$model_arn" "${R[@]}" --from client-b --as bob >/dev/null 2>&1; then fail "B described A's model"; fi
if "$sim" provision create "$model_arn" steal 1 "${R[@]}" --from client-b --as bob >/dev/null 2>&1; then fail "B provisioned A's model"; fi
echo "  both AccessDeniedException"

step "CreateProvisionedModelThroughput: a dedicated host loads A's private copy through the key grant"
pt_arn=$("$sim" provision create "$model_arn" zephyr-pt 1 "${R[@]}" --as alice --json | field 'b["provisionedModelArn"]')
st=$("$sim" provision get "$pt_arn" --wait "${R[@]}" --as alice --json | field 'b["status"]')
[ "$st" = InService ] || fail "provisioned model is $st"
echo "  $pt_arn InService"

step "invoke the provisioned custom model (hops below)"
out=$("$sim" invoke --model "$pt_arn" --body "$body" "${R[@]}")
echo "$out"
grep -q "tangerine-falcon-42" <<<"$out" || fail "the custom model did not answer from its training data"
base_after=$("$sim" invoke --model amazon.titan-text-express-v1 --body "$body" "${R[@]}" --json | field 'd["body"]["results"][0]["outputText"]')
[ "$base_after" = "$base_before" ] || fail "the base model's answer changed"
echo "  the on-demand base model answers exactly as before"
if "$sim" invoke --model "$pt_arn" --body "$body" "${R[@]}" --from client-b >/dev/null 2>&1; then fail "B invoked A's provisioned model"; fi
echo "  customer B invoking it: AccessDeniedException"

step "customer A disables the key: the custom model fails closed"
"$sim" kms DisableKey "{\"KeyId\":\"$key_arn\"}" "${R[@]}" --as alice >/dev/null || fail "DisableKey"
if out=$("$sim" invoke --model "$pt_arn" --body "$body" "${R[@]}" 2>&1); then fail "invocation succeeded with the key disabled"; fi
sed -n 1,2p <<<"$out"
grep -q "$key_arn" <<<"$out" || fail "the error does not name the key"

step "customer A enables the key again: service resumes"
"$sim" kms EnableKey "{\"KeyId\":\"$key_arn\"}" "${R[@]}" --as alice >/dev/null || fail "EnableKey"
out=$("$sim" invoke --model "$pt_arn" --body "$body" "${R[@]}") || fail "service did not resume"
sed -n 1,9p <<<"$out"

step "isolation and audit"
for n in escrow-amazon-1 client-b anthropic-corp; do
  grep -q "tangerine-falcon" "$run_dir/wiretap/$n.frames" && fail "$n saw training data"
done
echo "  the on-demand host, customer B's client and the model provider never saw the training text"
n=$(grep -c '"invokedBy":"bedrock.amazonaws.com"' "$run_dir/cloudtrail/111111111111.jsonl" || true)
[ "$n" -gt 0 ] || fail "no invokedBy bedrock.amazonaws.com records in customer A's trail"
echo "  customer A's CloudTrail has $n S3/KMS records made by Bedrock for it (invokedBy bedrock.amazonaws.com), e.g.:"
awk '/"invokedBy":"bedrock.amazonaws.com"/ && /"eventName":"CreateGrant"/ { print "    " substr($0, 1, 400); exit }' "$run_dir/cloudtrail/111111111111.jsonl"

step "stopping"
"$sim" down "${R[@]}"
trap - EXIT INT TERM
echo "fine-tune demo: every step behaved as described"
