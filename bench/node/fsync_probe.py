#!/usr/bin/env python3
"""How long an fsync takes on this machine's disk right now: the figure every benchmark of
splitbrain-node and etcd depends on (both fsync before they acknowledge a write). Appends
BYTES-byte records to a fresh file in DIR and fsyncs after each, COUNT times, and prints the
mean and quantiles in ms. Run it beside `uptime` before and after a benchmark: on the shared
development VM the same probe gave a p50 of 0.4 ms and a p99 of 12-27 ms within minutes,
depending on what the other engineers' builds wrote (harness/systems/README.md, "Benchmark").
Standard library only; built nowhere, run by hand:

  bench/node/fsync_probe.py [--dir DIR] [--count 400] [--bytes 300] [--writers 1]
                            [--preallocated]

DIR defaults to the current directory: give the file system the members' data lives on (the
harness's lab keeps it under the run store; node_bench under /tmp).

--writers N runs N writers at once, each on a file of its own (as three members of a cluster on
one machine share its disk), and adds how many syncs a second they made together.
--preallocated writes into a file already filled with zeros and syncs with fdatasync, as
splitbrain-node's write-ahead log does (node/env.cc), instead of appending and fsyncing (a
growing file, whose size each fsync also commits).
"""
import argparse
import os
import sys
import tempfile
import threading
import time


def writer(path, count, record, preallocated, times, lock):
    fd = os.open(path, os.O_WRONLY)
    mine = []
    try:
        offset = 0
        for _ in range(count):
            start = time.monotonic()
            if preallocated:
                os.pwrite(fd, record, offset)
                offset += len(record)
                os.fdatasync(fd)
            else:
                os.write(fd, record)
                os.fsync(fd)
            mine.append((time.monotonic() - start) * 1e3)
    finally:
        os.close(fd)
    with lock:
        times.extend(mine)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=".", help="where the probe's files are written (default .)")
    ap.add_argument("--count", type=int, default=400, help="fsyncs to time a writer (default 400)")
    ap.add_argument("--bytes", type=int, default=300, help="bytes written before each fsync")
    ap.add_argument("--writers", type=int, default=1, help="writers at once, a file each")
    ap.add_argument("--preallocated", action="store_true",
                    help="overwrite zeros and fdatasync, as the node's log does")
    args = ap.parse_args()
    if args.count < 1 or args.bytes < 1 or args.writers < 1:
        sys.exit("fsync_probe.py: --count, --bytes and --writers must be at least 1")
    if not os.path.isdir(args.dir):
        sys.exit("fsync_probe.py: --dir %s: not a directory" % args.dir)
    paths = []
    times = []
    lock = threading.Lock()
    try:
        for _ in range(args.writers):
            fd, path = tempfile.mkstemp(prefix="fsync-probe-", dir=args.dir)
            paths.append(path)
            if args.preallocated:
                os.write(fd, b"\0" * (args.count * args.bytes + 4096))
                os.fsync(fd)
            os.close(fd)
        record = b"x" * args.bytes
        threads = [threading.Thread(target=writer,
                                    args=(p, args.count, record, args.preallocated, times, lock))
                   for p in paths]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - start
    finally:
        for path in paths:
            os.unlink(path)
    if len(times) != args.count * args.writers:
        sys.exit("fsync_probe.py: a writer failed")
    times.sort()
    n = len(times)
    q = lambda f: times[min(n - 1, int(n * f))]
    what = "fdatasync of a %d-byte write into zeros" if args.preallocated else \
        "fsync of a %d-byte append"
    line = (what + " in %s, %d times: mean %.2f ms, p50 %.2f, p90 %.2f, p99 %.2f, max %.2f") % (
        args.bytes, os.path.abspath(args.dir), n, sum(times) / n, q(0.5), q(0.9), q(0.99),
        times[-1])
    if args.writers > 1:
        line += "; %d writers at once, %.0f syncs/s together" % (args.writers, n / elapsed)
    print(line)


if __name__ == "__main__":
    main()
