package cmd_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
// USR1) reload the unchanged config, USR2 is logged, and the server keeps
// serving: a request in flight when they arrive completes, the same
// workers serve the next ones (an unchanged group keeps its processes).
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
	for _, want := range []string{"reloading the config\" signal=SIGHUP", "reloading the config\" signal=SIGUSR1",
		"received SIGUSR2: ignored", "msg=reloaded"} {
		if !strings.Contains(logged, want) {
			t.Errorf("no %q in the log: %s", want, logged)
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

// TestServeReloadSignal: SIGHUP applies a changed config (the changed
// group gets new processes, a request in flight finishes on the old one)
// and refuses a broken one, which leaves the config in service serving.
func TestServeReloadSignal(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-reload-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	srv := serveStartConf(t, bin, dir, "site.conf", signalsConf)
	base := "http://" + srv.Addr()
	client := &http.Client{Timeout: 20 * time.Second}
	get := func(query string) (int, string) {
		resp, err := client.Get(base + "/x?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, before := get("")
	conf := filepath.Join(dir, "site.conf")
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	offsets := srv.LogSizes()
	// A broken config: refused, the same worker keeps serving.
	serveReloadWith(t, srv, conf, strings.Replace(string(text), "threads=4", "threads=4 no-such-option=1", 1))
	serveWaitLog(t, srv, offsets, "reload refused: the config has errors", 1)
	if s, b := get(""); s != 200 || b != before {
		t.Errorf("after the refused reload: %d %q, want %q", s, b, before)
	}
	// A changed group: new processes, and the request in flight finishes.
	inflight := make(chan string, 1)
	go func() {
		_, b := get("s=1")
		inflight <- b
	}()
	time.Sleep(300 * time.Millisecond)
	serveReloadWith(t, srv, conf, strings.Replace(string(text), "threads=4", "threads=3", 1))
	serveWaitLog(t, srv, offsets, "msg=reloaded", 1)
	if b := <-inflight; b != before {
		t.Errorf("the request in flight during the reload got %q, want %q", b, before)
	}
	if s, b := get(""); s != 200 || b == before {
		t.Errorf("after the reload: %d %q, want a new worker (was %q)", s, b, before)
	}
}

// TestServeStopRules (issue 11 item 2): SIGTERM lets a request in flight
// finish within the stop grace (GracefulShutdownTimeout); one still running
// after it gets its group's shutdown-timeout, then its worker is killed;
// a second SIGTERM stops at once.
func TestServeStopRules(t *testing.T) {
	bin := serveBinary(t)
	conf := strings.Replace(signalsConf, "threads=4", "threads=4 shutdown-timeout=1", 1) + "GracefulShutdownTimeout 2\n"
	start := func(name string) (*serveServer, func(string) (int, error)) {
		dir := serveWorldDir(t, "appserver-e2e-stop-"+name+"-")
		oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
		srv := serveStartConf(t, bin, dir, "site.conf", conf)
		client := &http.Client{Timeout: 30 * time.Second}
		return srv, func(query string) (int, error) {
			resp, err := client.Get("http://" + srv.Addr() + "/x?" + query)
			if err != nil {
				return 0, err
			}
			defer resp.Body.Close()
			_, err = io.ReadAll(resp.Body)
			return resp.StatusCode, err
		}
	}
	type result struct {
		status int
		err    error
	}
	inflight := func(get func(string) (int, error), query string) chan result {
		ch := make(chan result, 1)
		go func() {
			s, err := get(query)
			ch <- result{s, err}
		}()
		time.Sleep(300 * time.Millisecond)
		return ch
	}
	waitExit := func(srv *serveServer, within time.Duration) time.Duration {
		t.Helper()
		began := time.Now()
		for {
			if exited, _ := srv.Exited(); exited {
				return time.Since(began)
			}
			if time.Since(began) > within {
				t.Fatalf("still running %v after the signal", within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	t.Run("within the grace", func(t *testing.T) {
		srv, get := start("grace")
		ch := inflight(get, "s=1")
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if r := <-ch; r.err != nil || r.status != 200 {
			t.Errorf("a 1 s request during the stop: %d %v, want 200", r.status, r.err)
		}
		waitExit(srv, 10*time.Second)
	})
	t.Run("past the grace", func(t *testing.T) {
		srv, get := start("past")
		ch := inflight(get, "s=20")
		srv.cmd.Process.Signal(syscall.SIGTERM)
		// 2 s of grace, 1 s of shutdown-timeout, then the worker is killed.
		took := waitExit(srv, 12*time.Second)
		if r := <-ch; r.status == 200 {
			t.Errorf("a 20 s request survived the stop: %d", r.status)
		}
		if took < 2*time.Second || took > 8*time.Second {
			t.Errorf("stopped after %v, want about 3 s (grace 2 s + shutdown-timeout 1 s)", took)
		}
	})
	t.Run("second SIGTERM", func(t *testing.T) {
		srv, get := start("twice")
		ch := inflight(get, "s=20")
		srv.cmd.Process.Signal(syscall.SIGTERM)
		time.Sleep(300 * time.Millisecond)
		srv.cmd.Process.Signal(syscall.SIGTERM)
		if took := waitExit(srv, 5*time.Second); took > 2*time.Second {
			t.Errorf("a second SIGTERM took %v to stop the server", took)
		}
		<-ch
	})
}

// TestControlReloadStop (issue 11 items 1 and 4): appserver reload refuses
// a broken config with its errors and exit 1, applies a good one;
// appserver -k graceful is the same; appserver stop waits until the server
// has stopped.
func TestControlReloadStop(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-ctlreload-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	srv := serveStartConf(t, bin, dir, "site.conf", signalsConf)
	conf := filepath.Join(dir, "site.conf")
	text, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	get := func() string {
		resp, err := client.Get("http://" + srv.Addr() + "/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	before := get()
	oracleWriteFile(t, conf, []byte(strings.Replace(string(text), "threads=4", "threads=4 no-such-option=1", 1)))
	out, err := run("reload", "-f", conf)
	if err == nil || !strings.Contains(out, "reload refused") || !strings.Contains(out, "site.conf:4:") {
		t.Errorf("reload of a broken config: %v\n%s", err, out)
	}
	oracleWriteFile(t, conf, []byte(strings.Replace(string(text), "threads=4", "threads=2", 1)))
	if out, err := run("-k", "graceful", "-f", conf); err != nil || strings.TrimSpace(out) != "reloaded" {
		t.Errorf("-k graceful: %v\n%s", err, out)
	}
	if after := get(); after == before {
		t.Errorf("the changed group still answers from %q", after)
	}
	if out, err := run("stop", "-f", conf); err != nil || strings.TrimSpace(out) != "stopped" {
		t.Errorf("stop: %v\n%s", err, out)
	}
	if exited, _ := srv.Exited(); !exited {
		t.Error("the server still runs after appserver stop said stopped")
	}
}

// TestReloadUnderLoad (issue 11, "done when"): three reloads (a changed
// group, an invalid config, back to the first) under 8 clients: not one
// request fails.
func TestReloadUnderLoad(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-reloadload-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	twoGroups := signalsConf + "WSGIDaemonProcess other processes=2 threads=2\n<Location /other>\n    WSGIProcessGroup other\n</Location>\n"
	srv := serveStartConf(t, bin, dir, "site.conf", twoGroups)
	conf := filepath.Join(dir, "site.conf")
	first, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	var ok, failed atomic.Int64
	var fails sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second}
			path := []string{"/x?s=0.05", "/other/y?s=0.05"}[i%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("http://" + srv.Addr() + path)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					failed.Add(1)
					fails.Store(err.Error(), true)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	offsets := srv.LogSizes()
	time.Sleep(500 * time.Millisecond)
	serveReloadWith(t, srv, conf, strings.Replace(string(first), "processes=2 threads=2", "processes=2 threads=3", 1))
	serveWaitLog(t, srv, offsets, "msg=reloaded", 1)
	time.Sleep(500 * time.Millisecond)
	serveReloadWith(t, srv, conf, strings.Replace(string(first), "threads=4", "threads=4 bogus=1", 1))
	serveWaitLog(t, srv, offsets, "reload refused: the config has errors", 1)
	time.Sleep(500 * time.Millisecond)
	serveReloadWith(t, srv, conf, string(first))
	serveWaitLog(t, srv, offsets, "msg=reloaded", 2)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 50 {
		var why []string
		fails.Range(func(k, _ any) bool { why = append(why, k.(string)); return true })
		t.Errorf("%d of %d requests failed across three reloads: %v", failed.Load(), failed.Load()+ok.Load(), why)
	}
	t.Logf("%d requests, none failed", ok.Load())
}

// TestReloadListeners: a reload opens the Listen addresses the config adds
// and closes the ones it drops; one it cannot bind refuses the reload.
func TestReloadListeners(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-reloadlisten-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	srv := serveStartConf(t, bin, dir, "site.conf", signalsConf)
	conf := filepath.Join(dir, "site.conf")
	first, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	offsets := srv.LogSizes()
	reload := func(text, want string, n int) {
		t.Helper()
		serveReloadWith(t, srv, conf, text)
		serveWaitLog(t, srv, offsets, want, n)
	}
	get := func(port int) error {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(port) + "/x")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	second := oracleFreePort(t)
	reload(string(first)+"Listen 127.0.0.1:"+strconv.Itoa(second)+"\n", "msg=reloaded", 1)
	if err := get(second); err != nil {
		t.Errorf("the added Listen: %v", err)
	}
	if err := get(srv.Port); err != nil {
		t.Errorf("the first Listen after adding one: %v", err)
	}
	// A port someone else holds: the reload is refused, nothing changes.
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := held.Addr().(*net.TCPAddr).Port
	reload(string(first)+"Listen 127.0.0.1:"+strconv.Itoa(heldPort)+"\n", "already in use", 1)
	if err := get(second); err != nil {
		t.Errorf("the refused reload closed the second Listen: %v", err)
	}
	reload(string(first), "msg=reloaded", 2)
	deadline := time.Now().Add(5 * time.Second)
	for get(second) == nil {
		if time.Now().After(deadline) {
			t.Fatal("the dropped Listen still serves")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := get(srv.Port); err != nil {
		t.Errorf("the first Listen after dropping the second: %v", err)
	}
}

// TestReloadReopensLogs: after logrotate moved the logs away, a reload
// makes appserver write to new files at the configured paths.
func TestReloadReopensLogs(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-logrotate-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	conf := signalsConf + "ErrorLog @DIR@/error.log\nCustomLog @DIR@/access.log common\n"
	srv := serveStartConf(t, bin, dir, "site.conf", conf)
	client := &http.Client{Timeout: 20 * time.Second}
	get := func() {
		t.Helper()
		resp, err := client.Get("http://" + srv.Addr() + "/x")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	for _, name := range []string{"error.log", "access.log"} {
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, name+".1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log.1"))
		if strings.Contains(string(b), "msg=reloaded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reload in the old error log:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	get()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b, err := os.ReadFile(filepath.Join(dir, "access.log"))
		if err == nil && strings.Contains(string(b), "GET /x HTTP/1.1") {
			break
		}
		if time.Now().After(deadline) { // the access log is flushed within a second
			t.Errorf("no new access.log after the reload: %v %q", err, b)
			break
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "error.log")); err != nil {
		t.Errorf("no new error.log after the reload: %v", err)
	}
}

// serveReloadWith writes text to the config conf and sends SIGHUP.
func serveReloadWith(t *testing.T, srv *serveServer, conf, text string) {
	t.Helper()
	oracleWriteFile(t, conf, []byte(text))
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// serveWaitLog waits until the server's log since offsets holds want n
// times.
func serveWaitLog(t *testing.T, srv *serveServer, offsets []int64, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(srv.LogSince(offsets), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %d× %q in the log: %s", n, want, srv.LogSince(offsets))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
