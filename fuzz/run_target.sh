#!/usr/bin/env bash
# Runs one libFuzzer target for a few seconds over its seed corpus, for ctest (label `fuzz`):
#   run_target.sh BINARY SEED_CORPUS WORK_DIR SECONDS [--expect-crash]
# Fails (exit 1) on any crash, leak, UB report or time-out, and when BINARY was never built (no
# clang: ./scripts/install-deps.sh --test installs it). New inputs go to WORK_DIR/corpus (emptied
# first), never into the committed seed corpus; a crashing input is kept as WORK_DIR/crash-*.
# --expect-crash inverts the verdict: the canary target proves a crash fails the test.
set -uo pipefail
bin=$1 seeds=$2 work=$3 seconds=$4 expect=${5:-}
if [ ! -x "$bin" ]; then
  echo "run_target.sh: $bin was not built: the fuzz targets need clang++ and libclang-rt-14-dev" \
    "(./scripts/install-deps.sh --test)" >&2
  exit 1
fi
if [ ! -d "$seeds" ] || [ -z "$(ls -A "$seeds")" ]; then
  echo "run_target.sh: no seed corpus in $seeds" >&2
  exit 1
fi
rm -rf "$work" && mkdir -p "$work/corpus"
# -timeout: one input running longer than 60 s is a hang (inputs take milliseconds; the margin is
# for a loaded machine); -rss_limit_mb: a bound on memory.
"$bin" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$work/log" 2>&1
rc=$?
# All but the progress lines: the seed, the stats, any report.
grep -v -e '^#[0-9]' -e '^[[:space:]]NEW_FUNC' -e '^"' "$work/log"
if [ "$expect" = "--expect-crash" ]; then
  if [ "$rc" -ne 0 ] && ls "$work"/crash-* >/dev/null 2>&1; then
    echo "run_target.sh: the canary crashed as it must (exit $rc)"
    exit 0
  fi
  echo "run_target.sh: the canary did not crash (exit $rc): a crash would go unnoticed" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "run_target.sh: $(basename "$bin") failed (exit $rc); the input is in $work/" >&2
  exit 1
fi
