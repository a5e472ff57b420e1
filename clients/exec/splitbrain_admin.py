#!/usr/bin/env python3
"""splitbrain-node's admin calls for `system: exec` (members.remove, members.add, members.snapshot):

    python3 splitbrain_admin.py [--token-file FILE] LEADER remove ID
    python3 splitbrain_admin.py [--token-file FILE] LEADER add ID PEER CLIENT
    python3 splitbrain_admin.py [--token-file FILE] MEMBER snapshot

LEADER is the leader's client address ({leader}), MEMBER the member's own ({ip}:{port}: any
member snapshots its own log). POSTs /admin/remove, /admin/add or /admin/snapshot; exit 0 when
the node answers ok, with its answer (snapshot: {"outcome", "index"}) as the last line of stdout;
else the answer on stderr and exit 1 (the harness tries remove and add again). --token-file: a
node started with --admin-token-file FILE wants the file's first line as a bearer token.
Standard library only.
"""
import http.client
import json
import sys

args = sys.argv[1:]
headers = {"Content-Type": "application/json"}
if len(args) >= 2 and args[0] == "--token-file":
    try:
        with open(args[1]) as f:
            token = (f.readline()).rstrip()
    except OSError as e:
        sys.exit("--token-file: %s" % e)
    headers["Authorization"] = "Bearer " + token
    args = args[2:]
if len(args) < 2:
    sys.exit(__doc__)
address, what = args[0], args[1]
if what == "remove" and len(args) == 3:
    body = {"id": args[2]}
elif what == "add" and len(args) == 5:
    body = {"id": args[2], "peer": args[3], "client": args[4], "voter": True}
elif what == "snapshot" and len(args) == 2:
    body = {}
else:
    sys.exit("unknown call or wrong arguments: %s\n%s" % (" ".join(args), __doc__))
host, port = address.rsplit(":", 1)
try:
    conn = http.client.HTTPConnection(host, int(port), timeout=4)
    conn.request("POST", "/admin/" + what, body=json.dumps(body), headers=headers)
    resp = conn.getresponse()
    answer = resp.read().decode()
except OSError as e:
    sys.exit("%s: %s" % (address, e))
if resp.status != 200:
    sys.exit("HTTP %d %s" % (resp.status, answer))
print(answer.strip())
