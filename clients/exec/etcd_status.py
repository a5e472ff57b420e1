#!/usr/bin/env python3
"""A member's status for splitbrain's `system: exec` (members.status.command), from etcd 3.4's
gateway: prints etcd's /v3/maintenance/status with `role` ("leader" when the member is the leader
it names, else "follower") and `term` (its raftTerm) added. Standard library only.

    python3 etcd_status.py 10.77.0.11:2379
"""
import http.client
import json
import sys

host, port = sys.argv[1].rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
conn.request("POST", "/v3/maintenance/status", body="{}", headers={"Content-Type": "application/json"})
resp = conn.getresponse()
if resp.status != 200:
    sys.exit("HTTP %d" % resp.status)
st = json.loads(resp.read())
me = st.get("header", {}).get("member_id", "")
st["role"] = "leader" if me and st.get("leader") == me else "follower"
st["term"] = int(st.get("raftTerm", 0))
print(json.dumps(st))
