#!/usr/bin/env python3
"""The table of bench/node/syscalls.sh: per operation (ok and fail, from the run's last summary
line), each member's counts (the leader named by the run's log), the harness's own (its inherited
counts minus the members'; setup and checking included) and their sum. Standard library only:

  bench/node/syscalls_table.py OUT
"""
import glob
import re
import sys


def parse(path):
    counts = {}
    for line in open(path):
        m = re.match(r"\s*([\d.,]+)\s+(msec task-clock|[\w:-]+)", line)
        if m:
            name = (m.group(2).replace("syscalls:sys_enter_", "")
                    .replace("raw_syscalls:sys_enter", "syscalls").replace("msec task-clock", "cpu_ms"))
            counts[name] = float(m.group(1).replace(",", ""))
    return counts


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: syscalls_table.py OUT")
    out = sys.argv[1]
    log = open(out + "/run.log").read()
    leader = re.search(r"leader (n\d+)", log)
    ops = int(log.strip().split("\n")[-1].split()[5])
    cols = {}
    for f in sorted(glob.glob(out + "/perf.*.txt")):
        name = f.split("perf.")[-1][:-4]
        cols["leader " + name if leader and name == leader.group(1) else name] = parse(f)
    members = [c for c in cols if c != "harness"]
    if not members or "harness" not in cols:
        sys.exit("syscalls_table.py: %s lacks the members' or the harness's counts" % out)
    harness = cols.pop("harness")
    total = {k: sum(cols[m].get(k, 0) for m in members) for k in harness}
    cols["harness own"] = {k: harness[k] - total[k] for k in harness}
    cols["all"] = dict(harness)
    print("%s: %d operations; per operation:" % (out, ops))
    print("| | " + " | ".join(cols) + " |")
    for k in ["syscalls", "context-switches", "fsync", "write", "sendmsg", "recvmsg", "recvfrom",
              "epoll_wait", "epoll_ctl", "poll", "futex", "timerfd_settime", "cpu_ms"]:
        print("| %s | " % k + " | ".join("%.2f" % (cols[c].get(k, 0) / ops) for c in cols) + " |")


if __name__ == "__main__":
    main()
