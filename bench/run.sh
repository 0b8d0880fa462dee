#!/bin/bash
# The side-by-side benchmark: appserver vs Apache + mod_wsgi (daemon mode) vs
# gunicorn gthread vs uWSGI --http-socket, same app, 2 processes x 8 threads,
# interleaved in one run on this machine. See bench/README.md.
#
#   bench/run.sh            full run (3 repeats, ~18 min); rewrites bench/results/
#                           and the generated block of docs/performance.md
#   bench/run.sh --quick    1 repeat of 3 s measurements (~4 min); results under $TMPDIR
#   bench/run.sh --profile  perf profile of appserver under hello-world load
#                           into bench/results/profile.txt
#   bench/run.sh --report   rebuild the tables, charts and doc from bench/results/results.json
#   bench/run.sh --quick --base main -servers appserver   before/after of a change
#   bench/run.sh --quick --monitor-off -servers appserver  what monitoring costs: the
#                           same binary runs as "base" with AppserverMonitor Off
#   bench/run.sh -servers appserver,proto,uwsgi   with the transport prototype of
#                           ../shared/proto as a yardstick (built here)
# Any other flags go to the runner (go run ./bench -h lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=""
POLICY=0
cleanup() {
  [ -n "$BIN" ] && rm -rf "$BIN"
  [ "$POLICY" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}
trap cleanup EXIT

# What the runs need, from Debian. Idempotent: nothing is fetched when all
# are installed. policy-rc.d keeps Debian from starting the system apache2
# and uwsgi services during the install.
PKGS="apache2 libapache2-mod-wsgi-py3 gunicorn python3-gunicorn uwsgi uwsgi-plugin-python3 wrk"
case " $* " in *" --profile "* | *" -profile "*) PKGS="$PKGS linux-perf" ;; esac
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] || { echo "missing:$missing (run as root to install them)" >&2; exit 2; }
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    POLICY=1
  fi
  apt-get update
  apt-get install -y --no-install-recommends $missing
fi

BIN=$(mktemp -d /tmp/appserver-bench-bin.XXXXXX)
go build -o "$BIN/appserver" ./cmd/appserver
go build -o "$BIN/bench" ./bench
# --base REV builds REV's appserver too and runs it as server "base":
# before/after ratios of a change, measured interleaved in the same run.
args=()
base_rev=""
prev=""
for a in "$@"; do
  if [ "$prev" = base ]; then base_rev=$a; prev=""; continue; fi
  case $a in
    --base | -base) prev=base ;;
    --monitor-off | -monitor-off) args+=(-base "$BIN/appserver" -base-define NoMonitor) ;;
    --*) args+=("-${a#--}") ;;
    *) args+=("$a") ;;
  esac
done
# Server "proto" (the transport prototype of ../shared/proto, read-only):
# its front end is built into the temp folder.
case " $* " in
  *proto*)
    PROTO=${PROTO_DIR:-../shared/proto}
    [ -f "$PROTO/front/main.go" ] || { echo "server proto: no prototype at $PROTO (set PROTO_DIR)" >&2; exit 2; }
    (cd "$PROTO/front" && GOFLAGS=-mod=mod go build -o "$BIN/protofront" .)
    args+=(-proto "$BIN/protofront" -proto-worker "$(cd "$PROTO" && pwd)/worker.py")
    ;;
esac
if [ -n "$base_rev" ]; then
  git worktree add --detach "$BIN/base-tree" "$base_rev" >/dev/null
  (cd "$BIN/base-tree" && go build -o "$BIN/appserver-base" ./cmd/appserver)
  git worktree remove --force "$BIN/base-tree"
  args+=(-base "$BIN/appserver-base")
fi
BENCH_COMMAND="bench/run.sh${*:+ $*}" "$BIN/bench" -appserver "$BIN/appserver" "${args[@]}"
