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

# Result files: every comparison script appends its figures to $BENCH_RESULTS_DIR/<bench>.tsv
# (default bench/results; BENCH_RESULTS_DIR= writes nothing), one row per figure, tab-separated,
# under the header
#   date  run  metric  ours  reference  ref_name  unit  better  command
# date: the UTC day of the run; run: what tells runs of one day apart (the start time, HH:MM:SS UTC);
# ours / reference: numbers (reference and ref_name empty when the run has none); better: higher,
# lower, or exact (a count that has one right value); command: what reproduces the run.
# bench/plot-figures.sh draws docs/figures/*.svg from these files.
: "${BENCH_RESULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/results}"
RESULT_FILE=""; RESULT_DATE=""; RESULT_RUN=""; RESULT_COMMAND=""

result_init() { # bench-name command: rows of this run go to $BENCH_RESULTS_DIR/bench-name.tsv
  RESULT_DATE="$(date -u +%F)"; RESULT_RUN="$(date -u +%T)"; RESULT_COMMAND="$2"
  if [ -z "$BENCH_RESULTS_DIR" ]; then RESULT_FILE=""; return 0; fi
  mkdir -p "$BENCH_RESULTS_DIR"
  RESULT_FILE="$BENCH_RESULTS_DIR/$1.tsv"
  [ -s "$RESULT_FILE" ] || printf 'date\trun\tmetric\tours\treference\tref_name\tunit\tbetter\tcommand\n' > "$RESULT_FILE"
}

is_number() { [[ "$1" =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }

result_row() { # metric ours reference ref-name unit better: a figure that is not a number is left out
  local metric="$1" ours="$2" ref="$3" ref_name="$4" unit="$5" better="$6"
  [ -n "$RESULT_FILE" ] || return 0
  is_number "$ours" || return 0
  is_number "$ref" || { ref=""; ref_name=""; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$RESULT_DATE" "$RESULT_RUN" "$metric" "$ours" "$ref" \
    "$ref_name" "$unit" "$better" "$RESULT_COMMAND" >> "$RESULT_FILE"
}
