# Test application for daemon/ tests: one route per behaviour, chosen on
# PATH_INFO; parameters come from the query string.
import hashlib
import json
import os
import sys
import time
import urllib.parse

import mod_wsgi

IMPORTED_AT = time.time()
COUNTER = [0]
HOARD = []


def _qs(environ):
    return dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))


def _json(start_response, obj, status="200 OK"):
    body = json.dumps(obj, sort_keys=True, default=repr).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _download(n, chunk):
    block = bytes(range(256)) * (chunk // 256)
    left = n
    while left > 0:
        k = min(left, len(block))
        yield block[:k]
        left -= k


class Closing:
    def __init__(self, path, items):
        self.path = path
        self.items = items

    def __iter__(self):
        return iter(self.items)

    def close(self):
        with open(self.path, "a") as f:
            f.write("closed\n")


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    q = _qs(environ)
    if path == "/hello":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"Hello world!"]
    if path == "/env":
        return _json(start_response, {k: v if isinstance(v, (str, int, bool)) else repr(v)
                                      for k, v in environ.items()})
    if path == "/count":
        COUNTER[0] += 1
        return _json(start_response, {"count": COUNTER[0], "pid": os.getpid(),
                                      "imported_at": IMPORTED_AT,
                                      "daemon_start": environ["mod_wsgi.daemon_start"],
                                      "module": __name__,
                                      "shim_app_group": mod_wsgi.application_group})
    if path == "/pid":
        return _json(start_response, {"pid": os.getpid()})
    if path == "/upload":
        h = hashlib.sha256()
        n = 0
        inp = environ["wsgi.input"]
        size = int(q.get("chunk", "65536"))
        while True:
            d = inp.read(size)
            if not d:
                break
            n += len(d)
            h.update(d)
        return _json(start_response, {"length": n, "sha256": h.hexdigest()})
    if path == "/readall":
        d = environ["wsgi.input"].read()
        return _json(start_response, {"length": len(d), "sha256": hashlib.sha256(d).hexdigest()})
    if path == "/lines":
        inp = environ["wsgi.input"]
        first = inp.readline()
        limited = inp.readline(3)
        rest_iter = []
        two = inp.readlines(1)
        for line in inp:
            rest_iter.append(line.decode())
        return _json(start_response, {"first": first.decode(), "limited": limited.decode(),
                                      "readlines": [x.decode() for x in two], "iter": rest_iter})
    if path == "/ignore-body":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ignored"]
    if path == "/stream-read":
        # Reads 100 bytes, says so in the file ?mark= names, then reads the
        # rest: the file appears while the client still holds the rest.
        inp = environ["wsgi.input"]
        first = inp.read(100)
        with open(q["mark"], "w") as f:
            f.write(str(len(first)))
        rest = inp.read()
        return _json(start_response, {"first": len(first), "rest": len(rest)})
    if path == "/read-some":
        d = environ["wsgi.input"].read(int(q.get("n", "100")))
        return _json(start_response, {"read": len(d)})
    if path == "/reason":
        start_response(q.get("status", "299 Custom Thing"), [("Content-Type", "text/plain")])
        return [b"reason"]
    if path == "/download":
        n = int(q.get("bytes", "0"))
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(n))])
        return _download(n, int(q.get("chunk", "65536")))
    if path == "/error":
        raise RuntimeError("boom from the test app")
    if path == "/error-after-head":
        def gen():
            yield b"partial"
            raise RuntimeError("boom after the head")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/crash":
        os._exit(3)
    if path == "/append":
        # Counts the runs of a request: one line per call, then sleeps.
        with open(q["f"], "a") as f:
            f.write("%d\n" % os.getpid())
        time.sleep(float(q.get("s", "0")))
        return _json(start_response, {"pid": os.getpid()})
    if path == "/crash-after-head":
        def gen():
            yield b"partial"
            time.sleep(0.05)
            os._exit(4)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()
    if path == "/sleep":
        time.sleep(float(q.get("s", "1")))
        return _json(start_response, {"pid": os.getpid(), "slept": float(q.get("s", "1"))})
    if path == "/bad-status":
        start_response(200, [])
        return [b"x"]
    if path == "/no-start":
        return [b"x"]
    if path == "/str-body":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["not bytes"]
    if path == "/crlf":
        start_response("200 OK", [("X-Bad", "a\r\nInjected: yes")])
        return [b"x"]
    if path == "/write":
        write = start_response("201 Created", [("Content-Type", "text/plain")])
        write(b"written ")
        return [b"and returned"]
    if path == "/exc-info":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("handled")
        except ValueError:
            start_response("500 Oops", [("Content-Type", "text/plain"), ("X-Error", "1")],
                           sys.exc_info())
        return [b"error page"]
    if path == "/close":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing(q["file"], [b"a", b"b"])
    if path == "/close-error":
        def gen():
            raise RuntimeError("boom in iteration")
            yield b""
        class C:
            def __iter__(self):
                return gen()
            def close(self):
                with open(q["file"], "a") as f:
                    f.write("closed\n")
        start_response("200 OK", [])
        return C()
    if path == "/stream":
        n = int(q.get("n", "100"))
        def gen():
            try:
                for i in range(n):
                    yield b"x" * 65536
                    time.sleep(float(q.get("s", "0.01")))
            finally:
                with open(q["file"], "a") as f:
                    f.write("stopped\n")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return gen()
    if path == "/errors":
        environ["wsgi.errors"].write("message to wsgi.errors\n")
        print("message from print")
        start_response("200 OK", [])
        return [b""]
    if path == "/title":
        with open("/proc/self/cmdline", "rb") as f:
            cmdline = f.read().decode("utf-8", "replace")
        with open("/proc/self/comm") as f:
            comm = f.read().strip()
        return _json(start_response, {"cmdline": cmdline, "comm": comm, "argv": sys.argv,
                                      "executable": sys.executable})
    if path == "/modwsgi":
        return _json(start_response, {
            "process_group": mod_wsgi.process_group,
            "application_group": mod_wsgi.application_group,
            "maximum_processes": mod_wsgi.maximum_processes,
            "threads_per_process": mod_wsgi.threads_per_process,
            "version": list(mod_wsgi.version),
            "cwd": os.getcwd(), "umask": os.umask(0o022),
            "sys_path": sys.path, "uid": os.getuid(),
            "lang": os.environ.get("LANG"), "pyexe": os.environ.get("PYTHONEXECUTABLE"),
        })
    if path == "/spawn-child":
        import subprocess
        child = subprocess.Popen(["sleep", "60"])
        return _json(start_response, {"child": child.pid})
    if path == "/file":
        f = open(q["file"], "rb")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return environ["wsgi.file_wrapper"](f, 32768)
    if path == "/no-type":
        start_response("200 OK", [])
        return [b"<html><body>sniff me</body></html>"]
    if path == "/hold-gil":
        # A C call that keeps the GIL (PyDLL does not release it), as a
        # stuck C extension would: no other thread of the process runs.
        import ctypes
        ctypes.PyDLL(None).sleep(int(q.get("s", "3")))
        return _json(start_response, {"pid": os.getpid()})
    if path == "/burn":
        # Spend CPU time (not wall time) in pure Python.
        end = time.process_time() + float(q.get("s", "1"))
        n = 0
        while time.process_time() < end:
            n += 1
        return _json(start_response, {"pid": os.getpid(), "loops": n})
    if path == "/alloc":
        # Reserve (calloc: not touch) this many MB, for the rlimit tests.
        block = bytearray(int(q.get("mb", "1")) << 20)
        return _json(start_response, {"pid": os.getpid(), "bytes": len(block)})
    if path == "/grow":
        # Keep (and touch) this many more KB for the life of the process.
        HOARD.append(b"x" * (int(q.get("kb", "64")) << 10))
        return _json(start_response, {"pid": os.getpid(), "kept": len(HOARD)})
    if path == "/long-header":
        n = int(q.get("n", "10"))
        start_response("200 OK", [("Content-Type", "text/plain"), (q.get("name", "X-Long"), "v" * n)])
        if q.get("stream"):
            def gen():
                for _ in range(3):
                    yield b"chunk"
            return gen()
        return [b"ok"]
    if path == "/nice":
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tasks = {}
        for tid in os.listdir("/proc/self/task"):
            with open("/proc/self/task/%s/stat" % tid) as f:
                tasks[tid] = int(f.read().rsplit(")", 1)[1].split()[16])
        return _json(start_response, {"nice": int(fields[16]), "tasks": tasks})
    if path == "/empty":
        start_response("204 No Content", [])
        return []
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such test route: " + path.encode()]


other = application
