#!/usr/bin/env bash
# Network-namespace "hosts" for partition tests (root only; iproute2).
#   netns.sh up N     bridge htctbr0 10.201.0.254/24 in this namespace (the test driver's side) and
#                     namespaces htct-n1..N with eth0 10.201.0.I/24 on it
#   netns.sh cut I    node I and every other node stop reaching each other (blackhole routes in
#                     each namespace); the driver still reaches all of them
#   netns.sh heal I   removes those routes
#   netns.sh loss I PCT   drops PCT% (1..99) of node I's packets, each direction, at random
#                     (nftables numgen: this kernel may lack tc netem)
#   netns.sh rate I RATE  limits node I's egress to RATE (tc tbf, e.g. 1mbit)
#   netns.sh clear I  removes node I's loss rules and rate limit
#   netns.sh down     kills what runs in the namespaces and removes them and the bridge
set -euo pipefail
BR=htctbr0
NET=10.201.0
P=htct
nodes() { local all; all="$(ip netns list | awk '{print $1}')"; printf '%s\n' "$all" | grep "^$P-n" | sed "s/^$P-n//" | sort -n || true; }
case "${1:-}" in
  up)
    n=${2:?N}
    ip link show "$BR" >/dev/null 2>&1 || ip link add "$BR" type bridge
    ip addr show dev "$BR" | grep -q "$NET.254/24" || ip addr add "$NET.254/24" dev "$BR"
    ip link set "$BR" up
    # Hosts with br_netfilter and a dropping FORWARD policy (Docker) would drop bridged frames.
    if command -v iptables >/dev/null 2>&1; then
      iptables -C FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null || iptables -I FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null || true
    fi
    existing="$(ip netns list | awk '{print $1}')"
    for i in $(seq 1 "$n"); do
      ns="$P-n$i"
      if printf '%s\n' "$existing" | grep -qx "$ns"; then continue; fi
      ip netns add "$ns"
      ip link del "$P-v$i" 2>/dev/null || true   # left over from a namespace that went while busy
      ip link add "$P-v$i" type veth peer name eth0 netns "$ns"
      ip link set "$P-v$i" master "$BR" up
      ip netns exec "$ns" ip addr add "$NET.$i/24" dev eth0
      ip netns exec "$ns" ip link set eth0 up
      ip netns exec "$ns" ip link set lo up
    done ;;
  cut|heal)
    i=${2:?I}
    for j in $(nodes); do
      [ "$j" = "$i" ] && continue
      if [ "$1" = cut ]; then
        ip netns exec "$P-n$i" ip route replace blackhole "$NET.$j/32"
        ip netns exec "$P-n$j" ip route replace blackhole "$NET.$i/32"
      else
        ip netns exec "$P-n$i" ip route del blackhole "$NET.$j/32" 2>/dev/null || true
        ip netns exec "$P-n$j" ip route del blackhole "$NET.$i/32" 2>/dev/null || true
      fi
    done ;;
  loss)
    i=${2:?I} pct=${3:?PCT}
    [[ "$pct" =~ ^[0-9]+$ ]] && [ "$pct" -ge 1 ] && [ "$pct" -le 99 ] || { echo "loss I PCT: PCT is 1..99" >&2; exit 2; }
    ns="$P-n$i"
    ip netns exec "$ns" nft delete table inet htctfault 2>/dev/null || true
    ip netns exec "$ns" nft add table inet htctfault
    ip netns exec "$ns" nft add chain inet htctfault input '{ type filter hook input priority 0; policy accept; }'
    ip netns exec "$ns" nft add chain inet htctfault output '{ type filter hook output priority 0; policy accept; }'
    ip netns exec "$ns" nft add rule inet htctfault input iifname != lo numgen random mod 100 \< "$pct" drop
    ip netns exec "$ns" nft add rule inet htctfault output oifname != lo numgen random mod 100 \< "$pct" drop ;;
  rate)
    i=${2:?I} rate=${3:?RATE}
    ip netns exec "$P-n$i" tc qdisc replace dev eth0 root tbf rate "$rate" burst 32kbit latency 400ms ;;
  clear)
    i=${2:?I}
    ip netns exec "$P-n$i" nft delete table inet htctfault 2>/dev/null || true
    ip netns exec "$P-n$i" tc qdisc del dev eth0 root 2>/dev/null || true ;;
  down)
    for i in $(nodes); do
      ip netns pids "$P-n$i" | xargs -r kill -9 2>/dev/null || true
      for _ in $(seq 1 50); do [ -z "$(ip netns pids "$P-n$i")" ] && break; sleep 0.1; done
      ip netns del "$P-n$i"
    done
    for v in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$P-v" || true); do
      ip link del "$v" 2>/dev/null || true
    done
    ip link del "$BR" 2>/dev/null || true
    if command -v iptables >/dev/null 2>&1; then
      iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null || true
    fi ;;
  *) echo "usage: $0 up N | cut I | heal I | loss I PCT | rate I RATE | clear I | down" >&2; exit 2 ;;
esac
