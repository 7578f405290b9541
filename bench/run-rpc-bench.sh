#!/usr/bin/env bash
# JSON-RPC load test over HTTP keep-alive (wrk) on 127.0.0.1:
#   1. HTableCluster node (src/Node published in Release) with table t (replicated, the default demo
#      table) and table l (not replicated): htable.get, sets and seti on l, seti on t, one call per
#      request, and JSON-RPC batches of $BATCH gets / sets per request (ops = BATCH x requests);
#   2. bench/bare-endpoint (parse + Dictionary lookup + reply): the ceiling for get;
#   3. the Kamailio 5.6 reference (../shared/kamailio beside the repository), when kamailio is installed: get / seti / sets.
# Prints a summary table of req/s and ops/s and appends the figures to bench/results/rpc.tsv (format:
# bench/lib.sh). Every process started here is stopped on exit.
# Usage: bench/run-rpc-bench.sh
# Env: THREADS=2 CONNS=32 DUR=10s WARMUP=3s BATCH=100 HTC_RPC_PORT=7080 HTC_CLUSTER_PORT=4753
#      BARE_PORT=7090 HTC_PUBLISH_DIR=/tmp/htc SKIP_KAMAILIO=0 KAM_DIR=<repo>/../shared/kamailio
#      Kamailio runs on its own ports/dirs (KAM_HTTP_BASE=29180 KAM_SIP_BASE=26160 PG_PORT=55449
#      KAM_RUN_DIR=/tmp/htc-bench-kam PG_DATA=/tmp/htc-bench-kam-pg/data) so a reference cluster
#      started by someone else with the defaults is left alone.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WRK_DIR="$HERE/wrk"
: "${THREADS:=2}" "${CONNS:=32}" "${DUR:=10s}" "${WARMUP:=3s}" "${BATCH:=100}"
: "${HTC_RPC_PORT:=7080}" "${HTC_CLUSTER_PORT:=4753}" "${BARE_PORT:=7090}"
: "${HTC_PUBLISH_DIR:=/tmp/htc}" "${SKIP_KAMAILIO:=0}" "${KAM_DIR:=$ROOT/../shared/kamailio}"
export KAM_HTTP_BASE="${KAM_HTTP_BASE:-29180}" KAM_SIP_BASE="${KAM_SIP_BASE:-26160}" PG_PORT="${PG_PORT:-55449}"
export KAM_RUN_DIR="${KAM_RUN_DIR:-/tmp/htc-bench-kam}" PG_DATA="${PG_DATA:-/tmp/htc-bench-kam-pg/data}"
OUT="$(mktemp -d /tmp/htc-rpc-bench.XXXXXX)"
NODE_PID=""; BARE_PID=""; KAM_STARTED=0; PG_STARTED=0
RESULTS=()   # "target|workload|req/s|ops/s|non-2xx|socket errors"

# shellcheck source=lib.sh
. "$HERE/lib.sh"
result_init rpc "THREADS=$THREADS CONNS=$CONNS DUR=$DUR WARMUP=$WARMUP BATCH=$BATCH SKIP_KAMAILIO=$SKIP_KAMAILIO bench/run-rpc-bench.sh"

cleanup() {
  stop_pid "$NODE_PID" "htcluster node"; NODE_PID=""
  stop_pid "$BARE_PID" "bare endpoint"; BARE_PID=""
  if [ "$KAM_STARTED" = 1 ]; then "$KAM_DIR/stop-cluster.sh" 1 || true; KAM_STARTED=0; fi
  if [ "$PG_STARTED" = 1 ]; then "$KAM_DIR/pg-stop.sh" >/dev/null || true; PG_STARTED=0; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rpc() { # url json -> response body
  curl -s -m 10 -X POST -H 'Content-Type: application/json' --data-binary "$2" "$1"
}

wait_http() { # url method(GET|POST) seconds pid -> 0 when it answers 200
  local url="$1" method="$2" secs="$3" pid="$4" code
  for _ in $(seq 1 $((secs * 5))); do
    if [ "$method" = GET ]; then code="$(curl -s -m 1 -o /dev/null -w '%{http_code}' "$url" || true)"
    else code="$(curl -s -m 1 -o /dev/null -w '%{http_code}' -X POST -d '{"jsonrpc":"2.0","method":"htable.get","params":["t","k0"],"id":0}' "$url" || true)"; fi
    [ "$code" = 200 ] && return 0
    [ -d "/proc/$pid" ] || return 1
    sleep 0.2
  done
  return 1
}

run_wrk() { # target workload script url ops-per-request [VAR=value ...]
  local target="$1" workload="$2" script="$3" url="$4" per="$5"; shift 5
  local f="$OUT/${target// /_}-$workload.txt"
  log "wrk $target $workload: -t$THREADS -c$CONNS -d$DUR ${*:-}"
  env "$@" wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -s "$WRK_DIR/$script" "$url" > "$f" 2>&1 || true
  local rps non2xx sockerr p50 p99
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$f")"; rps="${rps:-0}"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")"; non2xx="${non2xx:-0}"
  sockerr="$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$f")"; sockerr="${sockerr:-0}"
  p50="$(awk '$1 == "50%" {print $2}' "$f")"; p99="$(awk '$1 == "99%" {print $2}' "$f")"
  RESULTS+=("$target|$workload|$rps|$(awk -v r="$rps" -v p="$per" 'BEGIN {printf "%.0f", r * p}')|$non2xx|$sockerr|${p50:-?}|${p99:-?}")
  printf '    %s req/s, p50 %s, p99 %s, non-2xx %s, socket errors %s\n' "$rps" "${p50:-?}" "${p99:-?}" "$non2xx" "$sockerr"
}

warmup() { # url [VAR=value ...]
  local url="$1"; shift
  env "$@" wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$WRK_DIR/rpc.lua" "$url" > /dev/null 2>&1 || true
}

preload_json() { # table -> JSON-RPC batch setting k0..k999 = value0..value999
  awk -v t="$1" 'BEGIN { printf "["; for (i = 0; i < 1000; i++) {
    printf "%s{\"jsonrpc\":\"2.0\",\"method\":\"htable.sets\",\"params\":[\"%s\",\"k%d\",\"value%d\"],\"id\":%d}", (i ? "," : ""), t, i, i, i }
    printf "]" }'
}

command -v wrk >/dev/null || { log "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }
command -v curl >/dev/null || { echo "curl is required"; exit 1; }

# ---------------------------------------------------------------- 1. HTableCluster node
publish_node() {
  local attempt
  for attempt in 1 2 3 4; do
    log "dotnet publish src/Node -c Release -o $HTC_PUBLISH_DIR (attempt $attempt)"
    if dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" -nologo -v q > "$OUT/publish.log" 2>&1; then return 0; fi
    grep -E 'error|warn' "$OUT/publish.log" | tail -5 || true
    # A concurrent build holding a file: short wait. Anything else (someone is editing src/Node): 2 minutes.
    if grep -qiE 'being used by another process|lock|MSB3026|MSB3027|MSB3021' "$OUT/publish.log"; then sleep 20; else sleep 120; fi
  done
  return 1
}
publish_node || { echo "src/Node does not publish; see $OUT/publish.log"; exit 1; }

NODE_URL="http://127.0.0.1:$HTC_RPC_PORT/RPC"
port_free "$HTC_RPC_PORT" || { echo "port $HTC_RPC_PORT is in use"; exit 1; }
port_free "$HTC_CLUSTER_PORT" || { echo "port $HTC_CLUSTER_PORT is in use"; exit 1; }
log "starting htcluster serve --rpc-port $HTC_RPC_PORT --cluster-port $HTC_CLUSTER_PORT"
"$HTC_PUBLISH_DIR/htcluster" serve --rpc-port "$HTC_RPC_PORT" --cluster-port "$HTC_CLUSTER_PORT" \
  --table 't=>size=10;autoexpire=0;dmqreplicate=1' --table 'l=>size=10;autoexpire=0' > "$OUT/node.log" 2>&1 &
NODE_PID=$!
wait_http "http://127.0.0.1:$HTC_RPC_PORT/health/ready" GET 60 "$NODE_PID" || { echo "node not ready; tail of $OUT/node.log:"; tail -20 "$OUT/node.log"; exit 1; }
for t in t l; do
  reply="$(rpc "$NODE_URL" "$(preload_json $t)")"
  case "$reply" in *'"error"'*) echo "preload failed: ${reply:0:300}"; exit 1;; esac
done
log "preloaded k0..k999 in tables t and l: $(rpc "$NODE_URL" '{"jsonrpc":"2.0","method":"htable.get","params":["l","k999"],"id":1}')"
warmup "$NODE_URL" TABLE=l OP=seti
warmup "$NODE_URL" TABLE=l
run_wrk "htcluster" get rpc.lua "$NODE_URL" 1 TABLE=l OP=get
run_wrk "htcluster" sets rpc.lua "$NODE_URL" 1 TABLE=l OP=sets
run_wrk "htcluster" seti rpc.lua "$NODE_URL" 1 TABLE=l OP=seti
run_wrk "htcluster" "seti-repl" rpc.lua "$NODE_URL" 1 TABLE=t OP=seti
run_wrk "htcluster" "batch-get" rpc.lua "$NODE_URL" "$BATCH" TABLE=l OP=get BATCH="$BATCH"
run_wrk "htcluster" "batch-sets" rpc.lua "$NODE_URL" "$BATCH" TABLE=l OP=sets BATCH="$BATCH"
log "node RSS after the runs: $(awk '/^VmRSS:/ {print $2, $3}' "/proc/$NODE_PID/status")"
stop_pid "$NODE_PID" "htcluster node"; NODE_PID=""

# ---------------------------------------------------------------- 2. bare ASP.NET Core endpoint
log "building bench/bare-endpoint"
dotnet build "$HERE/bare-endpoint" -c Release -nologo -v q > "$OUT/bare-build.log" 2>&1 || { tail -20 "$OUT/bare-build.log"; exit 1; }
BARE_URL="http://127.0.0.1:$BARE_PORT/RPC"
port_free "$BARE_PORT" || { echo "port $BARE_PORT is in use"; exit 1; }
dotnet "$HERE/bare-endpoint/bin/Release/net10.0/bare-endpoint.dll" --urls "http://127.0.0.1:$BARE_PORT" > "$OUT/bare.log" 2>&1 &
BARE_PID=$!
wait_http "$BARE_URL" POST 30 "$BARE_PID" || { echo "bare endpoint did not start"; tail -20 "$OUT/bare.log"; exit 1; }
warmup "$BARE_URL" TABLE=t
run_wrk "bare endpoint" get rpc.lua "$BARE_URL" 1 TABLE=t OP=get
stop_pid "$BARE_PID" "bare endpoint"; BARE_PID=""

# ---------------------------------------------------------------- 3. Kamailio reference
if [ "$SKIP_KAMAILIO" != 1 ] && command -v kamailio >/dev/null && [ -x "$KAM_DIR/start-cluster.sh" ]; then
  KAM_URL="http://127.0.0.1:$((KAM_HTTP_BASE + 1))/RPC"
  port_free "$((KAM_HTTP_BASE + 1))" || { echo "port $((KAM_HTTP_BASE + 1)) is in use"; exit 1; }
  log "starting PostgreSQL for Kamailio (127.0.0.1:$PG_PORT)"
  PG_STARTED=1; "$KAM_DIR/pg-start.sh" > "$OUT/pg.log" 2>&1 || { tail -20 "$OUT/pg.log"; exit 1; }
  KAM_STARTED=1; "$KAM_DIR/start-cluster.sh" 1 | tee "$OUT/kam-start.log"
  python3 - "$KAM_URL" <<'PY'
import http.client, json, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
for i in range(1000):
    body = json.dumps({"jsonrpc": "2.0", "method": "htable.sets", "params": ["a", f"k{i}", f"value{i}"], "id": i})
    c.request("POST", u.path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse(); data = r.read()
    if r.status != 200 or b'"error"' in data:
        sys.exit(f"preload failed at k{i}: {r.status} {data[:200]!r}")
c.close()
PY
  log "preloaded k0..k999 in table a: $(rpc "$KAM_URL" '{"jsonrpc":"2.0","method":"htable.get","params":["a","k999"],"id":1}')"
  warmup "$KAM_URL" TABLE=a
  run_wrk "kamailio 5.6" get rpc.lua "$KAM_URL" 1 TABLE=a OP=get
  run_wrk "kamailio 5.6" seti rpc.lua "$KAM_URL" 1 TABLE=a OP=seti
  run_wrk "kamailio 5.6" sets rpc.lua "$KAM_URL" 1 TABLE=a OP=sets
  "$KAM_DIR/stop-cluster.sh" 1 || true; KAM_STARTED=0
  "$KAM_DIR/pg-stop.sh" >/dev/null || true; PG_STARTED=0
else
  log "Kamailio reference skipped (not installed or SKIP_KAMAILIO=1)"
fi

# ---------------------------------------------------------------- summary
echo
echo "== JSON-RPC over HTTP keep-alive, wrk -t$THREADS -c$CONNS -d$DUR, $(nproc) cores shared by server and client"
printf '%-14s %-11s %12s %12s %9s %9s %9s %9s\n' target workload "req/s" "ops/s" "p50" "p99" "non-2xx" "sock err"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r t w rps ops n2 se p50 p99 <<< "$r"
  printf '%-14s %-11s %12.0f %12s %9s %9s %9s %9s\n' "$t" "$w" "$rps" "$ops" "$p50" "$p99" "$n2" "$se"
done
echo "(batch rows: ops/s = $BATCH calls x req/s; raw wrk output in $OUT)"

# ---------------------------------------------------------------- result file
wrk_ms() { # a wrk latency (850.00us, 7.10ms, 1.20s) in ms
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v / 1000; else if (v ~ /ms$/) printf "%.2f", v + 0; else if (v ~ /s$/) printf "%.0f", v * 1000; else print v }'
}
figure() { # target workload rps|ops|p99 -> that figure of the run (nothing when it did not run)
  local r t w rps ops n2 se p50 p99
  for r in "${RESULTS[@]}"; do
    IFS='|' read -r t w rps ops n2 se p50 p99 <<< "$r"
    [ "$t|$w" = "$1|$2" ] || continue
    case "$3" in rps) printf '%.0f' "$rps";; ops) echo "$ops";; p99) wrk_ms "$p99";; esac
    return 0
  done
}
KAM="Kamailio $(kamailio -v 2>/dev/null | awk 'NR == 1 {print $3}' || true)"
result_row "htable.get" "$(figure htcluster get rps)" "$(figure "kamailio 5.6" get rps)" "$KAM" req/s higher
result_row "htable.get" "$(figure htcluster get rps)" "$(figure "bare endpoint" get rps)" "bare endpoint get" req/s higher
result_row "htable.get p99" "$(figure htcluster get p99)" "$(figure "bare endpoint" get p99)" "bare endpoint get" ms lower
result_row "htable.seti on l" "$(figure htcluster seti rps)" "$(figure "kamailio 5.6" seti rps)" "$KAM" req/s higher
result_row "htable.seti on l" "$(figure htcluster seti rps)" "$(figure "bare endpoint" get rps)" "bare endpoint get" req/s higher
result_row "htable.sets on l" "$(figure htcluster sets rps)" "$(figure "kamailio 5.6" sets rps)" "$KAM" req/s higher
result_row "htable.seti on replicated t" "$(figure htcluster seti-repl rps)" "" "" req/s higher
result_row "batch of $BATCH htable.get" "$(figure htcluster batch-get ops)" "$(figure "kamailio 5.6" get rps)" "$KAM single get" ops/s higher
result_row "batch of $BATCH htable.sets" "$(figure htcluster batch-sets ops)" "$(figure "kamailio 5.6" sets rps)" "$KAM single sets" ops/s higher
[ -z "$RESULT_FILE" ] || echo "(figures appended to $RESULT_FILE)"
