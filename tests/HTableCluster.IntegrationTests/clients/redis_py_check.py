"""redis-py (Debian's python3-redis) against one server: usage redis_py_check.py PORT [PASSWORD].

Runs the same checks against redis-server and against a node (whose tables are 't', then 'kv');
exits non-zero with the failing check on the first difference from what Redis 7.0 answers.
"""
import sys
import time

import redis

port = int(sys.argv[1])
password = sys.argv[2] if len(sys.argv) > 2 else None
r = redis.Redis(host="127.0.0.1", port=port, password=password, decode_responses=True, socket_timeout=10)


def check(name, got, want):
    if got != want:
        print(f"{name}: got {got!r}, want {want!r}")
        sys.exit(1)


check("ping", r.ping(), True)
r.flushdb()
check("set", r.set("user:1", "alice"), True)
check("get", r.get("user:1"), "alice")
check("get missing", r.get("nobody"), None)
check("set nx on existing", r.set("user:1", "bob", nx=True), None)
check("set xx get", r.set("user:1", "bob", xx=True, get=True), "alice")
check("incr", r.incr("hits"), 1)
check("incrby", r.incrby("hits", 41), 42)
check("decr", r.decr("hits"), 41)
try:
    r.incr("user:1")
    check("incr on text raises", False, True)
except redis.ResponseError as e:
    check("incr on text error", str(e), "value is not an integer or out of range")
check("setex", r.setex("session", 100, "x"), True)
ttl = r.ttl("session")
check("ttl in range", 98 <= ttl <= 100, True)
check("persist", r.persist("session"), True)
check("ttl after persist", r.ttl("session"), -1)
check("expire", r.expire("session", 50), True)
check("pexpire gt refused", r.pexpire("session", 1000, gt=True), False)
check("ttl missing", r.ttl("nobody"), -2)
check("mset", r.mset({"a": "1", "b": "2", "c": "3"}), True)
check("mget", r.mget(["a", "b", "nobody", "c"]), ["1", "2", None, "3"])
check("exists", r.exists("a", "b", "nobody"), 2)
check("delete", r.delete("a", "nobody"), 1)
check("append", r.append("b", "22"), 3)
check("strlen", r.strlen("b"), 3)
check("getrange", r.getrange("user:1", 0, 1), "bo")
check("type", r.type("b"), "string")
check("scan", sorted(r.scan_iter(match="*", count=2)), sorted(["user:1", "hits", "session", "b", "c"]))
check("dbsize", r.dbsize(), 5)

pipe = r.pipeline(transaction=False)
for i in range(100):
    pipe.incr("piped")
check("pipeline", pipe.execute()[-1], 100)

# Hashes: on a node every table is a hash named after it.
check("hset", r.hset("kv", mapping={"gw-1": "10.0.0.1", "gw-2": "10.0.0.2"}), 2)
check("hget", r.hget("kv", "gw-1"), "10.0.0.1")
check("hincrby", r.hincrby("kv", "count", 5), 5)
check("hgetall", r.hgetall("kv"), {"gw-1": "10.0.0.1", "gw-2": "10.0.0.2", "count": "5"})
check("hdel", r.hdel("kv", "gw-2", "nobody"), 1)
check("hlen", r.hlen("kv"), 2)
check("hexists", r.hexists("kv", "gw-2"), False)
check("hscan", sorted(k for k, _ in r.hscan_iter("kv")), ["count", "gw-1"])
r.hdel("kv", "gw-1", "count")

# Pub/sub and keyspace notifications.
p = r.pubsub()
p.subscribe("news")
p.psubscribe("__keyevent@0__:*")


def next_message(timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        m = p.get_message(timeout=0.2)
        if m is not None and m["type"] in ("message", "pmessage"):
            return m
    return None


for _ in range(2):  # the subscribe confirmations
    m = p.get_message(timeout=2)
    check("subscribed", m is not None and m["type"] in ("subscribe", "psubscribe"), True)
check("publish", r.publish("news", "hello"), 1)
m = next_message()
check("message", (m["channel"], m["data"]) if m else None, ("news", "hello"))
r.config_set("notify-keyspace-events", "E$g")
check("config get", r.config_get("notify-keyspace-events"), {"notify-keyspace-events": "g$E"})
r.set("watched", "1")
m = next_message()
check("keyevent set", (m["channel"], m["data"]) if m else None, ("__keyevent@0__:set", "watched"))
r.delete("watched")
m = next_message()
check("keyevent del", (m["channel"], m["data"]) if m else None, ("__keyevent@0__:del", "watched"))
r.config_set("notify-keyspace-events", "")
p.close()
print("ok")
