#!/usr/bin/env bash
# Preload of N rows (16-byte keys, 64-byte values, Kamailio's htable schema) from PostgreSQL,
# measured from process launch until htable.stats shows every row, HTableCluster and Kamailio 5.6
# loading the same database table in the same run (one after the other).
# Kamailio's reload holds both copies in shared memory: run with KAM_SHM_MB=1024 (the anchor's
# default of 256 MiB makes its reload of 1M rows fail with "no more shm").
# Both use fetch_rows 100, the default of each. Appends the figures to bench/results/preload.tsv
# (format: bench/lib.sh).
# Env: ROWS=1000000 SKIP_KAMAILIO=0 HTC_RPC_PORT=7180
#      HTC_CLUSTER_PORT=4853 HTC_PUBLISH_DIR=/tmp/htc-preload KAM_DIR=<repo>/../shared/kamailio
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
. "$ROOT/bench/lib.sh"
: "${ROWS:=1000000}" "${SKIP_KAMAILIO:=0}" "${HTC_RPC_PORT:=7180}" "${HTC_CLUSTER_PORT:=4853}"
: "${HTC_PUBLISH_DIR:=/tmp/htc-preload}" "${KAM_DIR:=$ROOT/../shared/kamailio}"
export KAM_HTTP_BASE="${KAM_HTTP_BASE:-29280}" KAM_SIP_BASE="${KAM_SIP_BASE:-26260}" PG_PORT="${PG_PORT:-55459}"
export KAM_RUN_DIR="${KAM_RUN_DIR:-/tmp/htc-preload-kam}" PG_DATA="${PG_DATA:-/tmp/htc-preload-pg/data}"
. "$KAM_DIR/env.sh"
result_init preload "ROWS=$ROWS SKIP_KAMAILIO=$SKIP_KAMAILIO KAM_SHM_MB=$KAM_SHM_MB bench/preload-bench.sh"
TIMEOUT_S=600

rpc() { # url method params-json [timeout-seconds]
  curl -s -m "${4:-5}" -H 'Content-Type: application/json' -d "{\"jsonrpc\":\"2.0\",\"method\":\"$2\",\"params\":$3,\"id\":1}" "$1" || true
}

# Seconds one htable.reload of table db takes at $1 (until its reply).
time_reload() {
  local start end
  start=$(date +%s.%N)
  rpc "$1" htable.reload '["db"]' "$TIMEOUT_S" | grep -q 'reloaded' || { echo "failed"; return 0; }
  end=$(date +%s.%N); python3 -c "print(f'{$end-$start:.1f}')"
}

# Seconds from the start until htable.stats at $1 shows $ROWS items in table db (polled every 100 ms).
wait_loaded() {
  local url="$1" start="$2" now
  for _ in $(seq 1 $((TIMEOUT_S * 10))); do
    if rpc "$url" htable.stats '[]' | python3 -c "
import json,sys
try: r=json.load(sys.stdin)['result']
except Exception: sys.exit(1)
sys.exit(0 if any(t.get('name')=='db' and t.get('all')==$ROWS for t in r) else 1)"; then
      now=$(date +%s.%N); python3 -c "print(f'{$now-$start:.1f}')"; return 0
    fi
    sleep 0.1
  done
  echo "timeout"; return 1
}

log "PostgreSQL on 127.0.0.1:$PG_PORT, $ROWS rows into htable"
"$KAM_DIR/pg-start.sh" >/dev/null
PGPASSWORD="$PG_PASS" psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -v ON_ERROR_STOP=1 -q -c "
TRUNCATE htable RESTART IDENTITY;
INSERT INTO htable (key_name, key_type, value_type, key_value, expires)
  SELECT lpad(g::text, 16, 'k'), 0, 0, lpad(g::text, 64, 'v'), 0 FROM generate_series(1, $ROWS) g;
ANALYZE htable;"

log "dotnet publish src/Node -> $HTC_PUBLISH_DIR"
dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" >/dev/null
start=$(date +%s.%N)
"$HTC_PUBLISH_DIR/htcluster" serve --rpc-port "$HTC_RPC_PORT" --cluster-port "$HTC_CLUSTER_PORT" \
  --table "db=>size=8;dbtable=htable" --db-url "$KAM_DB_URL" >/tmp/htc-preload.log 2>&1 &
htc_pid=$!
htc_s=$(wait_loaded "http://127.0.0.1:$HTC_RPC_PORT/RPC" "$start" || true)
rss=$(awk '/VmRSS/ {print $2}' /proc/$htc_pid/status 2>/dev/null || echo "?")
htc_reload=$(time_reload "http://127.0.0.1:$HTC_RPC_PORT/RPC")
stop_pid "$htc_pid" htcluster
log "htcluster: $ROWS rows loaded after ${htc_s} s (RSS ${rss} kB), reload ${htc_reload} s"

kam_s="skipped"
kam_reload="skipped"
if [ "$SKIP_KAMAILIO" != 1 ]; then
  "$KAM_DIR/stop-cluster.sh" 1 >/dev/null 2>&1 || true
  start=$(date +%s.%N)
  "$KAM_DIR/start-cluster.sh" 1 >/dev/null 2>&1 &
  kam_s=$(wait_loaded "http://127.0.0.1:$((KAM_HTTP_BASE + 1))/RPC" "$start" || true)
  kam_reload=$(time_reload "http://127.0.0.1:$((KAM_HTTP_BASE + 1))/RPC")
  "$KAM_DIR/stop-cluster.sh" 1 >/dev/null 2>&1 || true
  log "kamailio: $ROWS rows loaded after ${kam_s} s, reload ${kam_reload} s"
fi
"$KAM_DIR/pg-seed.sh" >/dev/null
printf '\n== preload of %s rows (fetch_rows 100), launch to htable.stats showing all; one htable.reload\n' "$ROWS"
printf '%-12s %10s %10s\n' target preload reload htcluster "$htc_s" "$htc_reload" kamailio "$kam_s" "$kam_reload"
KAM="Kamailio $(kamailio -v 2>/dev/null | awk 'NR == 1 {print $3}' || true)"
result_row "preload of $ROWS rows, launch to every row served" "$htc_s" "$kam_s" "$KAM" s lower
result_row "htable.reload of $ROWS rows" "$htc_reload" "$kam_reload" "$KAM" s lower
[ -z "$RESULT_FILE" ] || echo "(figures appended to $RESULT_FILE)"
