#!/usr/bin/env python3
"""A splitbrain exec client for splitbrain-node (docs/exec-protocol.md), standard library only.

    python3 splitbrain_client.py n1=10.77.0.11:8000,n2=10.77.0.12:8000,...   (members: {nodes})

Reads one JSON command per line on stdin, answers one JSON line on stdout. Each command goes to
the member the harness names (`node`/`address`), as POST /command; a member's refusal (421 not
leader, 503, a refused connection) moves it to the leader the answer names, else the next member,
until the deadline. ok: 200. fail: certainly not applied (409 the operation's own refusal, 400
invalid, or every member refused until the deadline; a request not wholly sent counts as a
refusal, as built in). unknown: sent and no answer (timeout, connection lost after sending, 504).
Connections are kept open between commands, and one the member closed meanwhile is not reused.
After an unknown the program goes on (the harness gives it the slot's next logical process):
it keeps nothing of that command (its connection is dropped).
"""
import http.client
import json
import select
import sys
import time

MEMBERS = []  # [(id, "host:port")]
CONNS = {}    # address -> HTTPConnection kept open between commands
PRIVATE = ("id", "deadline_ms", "node", "address")


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def member_id(address):
    for mid, addr in MEMBERS:
        if addr == address:
            return mid
    return None


def drop(address):
    conn = CONNS.pop(address, None)
    if conn is not None:
        conn.close()


def looks_alive(conn):
    """As the built-in client: a kept connection the member has closed (a restart, an idle
    timeout), or one holding bytes nobody asked for, is not reused: readable before a request
    means one of those."""
    if conn.sock is None:
        return False
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def post(address, body, timeout):
    """(status, answer) or raises. Whatever is raised while `address` is no longer in CONNS
    happened before the request was wholly sent (connect() failed, or sending it did: a member
    cannot act on part of a request), so the command certainly did not happen there; anything
    raised with the connection still in CONNS came after it was sent."""
    conn = CONNS.get(address)
    if conn is not None and not looks_alive(conn):
        drop(address)
        conn = None
    if conn is None:
        host, port = address.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        conn.connect()  # a refusal here is certainly before anything was sent
        CONNS[address] = conn
    conn.timeout = timeout
    if conn.sock is not None:
        conn.sock.settimeout(timeout)
    try:
        conn.request("POST", "/command", body=body, headers={"Content-Type": "application/json"})
    except OSError:
        drop(address)  # not wholly sent: nothing happened
        raise
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, json.loads(data) if data else {}


def run(cmd):
    deadline = time.monotonic() + cmd.get("deadline_ms", 1000) / 1000.0
    body = json.dumps({k: v for k, v in cmd.items() if k not in PRIVATE})
    address = cmd.get("address") or MEMBERS[0][1]
    last = "no member answered before the deadline"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return {"type": "fail", "error": last}
        try:
            status, answer = post(address, body, left)
        except OSError as e:
            # connect() failed (refused, unreachable, timed out) or the request was not wholly
            # sent: nothing happened; this member refused.
            if address not in CONNS:
                last = "%s: %s" % (address, e)
                address = next_member(address)
                time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))
                continue
            drop(address)
            return {"type": "unknown", "error": "%s after sending: %s" % (address, e),
                    "node": member_id(address)}
        except Exception as e:  # a broken answer: it was sent
            drop(address)
            return {"type": "unknown", "error": "%s: %s" % (address, e), "node": member_id(address)}
        node = member_id(address)
        if status == 200:
            return {"type": "ok", "value": answer.get("value"), "node": node}
        if status == 504:
            return {"type": "unknown", "error": answer.get("error", "504"), "node": node}
        if status == 409:
            return {"type": "fail", "refusal": "state", "error": answer.get("error", "409"),
                    "node": node}
        if status == 400:
            return {"type": "fail", "refusal": "invalid", "error": answer.get("error", "400"),
                    "node": node}
        # 421 not leader, 503 no leader or overloaded, anything else: this member refused.
        last = "%s: HTTP %d %s" % (address, status, answer.get("error", ""))
        leader = answer.get("leader_client")
        address = leader if status == 421 and leader and leader != address else next_member(address)
        time.sleep(min(0.01, max(0.0, deadline - time.monotonic())))


def next_member(address):
    addrs = [a for _, a in MEMBERS]
    i = addrs.index(address) if address in addrs else -1
    return addrs[(i + 1) % len(addrs)]


def main():
    for entry in sys.argv[1].split(","):
        mid, addr = entry.split("=", 1)
        MEMBERS.append((mid, addr))
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        reply = run(cmd)
        reply["id"] = cmd["id"]
        say(reply)


if __name__ == "__main__":
    main()
