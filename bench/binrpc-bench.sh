#!/usr/bin/env bash
# BINRPC (kamcmd's protocol) single-call load over a unix socket, in one run:
#   1. an HTableCluster node (src/Node published in Release) with Admin:BinRpc on a unix socket;
#   2. Kamailio 5.6 with the ctl module (tests/Conformance/kamailio-5.6/binrpc.cfg), when installed.
# Both hold table a (a=>size=8;autoexpire=0;dmqreplicate=1). bench/binrpc-load drives htable.sets
# then htable.get over KEYS keys with 1 and $CONNS connections, one call in flight per connection.
# Prints calls/s and appends them to bench/results/binrpc.tsv (format: bench/lib.sh). Every process
# started here is stopped on exit.
# Usage: bench/binrpc-bench.sh
# Env: DUR=10 WARMUP=2 CONNS=8 KEYS=1000 HTC_RPC_PORT=7180 HTC_CLUSTER_PORT=4853 KAM_SIP_PORT=26990
#      KAM_CTL_PORT=26991 HTC_PUBLISH_DIR=/tmp/htc SKIP_KAMAILIO=0
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
: "${DUR:=10}" "${WARMUP:=2}" "${CONNS:=8}" "${KEYS:=1000}" "${HTC_RPC_PORT:=7180}" "${HTC_CLUSTER_PORT:=4853}"
: "${KAM_SIP_PORT:=26990}" "${KAM_CTL_PORT:=26991}" "${HTC_PUBLISH_DIR:=/tmp/htc}" "${SKIP_KAMAILIO:=0}"
OUT="$(mktemp -d /tmp/htc-binrpc-bench.XXXXXX)"
NODE_PID=""; KAM_PID=""
# shellcheck source=lib.sh
. "$HERE/lib.sh"
cleanup() { stop_pid "$NODE_PID" node; stop_pid "$KAM_PID" kamailio; rm -rf "$OUT"; }
trap cleanup EXIT
TABLE="a=>size=8;autoexpire=0;dmqreplicate=1"

log "building the node and the load driver"
dotnet publish "$ROOT/src/Node" -c Release -o "$HTC_PUBLISH_DIR" > "$OUT/publish.log" 2>&1 || { tail -20 "$OUT/publish.log"; exit 1; }
dotnet build "$HERE/binrpc-load" -c Release -o "$OUT/load" > "$OUT/load-build.log" 2>&1 || { tail -20 "$OUT/load-build.log"; exit 1; }

HTABLE_Admin__BinRpc="unix:$OUT/htc_ctl" "$HTC_PUBLISH_DIR/htcluster" serve --cluster-port "$HTC_CLUSTER_PORT" \
  --rpc-port "$HTC_RPC_PORT" --table "$TABLE" > "$OUT/node.log" 2>&1 &
NODE_PID=$!
wait_ready "$HTC_RPC_PORT" "$NODE_PID" "$OUT/node.log"
TARGETS=("node|unix:$OUT/htc_ctl")

if [ "$SKIP_KAMAILIO" != 1 ] && command -v kamailio > /dev/null; then
  mkdir -p "$OUT/kam"
  sed -e "s|@RUN_DIR@|$OUT/kam|g; s|@SIP_PORT@|$KAM_SIP_PORT|; s|@CTL_TCP_PORT@|$KAM_CTL_PORT|" \
    "$ROOT/tests/Conformance/kamailio-5.6/binrpc.cfg" > "$OUT/kam/kamailio.cfg"
  kamailio -DD -E -f "$OUT/kam/kamailio.cfg" -w "$OUT/kam" -m 256 -M 16 > "$OUT/kam/kamailio.log" 2>&1 &
  KAM_PID=$!
  for _ in $(seq 1 100); do kamcmd -s "unix:$OUT/kam/kamailio_ctl" core.version > /dev/null 2>&1 && break; sleep 0.1; done
  KAM_VERSION="$(kamcmd -s "unix:$OUT/kam/kamailio_ctl" core.version | awk '{print $1, $2}')"
  TARGETS+=("kamailio|unix:$OUT/kam/kamailio_ctl")
fi

result_init binrpc "bench/binrpc-bench.sh (DUR=$DUR CONNS=$CONNS KEYS=$KEYS)"
declare -A FIG
for target in "${TARGETS[@]}"; do
  name="${target%%|*}"; address="${target#*|}"
  for op in sets get; do
    for c in 1 "$CONNS"; do
      line="$("$OUT/load/binrpc-load" "$address" "$op" a "$c" "$DUR" "$KEYS" "$WARMUP")"
      log "$name: $line"
      FIG["$name|$op|$c"]="$(sed -E 's/.*: ([0-9]+) calls\/s.*/\1/' <<< "$line")"
    done
  done
done

printf '\n%-28s %12s %12s\n' "BINRPC over a unix socket" "node" "${KAM_VERSION:-kamailio}"
for op in sets get; do
  for c in 1 "$CONNS"; do
    printf '%-28s %12s %12s\n' "htable.$op, $c conn" "${FIG["node|$op|$c"]}" "${FIG["kamailio|$op|$c"]:-}"
    result_row "binrpc htable.$op $c conn" "${FIG["node|$op|$c"]}" "${FIG["kamailio|$op|$c"]:-}" "${KAM_VERSION:-}" "calls/s" higher
  done
done
