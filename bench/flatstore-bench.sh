#!/usr/bin/env bash
# FlatStore accounting lines/s, side by side in one run:
#   1. the writer in-process (bench/HTableCluster.Benchmarks `flatstore`): a raw FileStream append loop
#      (the reference), the writer with flush=1 (group commit), flush=0 and an fsync interval, and the
#      embedded API (HTableNode.FlatStore) through its actors, one line and blocks of $BLOCK per call;
#   2. a published node (src/Node) with --flatstore-dir, driven over JSON-RPC by wrk (bench/wrk/flatstore.lua):
#      one flatstore.insert per request, flatstore.insert_batch of $BATCH records, a JSON-RPC batch of
#      $BATCH flatstore.insert calls; for FlatStore:Flush=1, Flush=0 and Flush=1 with an fsync interval.
#      The lines in the files are counted after each run (lines/s = lines written / run time) and every
#      line is checked to have its seven fields;
#   3. Kamailio 5.6 acc + db_flatstore (../shared/kamailio/bench-flatstore.sh, SIP MESSAGEs from sipp),
#      with db_flatstore flush=1 and flush=0, when kamailio and sipp are installed.
# Appends the figures to bench/results/flatstore.tsv (format: bench/lib.sh).
# Usage: bench/flatstore-bench.sh
# Env: SECS=3 WRITERS=64 BLOCK=100 THREADS=2 CONNS=32 DUR=10s WARMUP=5s BATCH=100 FSYNC_MS=100
#      HTC_RPC_PORT=7081 HTC_CLUSTER_PORT=4754 HTC_PUBLISH_DIR=/tmp/htc-flat SKIP_KAMAILIO=0
#      KAM_RATE=30000 KAM_TOTAL=150000 KAM_DIR=<repo>/../shared/kamailio
#      Kamailio runs on its own ports/dirs (KAM_HTTP_BASE=29280 KAM_SIP_BASE=26260 PG_PORT=55459).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
: "${SECS:=3}" "${WRITERS:=64}" "${BLOCK:=100}"
: "${THREADS:=2}" "${CONNS:=32}" "${DUR:=10s}" "${WARMUP:=5s}" "${BATCH:=100}" "${FSYNC_MS:=100}"
: "${HTC_RPC_PORT:=7081}" "${HTC_CLUSTER_PORT:=4754}" "${HTC_PUBLISH_DIR:=/tmp/htc-flat}"
: "${SKIP_KAMAILIO:=0}" "${KAM_RATE:=30000}" "${KAM_TOTAL:=150000}" "${KAM_DIR:=$ROOT/../shared/kamailio}"
export KAM_HTTP_BASE="${KAM_HTTP_BASE:-29280}" KAM_SIP_BASE="${KAM_SIP_BASE:-26260}" PG_PORT="${PG_PORT:-55459}"
export KAM_RUN_DIR="${KAM_RUN_DIR:-/tmp/htc-flat-bench-kam}" PG_DATA="${PG_DATA:-/tmp/htc-flat-bench-kam-pg/data}"
OUT="$(mktemp -d /tmp/htc-flat-bench.XXXXXX)"
NODE_PID=""; KAM_STARTED=0; PG_STARTED=0
RESULTS=()   # "mode|workload|req/s|records acknowledged/s|lines/s|errors"

# shellcheck source=lib.sh
. "$HERE/lib.sh"
result_init flatstore "SECS=$SECS WRITERS=$WRITERS BLOCK=$BLOCK THREADS=$THREADS CONNS=$CONNS DUR=$DUR WARMUP=$WARMUP BATCH=$BATCH FSYNC_MS=$FSYNC_MS SKIP_KAMAILIO=$SKIP_KAMAILIO KAM_RATE=$KAM_RATE KAM_TOTAL=$KAM_TOTAL bench/flatstore-bench.sh"

cleanup() {
  stop_pid "$NODE_PID" "htcluster node"; NODE_PID=""
  if [ "$KAM_STARTED" = 1 ]; then "$KAM_DIR/stop-cluster.sh" 1 >/dev/null 2>&1 || true; KAM_STARTED=0; fi
  if [ "$PG_STARTED" = 1 ]; then "$KAM_DIR/pg-stop.sh" >/dev/null 2>&1 || true; PG_STARTED=0; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
lines_in() { local n; n=$( (cat "$1"/*.log 2>/dev/null || true) | wc -l); echo "$n"; }
secs_of() { case "$1" in *ms) awk -v v="${1%ms}" 'BEGIN {print v / 1000}';; *s) echo "${1%s}";; *m) echo $(( ${1%m} * 60 ));; *) echo "$1";; esac; }

command -v wrk >/dev/null || { log "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null; }

# ---------------------------------------------------------------- 1. in-process
log "in-process writer and embedded API: flatstore $SECS $WRITERS $BLOCK"
dotnet run -c Release --project "$HERE/HTableCluster.Benchmarks" -- flatstore "$SECS" "$WRITERS" "$BLOCK" | tee "$OUT/inprocess.txt"

# ---------------------------------------------------------------- 2. node over JSON-RPC
log "dotnet publish src/Node -c Release -o $HTC_PUBLISH_DIR"
dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" -nologo -v q > "$OUT/publish.log" 2>&1 \
  || { tail -20 "$OUT/publish.log"; exit 1; }
URL="http://127.0.0.1:$HTC_RPC_PORT/RPC"
DUR_S="$(secs_of "$DUR")"

run_node_mode() { # mode-name flush fsync-ms
  local mode="$1" flush="$2" fsync="$3" dir="$OUT/flat-$1"
  mkdir -p "$dir"
  port_free "$HTC_RPC_PORT" || { echo "port $HTC_RPC_PORT is in use"; exit 1; }
  port_free "$HTC_CLUSTER_PORT" || { echo "port $HTC_CLUSTER_PORT is in use"; exit 1; }
  log "node: FlatStore:Flush=$flush FsyncIntervalMs=$fsync dir $dir"
  HTABLE_FlatStore__Flush="$flush" HTABLE_FlatStore__FsyncIntervalMs="$fsync" \
    "$HTC_PUBLISH_DIR/htcluster" serve --rpc-port "$HTC_RPC_PORT" --cluster-port "$HTC_CLUSTER_PORT" \
    --flatstore-dir "$dir" > "$OUT/node-$mode.log" 2>&1 &
  NODE_PID=$!
  wait_ready "$HTC_RPC_PORT" "$NODE_PID" "$OUT/node-$mode.log"
  wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$HERE/wrk/flatstore.lua" "$URL" > /dev/null 2>&1 || true
  local workload per f before after rps errs lines acked
  for workload in insert insert_batch rpc_batch; do
    per=1; [ "$workload" = insert ] || per="$BATCH"
    f="$OUT/$mode-$workload.txt"
    before="$(lines_in "$dir")"
    log "wrk $mode $workload: -t$THREADS -c$CONNS -d$DUR BATCH=$BATCH"
    OP="$workload" BATCH="$BATCH" CHECK=1 wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency \
      -s "$HERE/wrk/flatstore.lua" "$URL" > "$f" 2>&1 || true
    sleep 1.5   # flush=0: the buffer reaches the file within FlatStore:BufferFlushIntervalMs (1 s)
    after="$(lines_in "$dir")"
    rps="$(awk '/^Requests\/sec:/ {print $2}' "$f")"; rps="${rps:-0}"
    errs="$(awk '/requests with rpc errors:/ {print $NF}' "$f")"; errs="${errs:-?}"
    lines=$(( after - before ))
    acked="$(awk -v r="$rps" -v p="$per" 'BEGIN {printf "%.0f", r * p}')"
    RESULTS+=("$mode|$workload|$rps|$acked|$(awk -v l="$lines" -v d="$DUR_S" 'BEGIN {printf "%.0f", l / d}')|$errs")
    printf '    %s req/s, %s records acknowledged/s, %s lines written, rpc errors %s\n' "$rps" "$acked" "$lines" "$errs"
  done
  stop_pid "$NODE_PID" "htcluster node"; NODE_PID=""
  local bad
  bad="$( (cat "$dir"/*.log 2>/dev/null || true) | awk -F'|' 'NF != 7' | wc -l)"
  log "$mode: $(lines_in "$dir") lines in $(ls "$dir" | tr '\n' ' '), $bad without seven fields"
  [ "$bad" = 0 ] || { echo "torn or malformed lines in $dir"; exit 1; }
  rm -rf "$dir"
}
run_node_mode flush1 1 0
run_node_mode flush0 0 0
run_node_mode "fsync$FSYNC_MS" 1 "$FSYNC_MS"

# ---------------------------------------------------------------- 3. Kamailio acc + db_flatstore
KAM_LINES=()
if [ "$SKIP_KAMAILIO" != 1 ] && command -v kamailio >/dev/null && command -v sipp >/dev/null && [ -x "$KAM_DIR/start-cluster.sh" ]; then
  log "starting PostgreSQL for Kamailio (127.0.0.1:$PG_PORT)"
  PG_STARTED=1; "$KAM_DIR/pg-start.sh" > "$OUT/pg.log" 2>&1 || { tail -20 "$OUT/pg.log"; exit 1; }
  for flush in 1 0; do
    rm -rf "$KAM_RUN_DIR/node1/flat"
    KAM_STARTED=1; KAM_FLAT_FLUSH="$flush" "$KAM_DIR/start-cluster.sh" 1 > "$OUT/kam-start-$flush.log" 2>&1
    log "kamailio db_flatstore flush=$flush: bench-flatstore.sh $KAM_RATE $KAM_TOTAL"
    "$KAM_DIR/bench-flatstore.sh" "$KAM_RATE" "$KAM_TOTAL" 2>&1 | tee "$OUT/kam-flush$flush.txt"
    "$KAM_DIR/stop-cluster.sh" 1 >/dev/null 2>&1 || true; KAM_STARTED=0
    KAM_LINES+=("flush=$flush: $(grep -o 'lines written:.*' "$OUT/kam-flush$flush.txt" || echo 'no figure')")
  done
  "$KAM_DIR/pg-stop.sh" >/dev/null 2>&1 || true; PG_STARTED=0
else
  log "Kamailio reference skipped (kamailio or sipp not installed, or SKIP_KAMAILIO=1)"
fi

# ---------------------------------------------------------------- summary
echo
echo "== in-process (flatstore $SECS s, $WRITERS writers, blocks of $BLOCK)"
grep -vE '^(Build|Restore|  )' "$OUT/inprocess.txt" || true
echo
echo "== node over JSON-RPC, wrk -t$THREADS -c$CONNS -d$DUR, batches of $BATCH, $(nproc) cores shared by server and client"
printf '%-10s %-13s %10s %16s %12s %8s\n' mode workload "req/s" "records ack/s" "lines/s" "errors"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r m w rps acked lps e <<< "$r"
  printf '%-10s %-13s %10.0f %16s %12s %8s\n' "$m" "$w" "$rps" "$acked" "$lps" "$e"
done
if [ "${#KAM_LINES[@]}" -gt 0 ]; then
  echo
  echo "== Kamailio 5.6 acc + db_flatstore (sipp MESSAGE at $KAM_RATE/s, $KAM_TOTAL total)"
  printf '%s\n' "${KAM_LINES[@]}"
fi
echo "(raw output in $OUT)"

# ---------------------------------------------------------------- result file
# in-process rows: "<what, 52 wide> <lines/s, 1,234,567> <ratio>x"; the raw loop is the reference
INPROC="$(awk '$NF ~ /^[0-9.]+x$/ && $(NF - 1) ~ /^[0-9,]+$/ {
  rate = $(NF - 1); gsub(",", "", rate); name = $0; sub(/ +[0-9,]+ +[0-9.]+x$/, "", name); print name "\t" rate }' "$OUT/inprocess.txt")"
RAW="$(printf '%s\n' "$INPROC" | awk -F'\t' '$1 ~ /^raw / {print $2; exit}')"
while IFS=$'\t' read -r name rate; do
  [ -n "$name" ] || continue
  case "$name" in
    raw*) result_row "$name" "$rate" "" "" lines/s higher ;;
    *) result_row "$name" "$rate" "$RAW" "raw FileStream loop" lines/s higher ;;
  esac
done <<< "$INPROC"
KAM="Kamailio $(kamailio -v 2>/dev/null | awk 'NR == 1 {print $3}' || true)"
kam_rate() { # flush -> Kamailio's lines/s with that db_flatstore flush
  local l
  for l in "${KAM_LINES[@]}"; do
    case "$l" in "flush=$1: "*) printf '%s\n' "$l" | sed -n 's/.*-> \([0-9]*\) lines\/s.*/\1/p'; return 0 ;; esac
  done
}
for r in "${RESULTS[@]}"; do
  IFS='|' read -r m w rps acked lps e <<< "$r"
  case "$m" in
    flush1) result_row "JSON-RPC $m $w" "$acked" "$(kam_rate 1)" "$KAM acc + db_flatstore flush=1" records/s higher ;;
    flush0) result_row "JSON-RPC $m $w" "$acked" "$(kam_rate 0)" "$KAM acc + db_flatstore flush=0" records/s higher ;;
    *) result_row "JSON-RPC $m $w" "$acked" "" "" records/s higher ;;
  esac
done
[ -z "$RESULT_FILE" ] || echo "(figures appended to $RESULT_FILE)"
