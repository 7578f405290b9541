#!/usr/bin/env python3
"""Record Kamailio 5.6 htable JSON-RPC answers as conformance fixtures (stdlib only).

Usage:
    python3 record.py [--port 28081] [--out kamailio-5.6/htable-rpc.json]
                      [--reseed-cmd ../shared/kamailio/pg-seed.sh] [--only SUBSTR]

Needs a running Kamailio node started from ../shared/kamailio (start-cluster.sh 1),
with tables a, e, i, db as in kamailio.cfg.tmpl and PostgreSQL (pg-start.sh) for `db`.

Every case starts from empty tables a, e, i (htable.flush, not recorded).  Cases marked
`db` also re-seed the PostgreSQL `htable` table (--reseed-cmd, default pg-seed.sh) and
reload table `db` before running, so they start from the seed rows.
Each step opens a fresh HTTP/1.1 connection (as kamrpc.py does).
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ABSENT = object()

TABLES = [
    "a=>size=8;autoexpire=0;dmqreplicate=1",
    "e=>size=8;autoexpire=5;dmqreplicate=1",
    "i=>size=4;initval=7;dmqreplicate=1",
    "db=>size=8;dbtable=htable;dbmode=1",
]


# ----------------------------------------------------------------------------- HTTP
def http_send(port, body, method="POST", path="/RPC", headers=None, timeout=10):
    """Send raw text; return dict(http_status, http_reason, content_type, body)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if headers is None:
        headers = {"Content-Type": "application/json"}
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if method == "GET" and not data:
            c.request(method, path, headers=headers)
        else:
            c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        return {"http_status": r.status, "http_reason": r.reason,
                "content_type": r.getheader("Content-Type"), "body": text}
    except (http.client.HTTPException, OSError) as e:
        # malformed JSON etc.: Kamailio closes the connection without an HTTP reply
        return {"http_status": None, "http_reason": "NO RESPONSE: %s" % type(e).__name__,
                "content_type": None, "body": ""}
    finally:
        c.close()


# ----------------------------------------------------------------------------- step builders
class Step:
    def __init__(self, body, method="POST", headers=None, path="/RPC", sleep_before=0):
        self.body = body
        self.method = method
        self.headers = headers
        self.path = path
        self.sleep_before = sleep_before


def C(method, params=ABSENT, id=ABSENT, sleep_before=0, jsonrpc="2.0", ascii=False):
    """A JSON-RPC call; id is filled with the step's 1-based position unless given."""
    req = {}
    if jsonrpc is not ABSENT:
        req["jsonrpc"] = jsonrpc
    req["method"] = method
    if params is not ABSENT:
        req["params"] = params
    req["id"] = id  # ABSENT placeholder resolved in run_case
    return ("call", req, sleep_before, ascii)


def RAW(body, method="POST", headers=ABSENT, path="/RPC", sleep_before=0):
    return ("raw", body, method, headers, path, sleep_before)


CASES = []


def case(name, *steps, db=False, time_dependent=False):
    CASES.append({"name": name, "steps": list(steps), "db": db,
                  "time_dependent": time_dependent})


def materialize(step, idx):
    if step[0] == "call":
        _, req, sleep_before, ascii_ = step
        req = dict(req)
        if req["id"] is ABSENT:
            req["id"] = idx
        elif req["id"] is NOID:
            del req["id"]
        body = json.dumps(req, ensure_ascii=ascii_)
        return Step(body, sleep_before=sleep_before)
    _, body, method, headers, path, sleep_before = step
    return Step(body, method=method,
                headers=None if headers is ABSENT else headers,
                path=path, sleep_before=sleep_before)


NOID = object()


# ----------------------------------------------------------------------------- cases
def define_cases():
    # --- introspection
    case("system.listMethods (full list; htable.* subset is what 5.6 has)",
         C("system.listMethods"))
    for m in ["get", "delete", "sets", "seti", "setex", "setxs", "setxi", "dump", "reload",
              "store", "flush", "listTables", "stats"]:
        case("system.methodHelp htable.%s" % m, C("system.methodHelp", ["htable." + m]))
    case("system.methodHelp for absent htable.dmqsync",
         C("system.methodHelp", ["htable.dmqsync"]))
    case("htable.dmqsync does not exist in 5.6", C("htable.dmqsync", ["a"]))
    case("htable.dmqresync does not exist in 5.6", C("htable.dmqresync", ["a"]))
    case("system.methodSignature htable.get", C("system.methodSignature", ["htable.get"]))

    # --- basic set/get
    case("sets then get string",
         C("htable.sets", ["a", "k1", "v1"]), C("htable.get", ["a", "k1"]))
    case("seti then get int (value is JSON number)",
         C("htable.seti", ["a", "k1", 42]), C("htable.get", ["a", "k1"]))
    case("get missing key in a", C("htable.get", ["a", "nokey"]))
    case("get missing key in i (initval=7 not applied by rpc get)",
         C("htable.get", ["i", "nokey"]), C("htable.dump", ["i"]))
    case("delete existing key",
         C("htable.sets", ["a", "k1", "v1"]), C("htable.delete", ["a", "k1"]),
         C("htable.get", ["a", "k1"]))
    case("delete missing key", C("htable.delete", ["a", "nokey"]))
    case("delete twice",
         C("htable.seti", ["a", "k", 1]), C("htable.delete", ["a", "k"]),
         C("htable.delete", ["a", "k"]))
    case("overwrite string with int",
         C("htable.sets", ["a", "k", "str"]), C("htable.seti", ["a", "k", 5]),
         C("htable.get", ["a", "k"]), C("htable.dump", ["a"]))
    case("overwrite int with string",
         C("htable.seti", ["a", "k", 5]), C("htable.sets", ["a", "k", "str"]),
         C("htable.get", ["a", "k"]), C("htable.dump", ["a"]))
    case("overwrite string with string",
         C("htable.sets", ["a", "k", "one"]), C("htable.sets", ["a", "k", "two"]),
         C("htable.get", ["a", "k"]), C("htable.stats"))

    # --- seti numeric ranges
    for label, v in [("negative -5", -5), ("0", 0), ("2147483647", 2147483647),
                     ("2147483648", 2147483648), ("-2147483648", -2147483648),
                     ("-2147483649", -2147483649), ("9999999999", 9999999999),
                     ("4294967296", 4294967296), ("4294967295", 4294967295),
                     ("1e3 exponent", 1e3), ("huge 1e20", 1e20)]:
        case("seti value %s then get" % label,
             C("htable.seti", ["a", "k", v]), C("htable.get", ["a", "k"]))
    case("seti value -0.0 float then get",
         RAW('{"jsonrpc": "2.0", "method": "htable.seti", "params": ["a", "k", -0.0], "id": 1}'),
         C("htable.get", ["a", "k"], id=2))
    case("seti value as JSON exponent literal 12e0 then get",
         RAW('{"jsonrpc": "2.0", "method": "htable.seti", "params": ["a", "k", 12e0], "id": 1}'),
         C("htable.get", ["a", "k"], id=2))
    # --- seti coercions
    for label, v in [("string \"12\"", "12"), ("string \"abc\"", "abc"),
                     ("string \"12abc\"", "12abc"), ("empty string", ""),
                     ("string \" 5\"", " 5"), ("string \"0x10\"", "0x10"),
                     ("string \"-3\"", "-3"), ("float 1.5", 1.5), ("float -1.5", -1.5),
                     ("float 2.9", 2.9), ("bool true", True), ("bool false", False),
                     ("null", None), ("object", {"x": 1}), ("array", [1, 2])]:
        case("seti value as %s then get" % label,
             C("htable.seti", ["a", "k", v]), C("htable.get", ["a", "k"]))
    case("seti over existing int with string \"abc\"",
         C("htable.seti", ["a", "k", 9]), C("htable.seti", ["a", "k", "abc"]),
         C("htable.get", ["a", "k"]))

    # --- sets coercions
    for label, v in [("int 12", 12), ("int -5", -5), ("int 0", 0), ("float 1.5", 1.5),
                     ("int 2147483648", 2147483648), ("bool true", True), ("bool false", False),
                     ("null", None), ("object", {"x": 1}), ("array", ["x"])]:
        case("sets value as %s then get" % label,
             C("htable.sets", ["a", "k", v]), C("htable.get", ["a", "k"]))

    # --- key / table types
    case("sets key as int 5 then get by \"5\"",
         C("htable.sets", ["a", 5, "v"]), C("htable.get", ["a", "5"]), C("htable.dump", ["a"]))
    case("get key as int",
         C("htable.sets", ["a", "5", "v"]), C("htable.get", ["a", 5]))
    case("delete key as int",
         C("htable.sets", ["a", "5", "v"]), C("htable.delete", ["a", 5]))
    case("table name as int", C("htable.sets", [1, "k", "v"]), C("htable.get", [1, "k"]),
         C("htable.dump", [1]))
    case("table name as null", C("htable.get", [None, "k"]))
    case("key as null", C("htable.sets", ["a", None, "v"]))
    case("unknown table name get/sets/seti/delete/dump/flush",
         C("htable.get", ["zz", "k"]), C("htable.sets", ["zz", "k", "v"]),
         C("htable.seti", ["zz", "k", 1]), C("htable.delete", ["zz", "k"]),
         C("htable.dump", ["zz"]), C("htable.flush", ["zz"]),
         C("htable.setex", ["zz", "k", 5]), C("htable.setxs", ["zz", "k", "v", 5]),
         C("htable.setxi", ["zz", "k", 1, 5]))
    case("table name is case sensitive", C("htable.get", ["A", "k"]))
    case("empty table name", C("htable.get", ["", "k"]))
    case("empty key \"\" sets/get/dump",
         C("htable.sets", ["a", "", "v"]), C("htable.get", ["a", ""]), C("htable.dump", ["a"]))
    case("empty string value sets/get/dump",
         C("htable.sets", ["a", "k", ""]), C("htable.get", ["a", "k"]), C("htable.dump", ["a"]))
    case("unicode key and value (raw UTF-8 in request)",
         C("htable.sets", ["a", "ключ-€-😀", "значение ✓"]), C("htable.get", ["a", "ключ-€-😀"]),
         C("htable.dump", ["a"]))
    case("unicode key and value (\\u escapes in request)",
         C("htable.sets", ["a", "clé", "vé€"], ascii=True),
         C("htable.get", ["a", "clé"], ascii=True))
    case("key with spaces",
         C("htable.sets", ["a", "a key with spaces", "v v"]),
         C("htable.get", ["a", "a key with spaces"]))
    case("key with => inside",
         C("htable.sets", ["a", "x=>y", "v"]), C("htable.get", ["a", "x=>y"]),
         C("htable.dump", ["a"]))
    case("key and value with double quotes",
         C("htable.sets", ["a", "q\"k\"", "say \"hi\""]), C("htable.get", ["a", "q\"k\""]))
    case("key and value with backslashes",
         C("htable.sets", ["a", "b\\k", "c:\\path\\x"]), C("htable.get", ["a", "b\\k"]))
    case("key and value with newline/tab/CR",
         C("htable.sets", ["a", "n\nk", "l1\nl2\tt\rr"]), C("htable.get", ["a", "n\nk"]),
         C("htable.dump", ["a"]))
    case("value with control char \\u0001 and slash",
         C("htable.sets", ["a", "ctl", "x\u0001y/z"]), C("htable.get", ["a", "ctl"]))
    case("value with embedded NUL \\u0000 (truncation?)",
         RAW('{"jsonrpc": "2.0", "method": "htable.sets", "params": ["a", "nul", "ab\\u0000cd"], "id": 1}'),
         C("htable.get", ["a", "nul"], id=2), C("htable.dump", ["a"], id=3))
    case("long key 300 chars",
         C("htable.sets", ["a", "K" * 300, "v"]), C("htable.get", ["a", "K" * 300]))
    case("long value 5000 chars",
         C("htable.sets", ["a", "long", "V" * 5000]), C("htable.get", ["a", "long"]))

    # --- missing / extra / named params
    for m, needs in [("get", 2), ("delete", 2), ("sets", 3), ("seti", 3), ("setex", 3),
                     ("setxs", 4), ("setxi", 4)]:
        full = {"get": ["a", "k"], "delete": ["a", "k"], "sets": ["a", "k", "v"],
                "seti": ["a", "k", 1], "setex": ["a", "k", 5], "setxs": ["a", "k", "v", 5],
                "setxi": ["a", "k", 1, 5]}[m]
        steps = [C("htable." + m)]
        for n in range(0, needs):
            steps.append(C("htable." + m, full[:n]))
        case("htable.%s missing params (none, then 0..%d of %d)" % (m, needs - 1, needs), *steps)
    for m in ["dump", "flush", "reload", "store"]:
        case("htable.%s missing params (none, empty array)" % m,
             C("htable." + m), C("htable." + m, []))
    case("extra params are ignored",
         C("htable.sets", ["a", "k", "v", "extra", 1]), C("htable.get", ["a", "k", "x"]),
         C("htable.seti", ["a", "k2", 3, 4]), C("htable.dump", ["a", "b"]),
         C("htable.delete", ["a", "k", "zz"]))
    case("params as named object (values taken in order)",
         C("htable.sets", {"table": "a", "key": "k", "value": "v"}),
         C("htable.get", {"table": "a", "key": "k"}),
         C("htable.seti", {"htable": "a", "name": "n", "v": 3}),
         C("htable.dump", {"htable": "a"}))
    case("params as named object in swapped order",
         C("htable.sets", {"key": "k", "table": "a", "value": "v"}),
         C("htable.dump", ["a"]), C("htable.dump", ["k"]))
    case("params as a string", C("htable.get", "a"))
    case("params as a number", C("htable.dump", 5))
    case("params as null", C("htable.listTables", None), C("htable.dump", None))
    case("params empty object", C("htable.get", {}))

    # --- setex / setxs / setxi
    case("setex 10 on existing key in a (autoexpire=0) then get (expire timestamp time-dependent)",
         C("htable.sets", ["a", "k", "v"]), C("htable.setex", ["a", "k", 10]),
         C("htable.get", ["a", "k"]), time_dependent=True)
    case("setex 0 on existing key in a then get",
         C("htable.sets", ["a", "k", "v"]), C("htable.setex", ["a", "k", 0]),
         C("htable.get", ["a", "k"]))
    case("setex 0 on existing key in e then get (e autoexpire=5; expire time-dependent)",
         C("htable.sets", ["e", "k", "v"]), C("htable.setex", ["e", "k", 0]),
         C("htable.get", ["e", "k"]), time_dependent=True)
    case("setex -5 on existing key in a then get",
         C("htable.sets", ["a", "k", "v"]), C("htable.setex", ["a", "k", -5]),
         C("htable.get", ["a", "k"]), time_dependent=True)
    case("setex string \"10\" then get (expire time-dependent)",
         C("htable.sets", ["a", "k", "v"]), C("htable.setex", ["a", "k", "10"]),
         C("htable.get", ["a", "k"]), time_dependent=True)
    case("setex string \"abc\" then get",
         C("htable.sets", ["a", "k", "v"]), C("htable.setex", ["a", "k", "abc"]),
         C("htable.get", ["a", "k"]), time_dependent=True)
    case("setex on missing key",
         C("htable.setex", ["a", "missing", 10]), C("htable.get", ["a", "missing"]),
         C("htable.dump", ["a"]))
    case("setex then dump (dump has no expire field)",
         C("htable.seti", ["a", "k", 1]), C("htable.setex", ["a", "k", 100]),
         C("htable.dump", ["a"]))
    case("setex 1 then get after-expiry (sleep 3s)",
         C("htable.sets", ["a", "k", "v"]), C("htable.setex", ["a", "k", 1]),
         C("htable.get", ["a", "k"], sleep_before=3), C("htable.dump", ["a"]))
    case("setxs then get (expire time-dependent)",
         C("htable.setxs", ["a", "k", "v", 100]), C("htable.get", ["a", "k"]),
         C("htable.dump", ["a"]), time_dependent=True)
    case("setxi then get (expire time-dependent)",
         C("htable.setxi", ["a", "k", 77, 100]), C("htable.get", ["a", "k"]),
         C("htable.dump", ["a"]), time_dependent=True)
    case("setxs with expire 0 then get",
         C("htable.setxs", ["a", "k", "v", 0]), C("htable.get", ["a", "k"]))
    case("setxs with expire 0 in e then get (expire time-dependent?)",
         C("htable.setxs", ["e", "k", "v", 0]), C("htable.get", ["e", "k"]),
         time_dependent=True)
    case("setxi with negative expire then get",
         C("htable.setxi", ["a", "k", 5, -10]), C("htable.get", ["a", "k"]),
         time_dependent=True)
    case("setxs with int value and string expire",
         C("htable.setxs", ["a", "k", 12, "100"]), C("htable.get", ["a", "k"]),
         time_dependent=True)
    case("setxi with string value \"8\"",
         C("htable.setxi", ["a", "k", "8", 100]), C("htable.get", ["a", "k"]),
         time_dependent=True)
    case("setxs over existing int",
         C("htable.seti", ["a", "k", 3]), C("htable.setxs", ["a", "k", "s", 100]),
         C("htable.dump", ["a"]))
    case("setxi 2 then get after-expiry (sleep 4s)",
         C("htable.setxi", ["a", "k", 1, 2]),
         C("htable.get", ["a", "k"], sleep_before=4), C("htable.dump", ["a"]))
    case("table e: sets then get (expire timestamp time-dependent, ~now+5s)",
         C("htable.sets", ["e", "k", "v"]), C("htable.get", ["e", "k"]),
         time_dependent=True)
    case("table e: sets then dump (no expire field in dump)",
         C("htable.sets", ["e", "k", "v"]), C("htable.seti", ["e", "n", 1]),
         C("htable.dump", ["e"]))
    case("table e: sets then get after-expiry (sleep 7s)",
         C("htable.sets", ["e", "k", "v"]), C("htable.seti", ["e", "n", 2]),
         C("htable.get", ["e", "k"], sleep_before=7), C("htable.dump", ["e"]),
         C("htable.stats"))
    case("table e: setex 100 then get after 7s (still there; expire time-dependent)",
         C("htable.sets", ["e", "k", "v"]), C("htable.setex", ["e", "k", 100]),
         C("htable.get", ["e", "k"], sleep_before=7), time_dependent=True)
    case("table e: re-set refreshes expire (updateexpire=1) then after-expiry",
         C("htable.sets", ["e", "k", "v"]),
         C("htable.sets", ["e", "k", "v2"], sleep_before=3),
         C("htable.get", ["e", "k"], sleep_before=3),
         C("htable.get", ["e", "k"], sleep_before=4), time_dependent=True)

    # --- dump
    case("dump empty table", C("htable.dump", ["a"]))
    case("dump one string item", C("htable.sets", ["a", "s", "str"]), C("htable.dump", ["a"]))
    case("dump one int item", C("htable.seti", ["a", "n", -12]), C("htable.dump", ["a"]))
    case("dump several items in a",
         C("htable.sets", ["a", "alpha", "1"]), C("htable.seti", ["a", "beta", 2]),
         C("htable.sets", ["a", "gamma", "three"]), C("htable.seti", ["a", "delta", 4]),
         C("htable.sets", ["a", "epsilon", "five"]), C("htable.dump", ["a"]),
         C("htable.stats"))
    steps = [C("htable.seti" if n % 3 else "htable.sets",
               ["i", "key%02d" % n, n if n % 3 else "s%d" % n]) for n in range(40)]
    steps += [C("htable.dump", ["i"]), C("htable.stats")]
    case("table i (16 slots): 40 keys, collisions -> dump slot order and in-slot order",
         *steps)
    steps = [C("htable.seti", ["i", "key%02d" % n, n]) for n in reversed(range(40))]
    steps += [C("htable.dump", ["i"])]
    case("table i: same 40 keys inserted in reverse order -> dump order", *steps)
    steps = [C("htable.seti", ["i", "key%02d" % n, n]) for n in range(20)]
    steps += [C("htable.seti", ["i", "key05", 500]), C("htable.delete", ["i", "key07"]),
              C("htable.dump", ["i"])]
    case("table i: update and delete inside a collision chain -> dump order", *steps)
    steps = [C("htable.seti", ["a", k, n]) for n, k in enumerate(
        ["", "a", "b", "ab", "ba", "k1", "k2", "key", "Key", "KEY", "x=>y", "1", "10", "100",
         "foo.bar", "user@example.com", "sip:alice@127.0.0.1", "ключ", "a b", "z" * 64])]
    steps += [C("htable.dump", ["a"])]
    case("table a: slot index (entry) for assorted keys (hash check)", *steps)
    case("dump unknown table", C("htable.dump", ["nope"]))
    case("dump with table name as int", C("htable.dump", [7]))

    # --- listTables / stats
    case("listTables", C("htable.listTables"))
    case("listTables with params", C("htable.listTables", ["a"]))
    case("stats with empty a,e,i (db has seed rows)", C("htable.stats"), db=True)
    case("stats after known keys",
         C("htable.seti", ["a", "k1", 1]), C("htable.seti", ["a", "k2", 2]),
         C("htable.seti", ["a", "k3", 3]), C("htable.sets", ["e", "x", "y"]),
         C("htable.seti", ["i", "q", 1]), C("htable.stats"), db=True)

    # --- flush
    case("flush then dump",
         C("htable.seti", ["a", "k1", 1]), C("htable.sets", ["a", "k2", "v"]),
         C("htable.flush", ["a"]), C("htable.dump", ["a"]), C("htable.get", ["a", "k1"]))
    case("flush empty table", C("htable.flush", ["a"]))
    case("flush with table as int", C("htable.flush", [3]))

    # --- reload / store
    case("reload on table without dbtable", C("htable.reload", ["a"]))
    case("store on table without dbtable", C("htable.store", ["a"]))
    case("reload unknown table", C("htable.reload", ["zz"]))
    case("store unknown table", C("htable.store", ["zz"]))
    case("db table: dump seeded content (arrays, int, badint)",
         C("htable.dump", ["db"]), C("htable.get", ["db", "s1"]), C("htable.get", ["db", "n1"]),
         C("htable.get", ["db", "arr[0]"]), C("htable.get", ["db", "arr::size"]),
         C("htable.get", ["db", "badint"]), db=True)
    case("db table: set in memory, reload discards it",
         C("htable.sets", ["db", "tmp", "x"]), C("htable.get", ["db", "tmp"]),
         C("htable.reload", ["db"]), C("htable.get", ["db", "tmp"]), C("htable.stats"), db=True)
    case("db table: store, flush, reload round trip",
         C("htable.sets", ["db", "st", "stored"]), C("htable.seti", ["db", "si", -9]),
         C("htable.delete", ["db", "neg"]), C("htable.store", ["db"]),
         C("htable.flush", ["db"]), C("htable.dump", ["db"]), C("htable.reload", ["db"]),
         C("htable.dump", ["db"]), db=True)
    case("db table: setxs item stored then reloaded (expire time-dependent)",
         C("htable.flush", ["db"]), C("htable.setxs", ["db", "x", "y", 1000]),
         C("htable.store", ["db"]), C("htable.reload", ["db"]), C("htable.get", ["db", "x"]),
         db=True, time_dependent=True)
    case("db table: flush then store empties db; reload gives empty",
         C("htable.flush", ["db"]), C("htable.store", ["db"]), C("htable.reload", ["db"]),
         C("htable.dump", ["db"]), db=True)

    # --- protocol edge cases
    case("protocol: malformed JSON (connection dropped?)", RAW('{"jsonrpc": "2.0", "method": '))
    case("protocol: not JSON at all", RAW("hello"))
    case("protocol: empty body", RAW(""))
    case("protocol: jsonrpc 1.0",
         C("htable.listTables", jsonrpc="1.0"), C("htable.sets", ["a", "k", "v"], jsonrpc="1.0"),
         C("htable.get", ["a", "k"]))
    case("protocol: jsonrpc field as number 2.0",
         RAW('{"jsonrpc": 2.0, "method": "htable.listTables", "id": 1}'))
    case("protocol: missing jsonrpc field", C("htable.listTables", jsonrpc=ABSENT))
    case("protocol: missing method", RAW('{"jsonrpc": "2.0", "params": ["a"], "id": 1}'))
    case("protocol: method not a string", RAW('{"jsonrpc": "2.0", "method": 5, "id": 1}'))
    case("protocol: method null", RAW('{"jsonrpc": "2.0", "method": null, "id": 1}'))
    case("protocol: unknown method", C("htable.nosuch", ["a"]))
    case("protocol: unknown method without id", C("nosuch.method", id=NOID))
    case("protocol: method name case sensitive", C("htable.listtables"))
    case("protocol: id as string", C("htable.get", ["a", "k"], id="abc"),
         C("htable.seti", ["a", "k", 1], id="x-2"), C("htable.get", ["a", "k"], id="3"))
    case("protocol: id as null", C("htable.seti", ["a", "k", 1], id=None),
         C("htable.get", ["a", "k"], id=None))
    case("protocol: id absent (notification) - still executed?",
         C("htable.seti", ["a", "k", 11], id=NOID), C("htable.get", ["a", "k"], id=NOID),
         C("htable.get", ["a", "k"], id=3))
    case("protocol: id as float / negative / big / object",
         C("htable.listTables", id=1.5), C("htable.stats", id=-7),
         C("htable.stats", id=12345678901), C("htable.stats", id={"a": 1}),
         C("htable.stats", id=[1]), C("htable.stats", id=True))
    case("protocol: params as string",
         RAW('{"jsonrpc": "2.0", "method": "htable.dump", "params": "a", "id": 1}'))
    case("protocol: batch of 2 calls",
         RAW('[{"jsonrpc": "2.0", "method": "htable.seti", "params": ["a", "k", 1], "id": 1}, '
             '{"jsonrpc": "2.0", "method": "htable.get", "params": ["a", "k"], "id": 2}]'),
         C("htable.dump", ["a"], id=3))
    case("protocol: empty batch []", RAW("[]"))
    case("protocol: JSON scalar body", RAW("5"))
    case("protocol: JSON string body", RAW('"x"'))
    case("protocol: empty object {}", RAW("{}"))
    case("protocol: GET /RPC without body", RAW("", method="GET", headers={}))
    case("protocol: GET /RPC with JSON body",
         RAW('{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1}', method="GET"))
    case("protocol: POST without Content-Type",
         RAW('{"jsonrpc": "2.0", "method": "htable.seti", "params": ["a", "k", 2], "id": 1}',
             headers={}),
         C("htable.get", ["a", "k"], id=2))
    case("protocol: POST with text/plain Content-Type",
         RAW('{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1}',
             headers={"Content-Type": "text/plain"}))
    case("protocol: POST to other path /other (route 404 from cfg)",
         RAW('{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1}', path="/other"))
    case("protocol: POST to /RPC/extra (route prefix match)",
         RAW('{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1}', path="/RPC/extra"))
    case("protocol: duplicate keys in request object (first or last wins?)",
         RAW('{"jsonrpc": "2.0", "method": "htable.sets", "method": "htable.seti", '
             '"params": ["a", "k", 5], "id": 1}'),
         C("htable.dump", ["a"], id=2))
    case("protocol: trailing garbage after JSON",
         RAW('{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1} xyz'))
    case("protocol: whitespace around JSON",
         RAW('  \n{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1}\n  '))
    case("protocol: extra unknown member in request",
         RAW('{"jsonrpc": "2.0", "method": "htable.listTables", "id": 1, "foo": [1]}'))
    case("keys differing only in case are distinct (hash is case-insensitive: same slot)",
         C("htable.seti", ["a", "key", 1]), C("htable.seti", ["a", "Key", 2]),
         C("htable.seti", ["a", "KEY", 3]), C("htable.get", ["a", "KEY"]),
         C("htable.get", ["a", "kEy"]), C("htable.dump", ["a"]))
    case("overwrite string with shorter then longer string",
         C("htable.sets", ["a", "k", "medium"]), C("htable.sets", ["a", "k", "s"]),
         C("htable.get", ["a", "k"]), C("htable.sets", ["a", "k", "much longer value"]),
         C("htable.get", ["a", "k"]), C("htable.stats"))
    case("table e: setxs with longer string over existing drops the explicit expire (expire time-dependent)",
         C("htable.sets", ["e", "k", "ab"]), C("htable.setxs", ["e", "k", "abcdef", 100]),
         C("htable.get", ["e", "k"]), time_dependent=True)
    case("table e: setxs with shorter string over existing keeps explicit expire (expire time-dependent)",
         C("htable.sets", ["e", "k", "abcdef"]), C("htable.setxs", ["e", "k", "ab", 100]),
         C("htable.get", ["e", "k"]), time_dependent=True)
    case("table a: setxs with longer string over existing (expire stored raw, no now)",
         C("htable.sets", ["a", "k", "ab"]), C("htable.setxs", ["a", "k", "abcdef", 100]),
         C("htable.get", ["a", "k"]), C("htable.setxs", ["a", "k", "x", 100]),
         C("htable.get", ["a", "k"]))
    case("table e: setxi over existing int then get (expire time-dependent)",
         C("htable.seti", ["e", "k", 1]), C("htable.setxi", ["e", "k", 2, 100]),
         C("htable.get", ["e", "k"]), time_dependent=True)
    case("table i: seti then get, delete in initval table",
         C("htable.seti", ["i", "k", 3]), C("htable.get", ["i", "k"]),
         C("htable.delete", ["i", "k"]), C("htable.get", ["i", "k"]))
    case("protocol: core.echo round trip types",
         C("core.echo", ["s", 1, -2, 1.5, True, None, {"o": 1}, [1, 2]]))


# ----------------------------------------------------------------------------- runner
def flush_tables(port, tables=("a", "e", "i")):
    for t in tables:
        body = json.dumps({"jsonrpc": "2.0", "method": "htable.flush", "params": [t], "id": 0})
        r = http_send(port, body)
        if r["http_status"] != 200:
            raise RuntimeError("flush %s failed: %r" % (t, r))


def prepare_db(port, reseed_cmd):
    if reseed_cmd:
        subprocess.run(reseed_cmd, shell=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    body = json.dumps({"jsonrpc": "2.0", "method": "htable.reload", "params": ["db"], "id": 0})
    r = http_send(port, body)
    if r["http_status"] != 200:
        raise RuntimeError("reload db failed: %r" % (r,))


def run_case(port, c, reseed_cmd):
    flush_tables(port)
    if c["db"]:
        prepare_db(port, reseed_cmd)
    out_steps = []
    for idx, raw in enumerate(c["steps"], start=1):
        st = materialize(raw, idx)
        if st.sleep_before:
            time.sleep(st.sleep_before)
        rec = http_send(port, st.body, method=st.method, path=st.path, headers=st.headers)
        try:
            parsed = json.loads(rec["body"]) if rec["body"] else None
        except ValueError:
            parsed = None
        step = {"request": st.body}
        if st.method != "POST":
            step["http_method"] = st.method
        if st.path != "/RPC":
            step["path"] = st.path
        if st.headers is not None:
            step["request_headers"] = st.headers
        if st.sleep_before:
            step["sleep_before_s"] = st.sleep_before
        step.update({"http_status": rec["http_status"], "http_reason": rec["http_reason"],
                     "content_type": rec["content_type"], "response": parsed,
                     "response_text": rec["body"]})
        out_steps.append(step)
    if c["db"]:
        prepare_db(port, reseed_cmd)  # leave `db` in the seed state for later cases (stats)
    res = {"name": c["name"], "steps": out_steps}
    if c["time_dependent"]:
        res["time_dependent"] = True
    if c["db"]:
        res["db_seeded"] = True
    return res


def server_version():
    try:
        out = subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("version:"):
                return line[len("version:"):].strip()
    except OSError:
        pass
    return "kamailio 5.6.x (unknown)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=int(os.environ.get("KAM_RPC_PORT", "28081")))
    ap.add_argument("--out", default=os.path.join(HERE, "kamailio-5.6", "htable-rpc.json"))
    default_seed = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "kamailio", "pg-seed.sh")
    ap.add_argument("--reseed-cmd", default=default_seed if os.path.exists(default_seed) else "")
    ap.add_argument("--only", default="", help="run only cases whose name contains this")
    ap.add_argument("--dry", action="store_true", help="print to stdout, do not write --out")
    args = ap.parse_args()

    define_cases()
    names = [c["name"] for c in CASES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("duplicate case names: %r" % dup)
    out = {"server": server_version(), "tables": TABLES, "cases": []}
    prepare_db(args.port, args.reseed_cmd)  # table `db` holds the 12 seed rows in every case
    for c in CASES:
        if args.only and args.only not in c["name"]:
            continue
        out["cases"].append(run_case(args.port, c, args.reseed_cmd))
        sys.stderr.write(".")
        sys.stderr.flush()
    sys.stderr.write("\n%d cases\n" % len(out["cases"]))
    text = json.dumps(out, indent=1, ensure_ascii=False) + "\n"
    if args.dry:
        sys.stdout.write(text)
        return
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, args.out)
    print("wrote %s (%d cases)" % (args.out, len(out["cases"])))


if __name__ == "__main__":
    main()
