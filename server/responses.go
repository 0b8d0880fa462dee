package server

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"html"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// The response side of ErrorDocument, mod_expires, mod_deflate (with
// mod_filter's AddOutputFilterByType) and mod_mime's types and charsets.
// respWriter sits between the handler and the access log's writer, only
// for requests whose merged config sets one of those directives (or
// WSGIErrorOverride On): every other request pays one nil check.

// respWriter applies the response directives of one request.
type respWriter struct {
	http.ResponseWriter // the next writer (the access log's)
	f                   *Frontend
	r                   *http.Request
	rt                  *route.Route
	req                 *request
	conf                *config.Responses // nil: only WSGIErrorOverride

	// override is WSGIErrorOverride On for a WSGI request: an error status
	// from the app is replaced by the server's answer for it.
	override bool
	// docFor is set on the writer of an ErrorDocument's internal redirect:
	// the status of the error it answers. Its own errors are not answered
	// by another ErrorDocument.
	docFor int
	// origEnv is the environ the app of an overridden error got, for the
	// REDIRECT_* copies.
	origEnv []string

	wroteHeader bool
	swallow     bool // the body written is the app's, replaced by pending
	pending     int  // an error status to answer once the handler returned
	detail      string
	static      bool
	staticType  string // the file's type, which a 304 answer does not carry
	deflateDone bool   // the static file handler compressed (or decided not to)
	gz          *gzip.Writer
	gzLevel     int
}

// errorDocumenter is a writer that answers error statuses itself
// (writeError asks it first).
type errorDocumenter interface {
	errorDocument(status int, detail string) bool
}

// newRespWriter returns the writer for rt, or nil when its config has no
// response directive.
func (f *Frontend) newRespWriter(w http.ResponseWriter, r *http.Request, rt *route.Route, req *request) *respWriter {
	c := rt.Conf
	if c == nil {
		return nil
	}
	override := rt.Handler == route.HandlerWSGI && c.ErrorOverride != nil && *c.ErrorOverride
	if c.Responses == nil && !override {
		return nil
	}
	rw := respPool.Get().(*respWriter)
	*rw = respWriter{ResponseWriter: w, f: f, r: r, rt: rt, req: req, conf: c.Responses, override: override,
		static: rt.Handler == route.HandlerStatic}
	return rw
}

// respPool recycles the writers: nothing keeps one once its request's
// ServeHTTP has returned (as writerPool).
var respPool = sync.Pool{New: func() any { return new(respWriter) }}

// serveResponses serves a routed request through rw and then answers the
// error it recorded, if any, with its ErrorDocument.
func (f *Frontend) serveResponses(rw *respWriter) {
	f.serveRouted(rw, rw.r, rw.rt, rw.req)
	rw.finish()
	*rw = respWriter{}
	respPool.Put(rw)
}

func (rw *respWriter) finish() {
	if rw.pending != 0 {
		status := rw.pending
		rw.pending = 0
		rw.swallow = false
		rw.answerError(status, rw.detail)
	}
	if rw.gz != nil {
		_ = rw.gz.Close()
		gzipPut(rw.gzLevel, rw.gz)
		rw.gz = nil
	}
}

// errorDocument records an error to answer after the handler returned,
// when this request has an ErrorDocument for it or is itself serving one.
func (rw *respWriter) errorDocument(status int, detail string) bool {
	if rw.wroteHeader || status < 400 {
		return false
	}
	// Under WSGIErrorOverride the server's own errors are recorded too, so
	// that their page is not taken for the app's error and replaced.
	if rw.docFor == 0 && !rw.override && (rw.conf == nil || rw.conf.ErrorDocuments[status] == "") {
		return false
	}
	rw.pending, rw.detail = status, detail
	return true
}

func (rw *respWriter) WriteHeaderReason(code int, reason string) {
	if rw.intercept(code) {
		return
	}
	next, ok := rw.ResponseWriter.(interface{ WriteHeaderReason(int, string) })
	if !ok || code < 200 {
		rw.WriteHeader(code)
		return
	}
	rw.wroteHeader = true
	next.WriteHeaderReason(rw.prepare(code), reason)
}

func (rw *respWriter) WriteHeader(code int) {
	if code < 200 {
		rw.ResponseWriter.WriteHeader(code) // an interim answer: nothing to apply
		return
	}
	if rw.intercept(code) {
		return
	}
	rw.wroteHeader = true
	rw.ResponseWriter.WriteHeader(rw.prepare(code))
}

// intercept reports whether the app's status is replaced by the server's
// own answer (WSGIErrorOverride On, an error status): its headers and body
// are dropped, as mod_wsgi drops them when it hands the status to httpd.
func (rw *respWriter) intercept(code int) bool {
	if rw.wroteHeader || rw.swallow || !rw.override || code < 400 || rw.docFor != 0 {
		return rw.swallow
	}
	rw.swallow = true
	rw.pending = code
	clear(rw.Header())
	return true
}

func (rw *respWriter) Write(p []byte) (int, error) {
	if rw.swallow {
		return len(p), nil
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
		if rw.swallow {
			return len(p), nil
		}
	}
	if rw.gz != nil {
		return rw.gz.Write(p)
	}
	return rw.ResponseWriter.Write(p)
}

// Flush passes a flush on: the compressor's pending output first, so that
// a streaming response stays streaming.
func (rw *respWriter) Flush() {
	if rw.swallow {
		return
	}
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK) // as net/http: a flush sends the head
		if rw.swallow {
			return
		}
	}
	if rw.gz != nil {
		_ = rw.gz.Flush()
	}
	if fl, ok := rw.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (rw *respWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// prepare applies the header side of the directives before the status
// goes out, and returns the status to send.
func (rw *respWriter) prepare(code int) int {
	if rw.docFor != 0 && rw.static && code == http.StatusOK {
		// A static ErrorDocument is sent with the error's status.
		code = rw.docFor
	}
	if rw.conf == nil {
		return code
	}
	h := rw.Header()
	if code == http.StatusNoContent || code == http.StatusNotModified {
		h.Del("Content-Type") // httpd sends none with a bodiless answer
	} else if v := h["Content-Type"]; len(v) > 0 && v[0] != "" {
		v[0] = rw.contentType(v[0]) // in place: no new slice per answer
	}
	if code < 400 {
		rw.expires(h)
	}
	if !rw.deflateDone {
		rw.deflate(code, h)
	}
	return code
}

// contentType is ct with its media type lower-cased, as httpd sends it,
// and AddDefaultCharset's charset added to text/plain and text/html that
// name none.
func (rw *respWriter) contentType(ct string) string {
	typ, params := ct, ""
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		typ, params = ct[:i], ct[i:]
	}
	typ = strings.ToLower(typ)
	ct = typ + params
	cs := rw.conf.DefaultCharset
	if cs == "" || cs == "Off" || containsFold(params, "charset=") {
		return ct
	}
	if t := strings.TrimSpace(typ); t == "text/plain" || t == "text/html" {
		ct += "; charset=" + cs
	}
	return ct
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

// noteStaticType tells the writer a static file's type: mod_expires
// chooses by it, also for a 304 answer that is sent without it.
func noteStaticType(w http.ResponseWriter, ct string) {
	if rw, ok := w.(*respWriter); ok {
		rw.staticType = ct
	}
}

// expires sets Expires and Cache-Control: max-age as mod_expires does for
// a response that has no Expires of its own: from the request time, or
// from the file's modification time (the WSGI script's for an app).
func (rw *respWriter) expires(h http.Header) {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = rw.staticType
	}
	code := rw.conf.ExpiresFor(ct)
	if code == nil || h.Get("Expires") != "" {
		return
	}
	start := rw.req.start // with its microseconds, as r->request_time
	if len(h["Date"]) == 0 {
		// httpd's Date is the request's time, which the expiry is counted from.
		h.Set("Date", start.UTC().Format(http.TimeFormat))
	}
	base := start
	if code.Base == 'M' {
		base = rw.mtime()
		if base.IsZero() {
			return // no file: mod_expires sets nothing
		}
	}
	exp := base.Add(time.Duration(code.Seconds) * time.Second)
	maxAge := "max-age=" + strconv.FormatInt(int64(exp.Sub(start)/time.Second), 10)
	if cc := h.Values("Cache-Control"); len(cc) > 0 {
		maxAge = strings.Join(cc, ", ") + ", " + maxAge
	}
	h.Set("Cache-Control", maxAge)
	h.Set("Expires", exp.UTC().Format(http.TimeFormat))
}

// mtime is the modification time of the file the request maps to: the
// static file, or the WSGI script.
func (rw *respWriter) mtime() time.Time {
	if !rw.static && !rw.rt.ScriptMtime.IsZero() {
		return rw.rt.ScriptMtime
	}
	name := rw.rt.File
	if !rw.static {
		name = rw.rt.Script
	}
	fi, err := os.Stat(name)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// deflateApplies reports whether the DEFLATE filter is on for a response
// with this status and headers: SetOutputFilter, AddOutputFilter by the
// file's extension, or AddOutputFilterByType (mod_filter runs it on 200
// answers only), minus what mod_deflate leaves alone (204, 304, ranges,
// bodies already encoded, the no-gzip variable).
func (rw *respWriter) deflateApplies(code int, h http.Header) bool {
	c := rw.conf
	on := hasDeflate(c.SetOutputFilter)
	if !on && len(c.OutputFilters) > 0 {
		name := rw.rt.File
		if !rw.static {
			name = rw.rt.Script
		}
		on = hasDeflate(extFilters(filepath.Base(name), c.OutputFilters))
	}
	if !on && code == http.StatusOK && len(c.DeflateByType) > 0 {
		t := h.Get("Content-Type")
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = t[:i]
		}
		t = strings.ToLower(strings.TrimSpace(t))
		for _, want := range c.DeflateByType {
			if t == want {
				on = true
				break
			}
		}
	}
	if !on || code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
		return false
	}
	if _, ok := rw.rt.Env["no-gzip"]; ok {
		return false
	}
	if h.Get("Content-Range") != "" {
		return false
	}
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return false
	}
	return true
}

// deflate sets up gzip for the response when it applies and the client
// takes gzip; Vary: Accept-Encoding is added either way.
func (rw *respWriter) deflate(code int, h http.Header) {
	if !rw.deflateApplies(code, h) {
		return
	}
	addVary(h, "Accept-Encoding")
	if !acceptsGzip(rw.r.Header.Values("Accept-Encoding")) {
		return
	}
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	if et := h.Get("ETag"); et != "" {
		h.Set("ETag", gzipETag(et))
	}
	if rw.r.Method == http.MethodHead {
		return // headers only, as httpd answers HEAD
	}
	rw.gzLevel = rw.compressionLevel()
	rw.gz = gzipGet(rw.gzLevel, rw.ResponseWriter)
}

func (rw *respWriter) compressionLevel() int {
	if v := rw.rt.VHost; v != nil && v.DeflateCompressionLevel != 0 {
		return v.DeflateCompressionLevel
	}
	if m := rw.req.gen.cfg.Main; m != nil && m.DeflateCompressionLevel != 0 {
		return m.DeflateCompressionLevel
	}
	return gzip.DefaultCompression
}

func hasDeflate(list string) bool {
	for list != "" {
		var f string
		f, list, _ = strings.Cut(list, ";")
		if strings.EqualFold(strings.TrimSpace(f), "DEFLATE") {
			return true
		}
	}
	return false
}

// extFilters is mod_mime's AddOutputFilter for a file name: every
// extension after the first dot counts.
func extFilters(base string, m map[string]string) string {
	parts := strings.Split(base, ".")
	out := ""
	for _, ext := range parts[1:] {
		if v, ok := m[strings.ToLower(ext)]; ok && v != "" {
			out += ";" + v
		}
	}
	return out
}

// acceptsGzip is mod_deflate's Accept-Encoding check: a "gzip" token
// (any case) whose parameters are not q=0.
func acceptsGzip(values []string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(tok, ";")
			if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
				continue
			}
			zero := false
			for _, p := range strings.Split(params, ";") {
				p = strings.TrimSpace(p)
				if q, ok := strings.CutPrefix(p, "q="); ok {
					if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
						zero = true
					}
				}
			}
			if !zero {
				return true
			}
		}
	}
	return false
}

// addVary adds a token to Vary unless it is there, joining the tokens
// with "," as httpd's header filter sends them.
func addVary(h http.Header, token string) {
	if len(h["Vary"]) == 0 {
		h["Vary"] = []string{token}
		return
	}
	var toks []string
	for _, v := range h.Values("Vary") {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				if strings.EqualFold(t, token) {
					return
				}
				toks = append(toks, t)
			}
		}
	}
	h.Set("Vary", strings.Join(append(toks, token), ","))
}

// gzipETag is DeflateAlterETag AddSuffix: "-gzip" inside the quotes.
func gzipETag(et string) string {
	if strings.HasSuffix(et, `"`) && len(et) > 1 {
		return et[:len(et)-1] + `-gzip"`
	}
	return et + "-gzip"
}

// compress/gzip from the standard library: klauspost/compress is faster
// but is not served by the module proxy this project builds from. The
// writers (about 800 KB each with their tables) are pooled per level.
var gzipPools [10]sync.Pool

func gzipGet(level int, w io.Writer) *gzip.Writer {
	if level < 0 || level > 9 {
		level = 0 // pool slot 0: zlib's default level
	}
	if z, ok := gzipPools[level].Get().(*gzip.Writer); ok {
		z.Reset(w)
		return z
	}
	lv := level
	if lv == 0 {
		lv = gzip.DefaultCompression
	}
	z, _ := gzip.NewWriterLevel(w, lv)
	return z
}

func gzipPut(level int, z *gzip.Writer) {
	if level < 0 || level > 9 {
		level = 0
	}
	z.Reset(io.Discard)
	gzipPools[level].Put(z)
}

// staticDeflateMin is the smallest file mod_deflate compresses: a body
// that arrives whole and is shorter than the gzip framing plus 50 bytes
// is sent as it is (measured against Apache 2.4: 68 bytes are not
// compressed, 69 are).
const staticDeflateMin = 69

// staticDeflateMax bounds the files compressed in memory (so that the
// compressed length is known, as httpd sends it); larger ones are
// compressed as they stream, without Content-Length.
const staticDeflateMax = 8 << 20

// serveStaticDeflated serves a static file compressed when DEFLATE applies
// to it, and reports whether it did. httpd compresses the whole file and
// then serves ranges and HEAD from the compressed bytes; so does this.
func serveStaticDeflated(w http.ResponseWriter, r *http.Request, name string, fi os.FileInfo, file *os.File) bool {
	rw, ok := w.(*respWriter)
	if !ok || rw.conf == nil {
		return false
	}
	h := w.Header()
	if fi.Size() < staticDeflateMin {
		rw.deflateDone = true
		return false
	}
	if fi.Size() > staticDeflateMax || !rw.deflateApplies(http.StatusOK, h) {
		return false // large: deflate() compresses the stream
	}
	rw.deflateDone = true
	addVary(h, "Accept-Encoding")
	if !acceptsGzip(r.Header.Values("Accept-Encoding")) {
		return false
	}
	var buf bytes.Buffer
	level := rw.compressionLevel()
	z := gzipGet(level, &buf)
	_, err := io.Copy(z, file)
	if err == nil {
		err = z.Close()
	}
	gzipPut(level, z)
	if err != nil {
		return false
	}
	h.Set("Content-Encoding", "gzip")
	if et := h.Get("ETag"); et != "" {
		h.Set("ETag", gzipETag(et))
	}
	if r.Header.Get("Range") == "" {
		// ServeContent leaves Content-Length to the server once
		// Content-Encoding is set, and a HEAD answer has no body to count.
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
	}
	http.ServeContent(w, r, name, fi.ModTime(), bytes.NewReader(buf.Bytes()))
	return true
}

// staticTypeFor is a static file's Content-Type under mod_mime's
// directives: ForceType, else the last extension with a type (AddType
// before the system table), with AddCharset's charset.
func staticTypeFor(name string, c *config.DirConf) string {
	if c == nil || c.Responses == nil {
		return staticType(name)
	}
	r := c.Responses
	if r.ForceType != "" && r.ForceType != "none" {
		return r.ForceType
	}
	ct, charset := "", ""
	parts := strings.Split(filepath.Base(name), ".")
	for _, ext := range parts[1:] {
		e := strings.ToLower(ext)
		if t, ok := r.Types[e]; ok {
			ct = t
		} else if t := staticType("." + e); t != "" {
			ct = t
		}
		if cs, ok := r.Charsets[e]; ok {
			charset = cs
		}
	}
	if ct == "" {
		ct = staticType(name)
	}
	if ct != "" && charset != "" {
		if _, params, err := mime.ParseMediaType(ct); err != nil || params["charset"] == "" {
			ct += "; charset=" + charset
		}
	}
	return ct
}

// answerError answers status for the request: its ErrorDocument (a
// string, an external URL, or a local URL served by internal redirect),
// else the server's page. A writer serving an ErrorDocument answers its
// own errors with the original error's page and httpd's note.
func (rw *respWriter) answerError(status int, detail string) {
	w := rw.ResponseWriter
	if rw.docFor != 0 {
		writeErrorPage(w, rw.docFor, "", status)
		return
	}
	doc := ""
	if rw.conf != nil {
		doc = rw.conf.ErrorDocuments[status]
	}
	h := w.Header()
	switch {
	case doc == "" || doc == "default":
		writeErrorPage(w, status, detail, 0)
	case doc[0] == '"':
		// Headers the server set for the error (WWW-Authenticate, Allow)
		// stay, as httpd's err_headers_out do.
		h.Set("Content-Type", "text/html; charset=iso-8859-1")
		h.Set("Content-Length", strconv.Itoa(len(doc)-1))
		w.WriteHeader(status)
		io.WriteString(w, doc[1:])
	case doc[0] == '/':
		rw.f.internalRedirect(rw, status, doc)
	default:
		h.Set("Location", doc)
		writeErrorPageHTML(w, http.StatusFound, "The document has moved <a href=\""+html.EscapeString(doc)+"\">here</a>.", 0)
	}
}

// internalRedirect serves the local URL of an ErrorDocument as httpd's
// ap_internal_redirect does: routed afresh as a GET, with the original
// request's variables copied as REDIRECT_* and REDIRECT_STATUS, URL,
// QUERY_STRING and REQUEST_METHOD added.
func (f *Frontend) internalRedirect(rw *respWriter, status int, target string) {
	r, rt := rw.r, rw.rt
	localIP, localPort := splitAddr(rw.req.local)
	port, _ := strconv.Atoi(localPort)
	remoteIP, _ := splitAddr(r.RemoteAddr)
	rt2 := rw.req.gen.table.Route(route.Request{Method: http.MethodGet, Target: target, Host: r.Host,
		LocalIP: localIP, LocalPort: port, HTTPS: r.TLS != nil, Header: r.Header, RemoteIP: remoteIP})
	env := make(map[string]string, len(rt2.Env)+len(rw.origEnv)/2+len(rt.Env)+4)
	if rw.origEnv != nil {
		// The app's request had the whole CGI environment, and mod_wsgi's
		// daemon secret, in httpd's table.
		for i := 0; i+1 < len(rw.origEnv); i += 2 {
			env["REDIRECT_"+rw.origEnv[i]] = rw.origEnv[i+1]
		}
		env["REDIRECT_PATH"] = cgiPath()
		env["REDIRECT_mod_wsgi.magic"] = wsgiMagic
	} else if status != http.StatusForbidden && status != http.StatusUnauthorized {
		// Access is checked before mod_env's fixups: a refused request has
		// no SetEnv variables to copy.
		for k, v := range rt.Env {
			env["REDIRECT_"+k] = v
		}
	}
	if rt.Query != "" {
		env["REDIRECT_QUERY_STRING"] = rt.Query
	}
	env["REDIRECT_REQUEST_METHOD"] = r.Method
	env["REDIRECT_STATUS"] = strconv.Itoa(status)
	env["REDIRECT_URL"] = rt.URI
	if rw.origEnv == nil && (status == http.StatusNotFound || status == http.StatusForbidden) {
		// httpd logged these (AH00128, AH01630) with the connection's log
		// id, which mod_wsgi then passes on; a 413 logs nothing.
		env["mod_wsgi.connection_id"] = rw.req.id
	}
	for k, v := range rt2.Env {
		env[k] = v
	}
	rc := *rt2
	rc.Env = env
	r2 := r.Clone(r.Context())
	r2.Method = http.MethodGet
	r2.Body = http.NoBody
	doc := &respWriter{ResponseWriter: rw.ResponseWriter, f: f, r: r2, rt: &rc, req: rw.req,
		docFor: status, static: rc.Handler == route.HandlerStatic}
	if rc.Conf != nil {
		doc.conf = rc.Conf.Responses
	}
	f.serveRouted(doc, r2, &rc, rw.req)
	doc.finish()
}

// cgiPath is PATH as httpd's ap_add_common_vars puts it in a request's
// table: the server's own.
func cgiPath() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/usr/local/bin:/usr/bin:/bin" // httpd's DEFAULT_PATH
}

// wsgiMagic stands for mod_wsgi's per-server daemon secret, which httpd
// keeps in the request's table (and so in REDIRECT_ copies).
var wsgiMagic = func() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}()

// writeErrorPage writes httpd 2.4's error page for status; recursive is
// the status of an error met while serving its ErrorDocument (0: none).
func writeErrorPage(w http.ResponseWriter, status int, detail string, recursive int) {
	// httpd's own texts are HTML already; a caller's detail is escaped.
	if detail == "" {
		writeErrorPageHTML(w, status, defaultDetail(status), recursive)
		return
	}
	writeErrorPageHTML(w, status, html.EscapeString(detail), recursive)
}

// writeErrorHTML answers status with the request's ErrorDocument when it
// has one, else with httpd's page around detailHTML (HTML already): the
// core's error response, as for redirects and 401.
func writeErrorHTML(w http.ResponseWriter, status int, detailHTML string) {
	if ed, ok := w.(errorDocumenter); ok && ed.errorDocument(status, "") {
		return
	}
	writeErrorPageHTML(w, status, detailHTML, 0)
}

func writeErrorPageHTML(w http.ResponseWriter, status int, detailHTML string, recursive int) {
	text := http.StatusText(status)
	markCoreError(w)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Del("Content-Length")
	w.WriteHeader(status)
	var b strings.Builder
	b.WriteString("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>")
	b.WriteString(strconv.Itoa(status) + " " + text)
	b.WriteString("</title>\n</head><body>\n<h1>" + text + "</h1>\n<p>" + detailHTML + "</p>\n")
	if recursive != 0 {
		b.WriteString("<p>Additionally, a " + strconv.Itoa(recursive) + " " + http.StatusText(recursive) +
			"\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n")
	}
	b.WriteString("</body></html>\n")
	io.WriteString(w, b.String())
}
