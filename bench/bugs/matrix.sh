#!/usr/bin/env bash
# matrix.sh [--seeds N] [--first-seed S] [--bugs "stale-read no-prevote ..."] [--sb SPLITBRAIN]
#           [--keep DIR] [--jobs J] [--generic [--workloads "register set bank"] [--nodes "3 5"]
#           [--placement home|leader|random] [--time-limit 60s] [--burst F]] [--no-twin]
# The detection matrix (plans/bugs/README.md): runs each bug plan plans/bugs/<bug>.yaml and its
# correct twin plans/bugs/<bug>-correct.yaml once per seed (S, S+1, ... S+N-1; default 1..10)
# and prints, per bug, the seeds that caught it, the median time into the run of the first
# anomalous operation (from results.json: the linearizable counterexample's invoke time, the
# term-churn checker's first_anomaly_s, raft-invariants' first violation time), and the twin's
# false alarms. The tuned plans run as `splitbrain run PLAN --seeds S..S+N-1 [--jobs J]`, all
# into DIR/store, whose index.html shows the same matrix (keep it with --keep DIR); on CI
# machines, `--shard K/M` and `splitbrain merge` do the same across machines (README.md).
# Runs are real time: a 25 s plan costs ~35 s with setup and checking, so the full
# matrix (6 bugs x 2 x 10 seeds) takes over an hour; --seeds 3 gives a first picture, and
# --jobs 2 runs two at once (each in its own lab).
# --generic: instead of the tuned plans, each bug runs inside the nightly's generic tests
# (plans/nightly.yaml's nightly-<workload>, its defaults and full fault mix) with
# `node.args: [--bug <bug>]`, on each node count, and the twin is the same test on the correct
# node (one per test, node count and seed, labelled correct/...); --placement sets
# workload.placement, --time-limit the run length (default the nightly's), --burst F sets
# workload.burst (traffic F times as dense for 2 s after each fault starts and ends). --no-twin
# skips the correct-node runs.
# Needs python3 (with PyYAML for --generic). Every run stays under DIR (a temporary folder,
# removed, unless --keep). Prints `uptime` before and after: figures depend on the machine's load.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
sb="$root/build/harness/splitbrain"
seeds=10
first=1
bugs=""
keep=""
generic=""
workloads="register set bank"
nodes="3 5"
placement=""
time_limit=""
burst=""
no_twin=""
jobs=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --first-seed) first="$2"; shift 2 ;;
    --bugs) bugs="$2"; shift 2 ;;
    --sb) sb="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --generic) generic=1; shift ;;
    --workloads) workloads="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --placement) placement="$2"; shift 2 ;;
    --time-limit) time_limit="$2"; shift 2 ;;
    --burst) burst="$2"; shift 2 ;;
    --no-twin) no_twin=1; shift ;;
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "matrix.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ -z "$bugs" && -n "$generic" ]]; then
  # --generic runs the node's bugs, not the plans: no-prevote-slow.yaml plants no-prevote too.
  bugs="$(grep -h -o -- '--bug, *[a-z-]*' "$root"/plans/bugs/*.yaml | sed 's/--bug, *//' |
    sort -u | tr '\n' ' ')"
elif [[ -z "$bugs" ]]; then
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

# --generic: writes the plan of the nightly's test nightly-<workload> on <nodes> nodes, with
# `--bug <bug>` (kind bug) or without (kind twin), to stdout.
generic_plan() {
  python3 - "$root/plans/nightly.yaml" "$1" "$2" "$3" "$4" "$placement" "$time_limit" "$burst" <<'PY'
import sys, yaml
nightly, workload, n, bug, kind, placement, time_limit, burst = sys.argv[1:]
doc = yaml.safe_load(open(nightly))
tests = {t["name"]: t for t in doc.get("tests", [])}
name = f"nightly-{workload}"
if name not in tests:
    sys.exit(f"matrix.sh: {nightly} has no test {name}")
def merge(a, b):  # the plan format's rule: nested maps merge field by field
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
def as_map(w):
    return {"name": w} if isinstance(w, str) else w
defaults = {k: v for k, v in doc.items() if k not in ("include", "tests")}
test = dict(tests[name])
if "workload" in test:
    test["workload"] = as_map(test["workload"])
plan = merge(defaults, test)
plan["name"] = f"generic-{workload}-{n}n-" + ("correct" if kind == "twin" else bug)
plan["nodes"] = int(n)
if kind == "bug":
    node = plan.setdefault("node", {})
    node["args"] = list(node.get("args", [])) + ["--bug", bug]
plan["expect"] = "invalid" if kind == "bug" else "valid"
if placement:
    plan["workload"]["placement"] = placement
if time_limit:
    plan["time-limit"] = time_limit
if burst:
    plan["workload"]["burst"] = float(burst)
print(yaml.safe_dump(plan, sort_keys=False))
PY
}

# Both readers of results.json below: a run's verdict and the time into the run (s) of its first
# anomalous operation — the linearizable counterexample's invoke time, term-churn's
# first_anomaly_s, raft-invariants' first_violation_s — or "-".
read_results_py='
def verdict_and_first_anomaly(r):
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
    return verdict, (f"{min(times):.2f}" if times else "-")
'

# One --generic run: appends "label kind seed verdict first_anomaly_s exit" to runs.tsv, where
# label is bug/workload/<N>n.
run_one() {
  local bug="$1" kind="$2" seed="$3" workload="${4:-}" n="${5:-}" plan store label code=0
  label="$bug/$workload/${n}n"
  plan="$work/plans/$bug-$workload-$n-$kind.yaml"
  mkdir -p "$work/plans"
  generic_plan "$workload" "$n" "$bug" "$kind" > "$plan"
  store="$work/store/$bug-$workload-$n-$kind-$seed"
  "$sb" run "$plan" --seed "$seed" --store "$store" > "$store.log" 2>&1 || code=$?
  { printf '%s\n' "$read_results_py"; cat; } <<'PY' |
import json, sys
path, bug, kind, seed, code = sys.argv[1:]
try:
    r = json.load(open(path))
except Exception:
    print(f"{bug}\t{kind}\t{seed}\tharness-failed\t-\t{code}")
    sys.exit(0)
verdict, t = verdict_and_first_anomaly(r)
print(f"{bug}\t{kind}\t{seed}\t{verdict}\t{t}\t{code}")
PY
    python3 - "$store/latest/results.json" "$label" "$kind" "$seed" "$code" >> "$runs"
  tail -n 1 "$runs" | sed 's/^/  /' >&2
}

echo "matrix.sh: load before: $(uptime)" >&2
if [[ -n "$generic" ]]; then
  # The correct node's run does not depend on the bug: one per test, node count and seed.
  for w in $workloads; do
    for n in $nodes; do
      for ((s = first; s < first + seeds; s++)); do
        if [[ -z "$no_twin" ]]; then run_one correct twin "$s" "$w" "$n"; fi
        for bug in $bugs; do run_one "$bug" bug "$s" "$w" "$n"; done
      done
    done
  done
else
  # Each plan once over all the seeds, into one store; its runs are read back below.
  for bug in $bugs; do
    for kind in bug twin; do
      [[ "$kind" == twin && -n "$no_twin" ]] && continue
      plan="$root/plans/bugs/$bug.yaml"
      [[ "$kind" == twin ]] && plan="$root/plans/bugs/$bug-correct.yaml"
      [[ -f "$plan" ]] || { echo "matrix.sh: missing $plan" >&2; continue; }
      "$sb" run "$plan" --seeds "$first..$((first + seeds - 1))" --jobs "$jobs" \
        --store "$work/store" > "$work/$bug-$kind.log" 2>&1 || true
    done
  done
  # One row per run: the plan file names the bug (plans/bugs/<bug>[-correct].yaml).
  { printf '%s\n' "$read_results_py"; cat; } <<'PY' |
import glob, json, os, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "*", "results.json"))):
    r = json.load(open(path))
    stem = os.path.basename(r.get("plan_file", "")).removesuffix(".yaml")
    kind = "twin" if stem.endswith("-correct") else "bug"
    bug = stem.removesuffix("-correct")
    verdict, t = verdict_and_first_anomaly(r)
    expected_invalid = r.get("expected") == "invalid"
    code = 2 if verdict == "unknown" else 0 if (verdict == "invalid") == expected_invalid else 1
    print(f"{bug}\t{kind}\t{r.get('seed')}\t{verdict}\t{t}\t{code}")
PY
    python3 - "$work/store" >> "$runs"
  sed 's/^/  /' "$runs" >&2
  [[ -n "$keep" ]] && echo "matrix.sh: the same matrix, and every run: $work/store/index.html" >&2
fi
echo "matrix.sh: load after: $(uptime)" >&2

python3 - "$runs" "$seeds" <<'PY'
import sys, statistics, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
by = collections.OrderedDict()
for bug, kind, seed, verdict, t, code in rows:
    by.setdefault(bug, {"bug": [], "twin": []})[kind].append((verdict, t))
print(f"{'bug':<28} {'caught':>8} {'median first anomaly':>22} {'twin false alarms':>18} {'unknown (bug/twin)':>19}")
for bug, k in by.items():
    caught = [t for v, t in k["bug"] if v == "invalid"]
    ts = [float(t) for t in caught if t != "-"]
    med = f"{statistics.median(ts):.1f} s (n={len(ts)})" if ts else "-"
    alarms = sum(1 for v, _ in k["twin"] if v == "invalid")
    unk = f"{sum(1 for v, _ in k['bug'] if v not in ('invalid', 'valid'))}/" \
          f"{sum(1 for v, _ in k['twin'] if v not in ('invalid', 'valid'))}"
    print(f"{bug:<28} {len(caught):>3}/{len(k['bug']):<4} {med:>22} {alarms:>12}/{len(k['twin']):<5} {unk:>19}")
PY
echo "runs: $runs" >&2
