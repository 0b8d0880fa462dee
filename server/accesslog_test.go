package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

func TestLogFormat(t *testing.T) {
	start := time.Date(2026, 11, 26, 19, 18, 25, 0, time.UTC)
	r := httptest.NewRequest("GET", "/admin/x?q=1", nil)
	r.RemoteAddr = "192.0.2.7:51000"
	r.Header.Set("User-Agent", `evil "agent"`+"\n")
	r.Header.Set("Referer", "http://example.test/")
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8000}
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
	rt := &route.Route{URI: "/admin/x", ServerName: "main.test", ServerPort: 8000,
		VHost: &config.VHost{Name: "main.test"}, Env: map[string]string{"newrelic.app_name": "My Site (admin)"}}
	rec := &logRecord{r: r, route: rt, status: 404, bodyBytes: 0, headBytes: 100, start: start,
		dur: 1500 * time.Millisecond, header: http.Header{"Content-Type": {"text/html"}}, requestID: "abc"}

	tests := []struct{ format, want string }{
		{config.BuiltinLogFormats["common"], `192.0.2.7 - - [26/Nov/2026:19:18:25 +0000] "GET /admin/x?q=1 HTTP/1.1" 404 -`},
		{config.BuiltinLogFormats["combined"], `192.0.2.7 - - [26/Nov/2026:19:18:25 +0000] "GET /admin/x?q=1 HTTP/1.1" 404 100 "http://example.test/" "evil \"agent\"\n"`},
		{`%D %T %{ms}T %>s %<s`, `1500000 1 1500 404 404`},
		{`%{newrelic.app_name}e %{NOPE}e %{Content-Type}o %L`, `My Site (admin) - text/html abc`},
		{`%v:%p %A %U%q %m %H %%`, `main.test:8000 127.0.0.1 /admin/x?q=1 GET HTTP/1.1 %`},
		{`%400,501{User-Agent}i|\t|`, "evil \\\"agent\\\"\\n|\t|"},
	}
	for _, tt := range tests {
		f, err := config.CompileLogFormat(tt.format)
		if err != nil {
			t.Fatalf("compile %q: %v", tt.format, err)
		}
		if got := string(appendFormat(nil, f, rec)); got != tt.want {
			t.Errorf("format %q:\n got %s\nwant %s", tt.format, got, tt.want)
		}
	}
	// %u is httpd's r->user: the authenticated user, or the one a
	// refused Basic attempt named.
	rt.User = `bob "b"`
	f, _ := config.CompileLogFormat(`%u %l`)
	if got := string(appendFormat(nil, f, rec)); got != `bob \"b\" -` {
		t.Errorf("%%u: %s", got)
	}
}

func TestLogFormatErrors(t *testing.T) {
	for _, bad := range []string{"%Z", "%{x", "trailing %", "%{X}"} {
		if _, err := config.CompileLogFormat(bad); err == nil {
			t.Errorf("compileLogFormat(%q) accepted a bad format", bad)
		} else if !strings.Contains(err.Error(), "LogFormat") {
			t.Errorf("compileLogFormat(%q) error %q does not name LogFormat", bad, err)
		}
	}
}
