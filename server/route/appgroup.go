package route

import (
	"os"
	"strconv"
	"strings"
)

// This file expands WSGIProcessGroup, WSGIApplicationGroup and
// WSGICallableObject values per request exactly as mod_wsgi 4.9
// (mod_wsgi.c's wsgi_process_group, wsgi_application_group,
// wsgi_callable_object).

// groupContext is what the expansions read from the request.
type groupContext struct {
	serverName string // r->server->server_hostname
	port       int    // ap_get_server_port(r)
	hostname   string // r->hostname ("" = no Host)
	uri        string // r->uri
	pathInfo   string // r->path_info
	env        map[string]string
}

// withPort appends ":port" unless the port is 80 or 443, as mod_wsgi does
// for %{SERVER}, %{HOST} and %{RESOURCE} (whatever the scheme).
func (g *groupContext) withPort(h string) string {
	if g.port == 80 || g.port == 443 {
		return h
	}
	return h + ":" + strconv.Itoa(g.port)
}

// resource is the %{RESOURCE} name: ServerName[:port]|script name, the
// script name lower-cased with its slash runs collapsed.
func (g *groupContext) resource() string {
	return g.withPort(g.serverName) + "|" + resourceScriptName(g.uri, g.pathInfo)
}

// resourceScriptName is mod_wsgi's wsgi_script_name.
func resourceScriptName(uri, pathInfo string) string {
	sn := uri
	if pathInfo != "" {
		sn = uri[:findPathInfo(uri, pathInfo)]
	}
	return strings.ToLower(noSlashRuns(sn))
}

// host is the %{HOST} name: the request's host, else ServerName.
func (g *groupContext) host() string {
	h := g.hostname
	if h == "" {
		h = g.serverName
	}
	return g.withPort(h)
}

// lookupEnv is mod_wsgi's %{ENV:NAME} lookup: the request environment,
// then the server process environment.
func (g *groupContext) lookupEnv(name string) (string, bool) {
	if v, ok := g.env[name]; ok {
		return v, true
	}
	return os.LookupEnv(name)
}

// envName returns NAME for "%{ENV:NAME}".
func envName(s string) (string, bool) {
	if !strings.HasPrefix(s, "%{ENV:") || !strings.HasSuffix(s, "}") || len(s) < len("%{ENV:}") {
		return "", false
	}
	return s[len("%{ENV:") : len(s)-1], true
}

// expandGroup expands a WSGIProcessGroup or WSGIApplicationGroup value
// (wsgi_process_group and wsgi_application_group differ only in what an
// unset value means, which callers handle). A value that is not one of the
// %{...} forms is a literal name.
func (g *groupContext) expandGroup(s string) string {
	if !strings.HasPrefix(s, "%") {
		return s
	}
	switch s {
	case "%{GLOBAL}":
		return ""
	case "%{RESOURCE}":
		return g.resource()
	case "%{SERVER}":
		return g.withPort(g.serverName)
	case "%{HOST}":
		return g.host()
	}
	if name, ok := envName(s); ok {
		if v, ok := g.lookupEnv(name); ok {
			// A value naming another %{...} form is expanded once more,
			// but not another %{ENV:...}.
			if strings.HasPrefix(v, "%") && !strings.HasPrefix(v, "%{ENV:") {
				return g.expandGroup(v)
			}
			return v
		}
	}
	// Unknown forms and unset variables stay literal, which for a process
	// group then names no daemon.
	return s
}

// callableObject expands a WSGICallableObject value: %{ENV:NAME} falls back
// to "application" when NAME is unset, and so does any other %-form.
func (g *groupContext) callableObject(s string) string {
	if !strings.HasPrefix(s, "%") {
		return s
	}
	if name, ok := envName(s); ok {
		if v, ok := g.lookupEnv(name); ok {
			return v
		}
	}
	return "application"
}
