#!/usr/bin/env bash
# Draws the charts of README.md and docs/performance.md from the result files bench/results/*.tsv
# (format: bench/lib.sh) into docs/figures/*.svg with gnuplot.
# Each figure is taken from the latest date that has it (with a reference); where that date has several
# runs, a bar is the median of the runs and its whisker spans the lowest and the highest run.
# Ratio charts show how many times the reference HTableCluster achieves, turned so that more is
# better: ours / reference for rates (better=higher), reference / ours for times and sizes
# (better=lower); right of 1 HTableCluster is ahead.
# Usage: bench/plot-figures.sh            Needs gnuplot (apt-get install gnuplot-nox).
# Env: RESULTS_DIR=<repo>/bench/results FIGURES_DIR=<repo>/docs/figures
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
: "${RESULTS_DIR:=$HERE/results}" "${FIGURES_DIR:=$ROOT/docs/figures}"
command -v gnuplot >/dev/null || { echo "gnuplot is required: apt-get install -y gnuplot-nox"; exit 1; }
mkdir -p "$FIGURES_DIR"; FIGURES_DIR="$(cd "$FIGURES_DIR" && pwd)"
WORK="$(mktemp -d /tmp/htc-plot.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# select MODE SPEC: one line per spec line "file|metric|reference prefix|label", in spec order, from the
# latest date that has this figure with a reference; MODE ratio -> label, median, min, max, text; MODE values -> label, ours,
# reference, ours text, reference text (medians). A first line "#dates <dates used>" names the dates.
select_rows() {
  awk -F'\t' -v mode="$1" -v spec="$2" '
    function median(s, n,   a, i, j, t) {
      split(s, a, " "); n = 0; for (i in a) n++
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lowest(s,   a, i, m) { split(s, a, " "); m = a[1]; for (i in a) if (a[i] + 0 < m + 0) m = a[i]; return m }
    function highest(s,   a, i, m) { split(s, a, " "); m = a[1]; for (i in a) if (a[i] + 0 > m + 0) m = a[i]; return m }
    function count(s,   a) { return split(s, a, " ") }
    function num(v) { return v >= 1000 ? sprintf("%\047.0f", v) : sprintf("%.4g", v) }
    function times(v) { return v >= 10 ? sprintf("%.0fx", v) : sprintf("%.2fx", v) }
    FNR == 1 { f = FILENAME; sub(/.*\//, "", f); sub(/\.tsv$/, "", f); next }
    { n = ++rows[f]; d[f, n] = $1; m[f, n] = $3; o[f, n] = $4; r[f, n] = $5; rn[f, n] = $6; u[f, n] = $7; b[f, n] = $8 }
    END {
      ns = split(spec, specs, "\n")
      for (s = 1; s <= ns; s++) {
        if (specs[s] == "") continue
        split(specs[s], p, "|"); f = p[1]
        fs = ""; os = ""; rs = ""; day = ""
        for (i = 1; i <= rows[f]; i++)
          if (m[f, i] == p[2] && index(rn[f, i], p[3]) == 1 && r[f, i] != "" && d[f, i] > day) day = d[f, i]
        for (i = 1; i <= rows[f]; i++) {
          if (d[f, i] != day || m[f, i] != p[2] || index(rn[f, i], p[3]) != 1 || r[f, i] == "") continue
          if (mode == "ratio") {
            if (o[f, i] + 0 <= 0 || r[f, i] + 0 <= 0 || (b[f, i] != "higher" && b[f, i] != "lower")) continue
            fs = fs " " (b[f, i] == "higher" ? o[f, i] / r[f, i] : r[f, i] / o[f, i])
          } else { os = os " " o[f, i]; rs = rs " " r[f, i] }
          unit = u[f, i]
        }
        if ((mode == "ratio" ? fs : os) == "") { print "no figure for: " specs[s] > "/dev/stderr"; exit 1 }
        dates[day] = 1
        if (mode == "ratio") {
          k = count(fs); t = times(median(fs))
          if (k > 1) t = t sprintf(" (%d runs: %s-%s)", k, times(lowest(fs)), times(highest(fs)))
          out = out sprintf("%s\t%s\t%s\t%s\t%s\n", p[4], median(fs), lowest(fs), highest(fs), t)
        } else
          out = out sprintf("%s\t%s\t%s\t%s %s\t%s %s\n", p[4], median(os), median(rs), num(median(os)), unit, num(median(rs)), unit)
      }
      nd = 0; for (x in dates) dl[++nd] = x
      for (i = 1; i <= nd; i++) for (j = i + 1; j <= nd; j++) if (dl[j] < dl[i]) { t = dl[i]; dl[i] = dl[j]; dl[j] = t }
      ds = ""; for (i = 1; i <= nd; i++) ds = ds (i > 1 ? ", " : "") dl[i]
      printf "#dates\t%s\n%s", ds, out
    }' "$RESULTS_DIR"/*.tsv
}

# ratio_chart NAME TITLE SPEC [NOTE] (gnuplot runs in $WORK: the SVGs name the data file relative to it)
ratio_chart() {
  local name="$1" title="$2" note="${4:-}" data="$WORK/$1.dat" rows dates
  select_rows ratio "$3" > "$data"
  rows=$(grep -vc '^#' "$data"); dates="$(awk -F'\t' 'NR == 1 {print $2}' "$data")"
  (cd "$WORK" && gnuplot) <<EOF
set terminal svg size 900,$((120 + 42 * rows)) dynamic font "DejaVu Sans,13" background rgb "white"
set output "$FIGURES_DIR/$name.svg"
set datafile separator "\t"
set datafile commentschars "#"
set title "$title ($dates)" noenhanced
set logscale x 10
set xrange [0.1:400]
set xtics ("0.1" 0.1, "0.2" 0.2, "0.5" 0.5, "1" 1, "2" 2, "5" 5, "10" 10, "20" 20, "50" 50, "100" 100) nomirror
set xlabel "times the reference (right of 1: HTableCluster ahead)" noenhanced
set yrange [$rows - 0.4:-0.6]
set ytics nomirror noenhanced scale 0
set grid xtics lc rgb "#dddddd"
set border 1
set style fill solid 0.85 noborder
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb "#444444" lw 1.5
set lmargin 40
set bmargin 5
set label 1 "$note" at screen 0.02, screen 0.03 left noenhanced font ",11"
unset key
plot "$name.dat" using (1):0:(1):2:(\$0 - 0.32):(\$0 + 0.32):(\$2 >= 1 ? 0x2e7d32 : 0xc0392b):ytic(1) with boxxyerror lc rgb variable, \
     "" using 2:0:3:4 with xerrorbars lc rgb "#222222" pt -1, \
     "" using ((\$4 > 1 ? \$4 : 1) * 1.12):0:5 with labels left noenhanced
EOF
  echo "$FIGURES_DIR/$name.svg: $rows bars ($dates)"
}

# values_chart NAME TITLE REFERENCE-NAME SPEC: HTableCluster and the reference side by side
values_chart() {
  local name="$1" title="$2" ref="$3" data="$WORK/$1.dat" rows dates max
  select_rows values "$4" > "$data"
  rows=$(grep -vc '^#' "$data"); dates="$(awk -F'\t' 'NR == 1 {print $2}' "$data")"
  max="$(awk -F'\t' '!/^#/ {if ($2 > m) m = $2; if ($3 > m) m = $3} END {print m * 1.45}' "$data")"
  (cd "$WORK" && gnuplot) <<EOF
set terminal svg size 900,$((130 + 64 * rows)) dynamic font "DejaVu Sans,13" background rgb "white"
set output "$FIGURES_DIR/$name.svg"
set datafile separator "\t"
set datafile commentschars "#"
set title "$title ($dates)" noenhanced
set xrange [0:$max]
set yrange [$rows - 0.4:-0.6]
set ytics nomirror noenhanced scale 0
set xtics nomirror
set grid xtics lc rgb "#dddddd"
set border 1
set style fill solid 0.85 noborder
set lmargin 40
set key below horizontal noenhanced
plot "$name.dat" using (0):0:(0):2:(\$0 - 0.36):(\$0):ytic(1) with boxxyerror lc rgb "#2e7d32" title "HTableCluster", \
     "" using (0):0:(0):3:(\$0):(\$0 + 0.36) with boxxyerror lc rgb "#7f8c8d" title "$ref", \
     "" using (\$2 + $max * 0.01):(\$0 - 0.18):4 with labels left noenhanced notitle, \
     "" using (\$3 + $max * 0.01):(\$0 + 0.18):5 with labels left noenhanced notitle
EOF
  echo "$FIGURES_DIR/$name.svg: $rows pairs ($dates)"
}

ratio_chart vs-kamailio "HTableCluster against Kamailio 5.6.3, same runs" "\
rpc|htable.get|Kamailio|htable.get req/s
rpc|htable.seti on l|Kamailio|htable.seti req/s
rpc|htable.sets on l|Kamailio|htable.sets req/s
rpc|batch of 100 htable.get|Kamailio|batch of 100 get, ops/s *
rpc|batch of 100 htable.sets|Kamailio|batch of 100 sets, ops/s *
replication|bulk: 20000 htable.sets on node 1, 16 writers|Kamailio|replicated writes, ops/s
replication|one update visible on node 2, p50|Kamailio|replication lag p50
replication|one update visible on node 2, p99|Kamailio|replication lag p99
replication|init sync of 1000000 keys: launch until node 2 holds all|Kamailio|new node receives 1M keys
preload|preload of 1000000 rows, launch to every row served|Kamailio|preload of 1M rows from PostgreSQL
preload|htable.reload of 1000000 rows|Kamailio|htable.reload of 1M rows" \
  "* batches of 100 calls per request against Kamailio's single calls; lag, preload, reload, sync: Kamailio's time / ours"

ratio_chart rpc "JSON-RPC over HTTP, wrk -t2 -c32 (* against single calls)" "\
rpc|htable.get|Kamailio|get vs Kamailio
rpc|htable.get|bare endpoint|get vs bare endpoint
rpc|htable.get p99|bare endpoint|get p99 latency vs bare endpoint
rpc|htable.seti on l|Kamailio|seti vs Kamailio
rpc|htable.seti on l|bare endpoint|seti vs bare endpoint get
rpc|htable.sets on l|Kamailio|sets vs Kamailio
rpc|batch of 100 htable.get|Kamailio|batch of 100 get vs Kamailio *
rpc|batch of 100 htable.sets|Kamailio|batch of 100 sets vs Kamailio *" \
  "* batches of 100 calls per request against Kamailio's single calls; p99: the bare endpoint's latency / ours"

ratio_chart replication "Replication, 2 nodes, against Kamailio 5.6.3 + DMQ" "\
replication|bulk: 20000 htable.sets on node 1, 16 writers|Kamailio|bulk writes, ops/s
replication|bulk: node 2 complete after the last write|Kamailio|bulk: node 2 complete after last write
replication|one update visible on node 2, p50|Kamailio|one update visible on node 2, p50
replication|one update visible on node 2, p99|Kamailio|one update visible on node 2, p99
replication|seti load on node 1|Kamailio|seti load on node 1, req/s
replication|seti load on both nodes|Kamailio|seti load on both nodes, req/s
replication|init sync of 1000000 keys: launch until node 2 holds all|Kamailio|new node receives 1M keys" \
  "rates: ours / Kamailio's; times: Kamailio's / ours"

ratio_chart flatstore "FlatStore writer in-process against a raw FileStream loop, 64 writers" "\
flatstore|writer flush=1, 64 writers x 1 line|raw|flush=1, 1 line per call
flatstore|writer flush=1, 64 writers x 100 lines|raw|flush=1, blocks of 100
flatstore|writer flush=0, 64 writers x 1 line|raw|flush=0, 1 line per call
flatstore|writer flush=0, 64 writers x 100 lines|raw|flush=0, blocks of 100
flatstore|writer flush=1 + fsync 100 ms, 64 writers x 1 line|raw|fsync 100 ms, 1 line per call
flatstore|writer flush=1 + fsync 100 ms, 64 writers x 100 lines|raw|fsync 100 ms, blocks of 100
flatstore|embedded API flush=1, 64 writers x 1 line|raw|embedded API, 1 line per call
flatstore|embedded API flush=1, 64 writers x 100 lines|raw|embedded API, blocks of 100" \
  "lines/s of the writer / lines/s of the raw loop in the same run"

values_chart memory "Bytes per item, 1M items (16-byte keys, 64-byte values)" "Redis" "\
memory|node over JSON-RPC, RSS per item|Redis|node over JSON-RPC, RSS
memory|node over JSON-RPC, managed heap per item|Redis|node, managed heap (Redis: used_memory)
memory|Storage in-process, RSS per item|Redis|Storage in-process, RSS"

values_chart preload "PostgreSQL preload and reload of 1M rows, seconds" "Kamailio 5.6.3" "\
preload|preload of 1000000 rows, launch to every row served|Kamailio|preload, launch to every row served
preload|htable.reload of 1000000 rows|Kamailio|htable.reload"
