package server

import (
	"log/slog"
	"net/http"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/expr"
	"github.com/appserver/appserver/server/route"
)

// mod_headers, in Apache's order: RequestHeader ... early (post-read-
// request), the SetEnvIf rules and SetEnv (already in Route.Env, see
// route/setenvif.go), RequestHeader (the last fixup, before the environ is
// built), the handler, then Header's two tables on the way out
// (headersWriter).

// reqHeaders is the per-request state of mod_headers. It exists only for
// requests whose config has Header or RequestHeader entries
// (reqHeadersFor), so that other requests pay nothing.
type reqHeaders struct {
	r     *http.Request
	rt    *route.Route
	start time.Time
	log   *slog.Logger
	// cgiEnv is the WSGI environ (key, value pairs) while the group serves
	// the request; nil otherwise.
	cgiEnv []string
	// out is the response header once the handler wrote it, for resp().
	out    http.Header
	status int
}

// reqHeadersFor returns the state for a request, or nil when mod_headers
// has nothing to do for it.
func reqHeadersFor(r *http.Request, rt *route.Route, start time.Time, log *slog.Logger) *reqHeaders {
	conf := headersConf(rt)
	if conf == nil || len(conf.RequestHeaders)+len(conf.HeadersOnSuccess)+len(conf.HeadersAlways) == 0 {
		return nil
	}
	return &reqHeaders{r: r, rt: rt, start: start, log: log}
}

// headersConf is the per-directory config mod_headers sees: the merged
// one, or the server's for a request refused before the merge (a 400).
func headersConf(rt *route.Route) *config.DirConf {
	if rt.Conf != nil {
		return rt.Conf
	}
	if rt.VHost != nil {
		return rt.VHost.Defaults
	}
	return nil
}

// requestPhase runs RequestHeader: the server's early entries, then (for
// a request that reaches its handler) the merged ones. It changes r.Header
// (and r.Host) in place, as mod_headers changes headers_in; the access log
// sees the result, as Apache's does.
func (h *reqHeaders) requestPhase() {
	if v := h.rt.VHost; v != nil && v.Defaults != nil && len(v.Defaults.RequestHeaders) > 0 {
		h.editRequest(v.Defaults.RequestHeaders, true)
	}
	if conf := headersConf(h.rt); h.rt.Status == http.StatusOK && len(conf.RequestHeaders) > 0 {
		h.editRequest(conf.RequestHeaders, false)
	}
}

func (h *reqHeaders) editRequest(ops []*config.HeaderOp, early bool) {
	r := h.r
	hostOp := false
	for _, op := range ops {
		hostOp = hostOp || strings.EqualFold(op.Name, "Host")
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	if hostOp && r.Host != "" {
		r.Header["Host"] = []string{r.Host}
	}
	h.apply(ops, r.Header, early)
	if hostOp {
		r.Host = r.Header.Get("Host")
		delete(r.Header, "Host")
	}
}

// envGet is the request's environment table (SetEnv, SetEnvIf), and while
// a WSGI application answers, the CGI variables of its environ: mod_wsgi
// adds them to Apache's table, where Header's env= and %{VAR}e see them.
func (h *reqHeaders) envGet(name string) (string, bool) {
	if v, ok := h.rt.Env[name]; ok {
		return v, true
	}
	if strings.HasPrefix(name, "mod_wsgi.") {
		return "", false
	}
	for i := 0; i+1 < len(h.cgiEnv); i += 2 {
		if h.cgiEnv[i] == name {
			return h.cgiEnv[i+1], true
		}
	}
	return "", false
}

// --- mod_headers ---

// apply runs one mod_headers table over hdr (do_headers_fixup): only the
// early entries when early is set, else only the others.
func (h *reqHeaders) apply(ops []*config.HeaderOp, hdr http.Header, early bool) {
	for _, op := range ops {
		if op.Early != early {
			continue
		}
		if op.If != nil {
			// An <If> whose expression fails to evaluate does not apply.
			if ok, err := op.If.Eval(h); err != nil || !ok {
				continue
			}
		}
		switch {
		case op.Cond != nil:
			ok, err := op.Cond.Eval(h)
			if err != nil {
				// Apache logs and applies the entry anyway (AH01501).
				h.log.Error("Failed to evaluate expression ("+err.Error()+") - ignoring", "expr", op.Cond.Source())
			} else if !ok {
				continue
			}
		case op.Env != "" && !early:
			if _, set := h.envGet(op.Env); set == op.EnvNot {
				continue
			}
		}
		h.applyOne(op, hdr)
	}
}

func (h *reqHeaders) applyOne(op *config.HeaderOp, hdr http.Header) {
	if op.Name == "" && op.Action != config.HeaderEcho {
		return // "Header unset" with no name: nothing to change, nothing to send
	}
	key := textproto.CanonicalMIMEHeaderKey(op.Name)
	switch op.Action {
	case config.HeaderAdd:
		hdr[key] = append(hdr[key], h.value(op))
	case config.HeaderSet:
		hdr[key] = []string{h.value(op)}
	case config.HeaderSetIfEmpty:
		if len(hdr[key]) == 0 {
			hdr[key] = []string{h.value(op)}
		}
	case config.HeaderAppend:
		appendValue(hdr, key, h.value(op))
	case config.HeaderMerge:
		v := h.value(op)
		if vs := hdr[key]; len(vs) == 0 || !hasToken(vs[0], v) {
			appendValue(hdr, key, v)
		}
	case config.HeaderUnset:
		delete(hdr, key)
	case config.HeaderEcho:
		names := make([]string, 0, len(h.r.Header))
		for k := range h.r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if op.Regex.MatchString(k) {
				hdr[k] = append(hdr[k], h.requestHeader(k))
			}
		}
	case config.HeaderEdit, config.HeaderEditAll:
		vs := hdr[key]
		for i, v := range vs {
			vs[i] = editValue(op, v)
		}
	case config.HeaderNote:
		// Request notes are not kept by appserver (nothing reads them).
	}
}

// appendValue is apr_table_mergen: the first value of key gets ", v".
func appendValue(hdr http.Header, key, v string) {
	if vs := hdr[key]; len(vs) > 0 {
		vs[0] += ", " + v
		return
	}
	hdr[key] = []string{v}
}

// hasToken reports whether the comma-separated list val has tok as one of
// its elements, quoted strings kept whole (mod_headers' merge).
func hasToken(val, tok string) bool {
	for i := 0; i < len(val); {
		for i < len(val) && (val[i] == ' ' || val[i] == '\t') {
			i++
		}
		start := i
		for i < len(val) && val[i] != ',' {
			if val[i] == '"' {
				i++
				for i < len(val) && val[i] != '"' {
					i++
				}
			}
			if i < len(val) {
				i++
			}
		}
		if val[start:i] == tok {
			return true
		}
		i++
	}
	return false
}

// editValue replaces the first (edit) or every (edit*) match of op's
// regex. edit* matches again in the rest of the value, as Apache's
// process_regexp recursion does (so an anchored pattern matches again).
func editValue(op *config.HeaderOp, v string) string {
	m := op.Regex.FindSubmatchIndex(v)
	if m == nil {
		return v
	}
	head := v[:m[0]] + config.Pregsub(op.Subs, config.Submatches(v, m))
	rest := v[m[1]:]
	switch {
	case op.Action == config.HeaderEdit:
		return head + rest
	case m[1] == m[0]: // an empty match: step over one byte
		if rest == "" {
			return head
		}
		return head + rest[:1] + editValue(op, rest[1:])
	}
	return head + editValue(op, rest)
}

// value formats op's value for this request.
func (h *reqHeaders) value(op *config.HeaderOp) string {
	if op.ValueExpr != nil {
		s, err := op.ValueExpr.Eval(h)
		if err != nil {
			h.log.Error("Failed to evaluate value expression", "expr", op.ValueExpr.Source(), "error", err)
		}
		return s
	}
	if len(op.Value) == 1 && op.Value[0].Tag == 0 {
		return op.Value[0].Text
	}
	var b strings.Builder
	for _, f := range op.Value {
		switch f.Tag {
		case 0:
			b.WriteString(f.Text)
		case 't':
			b.WriteString("t=" + strconv.FormatInt(h.start.UnixMicro(), 10))
		case 'D':
			b.WriteString("D=" + strconv.FormatInt(time.Since(h.start).Microseconds(), 10))
		case 'e':
			if v, ok := h.envGet(f.Text); ok {
				b.WriteString(unwrap.Replace(v))
			} else {
				b.WriteString("(null)")
			}
		case 's':
			b.WriteString(h.sslVar(f.Text))
		}
	}
	return b.String()
}

// sslVar is %{NAME}s: mod_ssl's ssl_var_lookup, which also answers the
// request variables (HTTP_*, HTTP:Name, ENV:x, TIME_*, REQUEST_URI, ...);
// "(null)" when empty. appserver has no SSL_* values (always "(null)").
func (h *reqHeaders) sslVar(name string) string {
	up := strings.ToUpper(name)
	v := ""
	switch {
	case strings.HasPrefix(up, "SSL_"), up == "REMOTE_USER", up == "AUTH_TYPE", up == "REMOTE_IDENT":
	case strings.HasPrefix(up, "HTTP:"):
		v = h.requestHeader(name[5:])
	case strings.HasPrefix(up, "ENV:"):
		v, _ = h.envGet(name[4:])
	case strings.HasPrefix(up, "TIME"):
		v = expr.TimeVar(up, time.Now())
	case strings.HasPrefix(up, "HTTP_"):
		if k := sslHeaderVars[up]; k != "" {
			v = h.requestHeader(k)
		}
	default:
		v = h.Var(up)
	}
	if v == "" {
		return "(null)"
	}
	return unwrap.Replace(v)
}

// unwrap turns line breaks into spaces, as mod_headers' unwrap_header.
var unwrap = strings.NewReplacer("\r", " ", "\n", " ")

// sslHeaderVars are the HTTP_* names ssl_var_lookup knows.
var sslHeaderVars = map[string]string{"HTTP_USER_AGENT": "User-Agent", "HTTP_REFERER": "Referer",
	"HTTP_COOKIE": "Cookie", "HTTP_FORWARDED": "Forwarded", "HTTP_HOST": "Host",
	"HTTP_PROXY_CONNECTION": "Proxy-Connection", "HTTP_ACCEPT": "Accept"}

// --- expr.Context ---

func (h *reqHeaders) requestHeader(name string) string {
	v, _ := h.requestHeaderOK(name)
	return v
}

func (h *reqHeaders) requestHeaderOK(name string) (string, bool) {
	return route.HeaderValue(h.r.Header, h.r.Host, name)
}

func (h *reqHeaders) RequestHeader(name string) string { return h.requestHeader(name) }

func (h *reqHeaders) ResponseHeader(name string) string {
	if h.out == nil {
		return ""
	}
	return strings.Join(h.out.Values(name), ", ")
}

func (h *reqHeaders) Env(name string) (string, bool) { return h.envGet(name) }

func (h *reqHeaders) Var(name string) string {
	r, rt := h.r, h.rt
	switch name {
	case "REQUEST_METHOD":
		return r.Method
	case "REQUEST_SCHEME":
		if r.TLS != nil {
			return "https"
		}
		return "http"
	case "REQUEST_URI", "DOCUMENT_URI":
		return rt.URI
	case "QUERY_STRING":
		return rt.Query
	case "THE_REQUEST":
		return r.Method + " " + r.RequestURI + " " + r.Proto
	case "SERVER_PROTOCOL":
		return r.Proto
	case "HTTPS":
		if r.TLS != nil {
			return "on"
		}
		return "off"
	case "IPV6":
		if ip, _ := splitAddr(r.RemoteAddr); strings.Contains(ip, ":") {
			return "on"
		}
		return "off"
	case "REMOTE_ADDR", "REMOTE_HOST", "CONN_REMOTE_ADDR":
		ip, _ := splitAddr(r.RemoteAddr)
		return ip
	case "REMOTE_PORT":
		_, p := splitAddr(r.RemoteAddr)
		return p
	case "SERVER_NAME":
		return rt.ServerName
	case "SERVER_PORT":
		return strconv.Itoa(rt.ServerPort)
	case "SCRIPT_FILENAME", "REQUEST_FILENAME":
		if rt.Script != "" {
			return rt.Script
		}
		return rt.File
	case "PATH_INFO":
		return rt.PathInfo
	case "CONTENT_TYPE":
		if h.out != nil {
			return h.out.Get("Content-Type")
		}
	case "REQUEST_STATUS":
		if h.status != 0 {
			return strconv.Itoa(h.status)
		}
		return strconv.Itoa(rt.Status)
	case "IS_SUBREQ":
		return "false"
	case "SERVER_SOFTWARE":
		return serverSoftware
	case "CONTEXT_PREFIX":
		return ""
	}
	return ""
}

var _ expr.Context = (*reqHeaders)(nil)

// --- the way out ---

// headersWriter applies Header's tables when the response header is
// written: the onsuccess table to the handler's headers (headers_out), the
// always table to a table of its own (err_headers_out) sent before them.
// For an error page appserver writes itself (Apache's core error
// response) only the always table runs.
type headersWriter struct {
	http.ResponseWriter
	h         *reqHeaders
	onSuccess []*config.HeaderOp
	always    []*config.HeaderOp
	done      bool
	coreError bool
}

// newHeadersWriter wraps w when the request's config has Header entries.
func newHeadersWriter(w http.ResponseWriter, h *reqHeaders) http.ResponseWriter {
	conf := headersConf(h.rt)
	if conf == nil || len(conf.HeadersOnSuccess)+len(conf.HeadersAlways) == 0 {
		return w
	}
	return &headersWriter{ResponseWriter: w, h: h, onSuccess: conf.HeadersOnSuccess, always: conf.HeadersAlways}
}

// markCoreError tells the mod_headers writer under w, if any, that the
// response is the core's error page.
func markCoreError(w http.ResponseWriter) {
	for w != nil {
		if m, ok := w.(interface{ markErrorPage() }); ok {
			m.markErrorPage()
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// markErrorPage is called by writeError: the response is the core's error
// page, which Apache sends through the error filter only.
func (w *headersWriter) markErrorPage() { w.coreError = true }

func (w *headersWriter) fixup(code int) {
	if w.done || code < 200 {
		return
	}
	w.done = true
	hdr := w.ResponseWriter.Header()
	w.h.out, w.h.status = hdr, code
	// The server's and vhost's "early" entries ran in post-read-request,
	// on tables the handler adds to later: theirs come first.
	var earlyOn, earlyAl []*config.HeaderOp
	if v := w.h.rt.VHost; v != nil && v.Defaults != nil {
		earlyOn, earlyAl = v.Defaults.HeadersOnSuccess, v.Defaults.HeadersAlways
	}
	if !w.coreError { // Apache's core error response drops headers_out
		if len(earlyOn) > 0 {
			pre := http.Header{}
			w.h.apply(earlyOn, pre, true)
			prepend(hdr, pre)
		}
		w.h.apply(w.onSuccess, hdr, false)
	}
	if len(w.always) > 0 {
		errs := http.Header{}
		w.h.apply(earlyAl, errs, true)
		w.h.apply(w.always, errs, false)
		prepend(hdr, errs)
	}
}

// prepend puts pre's values before hdr's.
func prepend(hdr, pre http.Header) {
	for k, vs := range pre {
		hdr[k] = append(vs, hdr[k]...)
	}
}

func (w *headersWriter) WriteHeader(code int) {
	w.fixup(code)
	w.ResponseWriter.WriteHeader(code)
}

func (w *headersWriter) WriteHeaderReason(code int, reason string) {
	w.fixup(code)
	if rw, ok := w.ResponseWriter.(interface{ WriteHeaderReason(int, string) }); ok {
		rw.WriteHeaderReason(code, reason)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *headersWriter) Write(p []byte) (int, error) {
	if !w.done {
		w.fixup(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *headersWriter) Flush() {
	if !w.done {
		w.fixup(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *headersWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
