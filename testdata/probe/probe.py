"""Probe WSGI application for appserver's differential tests.

It reports what the server decided for a request: the mod_wsgi daemon group
and interpreter, the SCRIPT_NAME/PATH_INFO split, and every environ key that a
config directive (SetEnv, PassEnv, SetEnvIf, regex captures) added. It uses
the standard library only and reads nothing server-specific beyond environ, so
real Apache + mod_wsgi and appserver can serve the very same file.

Answers: a JSON object for every path. `?full=1`, or a request header
`X-Probe-Full: 1` (which leaves QUERY_STRING alone), also returns the whole
environ. The request body is read to the end and reported as "input_length".
A path ending in "hello" answers a plain "Hello world!" so the probe doubles as
a trivial benchmark app. `?size=N` answers N bytes of "x" instead of JSON, so
the probe can also serve a large download. `?status=NNN` answers with that
status, `?type=TYPE` with that Content-Type, and each `?header=Name:value`
adds a response header (values percent-decoded), for the cases that test what
the server does to an application's response.
"""

import json
import os
import threading
from http import HTTPStatus
from urllib.parse import unquote

# Keys any CGI/WSGI gateway sets by itself (RFC 3875 meta-variables plus the
# ones Apache's ap_add_common_vars/ap_add_cgi_vars always add). They say
# nothing about the config, so they are left out of "env".
SERVER_KEYS = frozenset("""
    AUTH_TYPE CONTENT_LENGTH CONTENT_TYPE GATEWAY_INTERFACE PATH_INFO
    PATH_TRANSLATED QUERY_STRING REMOTE_ADDR REMOTE_HOST REMOTE_IDENT
    REMOTE_USER REQUEST_METHOD SCRIPT_NAME SERVER_NAME SERVER_PORT
    SERVER_PROTOCOL SERVER_SOFTWARE
    REQUEST_URI REQUEST_SCHEME REMOTE_PORT SERVER_ADDR SERVER_ADMIN
    SERVER_SIGNATURE DOCUMENT_ROOT CONTEXT_PREFIX CONTEXT_DOCUMENT_ROOT
    SCRIPT_FILENAME SCRIPT_URI SCRIPT_URL PATH HTTPS UNIQUE_ID
""".split())

# Namespaces owned by the gateway: request headers, PEP 3333, mod_wsgi and
# Apache internals (REDIRECT_* after an internal redirect, SSL_* from
# mod_ssl), appserver's own extras.
SERVER_PREFIXES = ("HTTP_", "wsgi.", "mod_wsgi.", "apache.", "appserver.", "REDIRECT_", "SSL_")

_lock = threading.Lock()
_served = 0


def _text(value):
    """JSON-safe form of an environ value (they are str, a few are ints or tuples)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, tuple) and all(isinstance(v, (str, int)) for v in value):
        return list(value)
    return repr(value)


def _proc(name):
    """Contents of /proc/self/NAME with NULs as spaces ('' where there is no /proc)."""
    try:
        with open("/proc/self/" + name, "rb") as f:
            raw = f.read()
    except OSError:
        return ""
    # display-name= rewrites argv in place and pads it with NULs or spaces.
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def _query(environ):
    pairs = {}
    for item in environ.get("QUERY_STRING", "").split("&"):
        key, sep, value = item.partition("=")
        if sep:
            pairs[key] = value
    return pairs


def _input_length(environ):
    """Reads wsgi.input to the end: the length of the body the server passed on."""
    stream = environ.get("wsgi.input")
    total = 0
    while stream is not None:
        chunk = stream.read(65536)
        if not chunk:
            break
        total += len(chunk)
    return total


def report(environ):
    global _served
    with _lock:
        _served += 1
        served = _served
    added = {
        key: _text(value)
        for key, value in environ.items()
        if key not in SERVER_KEYS and not key.startswith(SERVER_PREFIXES)
    }
    out = {
        "mod_wsgi.process_group": environ.get("mod_wsgi.process_group"),
        "mod_wsgi.application_group": environ.get("mod_wsgi.application_group"),
        "SCRIPT_NAME": environ.get("SCRIPT_NAME"),
        "PATH_INFO": environ.get("PATH_INFO"),
        "REQUEST_URI": environ.get("REQUEST_URI"),
        "QUERY_STRING": environ.get("QUERY_STRING"),
        "REQUEST_METHOD": environ.get("REQUEST_METHOD"),
        "SCRIPT_FILENAME": environ.get("SCRIPT_FILENAME"),
        "wsgi.multithread": environ.get("wsgi.multithread"),
        "wsgi.multiprocess": environ.get("wsgi.multiprocess"),
        "wsgi.run_once": environ.get("wsgi.run_once"),
        "input_length": _input_length(environ),
        "env": dict(sorted(added.items())),
        "pid": os.getpid(),
        "cmdline": _proc("cmdline"),
        "comm": _proc("comm"),
        "served": served,
    }
    if _query(environ).get("full") == "1" or environ.get("HTTP_X_PROBE_FULL") == "1":
        out["environ"] = {key: _text(value) for key, value in sorted(environ.items())}
    return out


def _download(start_response, size):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(size))])
    block = b"x" * 65536
    while size > 0:
        n = min(size, len(block))
        yield block[:n]
        size -= n


def _query_all(environ, name):
    """Every value of query parameter NAME, percent-decoded."""
    out = []
    for item in environ.get("QUERY_STRING", "").split("&"):
        key, sep, value = item.partition("=")
        if sep and key == name:
            out.append(unquote(value))
    return out


def _status_line(code):
    try:
        return "%d %s" % (code, HTTPStatus(code).phrase)
    except ValueError:
        return "%d Probe Status" % code


def application(environ, start_response):
    query = _query(environ)
    size = query.get("size", "")
    if size.isdigit():
        return _download(start_response, int(size))
    if (environ.get("PATH_INFO") or "").endswith("hello"):
        body = b"Hello world!"
        content_type = "text/plain"
    else:
        body = (json.dumps(report(environ), indent=1) + "\n").encode("utf-8")
        content_type = "application/json"
    status = query.get("status", "")
    status = _status_line(int(status)) if status.isdigit() else "200 OK"
    types = _query_all(environ, "type")
    headers = [("Content-Type", types[-1] if types else content_type),
               ("Content-Length", str(len(body)))]
    for header in _query_all(environ, "header"):
        name, sep, value = header.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    start_response(status, headers)
    return [body]
