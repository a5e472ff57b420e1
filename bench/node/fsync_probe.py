#!/usr/bin/env python3
"""How long an fsync takes on this machine's disk right now: the figure every benchmark of
splitbrain-node and etcd depends on (both fsync before they acknowledge a write). Appends
BYTES-byte records to a fresh file in DIR and fsyncs after each, COUNT times, and prints the
mean and quantiles in ms. Run it beside `uptime` before and after a benchmark: on the shared
development VM the same probe gave a p50 of 0.4 ms and a p99 of 12-27 ms within minutes,
depending on what the other engineers' builds wrote (harness/systems/README.md, "Benchmark").
Standard library only; built nowhere, run by hand:

  bench/node/fsync_probe.py [--dir DIR] [--count 400] [--bytes 300]

DIR defaults to the current directory: give the file system the members' data lives on (the
harness's lab keeps it under the run store; node_bench under /tmp).
"""
import argparse
import os
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=".", help="where the probe's file is written (default .)")
    ap.add_argument("--count", type=int, default=400, help="fsyncs to time (default 400)")
    ap.add_argument("--bytes", type=int, default=300, help="bytes appended before each fsync")
    args = ap.parse_args()
    if args.count < 1 or args.bytes < 1:
        sys.exit("fsync_probe.py: --count and --bytes must be at least 1")
    if not os.path.isdir(args.dir):
        sys.exit("fsync_probe.py: --dir %s: not a directory" % args.dir)
    fd, path = tempfile.mkstemp(prefix="fsync-probe-", dir=args.dir)
    times = []
    try:
        record = b"x" * args.bytes
        for _ in range(args.count):
            start = time.monotonic()
            os.write(fd, record)
            os.fsync(fd)
            times.append((time.monotonic() - start) * 1e3)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    n = len(times)
    q = lambda f: times[min(n - 1, int(n * f))]
    print("fsync of a %d-byte append in %s, %d times: mean %.2f ms, p50 %.2f, p90 %.2f, "
          "p99 %.2f, max %.2f" % (args.bytes, os.path.abspath(args.dir), n, sum(times) / n,
                                  q(0.5), q(0.9), q(0.99), times[-1]))


if __name__ == "__main__":
    main()
