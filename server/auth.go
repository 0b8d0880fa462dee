package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/server/config"
)

// unauthorizedPage is Apache 2.4's built-in 401 page, byte for byte (the
// oracle's auth-basic case compares it).
const unauthorizedPage = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head>
<title>401 Unauthorized</title>
</head><body>
<h1>Unauthorized</h1>
<p>This server could not verify that you
are authorized to access the document
requested.  Either you supplied the wrong
credentials (e.g., bad password), or your
browser doesn't understand how to supply
the credentials required.</p>
</body></html>
`

// writeUnauthorized answers 401 with mod_auth_basic's challenge ("" for
// none) and Apache's page.
func writeUnauthorized(w http.ResponseWriter, r *http.Request, challenge string) {
	h := w.Header()
	if challenge != "" {
		h.Set("WWW-Authenticate", challenge)
	}
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(unauthorizedPage)))
	w.WriteHeader(http.StatusUnauthorized)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(unauthorizedPage))
	}
}

// authHooks runs mod_wsgi's WSGIAuthUserScript, WSGIAuthGroupScript and
// WSGIAccessScript functions for one request in the embedded group's
// process: mod_wsgi runs them in Apache's children (embedded mode), never
// in a daemon, so the embedded group is where the same modules and
// globals live. Made only when the config has such a script.
type authHooks struct {
	f     *Frontend
	gen   *generation
	r     *http.Request
	local string
}

func (h *authHooks) CheckPassword(s *config.HookScript, user, password string) (string, error) {
	hd, err := h.call(s, "check_password", user, password)
	return hd.Get("Result"), err
}

func (h *authHooks) GroupsForUser(s *config.HookScript, user string) ([]string, error) {
	hd, err := h.call(s, "groups_for_user", user)
	return hd.Values("Group"), err
}

func (h *authHooks) AllowAccess(s *config.HookScript, host string) (string, error) {
	hd, err := h.call(s, "allow_access", host)
	return hd.Get("Result"), err
}

func (h *authHooks) call(s *config.HookScript, name string, args ...string) (http.Header, error) {
	g, err := h.f.group(h.gen, "")
	if err != nil {
		return nil, err
	}
	env := h.environ(s)
	for i, a := range args {
		env = append(env, "appserver.hook.arg"+strconv.Itoa(i+1), a)
	}
	// The hook reads no body: the request goes without one.
	r := h.r.WithContext(h.r.Context())
	r.Body, r.ContentLength = http.NoBody, 0
	rec := &hookRecorder{header: http.Header{}}
	g.Serve(rec, r, &daemon.Request{Env: env, Script: s.Path, ApplicationGroup: s.AppGroup, CallableObject: name, Hook: true})
	if rec.status != http.StatusOK {
		return nil, fmt.Errorf("%s of %s failed (%d)", name, s.Path, rec.status)
	}
	return rec.header, nil
}

// environ is what mod_wsgi gives its auth hooks (measured): the CGI
// variables known before the handler (no SCRIPT_NAME/PATH_INFO split here,
// no HTTP_AUTHORIZATION) and mod_wsgi's own keys.
func (h *authHooks) environ(s *config.HookScript) []string {
	r := h.r
	env := make([]string, 0, 32+2*len(r.Header))
	add := func(k, v string) { env = append(env, k, v) }
	for name, values := range r.Header {
		if !validCGIHeaderName(name) || name == "Authorization" || name == "Proxy" ||
			name == "Content-Type" || name == "Content-Length" {
			continue
		}
		add(cgiHeaderKey(name), strings.Join(values, ", "))
	}
	if r.Host != "" {
		add("HTTP_HOST", r.Host)
	}
	remoteHost, remotePort := splitAddr(r.RemoteAddr)
	localHost, localPort := splitAddr(h.local)
	serverName := r.Host
	if host, _, ok := strings.Cut(serverName, ":"); ok && !strings.HasPrefix(serverName, "[") {
		serverName = host
	}
	add("REMOTE_ADDR", remoteHost)
	add("REMOTE_PORT", remotePort)
	add("SERVER_ADDR", localHost)
	add("SERVER_PORT", localPort)
	add("SERVER_NAME", serverName)
	add("SERVER_PROTOCOL", r.Proto)
	add("SERVER_SOFTWARE", serverSoftware)
	add("REQUEST_METHOD", r.Method)
	add("REQUEST_URI", r.RequestURI)
	add("QUERY_STRING", r.URL.RawQuery)
	add("mod_wsgi.application_group", s.AppGroup)
	add("mod_wsgi.process_group", "")
	return env
}

// hookRecorder keeps the head of a hook's answer.
type hookRecorder struct {
	header http.Header
	status int
}

func (w *hookRecorder) Header() http.Header { return w.header }
func (w *hookRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *hookRecorder) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// dnsResolver answers host-name access rules for one request with the
// system resolver (/etc/hosts, then DNS), as httpd's
// ap_get_useragent_host(REMOTE_DOUBLE_REV) does: the client's PTR name
// counts only when its forward lookup gives the client's address back.
// The double reverse answer is looked up once per request. Made only when
// the config has such rules.
type dnsResolver struct {
	ctx  context.Context
	done bool
	name string
	ok   bool
}

// dnsTimeout bounds each lookup: a request waits no longer for a slow DNS.
const dnsTimeout = 10 * time.Second

func (d *dnsResolver) RemoteHost(ip netip.Addr) (string, bool) {
	if d.done {
		return d.name, d.ok
	}
	d.done = true
	ctx, cancel := context.WithTimeout(d.ctx, dnsTimeout)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, ip.String())
	if err != nil || len(names) == 0 {
		return "", false
	}
	name := strings.ToLower(strings.TrimSuffix(names[0], "."))
	if d.resolves(ctx, name, ip) {
		d.name, d.ok = name, true
	}
	return d.name, d.ok
}

func (d *dnsResolver) HasAddr(name string, ip netip.Addr) bool {
	ctx, cancel := context.WithTimeout(d.ctx, dnsTimeout)
	defer cancel()
	return d.resolves(ctx, name, ip)
}

func (d *dnsResolver) resolves(ctx context.Context, name string, ip netip.Addr) bool {
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if a.Unmap() == ip {
			return true
		}
	}
	return false
}
