package server

import "github.com/appserver/appserver/daemon"

// Request is what routing needs to know about one HTTP request.
type Request struct {
	Method string // "" = GET
	// Target is the request-target as sent: origin-form "/p?q" (not yet
	// decoded or normalised) or absolute-form "http://host/p".
	Target string
	// Host is the Host header; "" = none (HTTP/1.0).
	Host string
	// LocalIP and LocalPort are the address the connection came in on; they
	// choose the candidate vhosts. LocalIP "" means 127.0.0.1.
	LocalIP   string
	LocalPort int
	// HTTPS is true on a TLS listener.
	HTTPS bool
}

// Route is the decision Apache + mod_wsgi would make for a Request.
type Route struct {
	// Status is 200 when a handler will run, else what Apache answers before
	// any handler (400 bad path, 404 encoded slash or no mapping, 403
	// Require all denied, 500 unknown daemon group).
	Status int
	// Reason says why Status is not 200, in the words of Apache's error log.
	Reason string

	VHost *VHost
	// URI is the normalised, decoded path (httpd's r->uri); Query the raw
	// query string.
	URI   string
	Query string

	// Handler is "wsgi", "static", "server-status", "server-metrics" or "none".
	Handler string

	// For Handler "wsgi":
	ProcessGroup      string       // resolved name; "" = embedded (%{GLOBAL})
	Group             *daemon.Spec // nil when ProcessGroup names no group
	ApplicationGroup  string       // as mod_wsgi reports it ("" = %{GLOBAL})
	Script            string       // SCRIPT_FILENAME
	ScriptName        string
	PathInfo          string
	CallableObject    string
	PassAuthorization bool

	// File is the file a "static" handler serves.
	File string

	// Env holds every variable SetEnv, PassEnv and regex captures
	// (MATCH_NAME) add, after mod_env merging.
	Env map[string]string

	// Conf is the merged per-directory config.
	Conf *DirConf
}
