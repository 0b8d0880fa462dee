package cmd_test

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// serveAccessConf: old-style access control (mod_access_compat) must never
// fail open. Real Apache 2.4 answers 403 to /private and /private/x and
// serves /public and /old (measured with mod_access_compat loaded).
// /tlsonly (SSLRequireSSL) is refused over plain HTTP, as in Apache.
const serveAccessConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess acc processes=1 threads=2
WSGIProcessGroup acc
WSGIScriptAlias / "@DIR@/app.py"
<Directory "@DIR@">
    Require all granted
</Directory>
<Location /private>
    Order allow,deny
    Deny from all
</Location>
<Location /old>
    Order allow,deny
    Allow from all
</Location>
<Location /tlsonly>
    SSLRequireSSL
</Location>
`

// serveAccessApp answers every request with the paths it has seen so far
// in this process, so the test can tell the refused ones never reached it.
const serveAccessApp = `seen = []
def application(environ, start_response):
    seen.append(environ.get('PATH_INFO', ''))
    body = '\n'.join(seen).encode()
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Content-Length', str(len(body)))])
    return [body]
`

func TestServeAccessCompat(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-access-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(serveAccessApp))
	srv := serveStartConf(t, bin, dir, "access.conf", serveAccessConf)
	base := "http://" + srv.Addr()
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/public", 200},
		{"GET", "/private", 403},
		{"GET", "/private/x?y=1", 403},
		{"POST", "/private", 403},
		{"GET", "/old", 200},
		{"GET", "/tlsonly", 403}, // plain HTTP; TestServeTLSAndAccessLog checks it is served over TLS
	} {
		req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader("a=b"))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := serveDo(t, req)
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s: %d, want %d (body %.200q)", tt.method, tt.path, resp.StatusCode, tt.want, body)
		}
	}
	_, body := serveGet(t, base+"/public/seen")
	seen := string(body)
	if !strings.Contains(seen, "/public") || !strings.Contains(seen, "/old") {
		t.Errorf("the app did not see the served requests: %q", seen)
	}
	if strings.Contains(seen, "/private") || strings.Contains(seen, "/tlsonly") {
		t.Errorf("a refused request reached the app: %q", seen)
	}
}

// serveRequireIPConf: Require ip and Require local decide per request with
// the connection's client address; a trusted proxy's X-Forwarded-For
// changes REMOTE_ADDR for the application, never what Require ip sees
// (Apache without mod_remoteip).
const serveRequireIPConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess acc processes=1 threads=2
WSGIProcessGroup acc
WSGIScriptAlias / "@DIR@/app.py"
WSGITrustedProxyHeaders X-Forwarded-For
WSGITrustedProxies 127.0.0.1
<Directory "@DIR@">
    Require all granted
</Directory>
<Location /server-status>
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
<Location /server-metrics>
    SetHandler server-metrics
    Require local
</Location>
<Location /nolocal>
    Require ip 10.0.0.0/8
</Location>
<Location /notlocal>
    <RequireAll>
        Require all granted
        Require not local
    </RequireAll>
</Location>
<Location /either>
    Require ip 10.0.0.0/8 ::1
    Require ip 127.0.0.0/255.0.0.0
</Location>
`

func TestServeRequireIP(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-requireip-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(serveAccessApp))
	srv := serveStartConf(t, bin, dir, "require.conf", serveRequireIPConf)
	base := "http://" + srv.Addr()
	for _, tt := range []struct {
		path, forwarded string
		want            int
	}{
		{"/server-status", "", 200},
		{"/server-status?auto", "", 200},
		{"/server-metrics", "", 200},
		{"/nolocal", "", 403},
		{"/nolocal/x", "10.1.2.3", 403}, // a proxy header is not the client's address
		{"/notlocal", "", 403},
		{"/either", "", 200},
		{"/open", "", 200},
	} {
		req, err := http.NewRequest("GET", base+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.forwarded != "" {
			req.Header.Set("X-Forwarded-For", tt.forwarded)
		}
		resp, body := serveDo(t, req)
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s (X-Forwarded-For %q): %d, want %d (body %.200q)", tt.path, tt.forwarded, resp.StatusCode, tt.want, body)
		}
	}
	_, body := serveGet(t, base+"/open/seen")
	if seen := string(body); strings.Contains(seen, "/nolocal") || strings.Contains(seen, "/notlocal") {
		t.Errorf("a refused request reached the app: %q", seen)
	}
}
