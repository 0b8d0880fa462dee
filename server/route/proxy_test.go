package route

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/appserver/appserver/server/load"
)

// TestProxyRoutes: mod_proxy's translate hook, checked on Apache 2.4.71
// (testdata/oracle/proxy.conf has the same cases against real Apache):
// it runs before mod_alias and mod_wsgi, a <Location>'s ProxyPass before
// the server's, the main server's before a vhost's, "!" stops the search,
// and access rules of the <Location> still apply.
func TestProxyRoutes(t *testing.T) {
	dir := t.TempDir()
	conf := `Listen 127.0.0.1:8080
ServerName main.test
WSGIScriptAlias /backend /srv/app.wsgi
ProxyPass /api/no !
ProxyPass /api http://b:9000/backend
ProxyPass /raw http://b/r nocanon
ProxyPass /nq http://b/nq noquery
ProxyPassMatch ^/img/(.*)\.png$ http://b/png/$1
ProxyPassMatch \.gif$ http://b/gif
Redirect /api/moved http://elsewhere/
<Location /loc>
ProxyPass http://b/inner
</Location>
<Location /api/loc>
ProxyPass http://b/apiloc
</Location>
<Location /closed>
ProxyPass http://b/closed
Require all denied
</Location>
<LocationMatch ^/m[0-9]>
ProxyPass http://b/lm
</LocationMatch>
ProxyPass /shared http://main/
<VirtualHost *:8080>
ServerName v.test
ProxyPass /shared http://vhost/
ProxyPass /own http://vhost/own
</VirtualHost>
WSGIScriptAlias / /srv/app.wsgi
`
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	table := Compile(cfg, Options{Stat: newFakeFS("/srv/app.wsgi").stat})
	tests := []struct {
		host, target string
		status       int
		handler      Handler
		proxy        string
	}{
		{"", "/api/x", 200, HandlerProxy, "http://b:9000/backend/x"},
		{"", "/api", 200, HandlerProxy, "http://b:9000/backend"},
		{"", "/api/a%20b?q=1&r", 200, HandlerProxy, "http://b:9000/backend/a%20b?q=1&r"},
		{"", "//api//x", 200, HandlerProxy, "http://b:9000/backend/x"},
		{"", "/apix", 200, HandlerWSGI, ""}, // segment boundary
		{"", "/api/no/x", 200, HandlerWSGI, ""},
		{"", "/api/moved/x", 200, HandlerProxy, "http://b:9000/backend/moved/x"},
		{"", "/raw/a%7Eb%20c", 200, HandlerProxy, "http://b/r/a%7Eb%20c"}, // nocanon: as sent
		{"", "/api/a%7Eb", 200, HandlerProxy, "http://b:9000/backend/a~b"},
		{"", "/nq/x?a=1", 200, HandlerProxy, "http://b/nq/x?a=1"}, // noquery is for FastCGI only
		{"", "/img/a.png", 200, HandlerProxy, "http://b/png/a"},
		{"", "/x/a.gif", 200, HandlerProxy, "http://b/gif/x/a.gif"}, // no substitution: the URI is appended
		{"", "/loc/y", 200, HandlerProxy, "http://b/inner/y"},
		{"", "/locz", 200, HandlerWSGI, ""},
		{"", "/api/loc/z", 200, HandlerProxy, "http://b/apiloc/z"}, // the <Location> first
		{"", "/closed/x", 403, HandlerProxy, "http://b/closed/x"},
		{"", "/m1/z", 200, HandlerProxy, "http://b/lm/m1/z"},
		// "/shared" + "/" keeps both slashes, as httpd does.
		{"", "/shared/x", 200, HandlerProxy, "http://main//x"},
		{"v.test", "/shared/x", 200, HandlerProxy, "http://main//x"}, // the main server's first
		{"v.test", "/own/x", 200, HandlerProxy, "http://vhost/own/x"},
	}
	for _, tt := range tests {
		r := table.Route(Request{Target: tt.target, Host: tt.host, LocalPort: 8080})
		if r.Status != tt.status || r.Handler != tt.handler || r.ProxyURL != tt.proxy {
			t.Errorf("%s %s: %d %s %q (%s), want %d %s %q", tt.host, tt.target, r.Status, r.Handler, r.ProxyURL, r.Reason, tt.status, tt.handler, tt.proxy)
		}
	}
	// A WSGI request whose PATH_INFO is proxied: httpd's subrequest for
	// PATH_TRANSLATED maps it through mod_proxy too.
	for target, want := range map[string]string{
		"/backend/api/p":         "proxy:http://b:9000/backend/p",
		"/backend/raw/a%7Eb%20c": "proxy:http://b/r/a~b%20c", // checked on Apache 2.4.71
		"/backend/nq/x?a=1":      "proxy:http://b/nq/x",      // a subrequest has no query
	} {
		r := table.Route(Request{Target: target, LocalPort: 8080})
		if got := r.PathTranslated(); got != want {
			t.Errorf("PATH_TRANSLATED of %s: %q, want %q", target, got, want)
		}
	}
}

// TestProxySectionsFailClosed: a <Proxy> section appserver does not
// evaluate refuses the proxied requests when it could restrict access,
// and changes nothing when it only grants.
func TestProxySectionsFailClosed(t *testing.T) {
	for _, tt := range []struct {
		body string
		want int
	}{
		{"Require all granted", 200},
		{"Order deny,allow\nAllow from all", 200},
		{"Require ip 10.0.0.0/8", 403},
		{"Order deny,allow\nDeny from all\nAllow from 10.0.0.0/8", 403},
		{"<RequireAll>\nRequire all granted\nRequire not ip 10.1\n</RequireAll>", 403},
		{"ProxySet keepalive=On", 200},
	} {
		dir := t.TempDir()
		conf := "Listen 127.0.0.1:8080\nProxyPass /api http://b/\n<Proxy *>\n" + tt.body + "\n</Proxy>\nWSGIScriptAlias / /srv/app.wsgi\n"
		path := filepath.Join(dir, "t.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := load.File(path, load.Options{NoHostChecks: true})
		if err != nil {
			t.Fatal(err)
		}
		table := Compile(cfg, Options{Stat: newFakeFS("/srv/app.wsgi").stat})
		if r := table.Route(Request{Target: "/api/x", LocalPort: 8080}); r.Status != tt.want || r.Handler != HandlerProxy {
			t.Errorf("<Proxy *> %q: %d %s (%s), want %d proxy", tt.body, r.Status, r.Handler, r.Reason, tt.want)
		}
		if r := table.Route(Request{Target: "/other", LocalPort: 8080}); r.Status != 200 {
			t.Errorf("<Proxy *> %q: a request that is not proxied got %d", tt.body, r.Status)
		}
	}
}
