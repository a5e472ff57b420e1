#!/usr/bin/env bash
# failover.sh [SPLITBRAIN] : kills the leader 4 times during a write-only register workload on
# 3 nodes in the lab, then prints, for each kill, the time from the SIGKILL to the first
# successful write invoked after it (and the median). Needs python3.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sb="${1:-$here/../../build/harness/splitbrain}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/failover.yaml" <<'PLAN'
name: failover
nodes: 3
time-limit: 30s
seed: 1
workload: {name: register, keys: 1, concurrency: 10, rate: 500, read-fraction: 0, timeout: 500ms}
nemesis:
  schedule:
    - {at: 3s, fault: kill-leader, duration: 4s}
    - {at: 10s, fault: kill-leader, duration: 4s}
    - {at: 17s, fault: kill-leader, duration: 4s}
    - {at: 24s, fault: kill-leader, duration: 4s}
checkers: [stats, perf]
PLAN
"$sb" run "$work/failover.yaml" --store "$work/store" > "$work/out.log" 2>&1 || { cat "$work/out.log"; exit 1; }
python3 - "$work/store/latest" <<'PY'
import json, sys, statistics
run = sys.argv[1]
kills = [json.loads(l) for l in open(run + "/nemesis.jsonl")]
kills = [k["time"] for k in kills if k["phase"] == "start" and k["fault"] == "kill-leader"]
invoked, firsts = {}, []
events = [json.loads(l) for l in open(run + "/history.jsonl")]
for k in kills:
    open_ = {}
    first = None
    for e in events:
        if e["type"] == "invoke":
            open_[e["process"]] = e["time"]
        elif e["type"] == "ok" and e["f"] == "write" and open_.get(e["process"], -1) >= k:
            first = e["time"] - k
            break
    firsts.append(first)
for k, f in zip(kills, firsts):
    print(f"kill at {k/1e9:6.2f}s: first ok write after {f/1e6:8.1f} ms" if f is not None else f"kill at {k/1e9:.2f}s: no ok write")
ok = [f for f in firsts if f is not None]
if ok:
    print(f"median time from killing the leader to the first successful write: {statistics.median(ok)/1e6:.1f} ms (n={len(ok)})")
PY
