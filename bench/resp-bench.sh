#!/usr/bin/env bash
# Redis protocol endpoint beside redis-server, in one run: redis-benchmark's get, set, incr and hset
# (-n $N -c $CLIENTS, one request at a time per connection (-P 1) and 16 pipelined (-P 16)) against
#   1. an HTableCluster node (src/Node published in Release) with tables t and myhash (size=16; myhash
#      is the hash redis-benchmark's HSET writes), Resp:Port=$RESP_PORT;
#   2. redis-server (Debian's) without persistence on $REDIS_PORT.
# Prints requests/s and appends them to bench/results/resp.tsv (format: bench/lib.sh). Every process
# started here is stopped on exit.
# Usage: bench/resp-bench.sh
# Env: N=200000 CLIENTS=50 RESP_PORT=26379 REDIS_PORT=26380 HTC_RPC_PORT=7190 HTC_CLUSTER_PORT=4863
#      HTC_PUBLISH_DIR=/tmp/resp-pipe-node SKIP_PUBLISH=0 (1: run the node already in HTC_PUBLISH_DIR)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
: "${N:=200000}" "${CLIENTS:=50}" "${RESP_PORT:=26379}" "${REDIS_PORT:=26380}" "${HTC_RPC_PORT:=7190}"
: "${HTC_CLUSTER_PORT:=4863}" "${HTC_PUBLISH_DIR:=/tmp/resp-pipe-node}" "${SKIP_PUBLISH:=0}"
OUT="$(mktemp -d /tmp/htc-resp-bench.XXXXXX)"
NODE_PID=""; REDIS_PID=""
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cleanup() { stop_pid "$NODE_PID" node; stop_pid "$REDIS_PID" redis-server; rm -rf "$OUT"; }
trap cleanup EXIT
TESTS=get,set,incr,hset

if [ "$SKIP_PUBLISH" != 1 ]; then
  log "publishing the node to $HTC_PUBLISH_DIR"
  dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" > "$OUT/publish.log" 2>&1 || { tail -20 "$OUT/publish.log"; exit 1; }
fi

HTABLE_Resp__Port="$RESP_PORT" "$HTC_PUBLISH_DIR/htcluster" serve --rpc-port "$HTC_RPC_PORT" --cluster-port "$HTC_CLUSTER_PORT" \
  --table 't=>size=16' --table 'myhash=>size=16' > "$OUT/node.log" 2>&1 &
NODE_PID=$!
wait_ready "$HTC_RPC_PORT" "$NODE_PID" "$OUT/node.log"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$OUT" --daemonize no > "$OUT/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping > /dev/null 2>&1 && break; sleep 0.1; done
REDIS_VERSION="redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/')"

result_init resp "bench/resp-bench.sh (N=$N CLIENTS=$CLIENTS: redis-benchmark -t $TESTS -n $N -c $CLIENTS -P 1|16 -q)"
declare -A FIG
for p in 1 16; do
  for target in "node|$RESP_PORT" "redis|$REDIS_PORT"; do
    name="${target%%|*}"; port="${target#*|}"
    log "$name -P $p (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
    redis-benchmark -p "$port" -t "$TESTS" -n "$N" -c "$CLIENTS" -P "$p" -q < /dev/null 2>&1 | tr '\r' '\n' \
      | grep 'requests per second' | grep -v 'rps=' > "$OUT/$name-$p.txt" || true
    cat "$OUT/$name-$p.txt"
    while IFS= read -r line; do
      test="$(sed -E 's/^([A-Za-z_]+).*/\1/' <<< "$line")"
      FIG["$name|$test|$p"]="$(sed -E 's/^[^:]+: ([0-9]+)(\.[0-9]+)? requests per second.*/\1/' <<< "$line")"
    done < "$OUT/$name-$p.txt"
  done
done

printf '\n%-22s %12s %12s\n' "requests/s" "node" "$REDIS_VERSION"
for p in 1 16; do
  for test in GET SET INCR HSET; do
    printf '%-22s %12s %12s\n' "$test -P $p" "${FIG["node|$test|$p"]:-}" "${FIG["redis|$test|$p"]:-}"
    result_row "resp $test -P $p" "${FIG["node|$test|$p"]:-}" "${FIG["redis|$test|$p"]:-}" "$REDIS_VERSION" "requests/s" higher
  done
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
