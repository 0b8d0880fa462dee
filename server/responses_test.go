package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

func TestAcceptsGzip(t *testing.T) {
	// What Apache 2.4.71's mod_deflate compressed for, header by header.
	tests := []struct {
		header string
		want   bool
	}{
		{"gzip", true},
		{"GZIP", true},
		{"br, gzip", true},
		{"gzip;q=0.5", true},
		{"gzip;q=0.001", true},
		{"gzip;Q=0", true},
		{"gzip;q=0", false},
		{"gzip;q=0.0", false},
		{"gzip ; q=0", false},
		{"foo, gzip;q=0", false},
		{"x-gzip", false},
		{"deflate", false},
		{"*", false},
		{"identity", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := acceptsGzip([]string{tc.header}); got != tc.want {
			t.Errorf("Accept-Encoding %q: %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestResponseHeaderHelpers(t *testing.T) {
	for in, want := range map[string]string{`"abc"`: `"abc-gzip"`, `W/"a-b"`: `W/"a-b-gzip"`, `abc`: `abc-gzip`} {
		if got := gzipETag(in); got != want {
			t.Errorf("gzipETag(%s) = %s, want %s", in, got, want)
		}
	}
	for _, tc := range []struct {
		vary []string
		want string
	}{
		{nil, "Accept-Encoding"},
		{[]string{"Cookie"}, "Cookie,Accept-Encoding"},
		{[]string{"Cookie, accept-encoding"}, "Cookie, accept-encoding"},
		{[]string{"Cookie", "User-Agent"}, "Cookie,User-Agent,Accept-Encoding"},
	} {
		h := http.Header{}
		for _, v := range tc.vary {
			h.Add("Vary", v)
		}
		addVary(h, "Accept-Encoding")
		if got := strings.Join(h.Values("Vary"), "|"); got != tc.want {
			t.Errorf("Vary %q: %q, want %q", tc.vary, got, tc.want)
		}
	}
	if !hasDeflate("INCLUDES; deflate") || hasDeflate("INFLATE") || hasDeflate("") {
		t.Error("hasDeflate")
	}
	if got := extFilters("a.html.gz", map[string]string{"html": "DEFLATE", "gz": ""}); got != ";DEFLATE" {
		t.Errorf("extFilters = %q", got)
	}
}

func TestResponseContentType(t *testing.T) {
	// Apache 2.4.71 with AddDefaultCharset utf-8 (first column as the app
	// sent it, second as Apache did).
	rw := &respWriter{conf: &config.Responses{DefaultCharset: "utf-8"}}
	for in, want := range map[string]string{
		"text/plain":            "text/plain; charset=utf-8",
		"TEXT/HTML":             "text/html; charset=utf-8",
		"text/css":              "text/css",
		"text/plain; charset=x": "text/plain; charset=x",
		"Text/HTML; Charset=X":  "text/html; Charset=X",
		"Text/Plain ; a=b":      "text/plain ; a=b; charset=utf-8",
		"application/json":      "application/json",
		"Image/PNG":             "image/png",
	} {
		if got := rw.contentType(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
	rw.conf.DefaultCharset = "Off"
	if got := rw.contentType("text/plain"); got != "text/plain" {
		t.Errorf("Off: %q", got)
	}
}

func TestStaticTypeFor(t *testing.T) {
	conf := &config.DirConf{Responses: &config.Responses{
		Types:    map[string]string{"foo": "application/x-foo", "json": "text/plain"},
		Charsets: map[string]string{"html": "utf-8"},
	}}
	for name, want := range map[string]string{
		"/s/a.foo":      "application/x-foo",
		"/s/b.json":     "text/plain",
		"/s/c.html":     "text/html; charset=utf-8",
		"/s/f.html.foo": "application/x-foo; charset=utf-8",
		"/s/e.css":      "text/css",
	} {
		if got := staticTypeFor(name, conf); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	conf.Responses.ForceType = "image/gif"
	if got := staticTypeFor("/s/a.txt", conf); got != "image/gif" {
		t.Errorf("ForceType: %q", got)
	}
	if got := staticTypeFor("/s/a.txt", nil); got != "text/plain" {
		t.Errorf("no conf: %q", got)
	}
}

// testRespWriter returns a writer over a recorder for a WSGI route with
// the given response settings, the request made at start.
func testRespWriter(conf *config.Responses, r *http.Request, start time.Time) (*respWriter, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	rt := &route.Route{Status: 200, Handler: route.HandlerWSGI, Conf: &config.DirConf{Responses: conf}}
	req := &request{gen: &generation{cfg: &config.Config{Main: &config.VHost{}}}, start: start}
	return &respWriter{ResponseWriter: rec, r: r, rt: rt, req: req, conf: conf}, rec
}

func TestResponseExpires(t *testing.T) {
	on := true
	conf := &config.Responses{ExpiresActive: &on, ExpiresDefault: &config.ExpiresCode{Base: 'A', Seconds: 3600},
		ExpiresByType: map[string]*config.ExpiresCode{"text/html": {Base: 'A', Seconds: 60}}}
	start := time.Date(2026, 12, 5, 20, 0, 0, 500e6, time.UTC)
	tests := []struct {
		status              int
		ctype, cc, expires  string
		wantExpires, wantCC string
	}{
		{200, "application/json", "", "", "Sat, 05 Dec 2026 21:00:00 GMT", "max-age=3600"},
		{302, "TEXT/HTML; charset=x", "", "", "Sat, 05 Dec 2026 20:01:00 GMT", "max-age=60"},
		{200, "text/plain", "no-cache", "", "Sat, 05 Dec 2026 21:00:00 GMT", "no-cache, max-age=3600"},
		{200, "text/plain", "max-age=5", "", "Sat, 05 Dec 2026 21:00:00 GMT", "max-age=5, max-age=3600"},
		{200, "text/plain", "", "foo", "foo", ""}, // the app's own Expires stays, with nothing added
		{404, "text/plain", "", "", "", ""},       // not on errors
	}
	for _, tc := range tests {
		rw, rec := testRespWriter(conf, httptest.NewRequest("GET", "/", nil), start)
		rw.Header().Set("Content-Type", tc.ctype)
		if tc.cc != "" {
			rw.Header().Set("Cache-Control", tc.cc)
		}
		if tc.expires != "" {
			rw.Header().Set("Expires", tc.expires)
		}
		rw.WriteHeader(tc.status)
		if got := rec.Header().Get("Expires"); got != tc.wantExpires {
			t.Errorf("%d %s: Expires %q, want %q", tc.status, tc.ctype, got, tc.wantExpires)
		}
		if got := rec.Header().Get("Cache-Control"); got != tc.wantCC {
			t.Errorf("%d %s: Cache-Control %q, want %q", tc.status, tc.ctype, got, tc.wantCC)
		}
		if tc.wantCC != "" && rec.Header().Get("Date") != "Sat, 05 Dec 2026 20:00:00 GMT" {
			t.Errorf("Date %q: want the request's time", rec.Header().Get("Date"))
		}
	}
}

func TestResponseDeflate(t *testing.T) {
	byType := &config.Responses{DeflateByType: []string{"text/html", "application/json"}}
	always := &config.Responses{SetOutputFilter: "DEFLATE"}
	tests := []struct {
		name   string
		conf   *config.Responses
		status int
		header map[string]string
		method string
		ae     string
		gzip   bool
		vary   bool
	}{
		{"by type", byType, 200, map[string]string{"Content-Type": "text/html; charset=utf-8"}, "GET", "gzip", true, true},
		{"by type, no gzip asked", byType, 200, map[string]string{"Content-Type": "text/html"}, "GET", "", false, true},
		{"by type, other type", byType, 200, map[string]string{"Content-Type": "image/png"}, "GET", "gzip", false, false},
		{"by type, not 200", byType, 201, map[string]string{"Content-Type": "text/html"}, "GET", "gzip", false, false},
		{"by type, error", byType, 404, map[string]string{"Content-Type": "text/html"}, "GET", "gzip", false, false},
		{"set, error", always, 404, map[string]string{"Content-Type": "image/png"}, "GET", "gzip", true, true},
		{"set, 204", always, 204, nil, "GET", "gzip", false, false},
		{"set, 304", always, 304, nil, "GET", "gzip", false, false},
		{"encoded", always, 200, map[string]string{"Content-Encoding": "br"}, "GET", "gzip", false, false},
		{"range", always, 206, map[string]string{"Content-Range": "bytes 0-1/10"}, "GET", "gzip", false, false},
		{"head", always, 200, nil, "HEAD", "gzip", true, true},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "/", nil)
		if tc.ae != "" {
			r.Header.Set("Accept-Encoding", tc.ae)
		}
		rw, rec := testRespWriter(tc.conf, r, time.Now())
		for k, v := range tc.header {
			rw.Header().Set(k, v)
		}
		rw.Header().Set("Content-Length", "11")
		rw.Header().Set("ETag", `"e"`)
		rw.WriteHeader(tc.status)
		rw.Write([]byte("hello world"))
		rw.finish()
		h := rec.Header()
		if got := h.Get("Content-Encoding") == "gzip"; got != tc.gzip {
			t.Errorf("%s: gzip %v, want %v (%v)", tc.name, got, tc.gzip, h)
		}
		if got := h.Get("Vary") == "Accept-Encoding"; got != tc.vary {
			t.Errorf("%s: Vary %q", tc.name, h.Get("Vary"))
		}
		if !tc.gzip {
			continue
		}
		if h.Get("Content-Length") != "" || h.Get("ETag") != `"e-gzip"` {
			t.Errorf("%s: Content-Length %q ETag %q", tc.name, h.Get("Content-Length"), h.Get("ETag"))
		}
		if tc.method == "HEAD" {
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if b, _ := io.ReadAll(zr); string(b) != "hello world" {
			t.Errorf("%s: body %q", tc.name, b)
		}
	}
	// no-gzip turns it off, Vary included.
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	rw, rec := testRespWriter(always, r, time.Now())
	rw.rt.Env = map[string]string{"no-gzip": "1"}
	rw.WriteHeader(200)
	rw.finish()
	if rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Vary") != "" {
		t.Errorf("no-gzip: %v", rec.Header())
	}
}

func TestResponseErrorDocumentString(t *testing.T) {
	conf := &config.Responses{ErrorDocuments: map[int]string{403: `"custom <b>forbidden</b>`, 410: "http://example.com/gone", 404: "default"}}
	for _, tc := range []struct {
		status             int
		wantStatus         int
		wantBody, location string
	}{
		{403, 403, "custom <b>forbidden</b>", ""},
		{410, 302, `<p>The document has moved <a href="http://example.com/gone">here</a>.</p>`, "http://example.com/gone"},
		{404, 404, "<p>The requested URL was not found on this server.</p>", ""},
	} {
		rw, rec := testRespWriter(conf, httptest.NewRequest("GET", "/x", nil), time.Now())
		rw.Header().Set("WWW-Authenticate", `Basic realm="x"`)
		writeError(rw, tc.status, "")
		if rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%d: the server's own headers for the error must stay", tc.status)
		}
		rw.finish()
		if rec.Code != tc.wantStatus || !strings.Contains(rec.Body.String(), tc.wantBody) || rec.Header().Get("Location") != tc.location {
			t.Errorf("%d: got %d %q Location %q", tc.status, rec.Code, rec.Body.String(), rec.Header().Get("Location"))
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=iso-8859-1" {
			t.Errorf("%d: Content-Type %q", tc.status, ct)
		}
	}
}

func TestErrorPageRecursive(t *testing.T) {
	rec := httptest.NewRecorder()
	writeErrorPage(rec, 403, "", 404)
	want := "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>403 Forbidden</title>\n</head><body>\n<h1>Forbidden</h1>\n<p>You don't have permission to access this resource.</p>\n<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>\n"
	if rec.Code != 403 || rec.Body.String() != want {
		t.Errorf("got %d\n%s", rec.Code, rec.Body.String())
	}
}

func TestResponseExpiresModification(t *testing.T) {
	dir := t.TempDir()
	name := dir + "/page.html"
	if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(name, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	on := true
	conf := &config.Responses{ExpiresActive: &on, ExpiresDefault: &config.ExpiresCode{Base: 'M', Seconds: 7 * 24 * 3600}}
	start := time.Date(2026, 12, 5, 0, 0, 0, 250e6, time.UTC)
	rw, rec := testRespWriter(conf, httptest.NewRequest("GET", "/", nil), start)
	rw.static, rw.rt.Handler, rw.rt.File = true, route.HandlerStatic, name
	rw.WriteHeader(200)
	// Four days after the request: max-age counts from the request time.
	if got, want := rec.Header().Get("Expires"), "Tue, 08 Dec 2026 00:00:00 GMT"; got != want {
		t.Errorf("Expires %q, want %q", got, want)
	}
	if got := rec.Header().Get("Cache-Control"); got != "max-age=259199" { // 3 days less the request's 0.25 s, truncated
		t.Errorf("Cache-Control %q", got)
	}
	// No file: mod_expires sets nothing for a modification-time code.
	rw, rec = testRespWriter(conf, httptest.NewRequest("GET", "/", nil), start)
	rw.static, rw.rt.Handler, rw.rt.File = true, route.HandlerStatic, dir+"/missing"
	rw.WriteHeader(200)
	if rec.Header().Get("Expires") != "" || rec.Header().Get("Cache-Control") != "" {
		t.Errorf("no file: %v", rec.Header())
	}
}
