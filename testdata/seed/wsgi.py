# A minimal WSGI application for the seed configs: it answers with the
# process group and application group mod_wsgi (or appserver) chose.
def application(environ, start_response):
    body = "group=%s app=%s\n" % (
        environ.get("mod_wsgi.process_group", ""),
        environ.get("mod_wsgi.application_group", ""),
    )
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode("utf-8")]
