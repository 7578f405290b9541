#!/usr/bin/env bash
# Brings the repository's unchanged docker-compose.yml up (with ../shared/tools/compose-up.sh:
# podman-compose in a private network namespace; COMPOSE_UP may name another compatible runner),
# then: a write on node1 is read on node3, a row added in PostgreSQL is reloaded into the
# database-backed table and a write to it is stored back, node2 is killed (SIGKILL), written
# around, started again and holds everything; at the end, down. Prints "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${COMPOSE_UP:=../shared/tools/compose-up.sh}"
[ -x "$COMPOSE_UP" ] || { echo "compose-test.sh: $COMPOSE_UP not found (the shared tools beside the repository)" >&2; echo "0 passed, 1 failed"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "compose-test.sh: run as root (podman in a network namespace)" >&2; exit 2; }
# netavark's firewall driver needs iptables.
command -v iptables >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables >/dev/null; }

# A project name of its own: container names do not depend on the checkout's folder name.
project=htctest
cu() { "$COMPOSE_UP" --project "$project" "$@"; }
passed=0 failed=0
check() { # name, then a command that must succeed
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); echo "PASS: $name"; else failed=$((failed + 1)); echo "FAIL: $name"; fi
}
rpc() { local node=$1; shift; cu exec "$node" /app/htcluster rpc "$@" 2>/dev/null; }
psql_() { cu exec postgres psql -h 127.0.0.1 -U htable -d htable -Atc "$1" 2>/dev/null; }
eventually() { # seconds, then a command
  local until=$((SECONDS + $1)); shift
  while ! "$@"; do [ "$SECONDS" -lt "$until" ] || return 1; sleep 0.5; done
}
# htable.get prints {"item": {"name": KEY, "value": VALUE, ...}}; strings quoted, integers not.
value_is() { rpc "$1" htable.get "$2" "$3" | tr -d ' \n' | grep -qF "{\"item\":{\"name\":\"$3\",\"value\":$4,"; }
healthy() { local state; state=$(cu ps 2>/dev/null); grep -q "${project}_$1_1 .*running *healthy" <<<"$state"; }
trap 'cu down >/dev/null 2>&1' EXIT

start=$SECONDS
check "up (postgres, db init, three nodes healthy)" cu up
echo "up took $((SECONDS - start)) s"

rpc node1 htable.sets demo greeting hello >/dev/null
check "a write on node1 is read on node3" eventually 10 value_is node3 demo greeting '"hello"'

psql_ "INSERT INTO htable (key_name, key_type, value_type, key_value) VALUES ('alice', 0, 0, 'sip:alice@example.org')" >/dev/null
rpc node3 htable.reload users >/dev/null
check "a row added in PostgreSQL is there after htable.reload" value_is node3 users alice '"sip:alice@example.org"'
rpc node2 htable.sets users bob sip:bob@example.org >/dev/null
check "htable.store writes the replicated table back" eventually 10 bash -c \
  "$(declare -f cu rpc psql_); COMPOSE_UP='$COMPOSE_UP' project='$project'; rpc node1 htable.store users >/dev/null; [ \"\$(psql_ \"SELECT key_value FROM htable WHERE key_name = 'bob'\")\" = sip:bob@example.org ]"

cu podman kill --signal KILL "${project}_node2_1" >/dev/null 2>&1
for i in $(seq 1 50); do rpc node1 htable.sets demo "while-down-$i" "v$i" >/dev/null; done
rpc node3 htable.inc demo counter 5 >/dev/null
cu podman start "${project}_node2_1" >/dev/null 2>&1
check "node2 killed with SIGKILL is healthy again after a start" eventually 120 healthy node2
count_is() { [ "$(rpc node2 htable.stats 2>/dev/null | tr -d ' \n' | grep -o '"name":"demo","slots":[0-9]*,"all":[0-9]*' | sed 's/.*"all"://')" = "$1" ]; }
check "node2 holds all 52 demo items after its restart" eventually 30 count_is 52
check "node2 has the counter incremented on node3 while it was down" value_is node2 demo counter 5

# A graceful stop as PID 1 in its container (SIGTERM from podman stop): leaves the cluster, stores
# the dbmode=1 table and exits 0 well within podman's 10 s before it would send SIGKILL.
t0=$(date +%s%N)
cu podman stop --time 10 "${project}_node3_1" >/dev/null 2>&1
stop_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "node3 stopped in $stop_ms ms"
exit_code=$(cu podman inspect -f '{{.State.ExitCode}}' "${project}_node3_1" 2>/dev/null)
check "node3 stops on SIGTERM with exit code 0 within 5 s ($stop_ms ms, exit $exit_code)" test "$exit_code" = 0 -a "$stop_ms" -lt 5000

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
