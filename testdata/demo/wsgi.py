"""Demo site for appserver: the shape of the 'not all URLs are equal' post.

  /                          home page (hot; served by the "volume" group)
  /publications/article/N    article pages (hot; "volume")
  /admin, /admin/report      admin pages: a report builds ~200 MB of Python
                             objects for one request ("admin" group, which
                             recycles after 20 requests or 30 s idle)
  anything else              a plain page ("main" group)

Standard library only. Each page says which daemon process group and process
served it, and that process's current and peak memory.
"""

import html
import os
import time

_CACHE = []  # what a real admin view tends to leave behind


def _mem_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _page(environ, title, body):
    group = environ.get("mod_wsgi.process_group", "")
    info = "group %s, pid %d, RSS %d MB (peak %d MB), app name %s" % (
        group or "(embedded)", os.getpid(), _mem_kb("VmRSS") // 1024,
        _mem_kb("VmHWM") // 1024, environ.get("newrelic.app_name", "-"))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>%s</title></head>"
            "<body><h1>%s</h1>%s<hr><p><small>%s</small></p>"
            "<p><a href='/'>home</a> · <a href='/publications/article/1'>article 1</a> · "
            "<a href='/admin/'>admin</a> · <a href='/admin/report'>admin report (200 MB)</a> · "
            "<a href='/about'>about</a></p></body></html>"
            % (html.escape(title), html.escape(title), body, html.escape(info))).encode("utf-8")


def _admin_report():
    # Many small objects, as an ORM query over a big table makes: roughly
    # 200 MB while the report runs. Keeping a sliver of them pins arenas, so
    # the process stays large afterwards: the reason to recycle this group.
    started = time.monotonic()
    rows = [{"id": i, "name": "row %d" % i, "total": i * 3} for i in range(700_000)]
    peak = _mem_kb("VmRSS") // 1024
    total = sum(r["total"] for r in rows)
    _CACHE.extend(rows[::5000])
    del rows
    return ("<p>Report over 700,000 rows: total %d. Peak RSS during the report: %d MB; "
            "took %.2f s.</p>" % (total, peak, time.monotonic() - started))


def application(environ, start_response):
    path = environ.get("PATH_INFO", "") or "/"
    status = "200 OK"
    if path == "/":
        body = _page(environ, "Home", "<p>Welcome. The home page is one of the hot URLs.</p>")
    elif path.startswith("/publications/article/"):
        ident = path.rsplit("/", 1)[-1] or "index"
        body = _page(environ, "Article %s" % ident, "<p>" + "Lorem ipsum dolor sit amet. " * 40 + "</p>")
    elif path.rstrip("/") == "/admin/report":
        body = _page(environ, "Admin report", _admin_report())
    elif path.startswith("/admin"):
        body = _page(environ, "Admin", "<p>Site administration.</p>")
    else:
        body = _page(environ, path, "<p>An ordinary page.</p>")
    start_response(status, [("Content-Type", "text/html; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]
