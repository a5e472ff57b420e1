#!/usr/bin/env python3
"""Large writes against a 3-node splitbrain-node cluster on 127.0.0.1: do they cost the leader
its leadership? Starts three nodes (fsync on), has CLIENTS threads `put` VALUE_BYTES-byte values
to the leader for SECONDS, and prints the answers by HTTP status and how many new terms (elections)
the cluster went through. Standard library only; built nowhere, run by hand:

  bench/node/large_writes.py --node-binary build/node/splitbrain-node \
      [--value-bytes 1048000] [--clients 1] [--seconds 20] [--dir /tmp/large-writes] [-- FLAGS]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port, method, path, body=None, timeout=10.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"})
        res = conn.getresponse()
        data = res.read()
        try:
            return res.status, json.loads(data)
        except ValueError:
            return res.status, None
    except OSError:
        return 0, None
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--node-binary", required=True)
    ap.add_argument("--value-bytes", type=int, default=1048000)
    ap.add_argument("--clients", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--dir", default="/tmp/large-writes")
    ap.add_argument("node_flags", nargs="*")
    a = ap.parse_args()

    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir)
    ports = [(free_port(), free_port()) for _ in range(3)]
    members = []
    for i, (peer, client) in enumerate(ports):
        members += ["--member", f"n{i + 1}=127.0.0.1:{peer}/127.0.0.1:{client}"]
    procs = []
    for i in range(3):
        log = open(os.path.join(a.dir, f"n{i + 1}.log"), "ab")
        procs.append(subprocess.Popen(
            [a.node_binary, "--id", f"n{i + 1}", "--data-dir", os.path.join(a.dir, f"n{i + 1}"),
             "--log-level", "warn"] + members + a.node_flags, stdout=log, stderr=log))
    try:
        leader = None
        deadline = time.time() + 20
        while leader is None and time.time() < deadline:
            for i, (_, client) in enumerate(ports):
                status, body = call(client, "GET", "/status", timeout=1)
                if status == 200 and body.get("role") == "leader":
                    leader = i
            time.sleep(0.1)
        if leader is None:
            sys.exit("no leader")

        def max_term():
            terms = [call(c, "GET", "/status", timeout=2)[1] for _, c in ports]
            return max((t or {}).get("term", 0) for t in terms)

        term_before = max_term()
        counts = {}
        latencies = []
        lock = threading.Lock()
        stop = time.time() + a.seconds
        value = "v" * a.value_bytes

        def worker(c):
            target = leader
            n = 0
            while time.time() < stop:
                body = json.dumps({"op": "put", "key": f"k{c}-{n % 8}", "value": value})
                n += 1
                t0 = time.time()
                status, answer = call(ports[target][1], "POST", "/command", body)
                with lock:
                    counts[status] = counts.get(status, 0) + 1
                    if status == 200:
                        latencies.append(time.time() - t0)
                if status == 421 and answer and answer.get("leader"):
                    target = int(answer["leader"][1:]) - 1
                elif status not in (200, 413):
                    time.sleep(0.05)

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(a.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        new_terms = max_term() - term_before
        latencies.sort()
        p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 \
            if latencies else 0
        print(f"{a.clients} client(s), {a.value_bytes}-byte values, {a.seconds:.0f} s: "
              f"answers by HTTP status {dict(sorted(counts.items()))}, "
              f"ok p50 {p(0.5):.0f} ms p99 {p(0.99):.0f} ms, new terms {new_terms}")
        dead = [f"n{i + 1}" for i, pr in enumerate(procs) if pr.poll() is not None]
        if dead:
            print("nodes that died:", dead)
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.send_signal(signal.SIGKILL)
            pr.wait()


if __name__ == "__main__":
    main()
