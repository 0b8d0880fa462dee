# Records when it was imported, so tests can tell preloading from lazy
# loading.
import os
import time

IMPORTED_AT = time.time()


def application(environ, start_response):
    body = ("%d %d %s" % (int(IMPORTED_AT * 1000000), os.getpid(),
                          environ["mod_wsgi.daemon_start"])).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
