package server

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appserver/appserver/server/route"
)

// serverSoftware is SERVER_SOFTWARE. Apps that sniff for mod_wsgi look at
// mod_wsgi.version, which the worker sets, not at this string.
const serverSoftware = "appserver/0.1 (mod_wsgi-compatible)"

// envInput is what a request's WSGI environ is built from.
type envInput struct {
	r          *http.Request
	route      *route.Route
	requestID  string
	start      time.Time // when the request was read (mod_wsgi.request_start)
	queueStart time.Time // when it was handed to the group (mod_wsgi.queue_start)
	https      bool
	docRoot    string
	admin      string // ServerAdmin
	reloading  bool
	local      string // the connection's local address ("" = look it up)
}

// buildEnv returns the CGI and mod_wsgi.* variables as key, value pairs, as
// Apache's ap_add_common_vars/ap_add_cgi_vars and mod_wsgi's daemon request
// setup build them. The worker adds wsgi.* and the per-thread mod_wsgi keys.
func buildEnv(in envInput) []string {
	r, rt := in.r, in.route
	env := (*envPool.Get().(*[]string))[:0]
	add := func(k, v string) { env = append(env, k, v) }

	for name, values := range r.Header {
		if !validCGIHeaderName(name) {
			continue // Apache drops names with anything but alphanumerics and '-'
		}
		switch name {
		case "Content-Type", "Content-Length":
			continue // CONTENT_TYPE/CONTENT_LENGTH below
		case "Authorization":
			if !rt.PassAuthorization {
				continue
			}
		case "Proxy":
			continue // httpoxy: Apache never passes HTTP_PROXY
		}
		v := ""
		if len(values) == 1 {
			v = values[0] // the common case: no join, no allocation
		} else {
			v = strings.Join(values, ", ")
		}
		add(cgiHeaderKey(name), v)
	}
	if r.Host != "" {
		add("HTTP_HOST", r.Host)
	}
	if len(r.TransferEncoding) > 0 {
		// net/http moves Transfer-Encoding out of the header map; Apache
		// passes it on like any other header.
		add("HTTP_TRANSFER_ENCODING", strings.Join(r.TransferEncoding, ", "))
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		add("CONTENT_TYPE", ct)
	}
	if r.ContentLength >= 0 && !(r.ContentLength == 0 && r.Body == http.NoBody && r.Header.Get("Content-Length") == "") {
		add("CONTENT_LENGTH", strconv.FormatInt(r.ContentLength, 10))
	}

	local := in.local
	if local == "" {
		local = localAddrOf(r)
	}
	localHost, localPort := splitAddr(local)
	remoteHost, remotePort := splitAddr(r.RemoteAddr)
	scheme := "http"
	if in.https {
		scheme = "https"
		add("HTTPS", "on")
	}
	add("SERVER_SIGNATURE", "")
	add("SERVER_SOFTWARE", serverSoftware)
	add("SERVER_NAME", rt.ServerName)
	add("SERVER_ADDR", localHost)
	add("SERVER_PORT", strconv.Itoa(rt.ServerPort))
	add("REMOTE_ADDR", remoteHost)
	add("DOCUMENT_ROOT", in.docRoot)
	add("REQUEST_SCHEME", scheme)
	add("CONTEXT_PREFIX", "")
	add("CONTEXT_DOCUMENT_ROOT", in.docRoot)
	admin := in.admin
	if admin == "" {
		admin = "[no address given]" // httpd's text when ServerAdmin is not set
	}
	add("SERVER_ADMIN", admin)
	add("SCRIPT_FILENAME", rt.Script)
	add("REMOTE_PORT", remotePort)
	if rt.RemoteHost != "" {
		add("REMOTE_HOST", rt.RemoteHost)
	}
	if rt.AuthType != "" {
		// ap_add_common_vars, once mod_auth_basic authenticated the user.
		add("REMOTE_USER", rt.User)
		add("AUTH_TYPE", rt.AuthType)
	}
	add("GATEWAY_INTERFACE", "CGI/1.1")
	add("SERVER_PROTOCOL", r.Proto)
	add("REQUEST_METHOD", r.Method)
	add("QUERY_STRING", rt.Query)
	add("REQUEST_URI", r.RequestURI)
	add("SCRIPT_NAME", rt.ScriptName)
	add("PATH_INFO", rt.PathInfo) // mod_wsgi sets it even when empty
	if pt := rt.PathTranslated(); pt != "" {
		add("PATH_TRANSLATED", pt)
	}
	for k, v := range rt.Env {
		add(k, v)
	}

	flag := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	conf := rt.Conf
	add("mod_wsgi.process_group", rt.ProcessGroup)
	add("mod_wsgi.application_group", rt.ApplicationGroup)
	add("mod_wsgi.callable_object", rt.CallableObject)
	add("mod_wsgi.request_handler", "wsgi-script")
	add("mod_wsgi.handler_script", "")
	add("mod_wsgi.script_reloading", flag(in.reloading))
	add("mod_wsgi.enable_sendfile", flag(conf != nil && conf.EnableSendfile != nil && *conf.EnableSendfile))
	add("mod_wsgi.ignore_activity", flag(conf != nil && conf.IgnoreActivity != nil && *conf.IgnoreActivity))
	add("mod_wsgi.listener_host", localHost)
	add("mod_wsgi.listener_port", localPort)
	add("mod_wsgi.request_start", micros(in.start))
	add("mod_wsgi.request_id", in.requestID)
	if rt.ProcessGroup != "" {
		// Only daemon mode has these; mod_wsgi's embedded mode (the ""
		// group, which appserver runs as a group of its own) does not.
		add("mod_wsgi.queue_start", micros(in.queueStart))
		add("mod_wsgi.daemon_connects", "1")
		add("mod_wsgi.daemon_restarts", "0")
	}
	add("mod_wsgi.script_name", rt.ScriptName)
	add("mod_wsgi.path_info", rt.PathInfo)
	return env
}

func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func localAddrOf(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		return a.String()
	}
	return ""
}

func splitAddr(hostport string) (host, port string) {
	h, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport, ""
	}
	return h, p
}

func validCGIHeaderName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return name != ""
}

// envPool recycles environ slices once the group has encoded them into its
// request frame (see putEnv).
var envPool = sync.Pool{New: func() any { s := make([]string, 0, 96); return &s }}

// putEnv returns an environ slice from buildEnv for reuse. The strings it
// held must no longer be needed by anyone but the pool's next user.
func putEnv(env []string) {
	if cap(env) > 512 {
		return // an unusual request: do not keep its big slice around
	}
	clear(env[:cap(env)])
	env = env[:0]
	envPool.Put(&env)
}

// commonCGIKeys caches the HTTP_* names of the headers most requests carry,
// so they cost no allocation per request.
var commonCGIKeys = func() map[string]string {
	m := map[string]string{}
	for _, h := range []string{"Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language",
		"Authorization", "Cache-Control", "Connection", "Cookie", "Dnt", "If-Match",
		"If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Keep-Alive",
		"Origin", "Pragma", "Priority", "Range", "Referer", "Sec-Ch-Ua", "Sec-Ch-Ua-Mobile",
		"Sec-Ch-Ua-Platform", "Sec-Fetch-Dest", "Sec-Fetch-Mode", "Sec-Fetch-Site", "Sec-Fetch-User",
		"Te", "Upgrade", "Upgrade-Insecure-Requests", "User-Agent", "Via", "X-Csrftoken",
		"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-Ip", "X-Request-Id",
		"X-Requested-With"} {
		m[h] = makeCGIHeaderKey(h)
	}
	return m
}()

// cgiHeaderKey turns a header name into its HTTP_* variable name.
func cgiHeaderKey(name string) string {
	if k, ok := commonCGIKeys[name]; ok {
		return k
	}
	return makeCGIHeaderKey(name)
}

func makeCGIHeaderKey(name string) string {
	b := make([]byte, 5+len(name))
	copy(b, "HTTP_")
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
			c = '_'
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		b[5+i] = c
	}
	return string(b)
}
