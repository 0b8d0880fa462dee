package cmd_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
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

// TestServeSocketActivation: with systemd's socket activation (LISTEN_FDS)
// serve takes the socket it is given for the matching Listen instead of
// binding its own, which would fail here: the test holds the port.
func TestServeSocketActivation(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-activation-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(notifyApp))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	conf := filepath.Join(dir, "site.conf")
	oracleWriteFile(t, conf, []byte(strings.NewReplacer("@DIR@", dir, "@PORT@", strconv.Itoa(port)).Replace(signalsConf)))
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	logPath := filepath.Join(dir, "serve.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	// systemd sets LISTEN_PID to the service's pid: the shell's, kept by exec.
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" serve -f "$1"`, bin, conf)
	cmd.ExtraFiles = []*os.File{f} // fd 3
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != "NOTIFY_SOCKET=" {
				t.Errorf("through the inherited socket: %d %q", resp.StatusCode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("never served on the inherited socket: %v\n%s", err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
