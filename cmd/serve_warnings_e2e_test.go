package cmd_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const warningsConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
ServerTokens OS
ServerSignature On
HostnameLookups Off
WSGIDaemonProcess app processes=1 threads=1 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias / "@DIR@/app.py"
`

// TestServeWarningSummary (issue 8 item 4): serve logs one line that counts
// the config's warnings by kind instead of one line per warning; --quiet
// logs errors only; configtest ends its list with the same count.
func TestServeWarningSummary(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-warnings-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	srv := serveStartConf(t, bin, dir, "site.conf", warningsConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})
	serveGet(t, "http://"+srv.Addr()+"/")
	log := srv.Tail(100)
	if n := strings.Count(log, "3 warnings: 3 ignored"); n != 1 {
		t.Errorf("%d summary lines, want 1:\n%s", n, log)
	}
	if strings.Contains(log, "ServerTokens") {
		t.Errorf("a warning was logged on its own:\n%s", log)
	}
	conf := filepath.Join(dir, "site.conf")
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	quiet, err := serveStart(t, bin, conf, srv.Port, filepath.Join(dir, "quiet.log"), nil, "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	serveWaitTitles(t, quiet, map[string]int{"(wsgi:app)": 1})
	serveGet(t, "http://"+quiet.Addr()+"/")
	if log := quiet.Tail(100); strings.Contains(log, "level=WARN") || strings.Contains(log, "level=INFO") {
		t.Errorf("--quiet logged more than errors:\n%s", log)
	}

	if err := quiet.Stop(); err != nil { // configtest would see the port in use
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "configtest", "-f", conf).CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), "3 warnings: 3 ignored\nSyntax OK\n") {
		t.Errorf("configtest (%v) does not end with the count and Syntax OK:\n%s", err, out)
	}
}
