#!/usr/bin/env bash
# pairs.sh PLAN ROUNDS NODE_A NODE_B [NODE...] — alternated runs of one splitbrain-node plan with
# each node binary in turn, ROUNDS times (A, B, ..., A, B, ...), and what each run did: ok ops/s,
# p50 and p99 of ok operations (results.json, checkers.perf) and the CPU the members and the
# harness took per ok operation (bench/node/run_cpu.py around the run). Then, per binary after the
# first, its change against the first in each round and the median of those changes. On a shared
# VM one node's ok ops/s moved between 9,699 and 15,137 within half an hour, so compare rounds,
# not runs, and take many (harness/systems/README.md, Benchmark). Each NODE is a path to a
# splitbrain-node (a wrapper script of that name works:
# `exec env LD_PRELOAD=... /path/splitbrain-node "$@"`). Runs from the source tree's top with
# $HARNESS (default build-rel/harness/splitbrain); stores under $OUT (default a new temp
# directory). Standard tools and python3 only.
#   bench/node/pairs.sh plans/bench/splitbrain-c128.yaml 6 OLD/splitbrain-node \
#     build-rel/node/splitbrain-node
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,14p' "$0" >&2
  exit 64
fi
PLAN=$1
ROUNDS=$2
shift 2
NODES=("$@")
HB=${HARNESS:-build-rel/harness/splitbrain}
OUT=${OUT:-$(mktemp -d /tmp/sb-pairs-XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
for n in "${NODES[@]}"; do
  [ -x "$n" ] || { echo "pairs.sh: $n is not an executable" >&2; exit 64; }
done
TABLE="$OUT/runs.tsv"
: > "$TABLE"
for r in $(seq "$ROUNDS"); do
  for i in "${!NODES[@]}"; do
    store="$OUT/r$r-n$i"
    python3 "$HERE/run_cpu.py" "$HB" run "$PLAN" --store "$store" --node-binary "${NODES[$i]}" \
      > "$store.log" 2>&1 || true
    python3 - "$store" "$store.log" "$r" "$i" "${NODES[$i]}" >> "$TABLE" <<'PY'
import glob, json, re, sys
store, log, rnd, idx, node = sys.argv[1:]
files = sorted(glob.glob(store + "/*/*/results.json"))
if not files:
    print("\t".join([rnd, idx, node, "no results.json (see %s)" % log]))
    sys.exit()
r = json.load(open(files[0]))
p = r.get("checkers", {}).get("perf", {})
cpu = dict(re.findall(r"(\S+)=([\d.]+)", ([l for l in open(log) if "CPU-s:" in l] or [""])[-1]))
ok = p.get("ok_ops") or 0
per = lambda name: "%.1f" % (float(cpu.get(name, 0)) * 1e6 / ok) if ok else "-"
print("\t".join([rnd, idx, node, str(r.get("valid")), "%.0f" % p.get("ops_per_s", 0),
                 "%.2f" % p.get("latency_ms", {}).get("p50", 0),
                 "%.2f" % p.get("latency_ms", {}).get("p99", 0),
                 per("splitbrain-node"), per("splitbrain")]))
PY
    tail -1 "$TABLE" | awk -F'\t' '{printf "round %s  %-40s valid %-5s ok/s %6s  p50 %6s ms  p99 %6s ms  members %6s us/op  harness %6s us/op\n", $1, $3, $4, $5, $6, $7, $8, $9}'
  done
done
python3 - "$TABLE" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for row in rows:
    if len(row) >= 5 and row[4].replace(".", "").isdigit():
        by.setdefault(row[1], {})[row[0]] = (row[2], float(row[4]))
base = by.get("0", {})
for idx in sorted(k for k in by if k != "0"):
    changes = [100.0 * (by[idx][r][1] / base[r][1] - 1) for r in by[idx] if r in base and base[r][1] > 0]
    if not changes:
        continue
    name = next(iter(by[idx].values()))[0]
    print("%s against %s: %s; median %+.1f%%, %d of %d rounds higher" % (
        name, next(iter(base.values()))[0], ", ".join("%+.1f%%" % c for c in changes),
        statistics.median(changes), sum(c > 0 for c in changes), len(changes)))
PY
echo "runs: $TABLE"
