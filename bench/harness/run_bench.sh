#!/usr/bin/env bash
# run_bench.sh [SPLITBRAIN] : end-to-end recording rate in the lab — a register workload with no
# rate limit and no faults, 10 s, for 8, 32 and 64 clients against 3 real nodes. The figure is
# bounded by the node; harness_overhead gives the harness's own ceiling.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sb="${1:-$here/../../build/harness/splitbrain}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
printf "%8s %10s %10s %10s\n" clients ops/s ok/s p50_ms
for c in 8 32 64; do
  cat > "$work/p.yaml" <<PLAN
name: bench-$c
nodes: 3
time-limit: 10s
workload: {name: register, keys: 16, concurrency: $c, rate: 0, read-fraction: 0.5}
checkers: [stats, perf]
PLAN
  "$sb" run "$work/p.yaml" --store "$work/store" > "$work/out.log" 2>&1 || { cat "$work/out.log"; exit 1; }
  python3 - "$work/store/latest/results.json" "$c" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s, p = r["stats"], r["checkers"]["perf"]
print(f"{sys.argv[2]:>8} {s['ops_per_s']:10.0f} {p['ops_per_s']:10.0f} {p['latency_ms']['p50']:10.2f}")
PY
done
