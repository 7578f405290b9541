#!/usr/bin/env bash
# Memory per entry, N keys of 16 bytes with 64-byte values (key i = "k"+15 digits, value i = "v"+63
# digits), in one run:
#   1. a node as a user runs it: the published src/Node, table m=>size=14 (not replicated), loaded
#      over JSON-RPC in batches of 1,000 htable.sets (bench/rpc-load.py); RSS growth once it settles
#      (sampled every second until 5 samples agree within 0.5%, at most 60 s), no forced GC;
#      then the same keys and values through its Redis protocol endpoint (redis-cli --pipe, SELECT of
#      table r=>size=14), measured the same way;
#   2. Storage alone (one HTable, size=14, 8 partitions) filled in-process, after a forced full GC;
#   3. Redis loaded with the same keys and values through redis-cli --pipe.
# Usage: bench/memory-vs-redis.sh [N=1000000]
# Env: NODE_ENV="VAR=value ..." (extra environment for the node, e.g. DOTNET_GCgen0size=...),
#      HTC_PUBLISH_DIR=/tmp/htc-mem HTC_RPC_PORT=7380 HTC_CLUSTER_PORT=4380 REDIS_PORT=6399
# Appends the figures to bench/results/memory.tsv (format: bench/lib.sh; with NODE_ENV the metric
# names end in its value).
# Needs redis-server/redis-cli (apt-get install -y redis-server). Redis runs on 127.0.0.1:$REDIS_PORT
# with persistence off and is shut down at the end.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
N="${1:-1000000}"
REDIS_PORT="${REDIS_PORT:-6399}"
: "${HTC_PUBLISH_DIR:=/tmp/htc-mem}" "${HTC_RPC_PORT:=7380}" "${HTC_CLUSTER_PORT:=4380}" "${HTC_RESP_PORT:=6398}" "${NODE_ENV:=}"
WORK="$(mktemp -d /tmp/htc-memory.XXXXXX)"
REDIS_PID=""
NODE_PID=""

# shellcheck source=lib.sh
. "$HERE/lib.sh"
result_init memory "${NODE_ENV:+NODE_ENV=\"$NODE_ENV\" }bench/memory-vs-redis.sh $N"

cleanup() {
  stop_pid "$NODE_PID" "htcluster node" >/dev/null; NODE_PID=""
  if [ -n "$REDIS_PID" ] && [ -d "/proc/$REDIS_PID" ]; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    for _ in $(seq 1 50); do [ -d "/proc/$REDIS_PID" ] || break; sleep 0.1; done
    [ -d "/proc/$REDIS_PID" ] && kill -KILL "$REDIS_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_of() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }
used_memory() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info memory | tr -d '\r' | awk -F: '$1=="used_memory" {print $2}'; }

settled_rss() { # pid -> RSS in bytes once 5 one-second samples agree within 0.5% (at most 60 s)
  local pid="$1" prev=0 cur stable=0
  for _ in $(seq 1 60); do
    sleep 1
    cur="$(rss_of "$pid")"
    if [ "$prev" -gt 0 ] && awk -v a="$cur" -v b="$prev" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= b * 0.005) }'; then
      stable=$((stable + 1)); [ "$stable" -ge 4 ] && break
    else
      stable=0
    fi
    prev="$cur"
  done
  echo "$cur"
}
metric() { curl -s "http://127.0.0.1:$HTC_RPC_PORT/metrics" | awk -v m="$1" '$1 == m {printf "%.0f", $2}'; }

echo "== HTableCluster node over JSON-RPC: $N entries in batches of 1,000 htable.sets"
log "dotnet publish src/Node -c Release -o $HTC_PUBLISH_DIR"
dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" -nologo -v q > "$WORK/publish.log" 2>&1 \
  || { tail -30 "$WORK/publish.log"; exit 1; }
# shellcheck disable=SC2086
env $NODE_ENV HTABLE_Resp__Port="$HTC_RESP_PORT" "$HTC_PUBLISH_DIR/htcluster" serve --rpc-port "$HTC_RPC_PORT" --cluster-port "$HTC_CLUSTER_PORT" \
  --table 'm=>size=14;autoexpire=0' --table 'w=>size=4;autoexpire=0' --table 'r=>size=14;autoexpire=0' > "$WORK/node.log" 2>&1 &
NODE_PID=$!
wait_ready "$HTC_RPC_PORT" "$NODE_PID" "$WORK/node.log"
# The RPC and write paths run once (JIT, pools) on a second table before the baseline is taken.
python3 "$HERE/rpc-load.py" "http://127.0.0.1:$HTC_RPC_PORT/RPC" w 5000 > /dev/null
N_RSS0="$(settled_rss "$NODE_PID")"; N_HEAP0="$(metric dotnet_total_memory_bytes)"
python3 "$HERE/rpc-load.py" "http://127.0.0.1:$HTC_RPC_PORT/RPC" m "$N"
N_RSS1="$(settled_rss "$NODE_PID")"; N_HEAP1="$(metric dotnet_total_memory_bytes)"
ITEMS="$(curl -s -X POST -d '{"jsonrpc":"2.0","method":"htable.count_name","params":["m","**"],"id":1}' "http://127.0.0.1:$HTC_RPC_PORT/RPC" | sed 's/.*"result":\([0-9]*\).*/\1/')"
[ "$ITEMS" = "$N" ] || { echo "node holds $ITEMS items, expected $N"; exit 1; }
echo "VmRSS before/after $N_RSS0 / $N_RSS1 bytes (settled); managed heap $N_HEAP0 / $N_HEAP1 bytes; ${NODE_ENV:-default GC settings}"
# RESP-encoded SET commands, the same keys and values (Redis gets them too, below).
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
  printf "*3\r\n$3\r\nSET\r\n$16\r\nk%015d\r\n$64\r\nv%063d\r\n", i, i }' > "$WORK/load.resp"
echo "== the same $N entries through the node's Redis protocol endpoint (table r, SELECT 2)"
redis-cli -h 127.0.0.1 -p "$HTC_RESP_PORT" -n 2 --pipe < "$WORK/load.resp" | tail -2
P_HEAP0="$N_HEAP1"; P_RSS1="$(settled_rss "$NODE_PID")"; P_HEAP1="$(metric dotnet_total_memory_bytes)"
KEYS="$(redis-cli -h 127.0.0.1 -p "$HTC_RESP_PORT" -n 2 dbsize)"
[ "$KEYS" = "$N" ] || { echo "node holds $KEYS keys in table r, expected $N"; exit 1; }
echo "VmRSS before/after $N_RSS1 / $P_RSS1 bytes (settled); managed heap $P_HEAP0 / $P_HEAP1 bytes"
stop_pid "$NODE_PID" "htcluster node"; NODE_PID=""

echo
echo "== HTableCluster Storage in-process: $N entries"
dotnet build -c Release "$ROOT/bench/HTableCluster.Benchmarks" -v q -nologo >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log"; exit 1; }
dotnet "$ROOT/bench/HTableCluster.Benchmarks/bin/Release/net10.0/HTableCluster.Benchmarks.dll" memory "$N" | tee "$WORK/ours.txt"
read -r O_RSS0 O_RSS1 O_HEAP0 O_HEAP1 < <(awk '/^RESULT/ {
  for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
  print v["rss_before"], v["rss_after"], v["heap_before"], v["heap_after"] }' "$WORK/ours.txt")

echo
echo "== Redis $(redis-server --version | awk '{print $3}'): $N entries"
command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install -y redis-server"; exit 1; }
if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; then echo "port $REDIS_PORT already in use"; exit 1; fi
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
  --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" --dir "$WORK"
for _ in $(seq 1 50); do
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1 && [ -s "$WORK/redis.pid" ] && break
  sleep 0.1
done
REDIS_PID="$(cat "$WORK/redis.pid")"
R_RSS0="$(rss_of "$REDIS_PID")"; R_USED0="$(used_memory)"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --pipe < "$WORK/load.resp" | tail -2
KEYS="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" dbsize)"
[ "$KEYS" = "$N" ] || { echo "redis holds $KEYS keys, expected $N"; exit 1; }
sleep 1   # let the allocator settle before sampling
R_RSS1="$(rss_of "$REDIS_PID")"; R_USED1="$(used_memory)"
echo "VmRSS before/after $R_RSS0 / $R_RSS1 bytes; used_memory $R_USED0 / $R_USED1 bytes"

echo
echo "== bytes per entry ($N entries, 16-byte keys, 64-byte values)"
awk -v n="$N" -v nrs0="$N_RSS0" -v nrs1="$N_RSS1" -v nh0="$N_HEAP0" -v nh1="$N_HEAP1" -v prs1="$P_RSS1" -v ph1="$P_HEAP1" -v ors0="$O_RSS0" -v ors1="$O_RSS1" -v oh0="$O_HEAP0" -v oh1="$O_HEAP1" \
    -v rrs0="$R_RSS0" -v rrs1="$R_RSS1" -v ru0="$R_USED0" -v ru1="$R_USED1" 'BEGIN {
  printf "%-22s %14s %28s\n", "store", "RSS delta/entry", "allocator delta/entry"
  printf "%-22s %14.1f %28s\n", "node, loaded over RPC", (nrs1 - nrs0) / n, sprintf("%.1f (managed heap)", (nh1 - nh0) / n)
  printf "%-22s %14.1f %28s\n", "node, loaded over RESP", (prs1 - nrs1) / n, sprintf("%.1f (managed heap)", (ph1 - nh1) / n)
  printf "%-22s %14.1f %28s\n", "Storage in-process", (ors1 - ors0) / n, sprintf("%.1f (managed heap)", (oh1 - oh0) / n)
  printf "%-22s %14.1f %28s\n", "Redis", (rrs1 - rrs0) / n, sprintf("%.1f (used_memory)", (ru1 - ru0) / n)
  printf "ratio node/Redis (RSS): %.2f; Storage in-process/Redis: %.2f\n", ((nrs1 - nrs0) / n) / ((rrs1 - rrs0) / n), ((ors1 - ors0) / n) / ((rrs1 - rrs0) / n)
}'

per_item() { # before after -> bytes per item (nothing when a sample is missing)
  [ -n "$1" ] && [ -n "$2" ] || return 0
  awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN {printf "%.1f", (b - a) / n}'
}
REDIS_NAME="Redis $(redis-server --version | awk '{print $3}' | sed 's/^v=//')"
VARIANT="${NODE_ENV:+ ($NODE_ENV)}"
result_row "node over JSON-RPC, RSS per item$VARIANT" "$(per_item "$N_RSS0" "$N_RSS1")" "$(per_item "$R_RSS0" "$R_RSS1")" "$REDIS_NAME RSS" B lower
result_row "node over JSON-RPC, managed heap per item$VARIANT" "$(per_item "$N_HEAP0" "$N_HEAP1")" "$(per_item "$R_USED0" "$R_USED1")" "$REDIS_NAME used_memory" B lower
result_row "node over RESP, RSS per item$VARIANT" "$(per_item "$N_RSS1" "$P_RSS1")" "$(per_item "$R_RSS0" "$R_RSS1")" "$REDIS_NAME RSS" B lower
result_row "node over RESP, managed heap per item$VARIANT" "$(per_item "$N_HEAP1" "$P_HEAP1")" "$(per_item "$R_USED0" "$R_USED1")" "$REDIS_NAME used_memory" B lower
result_row "Storage in-process, RSS per item" "$(per_item "$O_RSS0" "$O_RSS1")" "$(per_item "$R_RSS0" "$R_RSS1")" "$REDIS_NAME RSS" B lower
result_row "Storage in-process, managed heap per item" "$(per_item "$O_HEAP0" "$O_HEAP1")" "" "" B lower
[ -z "$RESULT_FILE" ] || echo "(figures appended to $RESULT_FILE)"
