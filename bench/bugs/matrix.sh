#!/usr/bin/env bash
# matrix.sh [--seeds N] [--first-seed S] [--bugs "stale-read no-prevote ..."] [--sb SPLITBRAIN]
#           [--keep DIR]
# The detection matrix (plans/bugs/README.md): runs each bug plan plans/bugs/<bug>.yaml and its
# correct twin plans/bugs/<bug>-correct.yaml once per seed (S, S+1, ... S+N-1; default 1..10)
# and prints, per bug, the seeds that caught it, the median time into the run of the first
# anomalous operation (from results.json: the linearizable counterexample's invoke time, the
# term-churn checker's first_anomaly_s, raft-invariants' first violation time), and the twin's
# false alarms. Runs are real time: a 25 s plan costs ~35 s with setup and checking, so the full
# matrix (6 bugs x 2 x 10 seeds) takes over an hour; --seeds 3 gives a first picture.
# Needs python3. Every run stays under DIR (a temporary folder, removed, unless --keep).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
sb="$root/build/harness/splitbrain"
seeds=10
first=1
bugs=""
keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --first-seed) first="$2"; shift 2 ;;
    --bugs) bugs="$2"; shift 2 ;;
    --sb) sb="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "matrix.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -z "$bugs" ]]; then
  for f in "$root"/plans/bugs/*.yaml; do
    b="$(basename "$f" .yaml)"
    [[ "$b" == *-correct ]] && continue
    bugs="$bugs $b"
  done
fi
[[ -x "$sb" ]] || { echo "matrix.sh: no splitbrain at $sb (use --sb)" >&2; exit 2; }
if [[ -n "$keep" ]]; then work="$keep"; mkdir -p "$work"; else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/store"
runs="$work/runs.tsv"
: > "$runs"

# One run: appends "bug kind seed verdict first_anomaly_s exit" to runs.tsv.
run_one() {
  local bug="$1" kind="$2" seed="$3" plan store code=0
  plan="$root/plans/bugs/$bug.yaml"
  [[ "$kind" == twin ]] && plan="$root/plans/bugs/$bug-correct.yaml"
  [[ -f "$plan" ]] || { echo "matrix.sh: missing $plan" >&2; return; }
  store="$work/store/$bug-$kind-$seed"
  "$sb" run "$plan" --seed "$seed" --store "$store" > "$store.log" 2>&1 || code=$?
  python3 - "$store/latest/results.json" "$bug" "$kind" "$seed" "$code" >> "$runs" <<'PY'
import json, sys
path, bug, kind, seed, code = sys.argv[1:]
try:
    r = json.load(open(path))
except Exception:
    print(f"{bug}\t{kind}\t{seed}\tharness-failed\t-\t{code}")
    sys.exit(0)
v = r.get("valid")
verdict = "invalid" if v is False else "valid" if v is True else "unknown"
times = []
for name, c in r.get("checkers", {}).items():
    if c.get("valid") is not False:
        continue
    d = c.get("details") or {}
    if name == "linearizable" and isinstance(d.get("op"), dict) and "invoke_time" in d["op"]:
        times.append(d["op"]["invoke_time"] / 1e9)
    for k in ("first_anomaly_s", "first_violation_s"):
        if k in c:
            times.append(c[k])
        elif k in d:
            times.append(d[k])
t = f"{min(times):.2f}" if times else "-"
print(f"{bug}\t{kind}\t{seed}\t{verdict}\t{t}\t{code}")
PY
  tail -n 1 "$runs" | sed 's/^/  /' >&2
}

for bug in $bugs; do
  for ((s = first; s < first + seeds; s++)); do
    run_one "$bug" bug "$s"
    run_one "$bug" twin "$s"
  done
done

python3 - "$runs" "$seeds" <<'PY'
import sys, statistics, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
by = collections.OrderedDict()
for bug, kind, seed, verdict, t, code in rows:
    by.setdefault(bug, {"bug": [], "twin": []})[kind].append((verdict, t))
print(f"{'bug':<20} {'caught':>8} {'median first anomaly':>22} {'twin false alarms':>18} {'unknown (bug/twin)':>19}")
for bug, k in by.items():
    caught = [t for v, t in k["bug"] if v == "invalid"]
    ts = [float(t) for t in caught if t != "-"]
    med = f"{statistics.median(ts):.1f} s (n={len(ts)})" if ts else "-"
    alarms = sum(1 for v, _ in k["twin"] if v == "invalid")
    unk = f"{sum(1 for v, _ in k['bug'] if v not in ('invalid', 'valid'))}/" \
          f"{sum(1 for v, _ in k['twin'] if v not in ('invalid', 'valid'))}"
    print(f"{bug:<20} {len(caught):>3}/{len(k['bug']):<4} {med:>22} {alarms:>12}/{len(k['twin']):<5} {unk:>19}")
PY
echo "runs: $runs" >&2
