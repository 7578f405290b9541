#!/usr/bin/env bash
# Memory per entry: HTableCluster Storage (one HTable, size=14, 8 partitions) vs Redis,
# both holding N keys of 16 bytes with 64-byte values (key i = "k"+15 digits, value i = "v"+63 digits).
# Usage: bench/memory-vs-redis.sh [N=1000000]
# Needs redis-server/redis-cli (apt-get install -y redis-server). Redis runs on 127.0.0.1:$REDIS_PORT
# (default 6399) with persistence off and is shut down at the end.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
N="${1:-1000000}"
REDIS_PORT="${REDIS_PORT:-6399}"
WORK="$(mktemp -d /tmp/htc-memory.XXXXXX)"
REDIS_PID=""

cleanup() {
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

echo "== HTableCluster Storage: $N entries"
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
# RESP-encoded SET commands, same keys and values as the .NET tool.
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
  printf "*3\r\n$3\r\nSET\r\n$16\r\nk%015d\r\n$64\r\nv%063d\r\n", i, i }' > "$WORK/load.resp"
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --pipe < "$WORK/load.resp" | tail -2
KEYS="$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" dbsize)"
[ "$KEYS" = "$N" ] || { echo "redis holds $KEYS keys, expected $N"; exit 1; }
sleep 1   # let the allocator settle before sampling
R_RSS1="$(rss_of "$REDIS_PID")"; R_USED1="$(used_memory)"
echo "VmRSS before/after $R_RSS0 / $R_RSS1 bytes; used_memory $R_USED0 / $R_USED1 bytes"

echo
echo "== bytes per entry ($N entries, 16-byte keys, 64-byte values)"
awk -v n="$N" -v ors0="$O_RSS0" -v ors1="$O_RSS1" -v oh0="$O_HEAP0" -v oh1="$O_HEAP1" \
    -v rrs0="$R_RSS0" -v rrs1="$R_RSS1" -v ru0="$R_USED0" -v ru1="$R_USED1" 'BEGIN {
  printf "%-22s %14s %28s\n", "store", "RSS delta/entry", "allocator delta/entry"
  printf "%-22s %14.1f %28s\n", "HTableCluster Storage", (ors1 - ors0) / n, sprintf("%.1f (managed heap)", (oh1 - oh0) / n)
  printf "%-22s %14.1f %28s\n", "Redis", (rrs1 - rrs0) / n, sprintf("%.1f (used_memory)", (ru1 - ru0) / n)
  printf "ratio ours/Redis (RSS): %.2f\n", ((ors1 - ors0) / n) / ((rrs1 - rrs0) / n)
}'
