#!/usr/bin/env bash
# The partition advisor's scenario, measured end to end (issue 13): the demo
# site as one group under the seed's mix (mostly home and article pages, an
# admin report every ADMIN_EVERY seconds) → record total RSS and the hot
# URLs' p99 → appserver advise → the advised config under the same mix →
# record again. docs/partitioning.md keeps the numbers of a full run.
#
#   bench/advise-scenario.sh            # full: 180 s per phase, a report every 15 s
#   bench/advise-scenario.sh --short    # CI: 20 s per phase, a report every 4 s
#
# Needs wrk, jq, curl and /usr/bin/python3. Results (status JSON of both
# phases, the advised config, the summary) go to $OUT (default a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-180} ADMIN_EVERY=${ADMIN_EVERY:-15} CONNS=${CONNS:-4} PORT=${PORT:-28390}
if [[ "${1:-}" == --short ]]; then DURATION=20 ADMIN_EVERY=4; fi
OUT=${OUT:-$(mktemp -d /tmp/advise-scenario.XXXXXX)}
chmod 755 "$OUT"
for tool in wrk jq curl; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install $tool)" >&2; exit 2; }; done

export GOFLAGS=${GOFLAGS:--buildvcs=false}
go build -o "$OUT/appserver" ./cmd/appserver
cp testdata/demo/wsgi.py "$OUT/"
sed "s/^Listen .*/Listen 127.0.0.1:$PORT/" testdata/demo/one-group.conf >"$OUT/before.conf"
export DEMO_ROOT=$OUT
base=http://127.0.0.1:$PORT
pid=

stop() {
  if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
}
trap stop EXIT

# phase NAME CONF: serve CONF, run the mix, record NAME.json and NAME.wrk.
phase() {
  local name=$1 conf=$2
  "$OUT/appserver" serve -f "$conf" 2>"$OUT/$name.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf -o /dev/null "$base/" && break; sleep 0.2; done
  ( end=$((SECONDS + DURATION)); while ((SECONDS < end)); do
      curl -s -o /dev/null "$base/admin/report"; sleep "$ADMIN_EVERY"; done ) &
  local admin=$!
  MIX=bench/advise.mix wrk -t2 -c"$CONNS" -d"${DURATION}s" -s bench/weighted.lua "$base" >"$OUT/$name.wrk"
  wait "$admin"
  sleep 6 # one more sampling interval of the monitor
  curl -sf "$base/server-status?json" >"$OUT/$name.json"
  stop
}

# summary FILE: the steady-state total RSS (MB: the mean over the second half
# of the phase of the monitor's 5 s samples, summed over the groups), the
# total RSS at the end, the hot p99 (ms: the worse of / and
# /publications/article/) and the requests.
summary() {
  jq -r '[([.groups[] | .history | .[(length / 2 | floor):] | map(.rss_bytes) | add / length] | add / 1048576),
           ([.groups[].processes[].rss_bytes] | add / 1048576),
           ([.paths[] | select(.name == "/" or .name == "/publications/article/") | .p99_ms] | max),
           .combined.requests] | @tsv' "$1"
}

phase before "$OUT/before.conf"
"$OUT/appserver" advise -f "$OUT/before.conf" --metrics "$OUT/before.json" --out "$OUT/after.conf" | tee "$OUT/advice.txt"
phase after "$OUT/after.conf"

read -r rss0 end0 p990 n0 < <(summary "$OUT/before.json")
read -r rss1 end1 p991 n1 < <(summary "$OUT/after.json")
{
  printf 'phase   steady total RSS MB  at the end MB  hot p99 ms  requests\n'
  printf 'before  %19.1f  %13.1f  %10.1f  %8d\n' "$rss0" "$end0" "$p990" "$n0"
  printf 'after   %19.1f  %13.1f  %10.1f  %8d\n' "$rss1" "$end1" "$p991" "$n1"
  awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "total RSS %+.0f%%\n", 100 * (b / a - 1) }'
} | tee "$OUT/summary.txt"
# The chart of docs/partitioning.md: two pairs of bars, memory and hot p99.
awk -v r0="$rss0" -v r1="$rss1" -v p0="$p990" -v p1="$p991" -v d="$DURATION" -v e="$ADMIN_EVERY" 'BEGIN {
  W = 640; H = 230; bw = 380
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"13\">\n", W, H
  printf "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", W, H
  printf "<text x=\"10\" y=\"20\" font-weight=\"bold\">The demo site, one group → appserver advise (%d s per phase, an admin report every %d s)</text>\n", d, e
  bar(40, "total RSS, MB", r0, r1, r0 > r1 ? r0 : r1, "%.0f MB")
  bar(135, "home + article p99, ms", p0, p1, p0 > p1 ? p0 : p1, "%.1f ms")
  print "</svg>"
}
function bar(y, title, a, b, m, fmt) {
  printf "<text x=\"10\" y=\"%d\">%s</text>\n", y + 12, title
  row(y + 20, "before (1 group)", a, m, fmt, "#c0504d")
  row(y + 50, "after (advised)", b, m, fmt, "#4f81bd")
}
function row(y, label, v, m, fmt, color) {
  w = (m > 0 ? v / m : 0) * bw
  printf "<text x=\"20\" y=\"%d\">%s</text>\n", y + 15, label
  printf "<rect x=\"150\" y=\"%d\" width=\"%.1f\" height=\"22\" fill=\"%s\"/>\n", y, w, color
  printf "<text x=\"%.1f\" y=\"%d\">" fmt "</text>\n", 156 + w, y + 15, v
}' >"$OUT/chart.svg"
echo "results in $OUT"
# The full run must save at least half the memory without a worse hot p99
# (within one histogram bucket, 34%); the short run only checks the split.
grep -q 'group admin (memory, new)' "$OUT/advice.txt" && grep -q 'group volume (volume, new)' "$OUT/advice.txt"
if ((DURATION >= 120)); then
  awk -v a="$rss0" -v b="$rss1" -v p="$p990" -v q="$p991" 'BEGIN { exit !(b <= a / 2 && q <= p * 1.34) }'
fi
