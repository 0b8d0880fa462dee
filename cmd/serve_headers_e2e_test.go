package cmd_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const headersApp = `def application(environ, start_response):
    body = "%s|%s|%s|%s" % (environ.get("HTTP_X_REQ", "-"), environ.get("HTTP_HOST", "-"), environ.get("MOBILE", "-"),
                             environ["wsgi.url_scheme"])
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-From-App", "app")])
    return [body.encode()]
`

const headersConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess app processes=1 threads=4 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias / "@DIR@/app.py"
LogFormat "%U req=%{X-Req}i out=%{X-Out}o app=%{X-From-App}o mobile=%{MOBILE}e" probe
CustomLog "@DIR@/access.log" probe env=!dontlog
BrowserMatchNoCase mobile MOBILE=yes
SetEnvIf Request_URI "^/healthz" dontlog
SetEnvIf X-Forwarded-SSL on HTTPS=1
RequestHeader set X-Req "rewritten"
RequestHeader set Host "renamed.test"
Header set X-Time "%t %D"
Header set X-Out "out"
Header edit X-From-App "^app$" "edited"
`

// TestServeHeaders: what the oracle does not compare. RequestHeader's
// changes reach the application and the access log (%{X}i), Header's the
// log's %{X}o, %t/%D have mod_headers' shape, and SetEnvIf's variables
// reach the log (%{VAR}e, CustomLog env=!VAR: the corpus's "dontlog") and
// the corpus's "SetEnvIf X-Forwarded-SSL on HTTPS=1" makes wsgi.url_scheme
// https (the oracle's routes mode cannot show HTTPS: the probe leaves it out).
func TestServeHeaders(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-headers-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(headersApp))
	srv := serveStartConf(t, bin, dir, "site.conf", headersConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})

	if resp, err := serveClient.Get("http://" + srv.Addr() + "/healthz"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	req, _ := http.NewRequest("GET", "http://"+srv.Addr()+"/hello", nil)
	req.Header.Set("X-Req", "original")
	req.Header.Set("User-Agent", "Some Mobile thing")
	req.Header.Set("X-Forwarded-SSL", "on")
	resp, err := serveClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := string(body), "rewritten|renamed.test|yes|https"; got != want {
		t.Errorf("the app saw %q, want %q", got, want)
	}
	if !regexp.MustCompile(`^t=\d{16} D=\d+$`).MatchString(resp.Header.Get("X-Time")) {
		t.Errorf("X-Time = %q, want \"t=<µs since the epoch> D=<µs>\"", resp.Header.Get("X-Time"))
	}
	if got := resp.Header.Get("X-From-App"); got != "edited" {
		t.Errorf("X-From-App = %q, want edited", got)
	}
	want := "/hello req=rewritten out=out app=edited mobile=yes"
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		if strings.Contains(string(data), want) {
			if strings.Contains(string(data), "/healthz") {
				t.Errorf("access.log has the dontlog request:\n%s", data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("access.log has %q, want a line %q", data, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
