# A WSGI script for the golden configs; only its existence matters here.
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]
