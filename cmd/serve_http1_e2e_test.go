package cmd_test

import (
	"path/filepath"
	"testing"
)

const serveReasonConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess rsn processes=1 threads=2
WSGIProcessGroup rsn
WSGIScriptAlias / "@DIR@/app.py"
<Directory "@DIR@">
    Require all granted
</Directory>
`

const serveReasonApp = `def application(environ, start_response):
    status = {"/custom": "299 Custom Thing", "/std": "200 OK", "/okay": "200 Okay"}[environ["PATH_INFO"]]
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
`

// TestServeReasonPhrase: the application's reason phrase reaches the
// client, as mod_wsgi sends it.
func TestServeReasonPhrase(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-reason-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(serveReasonApp))
	srv := serveStartConf(t, bin, dir, "reason.conf", serveReasonConf)
	base := "http://" + srv.Addr()
	for path, want := range map[string]string{"/custom": "299 Custom Thing", "/std": "200 OK", "/okay": "200 Okay"} {
		resp, body := serveGet(t, base+path)
		if resp.Status != want || string(body) != "ok" {
			t.Errorf("%s: %q %q, want %q", path, resp.Status, body, want)
		}
	}
}
