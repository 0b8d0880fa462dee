# mod_wsgi auth hooks for TestAuthHooks.
def check_password(environ, user, password):
    if user == "exc":
        raise RuntimeError("boom")
    if user == "none":
        return None
    if user == "rename":
        return "renamed"
    if user == "num":
        return 1
    return password == "good" and environ.get("REQUEST_URI") == "/x"


def groups_for_user(environ, user):
    if user == "none":
        return None
    return {"alice": ["admins", b"staff"]}.get(user, [])


def allow_access(environ, host):
    return {"192.0.2.1": True, "192.0.2.2": False}.get(host)
