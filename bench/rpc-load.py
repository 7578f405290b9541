#!/usr/bin/env python3
"""Loads N items into a node over JSON-RPC, as a user would: batches of B `htable.sets` calls per
HTTP request on one keep-alive connection. Key i = "k" + 15 digits, value i = "v" + 63 digits (the
keys and values of bench/memory-vs-redis.sh and the benchmarks). Stdlib only.
Usage: rpc-load.py URL TABLE N [B=1000]"""
import http.client
import sys
import time
import urllib.parse

url, table, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
start = time.monotonic()
for first in range(0, n, batch):
    calls = ",".join(
        '{"jsonrpc":"2.0","method":"htable.sets","params":["%s","k%015d","v%063d"],"id":%d}' % (table, i, i, i)
        for i in range(first, min(first + batch, n)))
    conn.request("POST", u.path, body=("[" + calls + "]").encode(), headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    body = r.read()
    if r.status != 200 or b'"error"' in body:
        sys.exit("batch at %d failed: %d %r" % (first, r.status, body[:300]))
elapsed = time.monotonic() - start
print("loaded %d items in %.1f s (%.0f items/s, batches of %d)" % (n, elapsed, n / elapsed, batch))
