#!/usr/bin/env python3
"""Runs a command (a `splitbrain run`, say) and prints the CPU time it and every process it
started took, by command name, with the wall time: how a benchmark's CPU splits between the
harness (with its clients) and the members. Every 0.25 s it reads utime+stime from
/proc/<pid>/stat of the command and its descendants (a member that exits between two samples
loses at most its last 0.25 s). Linux only; standard library only; built nowhere:

  bench/node/run_cpu.py build-rel/harness/splitbrain run plans/bench/splitbrain-c32.yaml

prints, after the command's own output, e.g.
  CPU-s: splitbrain=5.5 splitbrain-node=10.8 wall=18.4
Divide by the run's operations (results.json, stats.ops) for CPU per operation. The exit code is
the command's.
"""
import os
import subprocess
import sys
import time


def processes():
    """pid -> (command name, parent pid, utime+stime in clock ticks)."""
    out = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                s = f.read()
        except OSError:
            continue  # gone since listdir
        comm = s[s.index("(") + 1:s.rindex(")")]
        fields = s[s.rindex(")") + 2:].split()
        out[int(p)] = (comm, int(fields[1]), int(fields[11]) + int(fields[12]))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: run_cpu.py COMMAND [ARGS...]")
    try:
        child = subprocess.Popen(sys.argv[1:])
    except OSError as e:
        sys.exit("run_cpu.py: cannot start %s: %s" % (sys.argv[1], e))
    ticks = os.sysconf("SC_CLK_TCK")
    seen = {}  # (pid, name) -> the most ticks seen
    start = time.monotonic()
    while child.poll() is None:
        procs = processes()
        for pid, (comm, _, t) in procs.items():
            q, hops = pid, 0
            while q != child.pid and q in procs and q > 1 and hops < 64:
                q, hops = procs[q][1], hops + 1
            if q == child.pid:
                seen[(pid, comm)] = max(seen.get((pid, comm), 0), t)
        time.sleep(0.25)
    total = {}
    for (_, comm), t in seen.items():
        total[comm] = total.get(comm, 0) + t / ticks
    print("CPU-s: " + " ".join("%s=%.1f" % kv for kv in sorted(total.items()) if kv[1] >= 0.05) +
          " wall=%.1f" % (time.monotonic() - start), flush=True)
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
