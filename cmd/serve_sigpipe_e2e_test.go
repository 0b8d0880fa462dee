package cmd_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeClosedStderr (issue 8 item 11): with stdout and stderr on a pipe
// nobody reads any more (a terminal closed, a log reader died), the server
// keeps serving: its log writes fail instead of killing it with SIGPIPE.
func TestServeClosedStderr(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-sigpipe-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	port := oracleFreePort(t)
	conf := filepath.Join(dir, "site.conf")
	oracleWriteFile(t, conf, []byte(strings.ReplaceAll(serveSetListen(t, signalsConf, port), "@DIR@", dir)))
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	cmd := exec.Command(bin, "serve", "-f", conf)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case err := <-done:
			t.Fatalf("appserver exited with its stderr closed: %v", err)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("appserver does not accept connections")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 3 { // each request logs; the log writes fail
		resp, _ := serveGet(t, "http://"+addr+"/missing?x")
		if resp.StatusCode != 200 {
			t.Errorf("status %d", resp.StatusCode)
		}
	}
	select {
	case err := <-done:
		t.Fatalf("appserver exited with its stderr closed: %v", err)
	default:
	}
}
