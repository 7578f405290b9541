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
