#include "harness/ssh_agent.h"

namespace splitbrain::harness {

const std::string& AgentScript() {
  static const std::string kScript = R"AGENT(#!/bin/sh
# splitbrain's agent on a host (harness/ssh_agent.h): `sh agent.sh HOME COMMAND ARGS...`, run
# over ssh. It touches nothing but HOME (splitbrain's directory for this node on the host),
# the nftables table `inet splitbrain`, the processes it started itself (pid files in HOME) and
# the splitbrain-fs mount it made over HOME/member/data (plans with disk faults).
set -u
home=$1
cmd=$2
shift 2
cd "$home" || { echo "cannot enter $home"; exit 70; }

# alive PID: the process exists and is not a zombie.
alive() {
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
member_pid() { cat member.pid 2>/dev/null; }
# stop_member SIGNAL-ALREADY-SENT: SIGKILL the member's group, wait (5 s) until it is gone.
kill_member() {
  p=$(member_pid)
  [ -n "$p" ] || return 0
  kill -s KILL -- "-$p" 2>/dev/null || kill -s KILL "$p" 2>/dev/null
  i=0
  while alive "$p" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  if alive "$p"; then echo "member $p survived SIGKILL"; return 1; fi
  return 0
}
clear_rules() {
  if nft list table inet splitbrain >/dev/null 2>&1; then nft delete table inet splitbrain; fi
}
# mounted: a file system is mounted on member/data in this mount namespace.
mounted() { grep -qF " $home/member/data " /proc/self/mountinfo; }
# unmount_fs: splitbrain-fs (fs.pid) asked to unmount and exit (SIGTERM), SIGKILLed after 5 s;
# a mount left behind (a SIGKILLed or hung file system) is detached with fusermount3 -u -z.
unmount_fs() {
  f=$(cat fs.pid 2>/dev/null)
  if alive "$f"; then
    kill -s TERM "$f" 2>/dev/null
    i=0
    while alive "$f" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    alive "$f" && kill -s KILL "$f" 2>/dev/null
  fi
  if mounted; then
    fusermount3 -u -z "$home/member/data" 2>/dev/null || umount -l "$home/member/data" 2>/dev/null
  fi
  if mounted; then echo "splitbrain-fs is still mounted on $home/member/data"; return 1; fi
  rm -f fs.pid
  return 0
}
stop_watchdog() {
  w=$(cat watchdog.pid 2>/dev/null)
  rm -f watchdog.pid
  [ -n "$w" ] && alive "$w" && kill "$w" 2>/dev/null
  return 0
}

case "$cmd" in
  check)
    # check [fuse]: what a run needs here (with `fuse`: its disk faults too); each missing
    # privilege or program named.
    missing=""
    if [ "${1:-}" = fuse ]; then
      if ! [ -e /dev/fuse ]; then
        missing="$missing; disk faults need FUSE: there is no /dev/fuse (load the fuse module; a container needs --device /dev/fuse)"
      elif ! [ -c /dev/fuse ]; then
        missing="$missing; disk faults need FUSE: /dev/fuse is not a character device"
      elif ! [ -r /dev/fuse ] || ! [ -w /dev/fuse ]; then
        missing="$missing; disk faults need FUSE: $(id -un 2>/dev/null || id -u) cannot open /dev/fuse for reading and writing"
      fi
      for t in tail wc; do
        command -v "$t" >/dev/null 2>&1 || missing="$missing; the program '$t' is not installed"
      done
      if ! command -v fusermount3 >/dev/null 2>&1; then
        missing="$missing; disk faults need fusermount3 (Debian package fuse3), which is not installed"
      fi
    fi
    for t in nft setsid sed cut kill sleep grep; do
      command -v "$t" >/dev/null 2>&1 || missing="$missing; the program '$t' is not installed"
    done
    if ! (: >"$home/.probe" && rm -f "$home/.probe") 2>/dev/null; then
      missing="$missing; cannot write $home"
    fi
    if command -v nft >/dev/null 2>&1; then
      if ! out=$(nft add table inet splitbrain 2>&1 && nft delete table inet splitbrain 2>&1); then
        missing="$missing; cannot change nftables (needs root or CAP_NET_ADMIN): $out"
      fi
    fi
    sleep 30 &
    p=$!
    if ! (kill -s STOP "$p" && kill -s CONT "$p" && kill -s KILL "$p") 2>/dev/null; then
      missing="$missing; cannot signal its own processes"
    fi
    wait "$p" 2>/dev/null
    if [ -n "$missing" ]; then
      echo "${missing#; }"
      exit 1
    fi
    echo "ok $(id -un 2>/dev/null || id -u)"
    ;;
  reset)
    # A new test: whatever an earlier run left here goes (its watchdog, member, rules, data).
    stop_watchdog
    kill_member || exit 1
    unmount_fs || exit 1
    clear_rules || exit 1
    rm -rf member member.pid member.exit heartbeat fs.pid
    mkdir -p member/data
    ;;
  has)
    [ -x "$1" ]
    ;;
  faketime)
    # faketime LIBRARY...: the first of these that exists here, else what is missing.
    for l in "$@"; do
      if [ -f "$l" ] && [ -r "$l" ]; then echo "$l"; exit 0; fi
    done
    echo "clock-skew needs libfaketime (Debian package libfaketime), found at none of: $*"
    exit 1
    ;;
  put)
    # put NAME: stdin becomes member/NAME, replaced whole (a file the member reads).
    case "$1" in
      ''|.|..|*/*) echo "not a plain file name: '$1'"; exit 64 ;;
    esac
    mkdir -p member && cat >"member/$1.tmp" && mv "member/$1.tmp" "member/$1"
    ;;
  install)
    # install NAME: the member program from stdin into HOME/bin/NAME, refused (and not kept)
    # when it needs shared libraries this host lacks (a release splitbrain-node links tcmalloc,
    # a sanitized one the sanitizer runtimes), naming them: ldd, where the host has it.
    mkdir -p bin && cat >"bin/$1.tmp" && chmod 755 "bin/$1.tmp" || exit 1
    if command -v ldd >/dev/null 2>&1; then
      missing=$(ldd "bin/$1.tmp" 2>/dev/null | grep 'not found' | sed 's/^[[:space:]]*//; s/ =>.*//')
      if [ -n "$missing" ]; then
        rm -f "bin/$1.tmp"
        echo "$1 needs shared libraries this host lacks:" $missing
        exit 1
      fi
    fi
    mv "bin/$1.tmp" "bin/$1"
    ;;
  start)
    # start [VAR=VALUE...] PROGRAM ARGS...: in its own session (process group), output
    # appended to member/node.log; its pid in member.pid, its exit code in member.exit.
    if alive "$(member_pid)"; then echo "the member is running already"; exit 1; fi
    rm -f member.exit
    mkdir -p member/data
    setsid sh -c 'cd "$1/member" || exit 70; shift; "$@"; echo $? >"$0"' \
      "$home/member.exit" "$home" env "$@" >>member/node.log 2>&1 </dev/null &
    echo $! >member.pid
    ;;
  fs-mount)
    # fs-mount PROGRAM CONTROL: splitbrain-fs (PROGRAM) over member/data, its graveyard beside
    # it, its control socket @CONTROL, its output appended to member/splitbrain-fs.log; waits
    # (10 s) for its "ready", else prints why it did not mount.
    if alive "$(cat fs.pid 2>/dev/null)" || mounted; then
      echo "a file system is mounted on $home/member/data already"
      exit 1
    fi
    mkdir -p member/data member/data.graveyard
    : >>member/splitbrain-fs.log
    skip=$(($(wc -l <member/splitbrain-fs.log) + 1))
    setsid "$1" --backing "$home/member/data" --mount "$home/member/data" \
      --graveyard "$home/member/data.graveyard" --control "$2" \
      >>member/splitbrain-fs.log 2>&1 </dev/null &
    f=$!
    echo $f >fs.pid
    i=0
    while [ $i -lt 100 ]; do
      tail -n "+$skip" member/splitbrain-fs.log | grep -qx ready && exit 0
      alive "$f" || break
      sleep 0.1
      i=$((i + 1))
    done
    echo "splitbrain-fs could not mount $home/member/data: $(tail -n "+$skip" member/splitbrain-fs.log)"
    unmount_fs >/dev/null
    exit 1
    ;;
  fs)
    # fs PROGRAM CONTROL LINE: one control command to the member's splitbrain-fs; its reply.
    "$1" --send "$2" "$3"
    ;;
  fs-unmount)
    unmount_fs
    ;;
  signal)
    p=$(member_pid)
    alive "$p" || { echo "the member is not running"; exit 1; }
    kill -s "$1" -- "-$p" 2>/dev/null || kill -s "$1" "$p"
    ;;
  kill)
    kill_member
    ;;
  term)
    # term GRACE_MS
    p=$(member_pid)
    alive "$p" || exit 0
    kill -s CONT -- "-$p" 2>/dev/null
    kill -s TERM -- "-$p" 2>/dev/null
    i=0
    while alive "$p" && [ $i -lt $(($1 / 100)) ]; do sleep 0.1; i=$((i + 1)); done
    kill_member
    ;;
  running)
    # Exit 0 while the member runs; otherwise exit 1, printing its exit code when known.
    alive "$(member_pid)" && exit 0
    cat member.exit 2>/dev/null
    exit 1
    ;;
  rules)
    # The nftables script on stdin replaces table inet splitbrain (it names no other).
    nft -f -
    ;;
  clear)
    clear_rules
    ;;
  cat)
    cat "member/$1" 2>/dev/null || true
    ;;
  beat)
    : >heartbeat
    ;;
  watchdog)
    # watchdog SECONDS: the dead-man timer, detached from this ssh session.
    stop_watchdog
    : >heartbeat
    setsid sh "$home/agent.sh" "$home" watch "$1" >>watchdog.log 2>&1 </dev/null &
    echo $! >watchdog.pid
    ;;
  watch)
    # Every second: a heartbeat since the last look resets the count; SECONDS without one
    # removes the table, kills the member and unmounts its splitbrain-fs. Ends when
    # watchdog.pid no longer names it.
    limit=$1
    missed=0
    while :; do
      sleep 1
      [ "$(cat watchdog.pid 2>/dev/null)" = "$$" ] || exit 0
      if [ -e heartbeat ]; then
        rm -f heartbeat
        missed=0
      else
        missed=$((missed + 1))
      fi
      if [ "$missed" -ge "$limit" ]; then
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) no heartbeat for $limit s: removing table inet splitbrain, stopping the member, unmounting its splitbrain-fs"
        clear_rules
        kill_member
        unmount_fs
        rm -f watchdog.pid
        exit 0
      fi
    done
    ;;
  finish)
    # The run ended: no watchdog, no member, no mount, no rules.
    stop_watchdog
    kill_member
    unmount_fs
    clear_rules
    ;;
  *)
    echo "unknown command '$cmd'"
    exit 64
    ;;
esac
)AGENT";
  return kScript;
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ShellJoin(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + ShellQuote(w);
  return out;
}

}  // namespace splitbrain::harness
