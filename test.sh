#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine of this project's kind (Debian 12 + .NET 10 SDK).
# Installs what is missing, publishes the node binary the end-to-end tests start, then runs every test.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required (dotnet not on PATH)" >&2
  exit 1
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The partition tests put node processes in network namespaces (iproute2's `ip`; run as root).
if ! command -v ip >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
fi

# The chaos tests drop packets at random with nftables (nft) and limit a link's rate with tc (iproute2).
if ! command -v nft >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables
fi

# The database tests start a private PostgreSQL server (Debian's postgresql package) when no Docker
# engine answers.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
fi

# The metrics test checks a live node's /metrics with promtool (Debian's prometheus package).
if ! command -v promtool >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
fi

# The kamailio.cfg import tests read the config Debian's kamailio package installs
# (/etc/kamailio/kamailio.cfg) and check the preprocessor against `kamailio --cfg-print` and `kamailio -c`;
# the BINRPC tests drive the package's kamcmd.
# A Kamailio script using ndb_redis (kamailio-redis-modules) drives the Redis protocol endpoint.
if { ! [ -f /etc/kamailio/kamailio.cfg ] || ! [ -x /usr/sbin/kamailio ] || ! [ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/ndb_redis.so ]; } && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamailio kamailio-redis-modules
fi

# The JSON-RPC socket tests drive Debian's kamcli (2.0.0) against the node's datagram socket.
if ! command -v kamcli >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kamcli
fi

# The Redis protocol tests compare the node with Debian's redis-server 7.0 through redis-cli and
# measure with redis-benchmark (redis-tools); redis-py (python3-redis) runs its checks against both.
if { ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1 || ! [ -f /usr/lib/python3/dist-packages/redis/__init__.py ]; } && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools python3-redis
fi

dotnet restore HTableCluster.sln
dotnet build HTableCluster.sln -c Release --no-restore
dotnet format HTableCluster.sln --verify-no-changes --no-restore
dotnet publish src/Node -c Release --no-restore -o artifacts/node
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test HTableCluster.sln -c Release --no-build 2>&1 | tee "$log" || status=$?
# The unchanged docker-compose.yml, run with podman-compose in a private network namespace by
# ../shared/tools/compose-up.sh (root; it installs podman and makes its base images once per machine).
tests/compose/compose-test.sh 2>&1 | tee -a "$log" || status=$?
# One closing line for the whole suite, summed over the test projects and the compose test.
awk '/^(Passed|Failed)!/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Passed:") p += $(i+1); if ($i == "Failed:") f += $(i+1) } }
     /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
     END { printf "Tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
