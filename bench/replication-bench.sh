#!/usr/bin/env bash
# Replication benchmark, HTableCluster side by side with the Kamailio 5.6 + DMQ reference, in one run.
# Every target runs 2 nodes on 127.0.0.1 with table a=>size=8;dmqreplicate=1 and gets the same tests:
#   1. bulk: ../shared/kamailio/bench_repl.py --only bulk (REPL_KEYS distinct htable.sets on node 1,
#      REPL_THREADS keep-alive writers): write ops/s, time until node 2 holds every key after the
#      last write, lost keys;
#   2. lag:  bench_repl.py --only lag: REPL_SAMPLES single updates, set on 1 -> visible on 2, p50/p99;
#   3. diverge: wrk seti load (../shared/kamailio/bench/seti.lua, -t2 -c32 -d$DIVERGE_DUR) on node 1,
#      then bench_diverge.py --wait $DIVERGE_WAIT; and the same with one wrk on each node at once
#      (conflicting writes to the same keys);
#   4. counter: 2 x COUNTER_PER_NODE increments of one key, COUNTER_THREADS threads per node, both
#      nodes at once (Kamailio: bench_counter.py via GET /inc/<key>; ours: htable.inc), vs the exact sum;
#   5. init sync: INIT_KEYS keys on node 1, node 2 (re)started INIT_REPS times: time until it holds
#      them all (Kamailio: bench_initsync.py --load; ours: batched htable.sets, then a fresh node 2
#      joins; also the time until GET /health/ready is 200) and missing/wrong values;
#   6. ours only: kill -9: KILL_THREADS keep-alive writers do single htable.sets of distinct keys on
#      node 1 and record every acknowledged key; after KILL_WRITE_S s node 1 gets SIGKILL; after
#      KILL_WAIT_S s the acknowledged keys missing on node 2 (htable.dump) are counted. KILL_REPS
#      times, each on a freshly started pair.
# The Python drivers of ../shared/kamailio talk to http://127.0.0.1:(KAM_HTTP_BASE+i)/RPC, so for
# HTableCluster they run with KAM_HTTP_BASE=$HTC_HTTP_BASE (our node i listens on HTC_HTTP_BASE+i).
# Prints a summary table and appends the figures to bench/results/replication.tsv (format: bench/lib.sh);
# raw outputs and node logs stay in $OUT (/tmp/htc-repl-bench.XXXXXX).
# Every process started here is stopped on exit. Takes ~4-6 minutes on 2 cores.
# Usage: bench/replication-bench.sh
# Env: HTC_HTTP_BASE=27080 HTC_CLUSTER_BASE=27450 (node i: RPC HTC_HTTP_BASE+i, cluster HTC_CLUSTER_BASE+i)
#      HTC_PUBLISH_DIR=/tmp/htc-repl (used when <repo>/artifacts/node/htcluster does not exist)
#      REPL_KEYS=20000 REPL_THREADS=16 REPL_SAMPLES=200 DIVERGE_DUR=5s DIVERGE_WAIT=6
#      COUNTER_PER_NODE=1000 COUNTER_THREADS=4 INIT_KEYS=100000 INIT_REPS=3
#      KILL_REPS=3 KILL_THREADS=4 KILL_WRITE_S=3 KILL_WAIT_S=5
#      SKIP_KAMAILIO=0 KAM_DIR=<repo>/../shared/kamailio
#      Kamailio runs on its own ports/dirs (KAM_HTTP_BASE=29280 KAM_SIP_BASE=26260 PG_PORT=55459
#      KAM_RUN_DIR=/tmp/htc-repl-kam PG_DATA=/tmp/htc-repl-kam-pg/data), distinct from the defaults
#      and from bench/run-rpc-bench.sh, so clusters started by someone else are left alone.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
: "${HTC_HTTP_BASE:=27080}" "${HTC_CLUSTER_BASE:=27450}" "${HTC_PUBLISH_DIR:=/tmp/htc-repl}"
: "${REPL_KEYS:=20000}" "${REPL_THREADS:=16}" "${REPL_SAMPLES:=200}" "${DIVERGE_DUR:=5s}" "${DIVERGE_WAIT:=6}"
: "${COUNTER_PER_NODE:=1000}" "${COUNTER_THREADS:=4}" "${INIT_KEYS:=100000}" "${INIT_REPS:=3}"
: "${KILL_REPS:=3}" "${KILL_THREADS:=4}" "${KILL_WRITE_S:=3}" "${KILL_WAIT_S:=5}"
: "${SKIP_KAMAILIO:=0}" "${KAM_DIR:=$ROOT/../shared/kamailio}"
export KAM_HTTP_BASE="${KAM_HTTP_BASE:-29280}" KAM_SIP_BASE="${KAM_SIP_BASE:-26260}" PG_PORT="${PG_PORT:-55459}"
export KAM_RUN_DIR="${KAM_RUN_DIR:-/tmp/htc-repl-kam}" PG_DATA="${PG_DATA:-/tmp/htc-repl-kam-pg/data}"
KAM_DIR="$(cd "$KAM_DIR" && pwd)"
OUT="$(mktemp -d /tmp/htc-repl-bench.XXXXXX)"
TABLE_DEF='a=>size=8;dmqreplicate=1'
HTC_PID=(); NODE_SEQ=0; HTC_TAG=repl; KAM_STARTED=0; PG_STARTED=0; KAM_RAN=0
T_START=$(date +%s)

# shellcheck source=lib.sh
. "$HERE/lib.sh"
result_init replication "REPL_KEYS=$REPL_KEYS REPL_THREADS=$REPL_THREADS REPL_SAMPLES=$REPL_SAMPLES DIVERGE_DUR=$DIVERGE_DUR COUNTER_PER_NODE=$COUNTER_PER_NODE INIT_KEYS=$INIT_KEYS INIT_REPS=$INIT_REPS KILL_REPS=$KILL_REPS SKIP_KAMAILIO=$SKIP_KAMAILIO KAM_SHM_MB=${KAM_SHM_MB:-256} bench/replication-bench.sh"
phase() { log "== $* (load: $(cut -d' ' -f1-3 /proc/loadavg))"; }

cleanup() {
  local i
  for i in "${!HTC_PID[@]}"; do stop_pid "${HTC_PID[$i]}" "htcluster n$i"; HTC_PID[$i]=""; done
  if [ "$KAM_STARTED" = 1 ]; then "$KAM_DIR/stop-cluster.sh" >/dev/null 2>&1 || true; KAM_STARTED=0; log "kamailio stopped"; fi
  if [ "$PG_STARTED" = 1 ]; then "$KAM_DIR/pg-stop.sh" >/dev/null 2>&1 || true; PG_STARTED=0; log "postgres stopped"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # url seconds pid -> 0 when GET url answers 200
  local url="$1" secs="$2" pid="$3" code
  for _ in $(seq 1 $((secs * 5))); do
    code="$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$url" || true)"
    [ "$code" = 200 ] && return 0
    [ -d "/proc/$pid" ] || return 1
    sleep 0.2
  done
  return 1
}

step() { # name timeout-seconds cmd... : stdout -> $OUT/name.json, stderr -> $OUT/name.err; never aborts the run
  local name="$1" secs="$2" rc=0; shift 2
  timeout "$secs" "$@" > "$OUT/$name.json" 2> "$OUT/$name.err" || rc=$?
  if [ "$rc" != 0 ]; then log "  $name FAILED rc=$rc: $(tail -3 "$OUT/$name.err" | tr '\n' ' ' | cut -c1-300)"; fi
  log "  $name: $(tr -d '\n ' < "$OUT/$name.json" | cut -c1-400)"
}

command -v curl >/dev/null || { echo "curl is required"; exit 1; }
command -v python3 >/dev/null || { echo "python3 is required"; exit 1; }
command -v wrk >/dev/null || { log "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
[ -f "$KAM_DIR/bench_repl.py" ] || { echo "reference scripts not found in $KAM_DIR"; exit 1; }

# ---------------------------------------------------------------- Python helpers (HTableCluster-only tests, summary)
cat > "$OUT/htc_tools.py" <<'PY'
#!/usr/bin/env python3
"""Helpers of bench/replication-bench.sh: counter / load / syncwait / kill for HTableCluster, summary."""
import argparse, glob, http.client, json, os, re, signal, statistics, sys, threading, time


class Conn:
    def __init__(self, port, timeout=10):
        self.port, self.timeout, self.c, self.i = port, timeout, None, 0

    def post(self, payload):
        if self.c is None:
            self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            self.c.request("POST", "/RPC", body=json.dumps(payload), headers={"Content-Type": "application/json"})
            r = self.c.getresponse()
            data = r.read()
            return json.loads(data) if data else None
        except Exception:
            self.close()
            raise

    def call(self, method, params=None, retries=1):
        for attempt in range(retries):
            self.i += 1
            try:
                return self.post({"jsonrpc": "2.0", "method": method, "params": params or [], "id": self.i})
            except (http.client.HTTPException, OSError, ValueError):
                if attempt == retries - 1:
                    raise
                time.sleep(0.1)

    def close(self):
        if self.c is not None:
            try:
                self.c.close()
            except Exception:
                pass
        self.c = None


def get_value(port, key):
    r = Conn(port).call("htable.get", ["a", key], retries=3)
    return r["result"]["item"]["value"] if r and "result" in r else None


def count_a(port, timeout=2):
    try:
        r = Conn(port, timeout).call("htable.stats")
        for t in r["result"]:
            if t["name"] == "a":
                return t["all"]
    except Exception:
        return None


def dump_a(port):
    r = Conn(port, 30).call("htable.dump", ["a"], retries=3)
    return {it["name"]: it["value"] for slot in r["result"] for it in slot["slot"]}


def ready(port):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        c.request("GET", "/health/ready")
        st = c.getresponse().status
        c.close()
        return st == 200
    except Exception:
        return False


def counter(a):
    """bench_counter.py with htable.inc: seti 0 on node 1, per-node increments on both nodes at once."""
    p = {1: a.port1, 2: a.port2}
    r = Conn(a.port1).call("htable.seti", ["a", a.key, 0], retries=3)
    assert r and "result" in r, r
    time.sleep(0.5)
    start = {n: get_value(p[n], a.key) for n in (1, 2)}
    errors, last_reply, lock = [0], {1: 0, 2: 0}, threading.Lock()

    def worker(node, count):
        c = Conn(p[node])
        for _ in range(count):
            try:
                r = c.call("htable.inc", ["a", a.key, 1])
                if r and "result" in r:
                    with lock:
                        last_reply[node] = max(last_reply[node], int(r["result"]))
                else:
                    errors[0] += 1
            except Exception:
                errors[0] += 1

    ths = []
    for node in (1, 2):
        per = [a.per_node // a.threads + (1 if i < a.per_node % a.threads else 0) for i in range(a.threads)]
        ths += [threading.Thread(target=worker, args=(node, k)) for k in per]
    t0 = time.monotonic()
    [t.start() for t in ths]
    [t.join() for t in ths]
    dt = time.monotonic() - t0
    time.sleep(a.settle)
    final = {n: get_value(p[n], a.key) for n in (1, 2)}
    exact = 2 * a.per_node
    print(json.dumps({
        "per_node": a.per_node, "threads_per_node": a.threads, "exact_sum": exact, "start_values": start,
        "increment_seconds": round(dt, 3), "rpc_errors": errors[0], "max_value_replied": last_reply,
        "final_node1": final[1], "final_node2": final[2],
        "node1_minus_exact": None if final[1] is None else final[1] - exact,
        "node2_minus_exact": None if final[2] is None else final[2] - exact,
        "nodes_agree": final[1] == final[2]}, indent=2))


def load(a):
    """INIT keys is<k>=val<k> into node 1 with JSON-RPC batches of --batch htable.sets."""
    errors = [0]
    Conn(a.port1).call("htable.flush", ["a"], retries=3)

    def w(tid):
        c = Conn(a.port1, 30)
        for b0 in range(tid * a.batch, a.keys, a.threads * a.batch):
            batch = [{"jsonrpc": "2.0", "method": "htable.sets", "params": ["a", f"is{k}", f"val{k}"], "id": k}
                     for k in range(b0, min(b0 + a.batch, a.keys))]
            try:
                replies = c.post(batch)
                errors[0] += sum(1 for r in replies if "result" not in r) + len(batch) - len(replies)
            except Exception:
                errors[0] += len(batch)

    t0 = time.monotonic()
    ths = [threading.Thread(target=w, args=(i,)) for i in range(a.threads)]
    [t.start() for t in ths]
    [t.join() for t in ths]
    dt = time.monotonic() - t0
    print(json.dumps({"load": {"loaded": a.keys, "batch": a.batch, "load_seconds": round(dt, 2),
                               "load_ops_per_s": round(a.keys / dt), "errors": errors[0],
                               "node1_count": count_a(a.port1)}}), flush=True)


def syncwait(a):
    """A node launched at epoch --t0 (pid --pid, RPC --port2): poll /health/ready and htable.stats."""
    n1 = count_a(a.port1)
    t_rpc = t_ready = t_first = t_all = None
    last, last_change = None, time.time()
    while time.time() - a.t0 < a.timeout:
        now = time.time() - a.t0
        if not os.path.isdir(f"/proc/{a.pid}"):
            break
        c = count_a(a.port2, 1)
        if c is not None and t_rpc is None:
            t_rpc = now
        if c and t_first is None:
            t_first = now
        if t_ready is None and ready(a.port2):
            t_ready = time.time() - a.t0
        if c != last:
            last, last_change = c, time.time()
        if c is not None and n1 is not None and c >= n1 and t_all is None:
            t_all = now
        if t_all is not None and t_ready is not None:
            break
        if t_ready is not None and time.time() - last_change > a.stall:
            break
        time.sleep(0.02)
    bad, sample = 0, list(range(0, n1 or 0, 97))
    c = Conn(a.port2, 30)
    for i in range(0, len(sample), 500):
        ks = sample[i:i + 500]
        try:
            replies = c.post([{"jsonrpc": "2.0", "method": "htable.get", "params": ["a", f"is{k}"], "id": k} for k in ks])
            byid = {r.get("id"): r for r in replies}
            bad += sum(1 for k in ks if not ("result" in byid.get(k, {}) and byid[k]["result"]["item"]["value"] == f"val{k}"))
        except Exception:
            bad += len(ks)
    r2 = lambda x: None if x is None else round(x, 3)
    print(json.dumps({"rep": a.rep, "node1_keys": n1, "node2_rpc_up_s": r2(t_rpc), "node2_first_keys_s": r2(t_first),
                      "node2_ready_s": r2(t_ready), "node2_all_keys_s": r2(t_all), "node2_final_count": last,
                      "missing": None if n1 is None else n1 - (last or 0), "values_checked": len(sample),
                      "values_wrong_or_missing": bad}), flush=True)


def kill(a):
    """Writers on node 1 record acknowledged keys; node 1 gets SIGKILL after --seconds; count acked keys
    missing on node 2 after --wait s."""
    stop = threading.Event()
    acked = [dict() for _ in range(a.threads)]
    attempted, errors = [0] * a.threads, [0] * a.threads

    def w(tid):
        c, n = Conn(a.port1, 5), 0
        while not stop.is_set():
            key, val = f"{a.prefix}_{tid}_{n}", f"v{n}"
            n += 1
            attempted[tid] += 1
            try:
                r = c.call("htable.sets", ["a", key, val])
                if r and "result" in r:
                    acked[tid][key] = val
                else:
                    errors[tid] += 1
            except Exception:
                errors[tid] += 1
                if stop.is_set():
                    break
                time.sleep(0.01)

    ths = [threading.Thread(target=w, args=(i,)) for i in range(a.threads)]
    t0 = time.monotonic()
    [t.start() for t in ths]
    time.sleep(a.seconds)
    os.kill(a.pid, signal.SIGKILL)
    t_kill = time.monotonic() - t0
    stop.set()
    for t in ths:
        t.join(15)
    time.sleep(a.wait)
    ack = {k: v for d in acked for k, v in d.items()}
    d2 = dump_a(a.port2)
    lost = [k for k in ack if k not in d2]
    wrong = [k for k in ack if k in d2 and d2[k] != ack[k]]
    extra = sum(1 for k in d2 if k.startswith(a.prefix + "_") and k not in ack)
    print(json.dumps({"prefix": a.prefix, "threads": a.threads, "killed_after_s": round(t_kill, 3),
                      "attempted": sum(attempted), "acked": len(ack), "acked_per_s": round(len(ack) / t_kill),
                      "rpc_errors": sum(errors), "node2_keys": len(d2), "lost": len(lost),
                      "lost_examples": sorted(lost)[:10], "wrong_value": len(wrong),
                      "unacked_but_on_node2": extra, "node2_ready_after": ready(a.port2)}), flush=True)


# ------------------------------------------------------------------------------------------ summary
def jload(path):
    """One JSON document, or JSON lines -> list of dicts; None when missing/empty/garbled."""
    try:
        text = open(path).read().strip()
    except OSError:
        return None
    if not text:
        return None
    try:
        return [json.loads(text)]
    except ValueError:
        out = []
        for line in text.splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out or None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=0):
    if x is None:
        return "n/a"
    return f"{x:.{nd}f}" if isinstance(x, (int, float)) else str(x)


def column(out, t):
    g = lambda name: (jload(os.path.join(out, f"{t}-{name}.json")) or [None])[0]
    col = {}
    b = g("bulk")
    col["bulk"] = "n/a" if not b else f"{fmt(b.get('write_ops_per_s'))} ({b['keys']} keys, {b['writer_threads']} thr, {b.get('write_errors')} err)"
    col["bulk_lag"] = "n/a" if not b else ("never (stalled)" if b.get("node2_lag_after_last_write_s") is None
                                           else f"{fmt(b['node2_lag_after_last_write_s'] * 1000)} ms")
    col["bulk_lost"] = "n/a" if not b else f"{b.get('lost')} of {b['keys']}"
    l = g("lag")
    col["lag"] = "n/a" if not l else (f"{l['visible_on_node2_ms']['p50']:.2f} / {l['visible_on_node2_ms']['p99']:.2f} ms"
                                      f" ({l['timeouts_5s']} timeouts)")
    for name, key in (("diverge", "div1"), ("diverge-both", "div2")):
        d = g(name)
        wr = g(name + "-wrk")
        col[key] = "n/a" if not d else (f"{d['different_value']} diff + {d['only_on_node1']}/{d['only_on_node2']} only-on-1/2"
                                        f" of {d['node1_keys']} keys" + (f" ({wr['req_s']} req/s)" if wr else ""))
    c = g("counter")
    col["counter"] = "n/a" if not c else (f"{c['final_node1']} / {c['final_node2']} vs {c['exact_sum']}"
                                          f" ({c.get('http_errors', c.get('rpc_errors'))} err)")
    reps = [r for r in (jload(os.path.join(out, f"{t}-initsync.json")) or []) if "rep" in r]
    if reps:
        col["init"] = (f"{fmt(med([r.get('node2_all_keys_s') for r in reps]), 2)} s "
                       f"({'/'.join(fmt(r.get('node2_all_keys_s'), 2) for r in reps)}), missing "
                       f"{'/'.join(str(r.get('missing')) for r in reps)}, wrong {'/'.join(str(r.get('values_wrong_or_missing')) for r in reps)}")
        if any("node2_ready_s" in r for r in reps):
            col["init_ready"] = f"{fmt(med([r.get('node2_ready_s') for r in reps]), 2)} s ({'/'.join(fmt(r.get('node2_ready_s'), 2) for r in reps)})"
    else:
        col["init"] = "n/a"
    kills = [k for f in sorted(glob.glob(os.path.join(out, f"{t}-kill-*.json"))) for k in (jload(f) or [])]
    if kills:
        col["kill"] = ", ".join(f"{k['acked']}/{k['lost']}" for k in kills)
    return col


def summary(a):
    cols = {"HTableCluster": column(a.out, "htc")}
    if a.kam:
        cols["Kamailio 5.6 DMQ"] = column(a.out, "kam")
    rows = [("bulk write ops/s during replication", "bulk"), ("node 2 complete after last write", "bulk_lag"),
            ("bulk keys lost on node 2", "bulk_lost"), ("single-update lag p50 / p99", "lag"),
            ("diverging keys, seti load on node 1", "div1"), ("diverging keys, seti load on both nodes", "div2"),
            ("counter node1 / node2 vs exact sum", "counter"), (f"init sync of {a.init_keys} keys (median, reps)", "init"),
            ("  ours: until /health/ready", "init_ready"), ("kill -9 node 1: acked/lost per rep", "kill")]
    names = list(cols)
    w0 = max(len(r[0]) for r in rows)
    print(f"{'':{w0}} | " + " | ".join(names))
    print("-" * w0 + "-|-" + "-|-".join("-" * len(n) for n in names))
    for label, key in rows:
        vals = [cols[n].get(key, "-") for n in names]
        if all(v == "-" for v in vals):
            continue
        print(f"{label:{w0}} | " + " | ".join(vals))
    if not a.kam:
        print("(Kamailio reference skipped: not installed or SKIP_KAMAILIO=1)")


def figures(out, t):
    """The figures of one target (htc or kam) for the result file."""
    g = lambda name: (jload(os.path.join(out, f"{t}-{name}.json")) or [None])[0]
    f = {}
    b = g("bulk")
    if b:
        f["bulk"], f["lost"], f["keys"], f["writers"] = b.get("write_ops_per_s"), b.get("lost"), b["keys"], b["writer_threads"]
        lag = b.get("node2_lag_after_last_write_s")
        f["complete"] = None if lag is None else round(lag * 1000)
    l = g("lag")
    if l:
        f["p50"], f["p99"] = round(l["visible_on_node2_ms"]["p50"], 2), round(l["visible_on_node2_ms"]["p99"], 2)
    for name, key in (("diverge", "div1"), ("diverge-both", "div2")):
        d, w = g(name), g(name + "-wrk")
        if d:
            f[key] = d["different_value"] + d["only_on_node1"] + d["only_on_node2"]
        if w:
            f[key + "_rps"] = w["req_s"]
    c = g("counter")
    if c:
        f["c1"], f["c2"], f["exact"] = c["final_node1"], c["final_node2"], c["exact_sum"]
    reps = [r for r in (jload(os.path.join(out, f"{t}-initsync.json")) or []) if "rep" in r]
    if reps:
        r2 = lambda x: None if x is None else round(x, 2)
        f["reps"] = len(reps)
        for key, src in (("init_all", "node2_all_keys_s"), ("init_ready", "node2_ready_s"), ("init_rpc", "node2_rpc_up_s")):
            f[key] = r2(med([r.get(src) for r in reps]))
    return f


def tsv(a):
    """Rows of bench/results/replication.tsv: metric, ours, reference, ref_name, unit, better (| separated)."""
    ours = figures(a.out, "htc")
    ref = figures(a.out, "kam") if a.kam else {}
    keys, exact = ours.get("keys", ref.get("keys")), ours.get("exact", ref.get("exact"))
    median = f" (median of {a.init_reps})" if a.init_reps > 1 else ""
    rows = [
        (f"bulk: {keys} htable.sets on node 1, {ours.get('writers')} writers", "bulk", "ops/s", "higher"),
        ("bulk: keys lost on node 2", "lost", "keys", "lower"),
        ("bulk: node 2 complete after the last write", "complete", "ms", "lower"),
        ("one update visible on node 2, p50", "p50", "ms", "lower"),
        ("one update visible on node 2, p99", "p99", "ms", "lower"),
        ("keys differing after seti load on node 1", "div1", "keys", "lower"),
        ("seti load on node 1", "div1_rps", "req/s", "higher"),
        ("keys differing after seti load on both nodes", "div2", "keys", "lower"),
        ("seti load on both nodes", "div2_rps", "req/s", "higher"),
        (f"counter on node 1 after 2 x {exact // 2 if exact else '?'} increments (exact {exact})", "c1", "count", "exact"),
        (f"counter on node 2 after 2 x {exact // 2 if exact else '?'} increments (exact {exact})", "c2", "count", "exact"),
        (f"init sync of {a.init_keys} keys: launch until node 2 holds all{median}", "init_all", "s", "lower"),
        (f"init sync of {a.init_keys} keys: launch until node 2 ready{median}", "init_ready", "s", "lower"),
        (f"init sync of {a.init_keys} keys: launch until node 2 answers RPC{median}", "init_rpc", "s", "lower"),
    ]
    for metric, key, unit, better in rows:
        if ours.get(key) is None:
            continue
        theirs = ref.get(key)
        print("|".join(str(x) for x in (metric, ours[key], "" if theirs is None else theirs,
                                           "" if theirs is None else a.ref_name, unit, better)))
    kills = [k for f in sorted(glob.glob(os.path.join(a.out, "htc-kill-*.json"))) for k in (jload(f) or [])]
    for rep, k in enumerate(kills, 1):
        print(f"kill -9 rep {rep}: writes acknowledged|{k['acked']}|||writes|higher")
        print(f"kill -9 rep {rep}: acknowledged writes lost|{k['lost']}|||writes|lower")


def logscan(a):
    """Lines matching error|exception per node log, grouped after stripping digits."""
    for f in a.files:
        lines = [l.rstrip() for l in open(f, errors="replace") if re.search(r"error|exception", l, re.I)]
        if not lines:
            continue
        groups = {}
        for l in lines:
            # "<time> warn: Akka...[0] [WARNING][<time>][Thread n][<actor path>] message" -> "warn: message"
            lvl = re.match(r"^\S+ (\w+):", l)
            msg = re.sub(r"^.*?\[Thread \d+\]\[[^\]]*\]\s*", "", l)
            msg = (lvl.group(1) + ": " if lvl else "") + msg
            k = re.sub(r"\d+", "#", msg)[:120]
            groups.setdefault(k, [0, msg])[0] += 1
        print(f"  {os.path.basename(f)}: {len(lines)} lines")
        for k, (n, msg) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:a.top]:
            print(f"    {n}x {msg[:220]}")


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("counter"); p.add_argument("--port1", type=int); p.add_argument("--port2", type=int)
    p.add_argument("--per-node", type=int, default=1000); p.add_argument("--threads", type=int, default=4)
    p.add_argument("--key", default="cnt"); p.add_argument("--settle", type=float, default=2.0)
    p = sp.add_parser("load"); p.add_argument("--port1", type=int); p.add_argument("--keys", type=int)
    p.add_argument("--batch", type=int, default=1000); p.add_argument("--threads", type=int, default=2)
    p = sp.add_parser("syncwait"); p.add_argument("--port1", type=int); p.add_argument("--port2", type=int)
    p.add_argument("--pid", type=int); p.add_argument("--t0", type=float); p.add_argument("--rep", type=int)
    p.add_argument("--timeout", type=float, default=90); p.add_argument("--stall", type=float, default=10)
    p = sp.add_parser("kill"); p.add_argument("--port1", type=int); p.add_argument("--port2", type=int)
    p.add_argument("--pid", type=int); p.add_argument("--threads", type=int, default=4)
    p.add_argument("--seconds", type=float, default=3); p.add_argument("--wait", type=float, default=5)
    p.add_argument("--prefix", default="kill")
    p = sp.add_parser("summary"); p.add_argument("--out"); p.add_argument("--kam", type=int, default=0)
    p.add_argument("--init-keys", type=int)
    p = sp.add_parser("tsv"); p.add_argument("--out"); p.add_argument("--kam", type=int, default=0)
    p.add_argument("--init-keys", type=int); p.add_argument("--init-reps", type=int, default=1); p.add_argument("--ref-name")
    p = sp.add_parser("logscan"); p.add_argument("--top", type=int, default=4); p.add_argument("files", nargs="*")
    a = ap.parse_args()
    {"counter": counter, "load": load, "syncwait": syncwait, "kill": kill, "summary": summary, "tsv": tsv, "logscan": logscan}[a.cmd](a)


if __name__ == "__main__":
    main()
PY
TOOLS=(python3 "$OUT/htc_tools.py")

wrk_seti() { # name url... : one wrk per url at once (seti.lua), req/s summed -> $OUT/name.json
  local name="$1" n=0 pids=() u; shift
  local conns=$((32 / $#)) thr=$((2 / $# > 0 ? 2 / $# : 1))
  for u in "$@"; do
    n=$((n + 1))
    timeout 60 wrk -t"$thr" -c"$conns" -d"$DIVERGE_DUR" -s "$KAM_DIR/bench/seti.lua" "$u" > "$OUT/$name-wrk$n.txt" 2>&1 & pids+=($!)
  done
  for u in "${pids[@]}"; do wait "$u" || true; done
  awk '/^Requests\/sec:/ {s += $2} /Non-2xx/ {e += $NF} END {printf "{\"req_s\": %.0f, \"non2xx\": %d}\n", s, e}' \
    "$OUT/$name"-wrk*.txt > "$OUT/$name-wrk.json"
  log "  $name load: $(cat "$OUT/$name-wrk.json") (wrk -t$thr -c$conns -d$DIVERGE_DUR on $# node(s))"
}

# ---------------------------------------------------------------- HTableCluster binary
publish_node() {
  local attempt
  for attempt in 1 2 3; do
    log "dotnet publish src/Node -c Release -o $HTC_PUBLISH_DIR (attempt $attempt)"
    if timeout 400 dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" -nologo -v q > "$OUT/publish.log" 2>&1; then return 0; fi
    grep -E 'error|warn' "$OUT/publish.log" | tail -5 || true
    if grep -qiE 'being used by another process|lock|MSB3026|MSB3027|MSB3021' "$OUT/publish.log"; then sleep 20; else sleep 60; fi
  done
  return 1
}
if [ -x "$ROOT/artifacts/node/htcluster" ]; then
  # private copy: a concurrent re-publish into artifacts/ cannot change the binary mid-run
  cp -a "$ROOT/artifacts/node" "$OUT/node"; HTC_BIN="$OUT/node/htcluster"
  log "using $ROOT/artifacts/node (published $(date -r "$ROOT/artifacts/node/htcluster" '+%F %T'), copied to $OUT/node)"
else
  publish_node || { echo "src/Node does not publish; see $OUT/publish.log"; exit 1; }
  HTC_BIN="$HTC_PUBLISH_DIR/htcluster"
fi

for p in $((HTC_HTTP_BASE + 1)) $((HTC_HTTP_BASE + 2)) $((HTC_CLUSTER_BASE + 1)) $((HTC_CLUSTER_BASE + 2)); do
  port_free "$p" || { echo "port $p is in use"; exit 1; }
done

htc_port() { echo $((HTC_HTTP_BASE + $1)); }
htc_start() { # i [seed-node]: start node i in the background (log $OUT/htc-<seq>-n<i>.log)
  local i="$1" seed="${2:-}"
  NODE_SEQ=$((NODE_SEQ + 1))
  local args=(serve --node-id "n$i" --cluster-port $((HTC_CLUSTER_BASE + i)) --rpc-port "$(htc_port "$i")" --table "$TABLE_DEF")
  [ -n "$seed" ] && args+=(--seed "akka.tcp://htcluster@127.0.0.1:$((HTC_CLUSTER_BASE + seed))")
  "$HTC_BIN" "${args[@]}" > "$OUT/htc-$(printf %02d "$NODE_SEQ")-$HTC_TAG-n$i.log" 2>&1 &
  HTC_PID[$i]=$!
}
htc_wait_ready() { # i
  local i="$1"
  wait_http "http://127.0.0.1:$(htc_port "$i")/health/ready" 60 "${HTC_PID[$i]}" || {
    echo "node n$i not ready within 60 s; tail of its log:"; tail -20 "$OUT/htc-$(printf %02d "$NODE_SEQ")-$HTC_TAG-n$i.log"; exit 1; }
}
htc_stop() { stop_pid "${HTC_PID[$1]:-}" "htcluster n$1"; HTC_PID[$1]=""; }
htc_pair() { # fresh pair: n1 seeds itself, n2 joins n1
  htc_stop 2; htc_stop 1
  local t0; t0=$(date +%s.%N)
  htc_start 1; htc_wait_ready 1
  htc_start 2 1; htc_wait_ready 2
  log "htcluster pair ready in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s (pids ${HTC_PID[1]} ${HTC_PID[2]})"
}

# ---------------------------------------------------------------- common tests (both targets)
# run_common TARGET PORT-BASE : bulk, lag, diverge (one cluster); expects 2 nodes up
run_common() {
  local t="$1" base="$2"
  phase "$t: bulk replication ($REPL_KEYS keys, $REPL_THREADS writers)"
  step "$t-bulk" 180 env KAM_HTTP_BASE="$base" python3 "$KAM_DIR/bench_repl.py" --only bulk --keys "$REPL_KEYS" --threads "$REPL_THREADS"
  phase "$t: lag of single updates ($REPL_SAMPLES samples)"
  step "$t-lag" 120 env KAM_HTTP_BASE="$base" python3 "$KAM_DIR/bench_repl.py" --only lag --samples "$REPL_SAMPLES"
  phase "$t: diverge after a seti load on node 1"
  wrk_seti "$t-diverge" "http://127.0.0.1:$((base + 1))/RPC"
  step "$t-diverge" 120 env KAM_HTTP_BASE="$base" python3 "$KAM_DIR/bench_diverge.py" --wait "$DIVERGE_WAIT"
  phase "$t: diverge after a seti load on both nodes at once (same keys)"
  wrk_seti "$t-diverge-both" "http://127.0.0.1:$((base + 1))/RPC" "http://127.0.0.1:$((base + 2))/RPC"
  step "$t-diverge-both" 120 env KAM_HTTP_BASE="$base" python3 "$KAM_DIR/bench_diverge.py" --wait "$DIVERGE_WAIT"
}

# ================================================================ 1. HTableCluster
log "HTableCluster: $HTC_BIN, nodes on RPC $((HTC_HTTP_BASE + 1))/$((HTC_HTTP_BASE + 2)), cluster $((HTC_CLUSTER_BASE + 1))/$((HTC_CLUSTER_BASE + 2)); output in $OUT"
htc_pair
run_common htc "$HTC_HTTP_BASE"

phase "htc: counter (2 x $COUNTER_PER_NODE htable.inc, $COUNTER_THREADS threads per node)"
HTC_TAG=counter; htc_pair
step htc-counter 120 "${TOOLS[@]}" counter --port1 "$(htc_port 1)" --port2 "$(htc_port 2)" \
  --per-node "$COUNTER_PER_NODE" --threads "$COUNTER_THREADS"

phase "htc: init sync of $INIT_KEYS keys ($INIT_REPS reps)"
HTC_TAG=initsync; htc_stop 2   # like bench_initsync.py: node 2 is down while node 1 is loaded
step htc-initsync-load 300 "${TOOLS[@]}" load --port1 "$(htc_port 1)" --keys "$INIT_KEYS"
: > "$OUT/htc-initsync.json"
for rep in $(seq 1 "$INIT_REPS"); do
  htc_stop 2
  t0=$(date +%s.%N)
  htc_start 2 1
  timeout 150 "${TOOLS[@]}" syncwait --port1 "$(htc_port 1)" --port2 "$(htc_port 2)" --pid "${HTC_PID[2]}" \
    --t0 "$t0" --rep "$rep" >> "$OUT/htc-initsync.json" 2>> "$OUT/htc-initsync.err" || log "  syncwait rep $rep FAILED"
  log "  htc-initsync: $(tail -1 "$OUT/htc-initsync.json")"
done
htc_stop 2

phase "htc: kill -9 of the writing node ($KILL_REPS reps, $KILL_THREADS writers, kill after $KILL_WRITE_S s, check after $KILL_WAIT_S s)"
for rep in $(seq 1 "$KILL_REPS"); do
  HTC_TAG="kill$rep"; htc_pair
  step "htc-kill-$rep" 60 "${TOOLS[@]}" kill --port1 "$(htc_port 1)" --port2 "$(htc_port 2)" --pid "${HTC_PID[1]}" \
    --threads "$KILL_THREADS" --seconds "$KILL_WRITE_S" --wait "$KILL_WAIT_S" --prefix "kill$rep"
  wait "${HTC_PID[1]}" 2>/dev/null || true; HTC_PID[1]=""
done
htc_stop 2; htc_stop 1

# ================================================================ 2. Kamailio reference
kam_fresh() { # N: restart the reference cluster with N nodes; with 2, wait until the DMQ nodes know each other
  local nodes="$1" n=0
  "$KAM_DIR/stop-cluster.sh" >/dev/null 2>&1 || true
  KAM_STARTED=1
  KAM_DMQ_INIT_SYNC=1 timeout 60 "$KAM_DIR/start-cluster.sh" "$nodes" >> "$OUT/kam-start.log" 2>&1 || { tail -20 "$OUT/kam-start.log"; exit 1; }
  if [ "$nodes" = 1 ]; then log "kamailio node 1 up (alone)"; return 0; fi
  for _ in $(seq 1 50); do   # dmq.list_nodes on node 2 lists itself and node 1 once the notification went through
    n="$(curl -s -m 1 -X POST -d '{"jsonrpc":"2.0","method":"dmq.list_nodes","id":1}' "http://127.0.0.1:$((KAM_HTTP_BASE + 2))/RPC" | grep -o '"host"' | wc -l || true)"
    [ "${n:-0}" -ge 2 ] && break; sleep 0.2
  done
  sleep 1   # as bench-all.sh's fresh(): let node 1 learn node 2 as well
  log "kamailio pair up (node 2 DMQ peers: $n)"
}
if [ "$SKIP_KAMAILIO" != 1 ] && command -v kamailio >/dev/null && [ -x "$KAM_DIR/start-cluster.sh" ]; then
  for p in $((KAM_HTTP_BASE + 1)) $((KAM_HTTP_BASE + 2)) "$PG_PORT"; do
    port_free "$p" || { echo "port $p is in use"; exit 1; }
  done
  log "Kamailio: RPC $((KAM_HTTP_BASE + 1))/$((KAM_HTTP_BASE + 2)), SIP/DMQ udp $((KAM_SIP_BASE + 1))/$((KAM_SIP_BASE + 2)), PostgreSQL $PG_PORT, run dir $KAM_RUN_DIR"
  PG_STARTED=1; timeout 120 "$KAM_DIR/pg-start.sh" > "$OUT/pg.log" 2>&1 || { tail -20 "$OUT/pg.log"; exit 1; }
  mkdir -p "$KAM_RUN_DIR"; for d in "$KAM_RUN_DIR"/node*; do if [ -f "$d/kamailio.log" ]; then : > "$d/kamailio.log"; fi; done
  kam_fresh 2
  run_common kam "$KAM_HTTP_BASE"
  phase "kam: counter (bench_counter.py --per-node $COUNTER_PER_NODE --threads $COUNTER_THREADS)"
  kam_fresh 2
  step kam-counter 120 python3 "$KAM_DIR/bench_counter.py" --per-node "$COUNTER_PER_NODE" --threads "$COUNTER_THREADS"
  phase "kam: init sync of $INIT_KEYS keys (bench_initsync.py --load --reps $INIT_REPS)"
  # like bench-all.sh (fresh 1): node 1 alone, so it does not queue DMQ messages for a stopped node 2
  # while loading (with a 2-node start they exhaust the 256 MB shm: "cannot create new cell")
  kam_fresh 1
  (cd "$KAM_DIR" && step kam-initsync 400 python3 bench_initsync.py --keys "$INIT_KEYS" --load --reps "$INIT_REPS")
  "$KAM_DIR/stop-cluster.sh" >/dev/null 2>&1 || true; KAM_STARTED=0
  "$KAM_DIR/pg-stop.sh" >/dev/null 2>&1 || true; PG_STARTED=0
  KAM_RAN=1
else
  log "Kamailio reference skipped (not installed or SKIP_KAMAILIO=1)"
fi

# ---------------------------------------------------------------- summary
echo
echo "== replication, 2 nodes on 127.0.0.1, $(nproc) cores shared by servers and clients; total $(( $(date +%s) - T_START )) s"
"${TOOLS[@]}" summary --out "$OUT" --kam "$KAM_RAN" --init-keys "$INIT_KEYS"
echo "(kill -9 rows: acknowledged writes / acknowledged keys missing on node 2 after ${KILL_WAIT_S} s; raw JSON in $OUT)"
KAM="Kamailio $(kamailio -v 2>/dev/null | awk 'NR == 1 {print $3}' || true) DMQ"
while IFS='|' read -r metric ours ref ref_name unit better; do
  result_row "$metric" "$ours" "$ref" "$ref_name" "$unit" "$better"
done < <("${TOOLS[@]}" tsv --out "$OUT" --kam "$KAM_RAN" --init-keys "$INIT_KEYS" --init-reps "$INIT_REPS" --ref-name "$KAM" || true)
[ -z "$RESULT_FILE" ] || echo "(figures appended to $RESULT_FILE)"
echo
echo "== node logs, lines matching error|exception (kill -9 runs make node 2 log association errors by design)"
"${TOOLS[@]}" logscan "$OUT"/htc-[0-9]*-n*.log || true
if [ "$KAM_RAN" = 1 ]; then
  for f in "$KAM_RUN_DIR"/node*/kamailio.log; do
    [ -f "$f" ] || continue
    echo "  kamailio $(basename "$(dirname "$f")"): $(grep -ciE 'ERROR|CRITICAL' "$f" || true) ERROR/CRITICAL lines"
    grep -iE 'ERROR|CRITICAL' "$f" | sed -E 's/^ *[0-9]+\([0-9]+\) //; s/[0-9]+/#/g' | cut -c1-160 | sort | uniq -c | sort -rn | head -3 | sed 's/^/    /' || true
  done
fi
