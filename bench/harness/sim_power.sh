#!/usr/bin/env bash
# Power in simulation (harness/sim/README.md): each planted bug's plan and its correct twin
# swept over seeds with `splitbrain sim PLAN --seeds A..B`, then, per plan, how many seeds were
# invalid and the median simulated time of the first anomaly over the invalid seeds — the
# linearizable counterexample's invoke time, term-churn's first_anomaly_s, or the simulated time
# at which raft-invariants stopped the run (results.json "simulation.violation").
#
#   bench/harness/sim_power.sh [--binary PATH] [--seeds A..B] [--jobs J] [--keep DIR] [PLAN...]
#
# Without PLANs: every bug plan sim catches and its twin (the list below). One line per plan:
#   PLAN  invalid N of M  median first anomaly X s (min–max)  exit E
# Sweeps keep only the invalid runs' stores (`sim` does), in DIR (default a temporary one,
# removed after).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
sb="$here/build-test/harness/splitbrain"
seeds="1..20"
jobs=1
keep=""
plans=()
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) sb="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    -*) echo "sim_power.sh: unknown flag $1" >&2; exit 255 ;;
    *) plans+=("$1"); shift ;;
  esac
done
if [ ${#plans[@]} -eq 0 ]; then
  for b in stale-read lease-read no-fsync snapshot-drops-config no-prevote no-prevote-slow \
           ack-before-commit install-keeps-state; do
    plans+=("plans/bugs/$b.yaml" "plans/bugs/$b-correct.yaml")
  done
  plans+=(plans/sim/commit-old-term.yaml plans/sim/commit-old-term-correct.yaml)
fi
[ -x "$sb" ] || { echo "sim_power.sh: no splitbrain binary at $sb (--binary)" >&2; exit 255; }
work="${keep:-$(mktemp -d)}"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
for plan in "${plans[@]}"; do
  name="$(basename "$(dirname "$plan")")-$(basename "$plan" .yaml)"
  store="$work/$name"
  code=0
  nice "$sb" sim "$plan" --seeds "$seeds" --jobs "$jobs" --store "$store" > "$work/$name.log" 2>&1 || code=$?
  python3 - "$store" "$plan" "$code" "$work/$name.log" <<'PY'
import glob, json, re, statistics, sys
store, plan, code, log = sys.argv[1:]
text = open(log).read()
m = re.search(r"(\d+) seeds run, (\d+) invalid", text)
run, invalid = (m.group(1), m.group(2)) if m else ("?", "?")
times = []
for path in glob.glob(f"{store}/*/*/results.json"):
    r = json.load(open(path))
    if r.get("valid") is not False:
        continue
    t = []
    for name, c in r.get("checkers", {}).items():
        if c.get("valid") is not False:
            continue
        d = c.get("details") or {}
        if name == "linearizable" and isinstance(d.get("op"), dict) and "invoke_time" in d["op"]:
            t.append(d["op"]["invoke_time"] / 1e9)
        if name == "term-churn" and "first_anomaly_s" in c:
            t.append(c["first_anomaly_s"])
        if name == "raft-invariants" and (r.get("simulation") or {}).get("violation"):
            t.append(r["simulation"]["simulated_s"])
    if t:
        times.append(min(t))
med = (f"median first anomaly {statistics.median(times):.2f} s "
       f"({min(times):.2f}–{max(times):.2f})") if times else "no anomaly"
print(f"{plan}\tinvalid {invalid} of {run}\t{med}\texit {code}", flush=True)
PY
done
