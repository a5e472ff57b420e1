#!/usr/bin/env bash
# What splitbrain-fs costs (issue 15): writes/s of a 3-node splitbrain-node cluster (node_bench,
# fsync on) and the latency of a 100-byte append + fsync, each on a plain directory and through
# splitbrain-fs mounted over one. The mount is made in a private user + mount namespace
# (`unshare --user --map-root-user --mount`, as the lab makes them) and vanishes with it.
#   bench/disk/fs_cost.sh [BUILD_DIR] [SECONDS]     (default: build, 5)
# Needs node_bench, splitbrain-node and splitbrain-fs built in BUILD_DIR:
#   cmake --build build --target node_bench splitbrain-node splitbrain-fs
set -euo pipefail
build=$(realpath "${1:-build}")
seconds=${2:-5}
fsbin=$build/nemesis/diskfs/splitbrain-fs
for b in "$build/bench/node/node_bench" "$build/node/splitbrain-node" "$fsbin"; do
  [ -x "$b" ] || { echo "fs_cost: $b is not built" >&2; exit 2; }
done
work=$(mktemp -d /tmp/fs-cost.XXXXXX)
trap 'rm -rf "$work"' EXIT

# One side's figures: node_bench's table, then the fsync latency quantiles (ms) of N appends.
measure() {
  local dir=$1
  "$build/bench/node/node_bench" --node-binary "$build/node/splitbrain-node" --clients 1,16 \
    --seconds "$seconds" --dir "$dir/cluster"
  python3 - "$dir/fsync-probe" <<'PY'
import os, sys, time
path = sys.argv[1]
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
lat = []
for _ in range(500):
    os.write(fd, b"x" * 100)
    t0 = time.perf_counter()
    os.fsync(fd)
    lat.append((time.perf_counter() - t0) * 1000)
os.close(fd)
lat.sort()
print("fsync of a 100-byte append, 500 times: p50 %.3f ms  p90 %.3f ms  p99 %.3f ms"
      % (lat[250], lat[450], lat[495]))
PY
}

echo "== plain directory ($work/plain)"
mkdir -p "$work/plain"
measure "$work/plain"

echo "== through splitbrain-fs ($work/fs, mounted over itself)"
mkdir -p "$work/fs" "$work/fs.graveyard"
export -f measure
export build seconds fsbin work
unshare --user --map-root-user --mount --propagation private bash -c '
  set -euo pipefail
  "$fsbin" --backing "$work/fs" --mount "$work/fs" --graveyard "$work/fs.graveyard" \
    --control "fs-cost-$$" > "$work/fs.log" 2>&1 &
  fs=$!
  for _ in $(seq 100); do grep -q ready "$work/fs.log" && break; sleep 0.05; done
  grep -q ready "$work/fs.log" || { cat "$work/fs.log" >&2; exit 2; }
  measure "$work/fs"
  kill -TERM $fs; wait $fs || true
'
