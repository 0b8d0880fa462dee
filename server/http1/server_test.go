package http1

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// start serves h on a loopback listener until the test ends.
func start(t testing.TB, h http.Handler, lim Limits) (*Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if lim.Timeout == 0 {
		lim.Timeout = 2 * time.Second
	}
	s := &Server{Handler: h, Limits: lim}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// exchange sends raw on a fresh connection and reads until the server
// closes it or goes quiet for quiet.
func exchange(t testing.TB, addr, raw string, quiet time.Duration) (out string, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(quiet))
		n, err := c.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			var ne net.Error
			return b.String(), !(errors.As(err, &ne) && ne.Timeout())
		}
	}
}

// statuses lists the status codes of the responses in out.
func statuses(out string) []string {
	var st []string
	for _, m := range statusRE.FindAllStringSubmatch(out, -1) {
		st = append(st, m[1])
	}
	return st
}

var statusRE = regexp.MustCompile(`HTTP/1\.1 (\d{3}) `)

func echo(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		code := 500
		var sc interface{ StatusCode() int }
		if errors.As(err, &sc) {
			code = sc.StatusCode()
		} else if errors.Is(err, os.ErrDeadlineExceeded) {
			code = 408
		}
		w.WriteHeader(code)
		return
	}
	fmt.Fprintf(w, "%s %s %s host=%s cl=%d te=%v body=%q", r.Method, r.RequestURI, r.Proto, r.Host, r.ContentLength, r.TransferEncoding, b)
}

func TestRequests(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(echo), Limits{KeepAlive: true, RequestLine: 64, FieldSize: 64, Fields: 4})
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, raw string
		want      string // statuses joined by ","
		closed    bool
		body      string // substring of the output
	}{
		{"get", "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, "GET /a HTTP/1.1 host=x cl=0"},
		{"line at limit+1", "GET /" + long(65-14) + " HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, ""},
		{"line at limit+2", "GET /" + long(66-14) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414", true, ""},
		{"field at limit+1", "GET / HTTP/1.1\r\nHost: x\r\nX: " + long(65-3) + "\r\n\r\n", "200", false, ""},
		{"field at limit+2", "GET / HTTP/1.1\r\nHost: x\r\nX: " + long(66-3) + "\r\n\r\n", "400", true, ""},
		{"too many fields", "GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", "400", true, ""},
		{"bare LF", "GET / HTTP/1.1\nHost: x\n\n", "400", true, ""},
		{"bare LF in field", "GET / HTTP/1.1\r\nHost: x\nA: b\r\n\r\n", "400", true, ""},
		{"bare CR", "GET / HTTP/1.1\r\nHost: x\rA: b\r\n\r\n", "400", true, ""},
		{"obs-fold joined", "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", "200", false, ""},
		{"fold first", "GET / HTTP/1.1\r\n Host: x\r\n\r\n", "400", true, ""},
		{"space before colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", "400", true, ""},
		{"no host 1.1", "GET / HTTP/1.1\r\n\r\n", "400", true, ""},
		{"bad host port", "GET / HTTP/1.1\r\nHost: x:ab\r\n\r\n", "400", true, ""},
		{"cl body", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "200", false, `cl=3 te=[] body="abc"`},
		{"cl dup", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", "400", true, ""},
		{"cl plus", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", "400", true, ""},
		{"te chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked \r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n", "200", false, `cl=-1 te=[chunked] body="abc"`},
		{"te gzip, chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "501", true, ""},
		{"te identity", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", "400", true, ""},
		{"cl and te: chunked wins, close", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "200", true, `body="abc"`},
		{"http/1.0 chunked", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", "200", true, `HTTP/1.0 host= cl=-1 te=[chunked] body="abc"`},
		{"chunk bad hex", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400", true, ""},
		{"chunk overflow", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("f", 20) + "\r\n", "413", true, ""},
		{"chunk missing crlf", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", "400", true, ""},
		{"chunk bare lf", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", "400", true, ""},
		{"trailer bad", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nnocolon\r\n\r\n", "500", true, ""},
		{"http/0.9", "GET /a\r\n", "", true, "GET /a HTTP/0.9"},
		{"version 1.2 as 1.1", "GET / HTTP/1.2\r\nHost: x\r\n\r\n", "200", false, "HTTP/1.1 host"},
		{"version 1.10", "GET / HTTP/1.10\r\nHost: x\r\n\r\n", "400", true, ""},
		{"leading crlf", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, ""},
		{"absolute form", "GET http://h.test/p?q HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, "host=h.test"},
		{"dotdot", "GET /../x HTTP/1.1\r\nHost: x\r\n\r\n", "400", true, ""},
		{"star get", "GET * HTTP/1.1\r\nHost: x\r\n\r\n", "400", true, ""},
		{"pipelined", "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n", "200,200", false, "GET /2"},
		{"connection close", "GET /1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n", "200", true, ""},
		{"1.0 keep-alive", "GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n", "200,200", true, "Connection: keep-alive"},
		{"expect unknown", "POST / HTTP/1.1\r\nHost: x\r\nExpect: x\r\nContent-Length: 1\r\n\r\na", "417", true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, closed := exchange(t, addr, tc.raw, 300*time.Millisecond)
			if got := strings.Join(statuses(out), ","); got != tc.want || closed != tc.closed || !strings.Contains(out, tc.body) {
				t.Errorf("statuses %q closed %v, want %q closed %v and %q in:\n%s", got, closed, tc.want, tc.closed, tc.body, out)
			}
		})
	}
}

func TestResponses(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/reason", func(w http.ResponseWriter, r *http.Request) {
		w.(interface{ WriteHeaderReason(int, string) }).WriteHeaderReason(299, "Custom Thing")
	})
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })
	mux.HandleFunc("/flushed", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		io.WriteString(w, "b")
	})
	mux.HandleFunc("/over", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		if _, err := io.WriteString(w, "abcdef"); err != http.ErrContentLength {
			panic("want ErrContentLength")
		}
	})
	mux.HandleFunc("/under", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "abc")
	})
	mux.HandleFunc("/nocontenttype", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil
		io.WriteString(w, "<html>")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/unread", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "read %d", len(b))
	})
	_, addr := start(t, mux, Limits{KeepAlive: true, MaxDrain: 512 << 10})
	big := strings.Repeat("x", 256<<10)
	cases := []struct {
		name, raw string
		want      string
		closed    bool
		has, not  []string
	}{
		{"reason", "GET /reason HTTP/1.1\r\nHost: x\r\n\r\n", "299", false, []string{"HTTP/1.1 299 Custom Thing\r\n", "Date: "}, nil},
		{"small gets CL", "GET /small HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, []string{"Content-Length: 5\r\n", "\r\n\r\nhello"}, []string{"Content-Type"}},
		{"HEAD no CL", "HEAD /small HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, nil, []string{"Content-Length", "hello"}},
		{"flushed is chunked", "GET /flushed HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, []string{"Transfer-Encoding: chunked\r\n", "1\r\na\r\n1\r\nb\r\n0\r\n\r\n"}, nil},
		{"flushed 1.0 closes", "GET /flushed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "200", true, []string{"Connection: close", "\r\n\r\nab"}, []string{"chunked"}},
		{"CL overrun cut, conn usable", "GET /over HTTP/1.1\r\nHost: x\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n", "200,200", false, []string{"\r\n\r\nabcHTTP/1.1 200"}, nil},
		{"CL underrun closes", "GET /under HTTP/1.1\r\nHost: x\r\n\r\n", "200", true, []string{"Content-Length: 10"}, nil},
		{"nil Content-Type", "GET /nocontenttype HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, nil, []string{"Content-Type"}},
		{"abort truncates chunked", "GET /abort HTTP/1.1\r\nHost: x\r\n\r\n", "200", true, []string{"partial"}, []string{"0\r\n\r\n"}},
		{"unread body drained", fmt.Sprintf("POST /unread HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%sGET /small HTTP/1.1\r\nHost: x\r\n\r\n", len(big), big), "200,200", false, []string{"hello"}, nil},
		{"expect 100", "POST /read HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab", "100,200", false, []string{"read 2"}, nil},
		{"expect 100 answered first", "POST /unread HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", "200", true, nil, nil},
		{"options star", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "200", false, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, closed := exchange(t, addr, tc.raw, 300*time.Millisecond)
			got := strings.Join(statuses(out), ",")
			ok := got == tc.want && closed == tc.closed
			for _, s := range tc.has {
				ok = ok && strings.Contains(out, s)
			}
			for _, s := range tc.not {
				ok = ok && !strings.Contains(out, s)
			}
			if !ok {
				t.Errorf("statuses %q closed %v, want %q closed %v, has %q, not %q:\n%.2000s", got, closed, tc.want, tc.closed, tc.has, tc.not, out)
			}
		})
	}
}

func TestBodyReadDeadline(t *testing.T) {
	got := make(chan error, 1)
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
		w.WriteHeader(http.StatusRequestTimeout)
	}), Limits{KeepAlive: true, Timeout: 300 * time.Millisecond})
	out, closed := exchange(t, addr, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", 2*time.Second)
	if err := <-got; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("body read error %v, want a deadline", err)
	}
	if st := statuses(out); len(st) != 1 || st[0] != "408" || !closed {
		t.Errorf("got %q closed %v", out, closed)
	}
}

func TestHeadTimeout(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(echo), Limits{KeepAlive: true, Timeout: 200 * time.Millisecond})
	if out, closed := exchange(t, addr, "GET / HT", 2*time.Second); out != "" || !closed {
		t.Errorf("request line stalled: %q closed %v, want silent close", out, closed)
	}
	if out, closed := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nA: ", 2*time.Second); !strings.HasPrefix(out, "HTTP/1.1 408 ") || !closed {
		t.Errorf("head stalled: %q closed %v, want 408 and close", out, closed)
	}
}

func TestMaxKeepAliveRequests(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(echo), Limits{KeepAlive: true, MaxKeepAliveRequests: 2})
	req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
	out, closed := exchange(t, addr, req+req+req, time.Second)
	if st := statuses(out); len(st) != 2 || !closed || strings.Count(out, "Connection: close") != 1 {
		t.Errorf("got %v closed %v:\n%s", st, closed, out)
	}
}

func TestShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	s, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	}), Limits{KeepAlive: true})
	idle, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-started
	errc := make(chan error, 1)
	go func() { errc <- s.Shutdown(context.Background()) }()
	select {
	case err := <-errc:
		t.Fatalf("Shutdown returned %v with a request active", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "done" {
		t.Errorf("body %q", b)
	}
	if err := <-errc; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	idle.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := idle.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("idle connection not closed: %v", err)
	}
}

func FuzzHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /a?b HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
		"GET http://[::1]:80/ HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\n\r\n",
		"CONNECT a:1 HTTP/1.1\r\n\r\n",
		"GET /a\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		br := bufio.NewReaderSize(strings.NewReader(raw), 64)
		line, err := readLine(br, nil, 100)
		if err != nil {
			return
		}
		rl, err := parseRequestLine(line)
		if err != nil {
			return
		}
		if _, _, err := parseTarget(rl.method, rl.target); err != nil {
			return
		}
		h := http.Header{}
		if _, err := readFields(br, nil, 100, 10, h); err != nil {
			return
		}
		framing(h)
		readChunkSize(br, nil)
	})
}

// FuzzConn feeds arbitrary bytes to a whole connection (head, body,
// pipelining, response): the server must never panic nor hang.
func FuzzConn(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;a\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc",
		"GET /a\r\n",
	} {
		f.Add(s)
	}
	s := &Server{Handler: http.HandlerFunc(echo), Limits: Limits{KeepAlive: true, Timeout: 50 * time.Millisecond, KeepAliveTimeout: 20 * time.Millisecond, RequestLine: 200, FieldSize: 200, Fields: 10}}
	f.Fuzz(func(t *testing.T, raw string) {
		client, server := net.Pipe()
		c := &conn{s: s, nc: server}
		s.track(c, true)
		done := make(chan struct{})
		go func() { c.serve(); close(done) }()
		go func() {
			io.WriteString(client, raw)
		}()
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, client)
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection not closed for %q", raw)
		}
	})
}

// TestContextCancelledWhenClientGoes: a handler still running sees its
// context cancelled once the client closes the connection.
func TestContextCancelledWhenClientGoes(t *testing.T) {
	got := make(chan error, 1)
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
			got <- r.Context().Err()
		case <-time.After(3 * time.Second):
			got <- errors.New("not cancelled")
		}
	}), Limits{KeepAlive: true})
	sendThenLeave(t, addr, got,
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
}

// sendThenLeave sends each request on a connection of its own, closes it a
// moment later, and expects the handler to report context.Canceled on got.
func sendThenLeave(t *testing.T, addr string, got <-chan error, raws ...string) {
	t.Helper()
	for _, raw := range raws {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, raw)
		time.Sleep(100 * time.Millisecond)
		c.Close()
		if err := <-got; !errors.Is(err, context.Canceled) {
			t.Errorf("%q: %v", raw, err)
		}
	}
}

// TestContextWatchStartsWhenAsked: the connection is watched only once the
// handler asks for Done, whether it asks before the body is read, after
// it, or after the client has already gone.
func TestContextWatchStartsWhenAsked(t *testing.T) {
	got := make(chan error, 1)
	wait := func(r *http.Request) {
		select {
		case <-r.Context().Done():
			got <- r.Context().Err()
		case <-time.After(3 * time.Second):
			got <- errors.New("not cancelled")
		}
	}
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/before-body":
			done := r.Context().Done()
			io.ReadAll(r.Body)
			select {
			case <-done:
				got <- r.Context().Err()
			case <-time.After(3 * time.Second):
				got <- errors.New("not cancelled")
			}
		case "/late":
			io.ReadAll(r.Body)
			time.Sleep(300 * time.Millisecond) // the client is gone by now
			wait(r)
		}
	}), Limits{KeepAlive: true})
	sendThenLeave(t, addr, got,
		"POST /before-body HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab",
		"GET /late HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
}

// TestContextAfterHandlerIsDone: the context of a finished request is
// cancelled, and asking for it then starts no watch that could take the
// next request's bytes.
func TestContextAfterHandlerIsDone(t *testing.T) {
	kept := make(chan context.Context, 4)
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept <- r.Context()
		io.WriteString(w, r.URL.Path)
	}), Limits{KeepAlive: true})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i, path := range []string{"/one", "/two"} {
		io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != path {
			t.Fatalf("request %d: %q", i+1, b)
		}
		ctx := <-kept
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
			t.Fatalf("request %d: context not done after the response", i+1)
		}
		if !errors.Is(ctx.Err(), context.Canceled) {
			t.Fatalf("request %d: Err %v", i+1, ctx.Err())
		}
	}
}

// TestPanicClosesConnection: a handler's panic is logged and the
// connection closed without a further answer.
func TestPanicClosesConnection(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("boom")
	}), Limits{KeepAlive: true})
	out, closed := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", time.Second)
	if out != "" || !closed {
		t.Errorf("got %q closed %v, want nothing and a close", out, closed)
	}
}

// A body the handler left unread is drained, and the connection then waits
// for a next request that comes later (not pipelined behind the body).
func TestUnreadBodyThenLaterRequest(t *testing.T) {
	_, addr := start(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, "no")
	}), Limits{KeepAlive: true})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := strings.Repeat("x", 64<<10)
	br := bufio.NewReader(c)
	for i := range 2 {
		if i == 1 {
			time.Sleep(300 * time.Millisecond)
		}
		fmt.Fprintf(c, "POST /deny HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusForbidden || resp.Close {
			t.Fatalf("request %d: %d, close %v", i+1, resp.StatusCode, resp.Close)
		}
	}
}
