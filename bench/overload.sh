#!/bin/bash
# Overload stays local (issue 11 item 5): one group saturated by 5,000
# waiting clients, another group measured beside it. Prints the front end's
# RSS with the 5,000 waiting, and the other group's latency unloaded and
# loaded (wrk, 8 connections, 10 s each), as a ratio.
#
#   bash bench/overload.sh            (needs wrk and python3; ~40 s)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/appserver-overload-XXXXXX)
chmod 755 "$dir"
trap 'kill $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/appserver" ./cmd/appserver
port=18391
cat > "$dir/app.py" <<'PY'
import time
def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/slow"):
        time.sleep(30)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
PY
cat > "$dir/site.conf" <<CONF
Listen 127.0.0.1:$port
ServerName 127.0.0.1
WSGIPythonHome /usr
User nobody
Group nogroup
KeepAlive On
WSGIDaemonProcess slow processes=1 threads=2 listen-backlog=10000 queue-timeout=60 connect-timeout=60
WSGIDaemonProcess fast processes=2 threads=4
WSGIProcessGroup fast
WSGIScriptAlias / $dir/app.py
<Location /slow>
    WSGIProcessGroup slow
</Location>
CONF
ulimit -n 20000
"$dir/appserver" serve -f "$dir/site.conf" -q > "$dir/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/warm" >/dev/null && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2/1024}' "/proc/$SERVER/status"; }
p99() { wrk -t2 -c8 -d10s --latency "http://127.0.0.1:$port/fast" | awk '/ 99%/ {print $2}'; }
echo "front-end RSS at rest: $(rss) MB"
base=$(p99)
echo "fast group p99, nothing else running: $base"
# 5,000 clients waiting on the slow group (2 threads, 30 s per request).
wrk -t2 -c5000 -d25s --timeout 60s "http://127.0.0.1:$port/slow" > "$dir/wrk-slow.txt" 2>&1 &
WRK=$!
sleep 5
echo "front-end RSS with 5,000 clients waiting on the slow group: $(rss) MB"
loaded=$(p99)
echo "fast group p99 meanwhile: $loaded"
echo "front-end RSS after: $(rss) MB"
kill $WRK 2>/dev/null || true
wait $WRK 2>/dev/null || true
python3 - "$base" "$loaded" <<'PY'
import sys
def ms(s):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1000.0)):
        if s.endswith(unit):
            return float(s[:-len(unit)]) * f
print("p99 loaded / unloaded: %.2fx" % (ms(sys.argv[2]) / ms(sys.argv[1])))
PY
