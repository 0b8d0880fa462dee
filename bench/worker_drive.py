#!/usr/bin/env python3
"""One appserver worker's CPU per request, with neither Go nor HTTP in the way.

    python3 bench/worker_drive.py [--threads 8] [--requests 40000] [--no-peak] [--worker FILE] [--app FILE]

The worker (daemon/worker/worker.py) serves `--threads` threads, each on one
end of a socketpair; a forked driver process keeps one hello-world request in
flight on each, as the Go front end does, with an H frame like the ones Go
sends for `wrk` (the mod_wsgi environ of 43 pairs). It prints the worker
process's user and system CPU per request. Alternate the variants you compare
in one shell loop: this machine drifts by 10-50% between minutes.
"""

import argparse
import importlib.util
import os
import selectors
import socket
import struct
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HDR = struct.Struct("<BBHII")

# What server/environ.go sends for `GET /hello` from wrk (Host header only).
ENVIRON = [
    "HTTP_HOST", "127.0.0.1:28290", "SERVER_SIGNATURE", "", "SERVER_SOFTWARE", "Apache",
    "SERVER_NAME", "127.0.0.1", "SERVER_ADDR", "127.0.0.1", "SERVER_PORT", "28290",
    "REMOTE_ADDR", "127.0.0.1", "DOCUMENT_ROOT", "/var/www/html", "REQUEST_SCHEME", "http",
    "CONTEXT_PREFIX", "", "CONTEXT_DOCUMENT_ROOT", "/var/www/html", "SERVER_ADMIN", "[no address given]",
    "SCRIPT_FILENAME", "APP", "REMOTE_PORT", "47230", "GATEWAY_INTERFACE", "CGI/1.1",
    "SERVER_PROTOCOL", "HTTP/1.1", "REQUEST_METHOD", "GET", "QUERY_STRING", "", "REQUEST_URI", "/hello",
    "SCRIPT_NAME", "", "PATH_INFO", "/hello", "PATH_TRANSLATED", "APP/hello",
    "mod_wsgi.process_group", "bench", "mod_wsgi.application_group", "", "mod_wsgi.callable_object", "application",
    "mod_wsgi.request_handler", "wsgi-script", "mod_wsgi.handler_script", "", "mod_wsgi.script_reloading", "1",
    "mod_wsgi.enable_sendfile", "0", "mod_wsgi.ignore_activity", "0", "mod_wsgi.listener_host", "127.0.0.1",
    "mod_wsgi.listener_port", "28290", "mod_wsgi.request_start", "1796511916316430",
    "mod_wsgi.request_id", "DI1Mw4nG3Ok", "mod_wsgi.queue_start", "1796511916316753",
    "mod_wsgi.daemon_connects", "1", "mod_wsgi.daemon_restarts", "0", "mod_wsgi.script_name", "",
    "mod_wsgi.path_info", "/hello",
]


def head_frame(w, app):
    strs = [app, "", "application", str(os.stat(app).st_mtime_ns)]
    strs += [s.replace("APP", app) for s in ENVIRON]
    flags = w.F_RELOADING | w.F_NOBODY | w.F_MTIME
    if hasattr(w, "F_SPLIT"):
        block = "\0".join(strs).encode("latin-1")
        flags |= w.F_SPLIT
    else:  # an older worker: a table of lengths, then the strings
        block = struct.pack("<%dI" % len(strs), *map(len, strs)) + "".join(strs).encode("latin-1")
    return HDR.pack(w.T_HEAD, flags, 0, len(strs), len(block)) + block


def drive(pairs, frame, per, t_finish):
    """The driver process: one request in flight per connection."""
    sel = selectors.DefaultSelector()
    left = {}
    for a, _ in pairs:
        a.setblocking(False)
        sel.register(a, selectors.EVENT_READ, bytearray())
        left[a] = per
        a.send(frame)
    done = 0
    while done < len(pairs):
        for key, _ in sel.select():
            s, buf = key.fileobj, key.data
            buf += s.recv(65536)
            while len(buf) >= HDR.size:
                typ, _, _, _, length = HDR.unpack_from(buf)
                if len(buf) < HDR.size + length:
                    break
                del buf[:HDR.size + length]
                if typ == t_finish:
                    left[s] -= 1
                    if left[s]:
                        s.send(frame)
                    else:
                        done += 1
                        sel.unregister(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--requests", type=int, default=40000)
    ap.add_argument("--no-peak", action="store_true", help="as with AppserverMonitor Off")
    ap.add_argument("--worker", default=os.path.join(HERE, "..", "daemon", "worker", "worker.py"))
    ap.add_argument("--app", default=os.path.join(HERE, "app.py"))
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("appserver_worker", a.worker)
    w = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(w)
    app = os.path.abspath(a.app)
    frame = head_frame(w, app)
    pairs = [socket.socketpair() for _ in range(a.threads)]
    per = a.requests // a.threads
    pid = os.fork()  # before any thread starts
    if pid == 0:
        for _, b in pairs:
            b.close()
        drive(pairs, frame, per, w.T_FINISH)
        os._exit(0)
    for s, _ in pairs:
        s.close()
    worker = w.Worker({"group": "bench", "threads": a.threads, "processes": 2, "processes_set": True,
                       "maximum_requests": 0, "preload": [], "no_peak_rss": a.no_peak})
    t0, c0 = os.times(), time.monotonic()
    threads = [threading.Thread(target=worker.serve, args=(b,)) for _, b in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1, elapsed = os.times(), time.monotonic() - c0
    os.waitpid(pid, 0)
    n = per * a.threads
    user, sys_ = (t1.user - t0.user) * 1e6 / n, (t1.system - t0.system) * 1e6 / n
    print("%s threads=%d%s: %.1f us CPU per request (user %.1f, system %.1f), %.0f req/s" % (
        os.path.basename(a.worker), a.threads, " no-peak" if a.no_peak else "", user + sys_, user, sys_, n / elapsed))


if __name__ == "__main__":
    main()
