package route

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/load"
)

// FuzzRoute routes arbitrary request targets, hosts and methods through
// the golden configs: routing must never panic, and what it decides must
// hold together (a 200 has a handler; a WSGI route's SCRIPT_NAME and
// PATH_INFO are the normalised URI's pieces). Run it with
//
//	go test ./server/route -run '^$' -fuzz FuzzRoute -fuzztime 10m
func FuzzRoute(f *testing.F) {
	for _, s := range []string{"/", "/admin/x", "//a/./b/../c", "/%2e%2e/x", "/a%2fb", "*", "http://vh.test:8080/x?y",
		"/publications/article/7", "/\x00", "/%zz", "/a b", "/static/../../etc/passwd"} {
		f.Add(s, "vh.test", "GET")
	}
	f.Add("/", "[::1]:80", "HEAD")
	f.Add("/x", "a..b", "POST")
	confs, _ := filepath.Glob("testdata/route/*.conf")
	var tables []*Table
	for _, c := range confs {
		cfg, err := load.File(c, load.Options{NoHostChecks: true})
		if err != nil {
			f.Fatal(err)
		}
		tables = append(tables, Compile(cfg, Options{Stat: newFakeFS("/srv/site/wsgi.py", "/var/www/index.html").stat, Cwd: "/srv", Hostname: "fuzz.test"}))
	}
	f.Fuzz(func(t *testing.T, target, host, method string) {
		for _, table := range tables {
			r := table.Route(Request{Method: method, Target: target, Host: host, LocalIP: "127.0.0.1", LocalPort: 80,
				Header: http.Header{}, RemoteIP: "127.0.0.1"})
			if r.Status == 200 && r.Handler == HandlerNone {
				t.Errorf("%q %q: 200 with no handler", target, host)
			}
			if r.Status != 200 && r.Reason == "" && r.Status != 301 {
				t.Errorf("%q %q: %d without a reason", target, host, r.Status)
			}
			if r.Status == 200 && r.Handler == HandlerWSGI && !strings.HasPrefix(r.URI, r.ScriptName) {
				t.Errorf("%q: SCRIPT_NAME %q is not a prefix of the URI %q", target, r.ScriptName, r.URI)
			}
			_ = r.Label()
		}
	})
}
