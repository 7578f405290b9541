#!/usr/bin/env bash
# A node without init sync joins a running node ROUNDS times: prints, per round, the milliseconds
# from its launch until /health/ready answers 200, and 1 when a write made on the running node the
# moment it is ready is there 50 ms later (0 when not).
#   bench/join-ready.sh PUBLISH_DIR ROUNDS      (PUBLISH_DIR holds htcluster; ports 4601-4602, 7601-7602)
set -u
BIN=${1:?publish dir}; R=${2:-8}
$BIN/htcluster serve --node-id a --cluster-port 4601 --rpc-port 7601 "--table" "r=>size=8;dmqreplicate=1" >/tmp/rt-a.log 2>&1 &
A=$!
until curl -sf http://127.0.0.1:7601/health/ready >/dev/null; do sleep 0.1; done
for i in $(seq 1 $R); do
  t0=$(date +%s%N)
  HTABLE_Htable__DmqInitSync=0 $BIN/htcluster serve --node-id b --cluster-port 4602 --rpc-port 7602 "--table" "r=>size=8;dmqreplicate=1" --seed akka.tcp://htcluster@127.0.0.1:4601 >/tmp/rt-b.log 2>&1 &
  B=$!
  until curl -sf http://127.0.0.1:7602/health/ready >/dev/null; do sleep 0.02; done
  t1=$(date +%s%N)
  # a write on a the moment b is ready: does b have it 50 ms later?
  curl -s -d '{"jsonrpc":"2.0","method":"htable.sets","params":["r","k'$i'","v"],"id":1}' http://127.0.0.1:7601/RPC >/dev/null
  sleep 0.05
  got=$(curl -s -d '{"jsonrpc":"2.0","method":"htable.get","params":["r","k'$i'"],"id":1}' http://127.0.0.1:7602/RPC | grep -c '"v"')
  echo "$(( (t1 - t0) / 1000000 )) $got"
  kill $B; wait $B 2>/dev/null
  sleep 1
done
kill $A; wait $A 2>/dev/null
