#!/usr/bin/env python3
"""splitbrain-node's membership calls for `system: exec` (members.remove, members.add):

    python3 splitbrain_admin.py LEADER remove ID
    python3 splitbrain_admin.py LEADER add ID PEER CLIENT

LEADER is the leader's client address ({leader}). POSTs /admin/remove or /admin/add; exit 0 when
the node answers ok, else the answer on stderr and exit 1 (the harness tries again). Standard
library only.
"""
import http.client
import json
import sys

leader, what, mid = sys.argv[1], sys.argv[2], sys.argv[3]
if what == "remove":
    body = {"id": mid}
elif what == "add":
    body = {"id": mid, "peer": sys.argv[4], "client": sys.argv[5], "voter": True}
else:
    sys.exit("unknown call " + what)
host, port = leader.rsplit(":", 1)
try:
    conn = http.client.HTTPConnection(host, int(port), timeout=4)
    conn.request("POST", "/admin/" + what, body=json.dumps(body),
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    answer = resp.read().decode()
except OSError as e:
    sys.exit("%s: %s" % (leader, e))
if resp.status != 200:
    sys.exit("HTTP %d %s" % (resp.status, answer))
