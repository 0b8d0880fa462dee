package cmd_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rewriteApp reports what it was asked for, so that the test can see where
// an internal rewrite landed.
const rewriteApp = `def application(environ, start_response):
    body = "|".join(environ.get(k, "-") for k in ("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RWVAR", "REDIRECT_URL")).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Vary", "Cookie")])
    return [body]
`

const rewriteConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess app processes=1 threads=2 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias /app "@DIR@/app.py"
DocumentRoot "@DIR@/htdocs"
RewriteEngine On
RewriteCond %{HTTP:X-Mode} ^internal$
RewriteRule ^/in/(.*)$ /app/$1?added=1 [PT,QSA,E=RWVAR:$1]
RewriteRule ^/out/(.*)$ http://example.com/$1 [R=301,L]
RewriteRule ^/nope - [F]
Redirect /old /app/new
<Directory "@DIR@/htdocs">
    RewriteRule ^(.*)$ /app/front/$1 [L]
</Directory>
`

// TestServeRewrite: the real binary answers mod_rewrite's and mod_alias's
// decisions: an internal rewrite reaches the app with the new PATH_INFO and
// query but the original REQUEST_URI, [E=] reaches the environ, the headers
// a condition looked at are added to Vary, redirects carry Location and
// httpd's page, [F] is 403, and a per-directory rule on the DocumentRoot
// is an internal redirect (REDIRECT_URL).
func TestServeRewrite(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-rewrite-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(rewriteApp))
	if err := os.MkdirAll(filepath.Join(dir, "htdocs"), 0o755); err != nil {
		t.Fatal(err)
	}
	srv := serveStartConf(t, bin, dir, "site.conf", rewriteConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})

	get := func(path string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", "http://"+srv.Addr()+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, body := serveDo(t, req)
		return resp, string(body)
	}

	resp, body := get("/in/x/y?q=1", "X-Mode", "internal")
	if resp.StatusCode != 200 || body != "/app|/x/y|added=1&q=1|/in/x/y?q=1|x/y|-" {
		t.Errorf("internal rewrite: %d %q", resp.StatusCode, body)
	}
	if v := resp.Header.Values("Vary"); len(v) != 1 || v[0] != "X-Mode,Cookie" {
		t.Errorf("Vary %q, want one X-Mode,Cookie: the condition's header, then the app's, as httpd's fix_vary writes them", v)
	}
	// Without the header the rule does not apply: the DocumentRoot's
	// per-directory rule sends the request to the app.
	if resp, body := get("/in/x"); resp.StatusCode != 200 || !strings.HasPrefix(body, "/app|/front/in/x|") {
		t.Errorf("condition false: %d %q", resp.StatusCode, body)
	}

	resp, body = get("/out/a%20b?k=v")
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "http://example.com/a%20b?k=v" ||
		!strings.Contains(body, `<p>The document has moved <a href="http://example.com/a%20b?k=v">here</a>.</p>`) {
		t.Errorf("external redirect: %d %q %q", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if resp, _ := get("/nope"); resp.StatusCode != 403 {
		t.Errorf("[F]: %d, want 403", resp.StatusCode)
	}
	resp, _ = get("/old/x?z=1")
	if want := "http://" + srv.Addr() + "/app/new/x?z=1"; resp.StatusCode != 302 || resp.Header.Get("Location") != want {
		t.Errorf("Redirect: %d %q, want 302 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	resp, body = get("/front/page?p=2")
	if resp.StatusCode != 200 || body != "/app|/front/front/page|p=2|/front/page?p=2|-|/front/page" {
		t.Errorf("per-directory rewrite: %d %q", resp.StatusCode, body)
	}
}
