#!/usr/bin/env bash
# Instructions per InvokeModel call, per process, on the benchmark's path (the benchmark's build, lib.sh), counted by
# valgrind's callgrind: exact and repeatable (the same build gives the same figure within a fraction of a percent),
# where throughput on this shared machine drifts by a third. The nodes that handle a call (client, endpoint, front end,
# model host, collector) run under callgrind during two `bedrock-sim bench` runs of different sizes; the difference
# divided by the difference in requests cancels start-up, warm-up and the serial phase. Prints each process's figure
# split by library. Valgrind hides SHA-NI, AES-NI and AVX-512 from the program, so libcrypto's and libsodium's counts
# are those of their generic code (higher than on the machine); the Swift code's and libc's are as they run.
# usage: Scripts/instr-count.sh [SMALL LARGE]   (requests at 64 in flight; default 1000 3000)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
enter_repo
if ! command -v valgrind >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
fi
small=${1:-1000} large=${2:-3000}
release=$(bench_build 2>/dev/null) || release=$(bench_build)
work=$(mktemp -d)
# INSTR_KEEP=1 keeps the callgrind outputs (out-SMALL/, out-LARGE/, one per node process) for callgrind_annotate.
if [ -n "${INSTR_KEEP:-}" ]; then echo "instr-count: callgrind outputs kept in $work" >&2; else trap 'rm -rf "$work"' EXIT; fi
traced="bedrock-client privatelink-endpoint runtime-frontend escrow-host trace-collector"
# bedrock-sim finds the node executables beside itself (/proc/self/exe): a directory of copies, the traced ones
# wrapped. Valgrind cannot read the DWARF 5 the Swift toolchain writes, so the wrapped copies keep only symbols.
mkdir -p "$work/bin"
for f in "$release"/*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  name=$(basename "$f")
  if [[ " $traced " == *" $name "* ]]; then
    cp "$f" "$work/bin/$name.real"
    strip --strip-debug "$work/bin/$name.real"
    printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s/out/%%p.cg --dump-instr=no %s/bin/%s.real "$@" 2>>%s/valgrind.log\n' \
      "$work" "$work" "$name" "$work" > "$work/bin/$name"
    chmod +x "$work/bin/$name"
  else
    cp "$f" "$work/bin/$name"
  fi
done
cp -r "$release"/*.resources "$work/bin/" 2>/dev/null || true
for n in "$small" "$large"; do
  rm -rf "$work/out"; mkdir -p "$work/out"
  "$work/bin/bedrock-sim" bench --requests-serial 10 --requests-parallel "$n" --rounds 1 --run-dir "$work/run-$n" \
    --reference /nonexistent >/dev/null 2>&1 || { echo "instr-count: bench failed (see $work/valgrind.log)" >&2; exit 1; }
  rm -rf "$work/run-$n"
  for f in "$work"/out/*.cg; do
    node=$(grep -m1 '^cmd:' "$f" | sed 's/.*--node //')
    callgrind_annotate --threshold=100 "$f" 2>/dev/null | python3 -c '
import re, sys, collections
node = sys.argv[1]; by = collections.Counter()
for l in sys.stdin:
    m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+.*\[(.*)\]\s*$", l)
    if m: by[m.group(2).split("/")[-1].split(".so")[0].replace(".real", "")] += int(m.group(1).replace(",", ""))
for k, v in by.items(): print(node, k, v)
' "$node" >> "$work/$n.txt"
  done
  if [ -n "${INSTR_KEEP:-}" ]; then mv "$work/out" "$work/out-$n"; fi
done
python3 - "$work/$small.txt" "$work/$large.txt" "$small" "$large" <<'PY'
import sys, collections
def load(p):
    d = collections.defaultdict(collections.Counter)
    for l in open(p):
        node, obj, v = l.split(); d[node][obj] += int(v)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
n = int(sys.argv[4]) - int(sys.argv[3])
groups = [("own code", None), ("libswiftCore", "libswiftCore"), ("libc", "libc"), ("libsodium", "libsodium"),
          ("libcrypto", "libcrypto"), ("libzmq", "libzmq")]
libraries = {p for _, p in groups if p}
print(f"instructions per request at 64 in flight ({n} requests' difference), by process and library:")
print(f"  {'process':18s} {'total':>9s} " + " ".join(f"{g:>12s}" for g, _ in groups))
total = collections.Counter()
for node in sorted(b, key=lambda k: -sum(b[k].values())):
    per = {k: (b[node][k] - a.get(node, collections.Counter())[k]) / n for k in b[node]}
    if sum(per.values()) < 5000: continue      # idle nodes (the other client, endpoint and hosts)
    cols = []
    for g, prefix in groups:
        v = sum(x for k, x in per.items() if (k == prefix if prefix else k not in libraries))
        cols.append(v); total[g] += v
    print(f"  {node:18s} {sum(per.values()):9.0f} " + " ".join(f"{v:12.0f}" for v in cols))
print(f"  {'all':18s} {sum(total.values()):9.0f} " + " ".join(f"{total[g]:12.0f}" for g, _ in groups))
PY
