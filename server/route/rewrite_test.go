package route

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
)

func TestRewriteEscaping(t *testing.T) {
	for _, tt := range []struct{ fn, in, want string }{
		{"uri", "/a b/c;d,e?f#g%h", "/a%20b/c;d,e%3ff%23g%25h"},
		{"uri", "/é~$-_.+!*'():@&=", "/%c3%a9~$-_.+!*'():@&="},
		{"backref", "a b&c/d_e", "a+b%26c%2fd_e"},
		{"backref-np", "a b", "a%20b"},
		{"backref-only", "a b&c", "a+b%26c"}, // B=& plus the space
		{"unescape", "a%20b%2Fc%zz%4", "a b/c%zz%4"},
		{"absolute", "https://x/y z?q", "https://x/y%20z%3fq"},
		{"absolute", "http://host", "http://host"},
		{"absolute", "http://host/", "http://host/"},
		{"absolute", "mailto:a b@c", "mailto:a%20b@c"},
		{"redirect", "http://x/a b?c d#e f", "http://x/a%20b?c d#e f"},
	} {
		var got string
		switch tt.fn {
		case "uri":
			got = escapeURI(tt.in)
		case "backref":
			got = escapeBackref(tt.in, "", false)
		case "backref-np":
			got = escapeBackref(tt.in, "", true)
		case "backref-only":
			got = escapeBackref(tt.in, "& ", false)
		case "unescape":
			got = unescapeURL(tt.in)
		case "absolute":
			got = escapeAbsolute(tt.in, absoluteURI(tt.in))
		case "redirect":
			got = escapeRedirectURL(tt.in)
		}
		if got != tt.want {
			t.Errorf("%s(%q) = %q, want %q", tt.fn, tt.in, got, tt.want)
		}
	}
}

func TestRewriteHelpers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{{"http://x", 7}, {"HTTPS://x/y", 8}, {"ftp://x", 6}, {"/http://x", 0}, {"http:/", 0}, {"mailto:x", 7}, {"foo://x", 0}} {
		if got := absoluteURI(tt.in); got != tt.want {
			t.Errorf("absoluteURI(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
	for _, tt := range []struct{ in, match, subst, want string }{
		{"/srv/docs/a/b", "/srv/docs/", "/base/", "/base/a/b"},
		{"/srv/docs/a", "/srv/docs", "/base", "/base/a"},
		{"/srv/other/a", "/srv/docs/", "/base/", "/srv/other/a"},
		{"/srv/docs", "/srv/docs/", "/base/", "/srv/docs"},
	} {
		if got := substPrefixPath(tt.in, tt.match, tt.subst); got != tt.want {
			t.Errorf("substPrefixPath(%q, %q, %q) = %q, want %q", tt.in, tt.match, tt.subst, got, tt.want)
		}
	}
	if lexCompare("b", "aa") >= 0 || lexCompare("ab", "aa") <= 0 || lexCompare("x", "x") != 0 {
		t.Error("lexCompare: the longer string is greater, equal lengths compare bytewise")
	}
	for in, want := range map[string]int{"12abc": 12, " -3": -3, "x": 0, "+7": 7} {
		if got := cAtoi(in); got != want {
			t.Errorf("cAtoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestRewriteSplitQuery(t *testing.T) {
	for _, tt := range []struct {
		name, filename, args string
		hasArgs              bool
		qsa, qsd, qsl        bool
		wantFile, wantArgs   string
		wantHas              bool
	}{
		{"none", "/a", "o=1", true, false, false, false, "/a", "o=1", true},
		{"replace", "/a?n=2", "o=1", true, false, false, false, "/a", "n=2", true},
		{"append", "/a?n=2", "o=1", true, true, false, false, "/a", "n=2&o=1", true},
		{"append-no-old", "/a?n=2", "", false, true, false, false, "/a", "n=2", true},
		{"append-empty-new", "/a?", "o=1", true, true, false, false, "/a", "o=1", true},
		{"discard", "/a", "o=1", true, false, true, false, "/a", "", false},
		{"empty-new-drops", "/a?", "o=1", true, false, false, false, "/a", "", false},
		{"trailing-amp", "/a?n=2&", "", false, false, false, false, "/a", "n=2", true},
		{"last", "/a?b?c", "", false, false, false, true, "/a?b", "c", true},
		{"first", "/a?b?c", "", false, false, false, false, "/a", "b?c", true},
		{"no-query-scheme", "ftp://x/a?b", "o=1", true, false, false, false, "ftp://x/a?b", "", false},
	} {
		c := rwCtx{d: &decider{}, filename: tt.filename, args: tt.args, hasArgs: tt.hasArgs}
		c.splitQuery(tt.qsa, tt.qsd, tt.qsl)
		if c.filename != tt.wantFile || c.args != tt.wantArgs || c.hasArgs != tt.wantHas {
			t.Errorf("%s: got %q %q %v, want %q %q %v", tt.name, c.filename, c.args, c.hasArgs, tt.wantFile, tt.wantArgs, tt.wantHas)
		}
	}
}

// rewriteTable loads conf (with @DIR@ standing for a temporary directory
// that holds app.wsgi and map.txt) and compiles it.
func rewriteTable(t *testing.T, conf string) (*Table, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"app.wsgi": "def application(e, s): pass\n", "map.txt": "# comment\nkey1 value1\nkey2 v2a|v2b\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(conf, "@DIR@", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	return Compile(cfg, Options{Hostname: "host.test"}), dir
}

func TestRewriteRoutes(t *testing.T) {
	tbl, _ := rewriteTable(t, `Listen 127.0.0.1:8080
Listen 127.0.0.1:8081
ServerName www.test
WSGIDaemonProcess g1
WSGIScriptAlias /app @DIR@/app.wsgi process-group=g1
RewriteEngine On
RewriteMap m txt:@DIR@/map.txt
RewriteMap p prg:/bin/cat
RewriteRule ^/map/(.*)$ /app/${m:$1|none} [PT]
RewriteRule ^/loopn/ /loopn/ [N=3]
RewriteCond expr "%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'"
RewriteRule ^/exprf - [F]
RewriteCond expr "true"
RewriteRule ^/exprr /app/expr [PT]
RewriteCond ${p:%{REMOTE_ADDR}|x} =x
RewriteRule ^/prgf - [F]
RewriteCond %{HTTP:X-Forwarded-Proto} !https
RewriteRule ^/secure/(.*)$ https://%{HTTP_HOST}/secure/$1 [R=301,L]
RewriteRule ^/status - [R=418]
RewriteRule ^/noalias /app/x [L]
RewriteRule ^/qs/(.*)$ /app/q?x=$1 [PT,QSA]
RewriteRule ^/env - [E=A:1,E=B:2,E=!A]
<Location /if>
<If "true">
RewriteRule . - [F]
</If>
</Location>
<VirtualHost *:8081>
ServerName plain.test
</VirtualHost>
<VirtualHost *:8081>
ServerName inherit.test
RewriteEngine On
RewriteOptions Inherit
RewriteRule ^/own$ /app/own [PT]
</VirtualHost>
<Directory @DIR@>
RewriteEngine On
RewriteRule ^loop$ loop [L]
RewriteRule ^ping$ pong [L]
RewriteRule ^pong$ ping [L]
</Directory>
Alias /d @DIR@
`)
	for _, tt := range []struct {
		name, target, host string
		header             http.Header
		status             int
		pathInfo, query    string
		location, envKV    string
	}{
		{"txt map", "/map/key1", "www.test", nil, 200, "/value1", "", "", ""},
		{"txt map default", "/map/nokey", "www.test", nil, 200, "/none", "", "", ""},
		{"[N] is bounded", "/loopn/", "www.test", nil, 500, "", "", "", ""},
		{"expr in a refusal fails closed", "/exprf", "www.test", nil, 403, "", "", "", ""},
		{"expr elsewhere is false", "/exprr", "www.test", nil, 404, "", "", "", ""},
		{"prg map in a refusal fails closed", "/prgf", "www.test", nil, 403, "", "", "", ""},
		{"header condition, Host variable", "/secure/a", "www.test", nil, 301, "", "", "https://www.test/secure/a", ""},
		{"header condition false", "/secure/a", "www.test", http.Header{"X-Forwarded-Proto": {"https"}}, 404, "", "", "", ""},
		{"R=418 ends the request", "/status", "www.test", nil, 418, "", "", "", ""},
		{"without PT the result is a file", "/noalias", "www.test", nil, 404, "", "", "", ""},
		{"QSA", "/qs/1?o=2", "www.test", nil, 200, "/q", "x=1&o=2", "", ""},
		{"E= and E=!", "/env", "www.test", nil, 404, "", "", "", "B=2"},
		{"<If> around a refusal refuses its section", "/if/x", "www.test", nil, 403, "", "", "", ""},
		{"a vhost without rewrite directives runs no server rules", "/map/key1", "plain.test", nil, 404, "", "", "", ""},
		{"Inherit: own rules, then the main server's", "/map/key1", "inherit.test", nil, 200, "/value1", "", "", ""},
		{"Inherit: own rule", "/own", "inherit.test", nil, 200, "/own", "", "", ""},
		{"same name: no internal redirect", "/d/loop", "www.test", nil, 404, "", "", "", ""},
		{"internal redirect loop ends at 10", "/d/ping", "www.test", nil, 500, "", "", "", ""},
	} {
		port := 8080
		if tt.host != "www.test" {
			port = 8081
		}
		r := tbl.Route(Request{Target: tt.target, Host: tt.host, LocalPort: port, Header: tt.header, RemoteIP: "127.0.0.1"})
		if r.Status != tt.status {
			t.Errorf("%s: %s status %d (%s), want %d", tt.name, tt.target, r.Status, r.Reason, tt.status)
			continue
		}
		if tt.status == 200 && (r.PathInfo != tt.pathInfo || r.Query != tt.query) {
			t.Errorf("%s: %s PATH_INFO %q query %q, want %q %q", tt.name, tt.target, r.PathInfo, r.Query, tt.pathInfo, tt.query)
		}
		if r.RedirectURL != tt.location {
			t.Errorf("%s: %s Location %q, want %q", tt.name, tt.target, r.RedirectURL, tt.location)
		}
		if tt.envKV != "" {
			k, v, _ := strings.Cut(tt.envKV, "=")
			if got, ok := r.Env[k]; !ok || got != v {
				t.Errorf("%s: env %s = %q, want %q (env %v)", tt.name, k, got, v, r.Env)
			}
			if _, ok := r.Env["A"]; ok {
				t.Errorf("%s: A is set after E=!A", tt.name)
			}
		}
	}
}

// TestRewriteNothingPerRequest: a config without mod_rewrite or redirects
// routes without the engine's state (no environment map is made).
func TestRewriteNothingPerRequest(t *testing.T) {
	tbl, _ := rewriteTable(t, "Listen 127.0.0.1:8080\nWSGIScriptAlias / @DIR@/app.wsgi\n")
	allocs := testing.AllocsPerRun(100, func() { tbl.Route(Request{Target: "/x", LocalPort: 8080}) })
	r := tbl.Route(Request{Target: "/x", LocalPort: 8080})
	if r.Env != nil || r.RedirectURL != "" {
		t.Errorf("env %v, location %q without any rewrite config", r.Env, r.RedirectURL)
	}
	tbl2, _ := rewriteTable(t, "Listen 127.0.0.1:8080\nWSGIScriptAlias / @DIR@/app.wsgi\nRedirect /elsewhere http://x/\n")
	allocs2 := testing.AllocsPerRun(100, func() { tbl2.Route(Request{Target: "/x", LocalPort: 8080}) })
	if allocs2 > allocs {
		t.Errorf("a Redirect that does not match costs %v allocations per request, none %v", allocs2, allocs)
	}
}

// TestRewriteExpandNoPanic runs the expansion over awkward inputs: it must
// never panic, whatever a config or a request holds.
func TestRewriteExpandNoPanic(t *testing.T) {
	tbl, _ := rewriteTable(t, "Listen 127.0.0.1:8080\nRewriteEngine On\nRewriteMap m int:tolower\nRewriteRule ^/(x)(y)? - [E=A:%{TIME}]\n")
	d := &decider{t: tbl, st: tbl.main, r: &Route{ServerName: "h", ServerPort: 80}, stat: os.Stat, uri: "/xy", header: http.Header{"A": {"b"}}}
	c := rwCtx{d: d, filename: "/xy", rr: backref{src: "xy", m: []int{0, 2, 0, 1, -1, -1}}}
	inputs := []string{"", "%", "$", "\\", "%{", "${", "%{}", "${}", "${m}", "${m:}", "${m:a|}", "${m:%{TIME}|x}",
		"%{TIME}", "%{TIM}", "%{HTTP:}", "%{HTTP:A}", "%{ENV:}", "%{ENV:X}", "%{SSL:x}", "%{LA-U:x}", "$9", "%9", "$0$1$2",
		"%{%{}}", "${m:${m:${m:X}}}", "{}}{", "%{THE_REQUEST}", "%{REQUEST_URI}x\\", "%{HTTP_HOST}%{IPV6}%{TIME_WDAY}"}
	for _, in := range inputs {
		_ = c.expand(in, nil)
		_ = c.expand(in, &config.RewriteRule{EscapeBackrefs: true})
	}
	if got := c.expand("${m:AbC}-$1-%{REQUEST_URI}-\\$1", nil); got != "abc-x-/xy-$1" {
		t.Errorf("expand = %q", got)
	}
}
