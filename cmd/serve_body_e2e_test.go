package cmd_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bodyApp answers /deny with 403 and /redirect with 302 without reading
// the body (the views issue 7 item 1 is about), and /read after reading all.
const bodyApp = `def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/deny":
        start_response("403 Forbidden", [("Content-Type", "text/plain"), ("Content-Length", "6")])
        return [b"denied"]
    if path == "/redirect":
        start_response("302 Found", [("Location", "/done"), ("Content-Length", "0")])
        return [b""]
    n = len(environ["wsgi.input"].read())
    body = ("read %d" % n).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

const bodyConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
Timeout 2
WSGIPythonHome /usr
WSGIDaemonProcess app processes=1 threads=8 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias / "@DIR@/app.py"
`

func bodyServer(t *testing.T) *serveServer {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-body-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(bodyApp))
	srv := serveStartConf(t, bin, dir, "site.conf", bodyConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 1})
	return srv
}

// TestServeUnreadBody (issue 7 item 1): an application that answers a
// POST without reading its body, on keep-alive connections from 8
// clients: every request gets its answer, the connections are reused (the
// unread body is discarded, as Apache does), and nothing panics.
func TestServeUnreadBody(t *testing.T) {
	srv := bodyServer(t)
	base := "http://" + srv.Addr()
	var failed, reused, fresh atomic.Int64
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			defer client.CloseIdleConnections()
			for i := range 20 {
				path, want := "/deny", http.StatusForbidden
				if (c+i)%2 == 1 {
					path, want = "/redirect", http.StatusFound
				}
				size := 64 << 10
				if i%5 == 4 {
					size = 256 << 10
				}
				req, _ := http.NewRequest("POST", base+path, bytes.NewReader(make([]byte, size)))
				trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
					if info.Reused {
						reused.Add(1)
					} else {
						fresh.Add(1)
					}
				}}
				req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					t.Errorf("client %d request %d: %v", c, i, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					failed.Add(1)
					t.Errorf("client %d request %d: %d, want %d", c, i, resp.StatusCode, want)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("160 requests: %d failed, %d on fresh connections, %d on reused ones", failed.Load(), fresh.Load(), reused.Load())
	if fresh.Load() > 8 {
		t.Errorf("%d connections opened for 8 keep-alive clients: the server closed connections after an unread body", fresh.Load())
	}
	if log := srv.Tail(200); strings.Contains(log, "panic") {
		t.Errorf("the server panicked:\n%s", log)
	}
}

// TestServeStalledBody (issue 7 item 2): clients that send the head and
// part of the body, then stall, get 408 once Timeout (2 s) passes with
// nothing read, and the threads they held (all of the group's) serve other
// requests again. Before the fix they were held for minutes.
func TestServeStalledBody(t *testing.T) {
	srv := bodyServer(t)
	const stalled = 8 // as many as the group has threads
	type answer struct {
		status string
		after  time.Duration
		closed bool
		err    error
	}
	answers := make(chan answer, stalled)
	start := time.Now()
	for range stalled {
		go func() {
			conn, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				answers <- answer{err: err}
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
			fmt.Fprintf(conn, "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n%s", strings.Repeat("a", 100))
			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				answers <- answer{err: err}
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			_, err = br.ReadByte()
			answers <- answer{status: resp.Status, after: time.Since(start), closed: err == io.EOF}
		}()
	}
	for range stalled {
		a := <-answers
		if a.err != nil {
			t.Errorf("stalled client: %v", a.err)
			continue
		}
		if !strings.HasPrefix(a.status, "408") || !a.closed || a.after > 10*time.Second {
			t.Errorf("stalled client got %q after %v (connection closed: %v); want 408 and a close", a.status, a.after.Round(time.Millisecond), a.closed)
		}
	}
	resp, body := serveGet(t, "http://"+srv.Addr()+"/read")
	if resp.StatusCode != http.StatusOK || string(body) != "read 0" {
		t.Errorf("after the stalled clients: %d %q", resp.StatusCode, body)
	}
	if log := srv.Tail(200); strings.Contains(log, "Traceback") || strings.Contains(log, "panic") {
		t.Errorf("a stalled client was logged as a failure:\n%s", log)
	}
}

// streamApp reads 100 bytes, leaves a mark file, then reads the rest.
const streamApp = `import os
def application(environ, start_response):
    inp = environ["wsgi.input"]
    first = inp.read(100)
    with open(os.path.join(os.path.dirname(__file__), "marks", "first"), "w") as f:
        f.write(str(len(first)))
    rest = inp.read()
    body = ("%d %d" % (len(first), len(rest))).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

// TestServeInputStreams (issue 7 item 9): wsgi.input.read(100) returns
// while the client still holds back the rest of the body, as under mod_wsgi.
func TestServeInputStreams(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-stream-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(streamApp))
	marks := filepath.Join(dir, "marks")
	if err := os.Mkdir(marks, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(marks, 0o777); err != nil { // past the umask: the workers may run as nobody
		t.Fatal(err)
	}
	srv := serveStartConf(t, bin, dir, "site.conf", bodyConf)
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n%s", strings.Repeat("a", 100))
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(marks, "first")); err == nil && string(b) == "100" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read(100) did not return while the client held back the rest:\n%s", srv.Tail(20))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := io.WriteString(conn, strings.Repeat("b", 100000-100)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "100 99900" {
		t.Errorf("%d %q", resp.StatusCode, body)
	}
}
