package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests start real python3 workers. Every test stops its group in
// t.Cleanup and then checks that no process it started is still alive.

func requirePython(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not on PATH")
	}
}

// testApp is the absolute path of testdata/app.wsgi.
func testApp(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs("testdata/app.wsgi")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testSpec is a small group with the timeouts a test can live with.
func testSpec(name string) *Spec {
	return &Spec{
		Name:            name,
		Source:          "test.conf:1:1",
		Processes:       1,
		Threads:         4,
		DisplayName:     "%{GROUP}",
		Umask:           -1,
		ShutdownTimeout: 2 * time.Second,
		GracefulTimeout: 5 * time.Second,
		ConnectTimeout:  10 * time.Second,
		SocketTimeout:   20 * time.Second,
	}
}

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type harness struct {
	t      testing.TB
	g      *Group
	srv    *httptest.Server
	logs   *logBuf
	script string

	tick time.Duration

	mu     sync.Mutex
	events []Event
	pids   map[int]bool
	evC    chan struct{}
}

type harnessOpt func(*harness, *Options)

// newHarness starts a group for spec behind an httptest server whose
// handler builds a CGI environ and calls Serve. Per request, headers
// X-Script, X-App-Group, X-Callable and X-Reload override the Request.
func newHarness(t testing.TB, spec *Spec, opts ...harnessOpt) *harness {
	t.Helper()
	requirePython(t)
	h := &harness{t: t, logs: &logBuf{}, script: testApp(t), pids: map[int]bool{}, evC: make(chan struct{}, 1)}
	o := Options{
		Logger:    slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		AllowRoot: true,
		OnEvent:   h.record,
	}
	for _, f := range opts {
		f(h, &o)
	}
	h.g = NewGroup(spec, o)
	if h.tick > 0 {
		h.g.tick = h.tick
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.g.Start(ctx); err != nil {
		t.Fatalf("Start: %v\nlogs:\n%s", err, h.logs)
	}
	return h
}

func (h *harness) record(e Event) {
	h.mu.Lock()
	h.events = append(h.events, e)
	if e.PID > 0 {
		h.pids[e.PID] = true
	}
	h.mu.Unlock()
	select {
	case h.evC <- struct{}{}:
	default:
	}
}

// waitEvent waits for an event matching kind and reason ("" = any).
func (h *harness) waitEvent(kind EventKind, reason Reason, timeout time.Duration) Event {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		h.mu.Lock()
		for _, e := range h.events {
			if e.Kind == kind && (reason == "" || e.Reason == reason) {
				h.mu.Unlock()
				return e
			}
		}
		h.mu.Unlock()
		left := time.Until(deadline)
		if left <= 0 {
			h.t.Fatalf("no %s event (reason %q) within %s; events: %v", kind, reason, timeout, h.eventList())
		}
		select {
		case <-h.evC:
		case <-time.After(min(left, 50*time.Millisecond)):
		}
	}
}

// waitLog waits for s to appear in the log: worker output is copied
// asynchronously, so it may trail the response.
func (h *harness) waitLog(s string) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.logs.String(), s) {
		if time.Now().After(deadline) {
			h.t.Fatalf("log lacks %q:\n%s", s, h.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) countEvents(kind EventKind, reason Reason) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.events {
		if e.Kind == kind && (reason == "" || e.Reason == reason) {
			n++
		}
	}
	return n
}

func (h *harness) eventList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		out = append(out, e.String())
	}
	return out
}

func (h *harness) close() {
	h.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.g.Stop(ctx); err != nil {
		h.t.Errorf("Stop: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for pid := range h.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			h.t.Errorf("worker pid %d still exists after Stop (kill 0: %v)", pid, err)
		}
	}
}

func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	req := &Request{
		Env:             cgiEnv(r, h.g.spec.Name),
		Script:          h.script,
		ScriptReloading: r.Header.Get("X-Reload") == "1",
	}
	if s := r.Header.Get("X-Script"); s != "" {
		req.Script = s
	}
	if r.Header.Get("X-Mtime") == "1" {
		// What server/ does: pass the mtime its route walk found.
		if fi, err := os.Stat(req.Script); err == nil {
			req.ScriptMtime = fi.ModTime()
		}
	}
	req.ApplicationGroup = r.Header.Get("X-App-Group")
	req.CallableObject = r.Header.Get("X-Callable")
	if req.CallableObject == "" {
		req.CallableObject = "application"
	}
	h.g.Serve(w, r, req)
}

// cgiEnv is a small stand-in for what server/ builds.
func cgiEnv(r *http.Request, group string) []string {
	env := []string{
		"REQUEST_METHOD", r.Method,
		"SCRIPT_NAME", "",
		"PATH_INFO", r.URL.Path,
		"QUERY_STRING", r.URL.RawQuery,
		"REQUEST_URI", r.RequestURI,
		"SERVER_NAME", "localhost",
		"SERVER_PORT", "80",
		"SERVER_PROTOCOL", r.Proto,
		"PATH", "/usr/bin:/bin",
		"mod_wsgi.process_group", group,
	}
	if r.ContentLength > 0 {
		env = append(env, "CONTENT_LENGTH", fmt.Sprint(r.ContentLength))
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		env = append(env, "CONTENT_TYPE", ct)
	}
	if r.Header.Get("X-Https") != "" {
		env = append(env, "HTTPS", r.Header.Get("X-Https"))
	}
	for k, vs := range r.Header {
		if k == "Content-Type" || k == "Content-Length" {
			continue
		}
		env = append(env, "HTTP_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_")), strings.Join(vs, ", "))
	}
	return env
}

func (h *harness) url(path string) string { return h.srv.URL + path }

// get does a GET and returns status and body.
func (h *harness) get(path string, hdr ...string) (int, string, http.Header) {
	h.t.Helper()
	req, err := http.NewRequest("GET", h.url(path), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return h.do(req)
}

func (h *harness) do(req *http.Request) (int, string, http.Header) {
	h.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		h.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, b.String(), resp.Header
}

// workerPIDs lists the pids of the ready processes.
func (h *harness) workerPIDs() []int {
	var pids []int
	for _, p := range h.g.Snapshot().Processes {
		if p.State == "ready" {
			pids = append(pids, p.PID)
		}
	}
	return pids
}

// withTick shortens the supervisor period.
func withTick(d time.Duration) harnessOpt {
	return func(h *harness, o *Options) { h.tick = d }
}

func discardLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func syscallKill(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }
