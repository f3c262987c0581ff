#!/usr/bin/env bash
# Heap allocations per InvokeModel call, per process, on the benchmark's path (the benchmark's build, lib.sh): a figure
# that does not drift with the machine's speed, unlike throughput. Counts libc `malloc` calls with a perf uprobe during
# two `bedrock-sim bench` runs of different sizes and divides the difference by the difference in requests, so start-up
# and the serial phase cancel out. Needs root (uprobes) and perf (Debian: linux-perf, installed when missing).
# usage: Scripts/alloc-count.sh [SMALL LARGE]   (requests at 64 in flight; default 2000 5000)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
[ "$(id -u)" -eq 0 ] || { echo "alloc-count: needs root (perf uprobes)" >&2; exit 2; }
if ! command -v perf >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null
fi
small=${1:-2000} large=${2:-5000}
bin=$(bench_build 2>/dev/null) || bin=$(bench_build)
libc=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64|libc\.so\.6 .*x86_64/ {print $NF; exit}')
perf probe -q -d probe_libc:malloc 2>/dev/null || true
perf probe -q -x "$libc" malloc
trap 'perf probe -q -d probe_libc:malloc 2>/dev/null || true; rm -rf "$work"' EXIT
work=$(mktemp -d)
for n in "$small" "$large"; do
  perf record -q -e probe_libc:malloc -a -o "$work/$n.data" -- \
    "$bin/bedrock-sim" bench --requests-serial 10 --requests-parallel "$n" --rounds 1 --run-dir "$work/run-$n" \
    --reference /nonexistent >/dev/null 2>&1
  perf report -i "$work/$n.data" --sort comm --stdio -n 2>/dev/null | awk '/^ +[0-9]/ {print $3, $2}' > "$work/$n.txt"
done
# The baseline's processes run the same counts in both runs' phases; they are left out (and libzmq's I/O threads,
# "ZMQbg/IO/0", are the simulator's and the baseline's together).
python3 - "$work/$small.txt" "$work/$large.txt" "$small" "$large" <<'PY'
import sys
def load(p): return {l.split()[0]: int(l.split()[1]) for l in open(p) if l.strip()}
a, b = load(sys.argv[1]), load(sys.argv[2])
d = int(sys.argv[4]) - int(sys.argv[3])
total = 0.0
print("mallocs per request at 64 in flight (process name as the kernel shortens it):")
for k in sorted(b, key=lambda k: -(b[k] - a.get(k, 0))):
    v = (b[k] - a.get(k, 0)) / d
    if v >= 0.5 and not k.startswith("zmq-chain"):
        print(f"  {k:18s} {v:7.1f}")
        if k not in ("ZMQbg/IO/0", "bedrock-sim"): total += v
print(f"  {'simulator nodes':18s} {total:7.1f}  (without libzmq's I/O threads and the bench driver)")
PY
