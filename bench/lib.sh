# Shared helpers of the bench scripts (sourced).

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

stop_pid() { # pid name: SIGTERM, wait up to 15 s, then SIGKILL
  local pid="$1" name="$2"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
  if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; log "$name: SIGKILLed $pid"; else log "$name: stopped $pid"; fi
  wait "$pid" 2>/dev/null || true
}

wait_ready() { # port pid logfile: until GET /health/ready answers 200 (60 s); exits with the log's tail when the process ends
  local port="$1" pid="$2" logfile="$3"
  for _ in $(seq 1 300); do
    [ "$(curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health/ready" || true)" = 200 ] && return 0
    [ -d "/proc/$pid" ] || { tail -20 "$logfile"; exit 1; }
    sleep 0.2
  done
  echo "node on port $port not ready after 60 s; tail of $logfile:"; tail -20 "$logfile"; exit 1
}
