package cmd_test

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// signalsApp answers after ?s= seconds, so that a request is in flight when
// the signal arrives.
const signalsApp = `import time
def application(environ, start_response):
    q = environ.get("QUERY_STRING", "")
    if q.startswith("s="):
        time.sleep(float(q[2:]))
    body = ("pid %d" % __import__("os").getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

const signalsConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess app processes=1 threads=4 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias / "@DIR@/app.py"
`

// TestServeSignals: the signals Apache's tools send for restarts (HUP,
// USR1) and USR2 are logged and the server keeps serving: a request in
// flight when they arrive completes, the same workers serve the next ones.
func TestServeSignals(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-signals-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	srv := serveStartConf(t, bin, dir, "site.conf", signalsConf)
	pids := serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})
	base := "http://" + srv.Addr()
	client := &http.Client{Timeout: 20 * time.Second}
	get := func(query string) (int, string, error) {
		resp, err := client.Get(base + "/x?" + query)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	_, before, err := get("")
	if err != nil {
		t.Fatal(err)
	}
	offsets := srv.LogSizes()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2} {
		type result struct {
			status int
			body   string
			err    error
		}
		inflight := make(chan result, 1)
		go func() {
			s, b, err := get("s=1")
			inflight <- result{s, b, err}
		}()
		time.Sleep(300 * time.Millisecond) // the request is in the app now
		if err := srv.cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		r := <-inflight
		if r.err != nil || r.status != 200 || r.body != before {
			t.Errorf("%v: the request in flight got %d %q (%v); want 200 %q", sig, r.status, r.body, r.err, before)
		}
		if exited, err := srv.Exited(); exited {
			t.Fatalf("%v killed the server (%v):\n%s", sig, err, srv.Tail(20))
		}
		if s, b, err := get(""); err != nil || s != 200 || b != before {
			t.Errorf("%v: the next request got %d %q (%v); want 200 from the same worker, %q", sig, s, b, err, before)
		}
	}
	logged := srv.LogSince(offsets)
	for _, name := range []string{"SIGHUP", "SIGUSR1", "SIGUSR2"} {
		if !strings.Contains(logged, "received "+name+": reloading the config is not supported yet") {
			t.Errorf("no log line for %s; the log says: %s", name, logged)
		}
	}
	if len(pids) != 1 {
		t.Fatalf("workers: %v", pids)
	}
	for pid := range pids {
		if before != fmt.Sprintf("pid %d", pid) {
			t.Errorf("answered by %q, the worker is %d", before, pid)
		}
	}
}
