package route

import (
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
)

// TestAccessFailClosed: directives appserver cannot evaluate refuse the
// requests they could apply to; evaluated forms follow httpd (the
// "access" oracle case checks those against real Apache).
func TestAccessFailClosed(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.wsgi")
	if err := os.WriteFile(app, []byte("def application(e, s): pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := `Listen 127.0.0.1:8080
WSGIScriptAlias / ` + app + `
<Directory ` + dir + `>
Require all granted
</Directory>
RewriteEngine On
RewriteRule ^/blocked - [F]
RewriteRule ^/GONE - [G,NC]
RewriteRule ^/moved /elsewhere [R=301]
RewriteCond %{TIME_HOUR} ^0
RewriteRule ^/night - [F]
<Location /tls>
SSLRequireSSL
</Location>
<Location /sslexpr>
SSLRequire %{SSL_CIPHER_USEKEYSIZE} >= 128
</Location>
<Location /auth>
AuthType Basic
AuthName x
AuthUserFile /nonexistent
Require valid-user
</Location>
<Location /authtype-only>
AuthType Basic
AuthName x
</Location>
<Location /limit>
<Limit POST PUT>
Require valid-user
</Limit>
</Location>
<Location /limitgrant>
<Limit GET>
Require all granted
</Limit>
</Location>
<Location /if>
<If "%{REMOTE_ADDR} != '127.0.0.1'">
Require all denied
</If>
</Location>
<Location /ifgrant>
<If "true">
Require all granted
</If>
</Location>
<Location /ifdeny>
<If "true">
Order deny,allow
Deny from all
</If>
</Location>
<Location /secrw>
RewriteRule ^x$ - [F]
</Location>
<Location /ip>
Order deny,allow
Deny from all
Allow from 127.0.0.1
</Location>
<Location /compat>
Order allow,deny
Deny from all
</Location>
<Location /compat/open>
Order allow,deny
Allow from all
</Location>
<Location /cert>
SSLVerifyClient require
</Location>
<Location /certopt>
SSLVerifyClient optional
</Location>
<Location /script>
WSGIAccessScript /nonexistent/access.wsgi
</Location>
<Directory ` + dir + `>
AllowOverride All
<FilesMatch "\\.ini$">
Order allow,deny
Deny from all
</FilesMatch>
</Directory>
`
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target string
		https          bool
		want           int
	}{
		{"GET", "/public", false, 200},
		{"GET", "/blocked", false, 403},
		{"GET", "/blocked/x", false, 403},
		{"GET", "/gone", false, 410},
		{"GET", "/moved", false, 200},
		{"GET", "/night", false, 403},
		{"GET", "/day", false, 200},
		{"GET", "/tls", false, 403},
		{"GET", "/tls", true, 200},
		{"GET", "/sslexpr", true, 403},
		{"GET", "/auth", false, 401},
		{"GET", "/authtype-only", false, 200},
		{"GET", "/limit", false, 200},
		{"HEAD", "/limit", false, 200},
		{"POST", "/limit", false, 403},
		{"PUT", "/limit", false, 403},
		{"GET", "/limitgrant", false, 200},
		{"GET", "/if", false, 403},
		{"GET", "/ifgrant", false, 200},
		{"GET", "/ifdeny", false, 403},
		{"GET", "/secrw/y", false, 403},
		{"GET", "/ip", false, 403},
		{"GET", "/compat", false, 403},
		{"POST", "/compat/x", false, 403},
		{"GET", "/compat/open", false, 200},
		{"GET", "/cert", true, 403},
		{"GET", "/certopt", true, 200},
		{"GET", "/script", false, 403},
	}
	for _, tt := range tests {
		r := Compile(cfg, Options{}).Route(Request{Method: tt.method, Target: tt.target, HTTPS: tt.https, LocalPort: 8080})
		if r.Status != tt.want {
			t.Errorf("%s %s (https=%v): status %d (%s), want %d", tt.method, tt.target, tt.https, r.Status, r.Reason, tt.want)
		}
	}
	// Every fail-closed directive is named by a "denies" warning.
	var denies []string
	for _, w := range cfg.Warnings {
		if w.Kind == "denies" {
			denies = append(denies, w.Msg)
		}
	}
	for _, want := range []string{"RewriteRule ^/night - [F]", "SSLRequire %{SSL", "Require valid-user: appserver does not evaluate Require per method",
		"Require all denied: it is inside <If>", "Deny from all: it is inside <If>", "RewriteRule ^x$ - [F]",
		"SSLVerifyClient require"} {
		found := false
		for _, m := range denies {
			if strings.Contains(m, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no denies warning containing %q in %q", want, denies)
		}
	}
	htaccess := false
	for _, w := range cfg.Warnings {
		htaccess = htaccess || (w.Kind == "ignored" && strings.Contains(w.Msg, "AllowOverride is ignored: .htaccess files are never read"))
	}
	if !htaccess {
		t.Error("no warning that AllowOverride All reads no .htaccess")
	}
	for _, m := range denies {
		if strings.Contains(m, "R=301") || strings.Contains(m, "^/blocked") || strings.HasPrefix(m, "SSLRequireSSL") {
			t.Errorf("redirect rule reported as denying: %s", m)
		}
	}
}

func TestAccessCompatCheck(t *testing.T) {
	rule := func(kind config.CompatKind, v string, hosts ...string) config.CompatRule {
		r := config.CompatRule{Kind: kind, Value: v, Hosts: hosts}
		for _, h := range hosts {
			p, _ := config.ParseCompatHost(h)
			r.Parsed = append(r.Parsed, p)
		}
		return r
	}
	tests := []struct {
		name  string
		rules []config.CompatRule
		want  config.Tri
	}{
		{"nothing", nil, config.TriYes},
		{"allow,deny alone", []config.CompatRule{rule("order", "allow,deny")}, config.TriNo},
		{"allow,deny allow all", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "all")}, config.TriYes},
		{"allow,deny both", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "all"), rule("deny", "", "all")}, config.TriNo},
		{"deny,allow both", []config.CompatRule{rule("order", "deny,allow"), rule("deny", "", "all"), rule("allow", "", "all")}, config.TriYes},
		{"deny ip", []config.CompatRule{rule("deny", "", "10.0.0.1")}, config.TriYes},
		{"deny my ip", []config.CompatRule{rule("deny", "", "10.9")}, config.TriNo},
		{"deny host", []config.CompatRule{rule("deny", "", "example.org")}, config.TriUnknown},
		{"deny ip allow all", []config.CompatRule{rule("deny", "", "10.0.0.1"), rule("allow", "", "all")}, config.TriYes},
		{"allow,deny allow ip", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "10.1")}, config.TriNo},
		{"allow,deny allow my net", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "10.0.0.0/8")}, config.TriYes},
		{"allow,deny allow host", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "example.org")}, config.TriUnknown},
		{"allow env unset", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "env=X")}, config.TriNo},
		{"allow env=! unset", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "env=!X")}, config.TriYes},
		{"allow,deny allow ip deny all", []config.CompatRule{rule("order", "allow,deny"), rule("allow", "", "10.1"), rule("deny", "", "all")}, config.TriNo},
		{"mutual-failure", []config.CompatRule{rule("order", "mutual-failure"), rule("allow", "", "all")}, config.TriYes},
	}
	for _, tt := range tests {
		ac := &config.AccessCompat{Rules: tt.rules}
		if got, _ := ac.Check(&config.AccessReq{Method: "GET", RemoteIP: netip.MustParseAddr("10.9.9.9")}); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestRewriteRefuse routes the URLs of the rewrite-refuse oracle case that
// Apache serves (the oracle compares only the refused ones; see there).
func TestRewriteRefuse(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.wsgi")
	if err := os.WriteFile(app, []byte("def application(e, s): pass\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snippet, err := os.ReadFile("../../testdata/oracle/rewrite-refuse.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := "Listen 127.0.0.1:8080\n<Directory " + dir + ">\nRequire all granted\n</Directory>\n" +
		strings.ReplaceAll(string(snippet), "@PROBE@", app)
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	// Apache 2.4 with mod_rewrite answered these on this snippet.
	for target, want := range map[string]int{
		"/": 200, "/gitx": 200, "/a": 200, "/cx": 200, "/older": 200, "/keep": 200,
		"/git/x": 403, "/ax": 403, "/bx": 403, "/old": 410, "/old/y": 410, "/secret": 403, "/SECRET/x": 403, "/kx": 403,
	} {
		if r := Compile(cfg, Options{}).Route(Request{Target: target, LocalPort: 8080}); r.Status != want {
			t.Errorf("%s: %d (%s), want %d", target, r.Status, r.Reason, want)
		}
	}
	for _, tt := range []struct {
		method, target, ua string
		want               int
	}{
		{"GET", "/", "Mozilla/5.0 (compatible; GPTBot/1.0)", 403},
		{"GET", "/", "mozilla claudebot", 403},
		{"GET", "/", "curl/8", 200},
		{"DELETE", "/del", "", 403},
		{"GET", "/del", "", 200},
	} {
		h := http.Header{}
		if tt.ua != "" {
			h.Set("User-Agent", tt.ua)
		}
		if r := Compile(cfg, Options{}).Route(Request{Method: tt.method, Target: tt.target, LocalPort: 8080, Header: h}); r.Status != tt.want {
			t.Errorf("%s %s UA %q: %d (%s), want %d", tt.method, tt.target, tt.ua, r.Status, r.Reason, tt.want)
		}
	}
	for _, w := range cfg.Warnings {
		if w.Kind == "denies" {
			t.Errorf("rules appserver evaluates exactly need no denies warning: %s", w.Msg)
		}
	}
}

// TestAccessFilesSection: a <FilesMatch> Deny applies to the files it
// matches only.
func TestAccessFilesSection(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"app.ini", "app.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := "Listen 127.0.0.1:8080\nAlias /s " + dir + "\n<Directory " + dir + ">\nRequire all granted\n<FilesMatch \"\\.ini$\">\nOrder allow,deny\nDeny from all\n</FilesMatch>\n</Directory>\n"
	path := filepath.Join(dir, "t.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{NoHostChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]int{"/s/app.ini": 403, "/s/app.txt": 200} {
		if r := Compile(cfg, Options{}).Route(Request{Target: target, LocalPort: 8080}); r.Status != want {
			t.Errorf("%s: %d (%s), want %d", target, r.Status, r.Reason, want)
		}
	}
}
