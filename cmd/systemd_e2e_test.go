package cmd_test

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const notifyApp = `import os
def application(environ, start_response):
    body = ("NOTIFY_SOCKET=%s" % os.environ.get("NOTIFY_SOCKET", "")).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
`

// TestServeSystemdNotify (issue 11 item 3): under a Type=notify unit,
// serve says READY=1 once it serves, RELOADING=1 then READY=1 around a
// reload, WATCHDOG=1 while healthy, and STOPPING=1 on SIGTERM; the workers
// do not see NOTIFY_SOCKET.
func TestServeSystemdNotify(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-notify-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(notifyApp))
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	env := []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=400000"}
	srv := serveStartFree(t, bin, filepath.Join(dir, "serve.log"), env, func(port int) string {
		path := filepath.Join(dir, "site.conf")
		oracleWriteFile(t, path, []byte(strings.NewReplacer("@DIR@", dir, "@PORT@", strconv.Itoa(port)).Replace(signalsConf)))
		return path
	})
	var seen []string
	expect := func(want string) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case m, ok := <-msgs:
				if !ok {
					t.Fatalf("notify socket closed before %q; got %q", want, seen)
				}
				seen = append(seen, m)
				if strings.Contains(m, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q from serve; got %q", want, seen)
			}
		}
	}
	expect("READY=1")
	if !strings.Contains(seen[len(seen)-1], "STATUS=serving 1 groups: 1 processes") {
		t.Errorf("READY without the status line: %q", seen[len(seen)-1])
	}
	expect("WATCHDOG=1")
	if _, body := serveGet(t, "http://"+srv.Addr()+"/"); string(body) != "NOTIFY_SOCKET=" {
		t.Errorf("the worker sees %q, want no NOTIFY_SOCKET", body)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	expect("RELOADING=1")
	if !strings.Contains(seen[len(seen)-1], "MONOTONIC_USEC=") {
		t.Errorf("RELOADING without MONOTONIC_USEC: %q", seen[len(seen)-1])
	}
	expect("READY=1")
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expect("STOPPING=1")
}
