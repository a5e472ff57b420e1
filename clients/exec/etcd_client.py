#!/usr/bin/env python3
"""A splitbrain exec client for etcd 3.4's v3 JSON gateway (docs/exec-protocol.md), standard
library only. Register commands only (read, write, cas); anything else is a fail (invalid).

    python3 etcd_client.py n1=10.77.0.11:2379,n2=10.77.0.12:2379,...   (members: {nodes})

read -> POST /v3/kv/range (a quorum read), write -> /v3/kv/put, cas -> /v3/kv/txn comparing the
value. Keys and values are base64; values are stored as JSON text. ok: 200 (a cas only when the
compare succeeded). fail: a refused connection, a read answered 5xx (reads change nothing: tried
on the next member until the deadline), a failed compare (state), a 4xx (invalid). unknown: a
write or cas answered 5xx or not answered after it was sent.
"""
import base64
import http.client
import json
import sys
import time

MEMBERS = []
CONNS = {}


def b64(text):
    return base64.b64encode(text.encode()).decode()


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def member_id(address):
    for mid, addr in MEMBERS:
        if addr == address:
            return mid
    return None


def next_member(address):
    addrs = [a for _, a in MEMBERS]
    i = addrs.index(address) if address in addrs else -1
    return addrs[(i + 1) % len(addrs)]


def request(cmd):
    """(path, body) for the gateway, or None when the op has no translation."""
    key = b64(cmd.get("key", ""))
    op = cmd.get("op")
    if op == "read":
        return "/v3/kv/range", {"key": key}
    if op == "write":
        return "/v3/kv/put", {"key": key, "value": b64(json.dumps(cmd["value"]))}
    if op == "cas":
        return "/v3/kv/txn", {
            "compare": [{"key": key, "target": "VALUE", "result": "EQUAL",
                         "value": b64(json.dumps(cmd["expected"]))}],
            "success": [{"requestPut": {"key": key, "value": b64(json.dumps(cmd["value"]))}}]}
    return None


def post(address, path, body, timeout):
    conn = CONNS.get(address)
    if conn is None:
        host, port = address.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        conn.connect()
        CONNS[address] = conn
    if conn.sock is not None:
        conn.sock.settimeout(timeout)
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, json.loads(data) if data else {}


def run(cmd):
    deadline = time.monotonic() + cmd.get("deadline_ms", 1000) / 1000.0
    req = request(cmd)
    if req is None:
        return {"type": "fail", "refusal": "invalid", "error": "no etcd translation for " +
                str(cmd.get("op"))}
    path, body = req
    is_read = cmd["op"] == "read"
    address = cmd.get("address") or MEMBERS[0][1]
    last = "no member answered before the deadline"
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return {"type": "fail", "error": last}
        try:
            status, answer = post(address, path, body, left)
        except OSError as e:
            if address not in CONNS:  # connect() failed: nothing was sent
                last = "%s: %s" % (address, e)
                address = next_member(address)
                time.sleep(0.01)
                continue
            CONNS.pop(address).close()
            if is_read:  # a read changes nothing: try the next member
                last = "%s: %s" % (address, e)
                address = next_member(address)
                continue
            return {"type": "unknown", "error": "%s after sending: %s" % (address, e),
                    "node": member_id(address)}
        except Exception as e:
            CONNS.pop(address, None)
            return {"type": "unknown", "error": str(e), "node": member_id(address)}
        node = member_id(address)
        if status == 200:
            if cmd["op"] == "read":
                kvs = answer.get("kvs") or []
                value = json.loads(base64.b64decode(kvs[0]["value"])) if kvs else None
                return {"type": "ok", "value": value, "node": node}
            if cmd["op"] == "cas" and not answer.get("succeeded"):
                return {"type": "fail", "refusal": "state", "error": "compare failed",
                        "node": node}
            return {"type": "ok", "value": cmd["value"], "node": node}
        if status >= 500:
            if is_read:
                last = "%s: HTTP %d" % (address, status)
                address = next_member(address)
                time.sleep(0.01)
                continue
            return {"type": "unknown", "error": "HTTP %d %s" % (status, answer.get("error", "")),
                    "node": node}
        return {"type": "fail", "refusal": "invalid",
                "error": "HTTP %d %s" % (status, answer.get("error", "")), "node": node}


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
