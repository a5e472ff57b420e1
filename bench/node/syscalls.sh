#!/usr/bin/env bash
# syscalls.sh OUT [NODE_BINARY] — system calls, context switches and CPU per operation of a
# splitbrain-node benchmark run, by process: `perf stat` on each member from its start to its exit
# and on the harness (children inherited; bench/node/syscalls_table.py subtracts the members).
# Runs $PLAN (default plans/bench/splitbrain-c32.yaml) with $HARNESS (default
# build-rel/harness/splitbrain) from the source tree's top, writes OUT/{run.log,store,perf.*.txt}
# and prints the table (harness/systems/README.md, Benchmark). Needs perf (Debian: linux-perf) and
# root or perf_event_paranoid <= 1 for the syscalls:* tracepoints. NODE_BINARY must be called
# splitbrain-node (members are found by that name and by OUT in their command line).
set -euo pipefail
OUT=${1:?usage: syscalls.sh OUT [NODE_BINARY]}
NB=${2:-}
PLAN=${PLAN:-plans/bench/splitbrain-c32.yaml}
HB=${HARNESS:-build-rel/harness/splitbrain}
rm -rf "$OUT"; mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
EV=raw_syscalls:sys_enter,context-switches,task-clock
for c in fsync fdatasync write writev sendmsg recvmsg recvfrom epoll_wait epoll_ctl futex \
         timerfd_settime poll; do EV="$EV,syscalls:sys_enter_$c"; done
perf stat -e "$EV" -o "$OUT/perf.harness.txt" -- \
  "$HB" run "$PLAN" ${NB:+--node-binary "$NB"} --store "$OUT/store" > "$OUT/run.log" 2>&1 &
NODES=
# (Another run's members may be on the machine: a pid that is not ours must not end the script.)
for _ in $(seq 200); do
  NODES=$(for q in $(pgrep -x splitbrain-node || true); do
            if grep -qa "$OUT" /proc/$q/cmdline 2>/dev/null; then echo $q; fi; done)
  [ "$(echo $NODES | wc -w)" -ge 3 ] && break
  sleep 0.05
done
for p in $NODES; do
  id=$(tr '\0' ' ' < /proc/$p/cmdline | grep -o -- '--id [^ ]*' | cut -c6-)
  perf stat -e "$EV" -o "$OUT/perf.$id.txt" -p "$p" &
done
wait
python3 "$(dirname "$0")/syscalls_table.py" "$OUT"
