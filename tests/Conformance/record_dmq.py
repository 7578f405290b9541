#!/usr/bin/env python3
"""Record Kamailio 5.6's dmq.list_nodes answers (stdlib only).

Usage:
    python3 record_dmq.py [--ports 28081,28082,28083] [--out kamailio-5.6/dmq-list-nodes.json]

Needs a running 3-node DMQ cluster started from ../shared/kamailio (start-cluster.sh 3; node 1 is
the notification peer of the others). Asks every node for its node list once all three list each
other as active (DMQ pings every 15 s, so this may take a while after start).
"""
import argparse
import http.client
import json
import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REQUEST = '{"jsonrpc": "2.0", "method": "dmq.list_nodes", "id": 1}'


def call(port, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("POST", "/RPC", body=body.encode(), headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, json.loads(r.read().decode("utf-8"))
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", default="28081,28082,28083")
    ap.add_argument("--out", default=os.path.join(HERE, "kamailio-5.6", "dmq-list-nodes.json"))
    args = ap.parse_args()
    ports = [int(p) for p in args.ports.split(",")]
    deadline = time.time() + 60
    while True:
        answers = [call(p, REQUEST) for p in ports]
        if all(len(a[1].get("result", [])) == len(ports) and all(n["status"] == "active" for n in a[1]["result"]) for a in answers):
            break
        if time.time() > deadline:
            raise SystemExit("the nodes do not list each other as active: %r" % answers)
        time.sleep(1)
    _, version = call(ports[0], '{"jsonrpc": "2.0", "method": "core.version", "id": 1}')
    out = {
        "server": version["result"].strip(),
        "cases": [
            {"name": "dmq.list_nodes on node %d of %d" % (i + 1, len(ports)),
             "steps": [{"request": REQUEST, "http_status": status, "response": reply}]}
            for i, (status, reply) in enumerate(answers)
        ],
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
