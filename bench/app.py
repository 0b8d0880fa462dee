"""The side-by-side benchmark's WSGI app: one route per workload.

Standard library only, so that appserver, Apache + mod_wsgi, gunicorn and
uWSGI all serve this same file under /usr/bin/python3.

  /hello    12 bytes of text
  /json     a 1 KB JSON document, serialised per request (as a view would)
  /100k     100 KB of bytes, prebuilt, in one write
  /upload   reads the request body to the end and answers its length
  /sleep    sleeps 100 ms (an I/O-bound view: a database or an API call)
"""

import json
import time

HELLO = b"Hello world!"
BLOB = bytes(range(256)) * 400  # 102400 bytes

# About 1 KB once serialised (tests in bench/ check the size).
DOC = {
    "id": 12345,
    "title": "Not all URLs are equal",
    "tags": ["wsgi", "apache", "performance", "daemon", "groups"],
    "author": {"name": "A. Writer", "email": "writer@example.org"},
    "items": [{"n": i, "name": "item %d" % i, "price": 1.25 * i, "ok": i % 2 == 0}
              for i in range(15)],
}
READ_CHUNK = 64 * 1024


def _answer(start_response, body, ctype="text/plain"):
    start_response("200 OK", [("Content-Type", ctype),
                              ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/hello":
        return _answer(start_response, HELLO)
    if path == "/json":
        return _answer(start_response, json.dumps(DOC).encode(), "application/json")
    if path == "/100k":
        return _answer(start_response, BLOB, "application/octet-stream")
    if path == "/upload":
        stream = environ["wsgi.input"]
        left = int(environ.get("CONTENT_LENGTH") or 0)
        total = 0
        while left > 0:
            chunk = stream.read(min(left, READ_CHUNK))
            if not chunk:
                break
            total += len(chunk)
            left -= len(chunk)
        return _answer(start_response, b"%d" % total)
    if path == "/sleep":
        time.sleep(0.1)
        return _answer(start_response, b"slept 100 ms")
    start_response("404 Not Found", [("Content-Type", "text/plain"),
                                     ("Content-Length", "9")])
    return [b"not found"]
