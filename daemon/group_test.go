package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestHelloWorld(t *testing.T) {
	h := newHarness(t, testSpec("hello"))
	for i := 0; i < 3; i++ {
		code, body, hdr := h.get("/hello")
		if code != 200 || body != "Hello world!" || hdr.Get("Content-Type") != "text/plain" {
			t.Fatalf("GET /hello = %d %q %v", code, body, hdr)
		}
	}
	s := h.g.Snapshot()
	if s.Requests != 3 || s.InFlight != 0 || len(s.Processes) != 1 || s.Processes[0].Requests != 3 {
		t.Errorf("snapshot after 3 requests: %+v", s)
	}
}

func getJSON(t *testing.T, h *harness, path string, hdr ...string) map[string]any {
	t.Helper()
	code, body, _ := h.get(path, hdr...)
	if code != 200 {
		t.Fatalf("GET %s = %d %q\nlogs:\n%s", path, code, body, h.logs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("GET %s: %v in %q", path, err, body)
	}
	return m
}

func TestEnviron(t *testing.T) {
	tests := []struct {
		name   string
		spec   func(*Spec)
		hdr    []string
		want   map[string]any
		absent []string
	}{
		{
			name: "defaults",
			want: map[string]any{
				"wsgi.version": "(1, 0)", "wsgi.url_scheme": "http", "wsgi.multithread": true,
				"wsgi.multiprocess": false, "wsgi.run_once": false, "wsgi.input_terminated": true,
				"REQUEST_METHOD": "GET", "QUERY_STRING": "a=1&b=2", "PATH_INFO": "/env",
				"mod_wsgi.process_group": "defaults", "mod_wsgi.thread_id": float64(1),
				"mod_wsgi.thread_requests": float64(0), "mod_wsgi.total_requests": float64(0),
				"wsgi.file_wrapper": "<class 'mod_wsgi.FileWrapper'>",
				"mod_wsgi.version":  "(4, 9, 4)", "apache.version": "(2, 4, 55)",
			},
			absent: []string{"PATH", "HTTPS"},
		},
		{
			name: "https",
			hdr:  []string{"X-Https", "On"},
			want: map[string]any{"wsgi.url_scheme": "https", "HTTP_X_HTTPS": "On"},
			// HTTPS itself is consumed.
			absent: []string{"HTTPS"},
		},
		{
			name: "https off",
			hdr:  []string{"X-Https", "off"},
			want: map[string]any{"wsgi.url_scheme": "http"},
		},
		{
			name: "processes set, one thread, maximum-requests 1",
			spec: func(s *Spec) { s.ProcessesSet = true; s.Threads = 1; s.MaximumRequests = 1 },
			want: map[string]any{"wsgi.multiprocess": true, "wsgi.multithread": false, "wsgi.run_once": true},
		},
		{
			name: "latin-1 header value",
			hdr:  []string{"X-Name", "caf\xe9"},
			want: map[string]any{"HTTP_X_NAME": "café"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := testSpec(strings.ReplaceAll(tc.name, " ", "-"))
			if tc.name == "defaults" {
				spec.Name = "defaults"
			}
			if tc.spec != nil {
				tc.spec(spec)
			}
			h := newHarness(t, spec)
			env := getJSON(t, h, "/env?a=1&b=2", tc.hdr...)
			for k, v := range tc.want {
				if env[k] != v {
					t.Errorf("environ[%q] = %#v, want %#v", k, env[k], v)
				}
			}
			for _, k := range tc.absent {
				if _, ok := env[k]; ok {
					t.Errorf("environ has %q = %#v, want it removed", k, env[k])
				}
			}
			for _, k := range []string{"mod_wsgi.script_start", "mod_wsgi.daemon_start"} {
				v, _ := env[k].(string)
				us, err := strconv.ParseInt(v, 10, 64)
				if err != nil || time.Since(time.UnixMicro(us)).Abs() > time.Minute {
					t.Errorf("environ[%q] = %q, want µs since the epoch", k, v)
				}
			}
			if spec.MaximumRequests == 1 {
				return // the next request may meet a new process
			}
			// Counters move on with the next request.
			env = getJSON(t, h, "/env", tc.hdr...)
			if env["mod_wsgi.total_requests"] != float64(1) || env["mod_wsgi.thread_requests"] != float64(1) {
				t.Errorf("second request: total_requests %v thread_requests %v, want 1 and 1",
					env["mod_wsgi.total_requests"], env["mod_wsgi.thread_requests"])
			}
		})
	}
}

func TestModWSGIShimAndSettings(t *testing.T) {
	spec := testSpec("shim")
	spec.Processes = 2
	spec.Threads = 3
	spec.Umask = 0o027
	spec.Lang = "C.UTF-8"
	dir := t.TempDir()
	spec.Home = dir
	spec.PythonPath = []string{filepath.Join(dir, "extra")}
	h := newHarness(t, spec)
	m := getJSON(t, h, "/modwsgi")
	want := map[string]any{
		"process_group": "shim", "application_group": "", "maximum_processes": float64(2),
		"threads_per_process": float64(3), "cwd": dir, "umask": float64(0o027),
		"lang": "C.UTF-8", "pyexe": nil,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	if v, _ := m["version"].([]any); len(v) != 3 || v[0] != float64(4) {
		t.Errorf("mod_wsgi.version = %v, want (4, 9, 4)", m["version"])
	}
	path, _ := m["sys_path"].([]any)
	if len(path) == 0 || path[len(path)-1] != filepath.Join(dir, "extra") || path[0] == "" {
		t.Errorf("sys.path = %v, want python-path appended and no cwd entry", path)
	}
}

// peakHeap samples the Go heap while f runs and returns the growth.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

// patternReader yields n bytes of a repeating pattern without holding them.
type patternReader struct{ left int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > p.left {
		n = p.left
	}
	for i := range b[:n] {
		b[i] = byte(i * 7)
	}
	p.left -= n
	return int(n), nil
}

func patternSum(n int64) string {
	h := sha256.New()
	io.Copy(h, &patternReader{left: n})
	return hex.EncodeToString(h.Sum(nil))
}

func vmHWM(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM")
	return 0
}

func TestStreaming50MB(t *testing.T) {
	const size = 50 << 20
	h := newHarness(t, testSpec("stream"))
	h.get("/hello") // load the app before measuring
	pid := h.workerPIDs()[0]
	hwm := vmHWM(t, pid)

	t.Run("upload", func(t *testing.T) {
		var code int
		var body string
		grow := peakHeap(func() {
			req, _ := http.NewRequest("POST", h.url("/upload"), &patternReader{left: size})
			req.ContentLength = size
			code, body, _ = h.do(req)
		})
		var got struct {
			Length int64
			Sha256 string
		}
		json.Unmarshal([]byte(body), &got)
		if code != 200 || got.Length != size || got.Sha256 != patternSum(size) {
			t.Fatalf("upload: %d %s", code, body)
		}
		if grow > 8<<20 {
			t.Errorf("Go heap grew by %d MB during a 50 MB upload", grow>>20)
		}
	})
	t.Run("chunked upload", func(t *testing.T) {
		// No Content-Length: the client sends Transfer-Encoding: chunked.
		req, _ := http.NewRequest("POST", h.url("/upload?chunk=10000"), io.MultiReader(&patternReader{left: 3 << 20}))
		req.ContentLength = -1
		code, body, _ := h.do(req)
		if code != 200 || !strings.Contains(body, `"length": 3145728`) || !strings.Contains(body, patternSum(3<<20)) {
			t.Fatalf("chunked upload: %d %s", code, body)
		}
	})
	t.Run("download", func(t *testing.T) {
		var n int64
		var sum string
		grow := peakHeap(func() {
			resp, err := http.Get(h.url(fmt.Sprintf("/download?bytes=%d", size)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			hs := sha256.New()
			n, err = io.Copy(hs, resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			sum = hex.EncodeToString(hs.Sum(nil))
		})
		want := sha256.New()
		block := make([]byte, 65536)
		for i := range block {
			block[i] = byte(i)
		}
		for left := int64(size); left > 0; left -= 65536 {
			want.Write(block[:min(left, 65536)])
		}
		if n != size || sum != hex.EncodeToString(want.Sum(nil)) {
			t.Fatalf("download: %d bytes, sha256 %s", n, sum)
		}
		if grow > 8<<20 {
			t.Errorf("Go heap grew by %d MB during a 50 MB download", grow>>20)
		}
	})
	if grow := vmHWM(t, pid) - hwm; grow > 16<<20 {
		t.Errorf("worker peak RSS grew by %d MB during the transfers", grow>>20)
	}
}

func TestRequestBodies(t *testing.T) {
	h := newHarness(t, testSpec("bodies"))
	post := func(path string, body io.Reader, n int64) (int, string) {
		req, _ := http.NewRequest("POST", h.url(path), body)
		req.ContentLength = n
		code, b, _ := h.do(req)
		return code, b
	}
	text := "first line\nabcdef\nline three\nline four\nlast"
	tests := []struct {
		name string
		path string
		body string
		n    int64 // -1 = chunked
		want string
	}{
		{"readline family", "/lines", text, int64(len(text)),
			`{"first": "first line\n", "iter": ["line three\n", "line four\n", "last"], "limited": "abc", "readlines": ["def\n"]}`},
		{"readline family chunked", "/lines", text, -1,
			`{"first": "first line\n", "iter": ["line three\n", "line four\n", "last"], "limited": "abc", "readlines": ["def\n"]}`},
		{"read all", "/readall", strings.Repeat("z", 200000), 200000,
			fmt.Sprintf(`{"length": 200000, "sha256": "%x"}`, sha256.Sum256([]byte(strings.Repeat("z", 200000))))},
		{"read all chunked", "/readall", strings.Repeat("y", 70000), -1,
			fmt.Sprintf(`{"length": 70000, "sha256": "%x"}`, sha256.Sum256([]byte(strings.Repeat("y", 70000))))},
		{"empty body", "/readall", "", 0,
			fmt.Sprintf(`{"length": 0, "sha256": "%x"}`, sha256.Sum256(nil))},
	}
	// Read sizes below, across and above the worker's 256 KB window, on a
	// body whose bytes differ, so that the digest checks their order.
	var big strings.Builder
	for i := range 700001 {
		big.WriteByte(byte(i * 7 % 251))
	}
	for _, chunk := range []int{1000, 100003, 300000, 1 << 20} {
		for _, n := range []int64{int64(big.Len()), -1} {
			tests = append(tests, struct {
				name string
				path string
				body string
				n    int64
				want string
			}{fmt.Sprintf("read(%d) length=%d", chunk, n), fmt.Sprintf("/upload?chunk=%d", chunk), big.String(), n,
				fmt.Sprintf(`{"length": %d, "sha256": "%x"}`, big.Len(), sha256.Sum256([]byte(big.String())))})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// io.MultiReader hides the length so that net/http chunks it.
			code, body := post(tc.path, io.MultiReader(strings.NewReader(tc.body)), tc.n)
			if code != 200 || body != tc.want {
				t.Errorf("POST %s = %d %s\nwant %s", tc.path, code, body, tc.want)
			}
		})
	}
	t.Run("unread body does not desynchronise", func(t *testing.T) {
		// Only one thread, so the next requests reuse the same connection.
		for i := 0; i < 3; i++ {
			code, body := post("/ignore-body", &patternReader{left: 5 << 20}, 5<<20)
			if code != 200 || body != "ignored" {
				t.Fatalf("POST /ignore-body = %d %q", code, body)
			}
			if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
				t.Fatalf("GET /hello after an unread body = %d %q", code, body)
			}
		}
	})
}

func TestResponses(t *testing.T) {
	h := newHarness(t, testSpec("responses"))
	pid := h.workerPIDs()[0]
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	blob := filepath.Join(dir, "blob")
	os.WriteFile(blob, bytes.Repeat([]byte("0123456789"), 10000), 0o644)
	tests := []struct {
		path     string
		code     int
		body     string // exact, unless empty
		log      string // must appear in the log
		header   [2]string
		closed   bool // close() must have been called
		bodySize int
	}{
		{path: "/write", code: 201, body: "written and returned"},
		{path: "/exc-info", code: 500, body: "error page", header: [2]string{"X-Error", "1"}},
		{path: "/empty", code: 204, body: ""},
		{path: "/ignore-body", code: 200, body: "ignored", header: [2]string{"Content-Type", "text/plain"}},
		{path: "/no-type", code: 200, header: [2]string{"Content-Type", ""}}, // none set, none sniffed
		{path: "/error", code: 500, log: "RuntimeError: boom from the test app"},
		{path: "/bad-status", code: 500, log: "expected str object for status"},
		{path: "/no-start", code: 500, log: "start_response() was not called"},
		{path: "/str-body", code: 500, log: "sequence of byte string values expected"},
		{path: "/crlf", code: 500, log: "carriage return or line feed"},
		{path: "/close?file=" + marker, code: 200, body: "ab", closed: true},
		{path: "/close-error?file=" + marker, code: 500, log: "boom in iteration", closed: true},
		{path: "/errors", code: 200, log: "message to wsgi.errors"},
		{path: "/errors", code: 200, log: "message from print"},
		{path: "/file?file=" + blob, code: 200, bodySize: 100000},
		{path: "/nowhere", code: 404},
		{path: "/count", code: 500, log: "does not contain WSGI application 'nope'"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			os.Remove(marker)
			hdr := []string{}
			if strings.HasPrefix(tc.path, "/count") {
				hdr = []string{"X-Callable", "nope"}
			}
			code, body, rh := h.get(tc.path, hdr...)
			if code != tc.code {
				t.Errorf("status %d, want %d (body %q)", code, tc.code, body)
			}
			if tc.body != "" && body != tc.body {
				t.Errorf("body %q, want %q", body, tc.body)
			}
			if tc.bodySize > 0 && len(body) != tc.bodySize {
				t.Errorf("body of %d bytes, want %d", len(body), tc.bodySize)
			}
			if tc.header[0] != "" && rh.Get(tc.header[0]) != tc.header[1] {
				t.Errorf("header %s = %q, want %q", tc.header[0], rh.Get(tc.header[0]), tc.header[1])
			}
			if tc.log != "" {
				h.waitLog(tc.log)
			}
			if tc.closed {
				if b, _ := os.ReadFile(marker); string(b) != "closed\n" {
					t.Errorf("close() marker = %q, want one close", b)
				}
			}
		})
	}
	t.Run("traceback names group and pid", func(t *testing.T) {
		h.waitLog(fmt.Sprintf("group=responses pid=%d", pid))
	})
	t.Run("error after the head aborts the client connection", func(t *testing.T) {
		for i := 0; i < 20; i++ {
			resp, err := http.Get(h.url("/error-after-head"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || err == nil {
				t.Fatalf("status %d, body %q, err %v: want 200 and an aborted body", resp.StatusCode, b, err)
			}
		}
	})
	if s := h.g.Snapshot(); s.Crashes != 0 || h.workerPIDs()[0] != pid {
		t.Errorf("application errors replaced the process: %+v", s)
	}
}

func TestCrashMidRequest(t *testing.T) {
	spec := testSpec("crash")
	spec.Processes = 2
	h := newHarness(t, spec)
	before := h.workerPIDs()

	// A slow request on the other process must survive the crash.
	var wg sync.WaitGroup
	var slowCode int
	slowPID := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, body, _ := h.get("/sleep?s=1")
		slowCode = code
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		if p, ok := m["pid"].(float64); ok {
			slowPID = int(p)
		}
	}()
	time.Sleep(200 * time.Millisecond) // the slow one is in flight on one process
	code, _, _ := h.get("/crash")
	if code != 500 {
		t.Errorf("GET /crash = %d, want 500", code)
	}
	wg.Wait()
	if slowCode != 200 {
		t.Errorf("concurrent request on the other process = %d, want 200", slowCode)
	}
	e := h.waitEvent(EventExited, ReasonCrash, 5*time.Second)
	if e.PID == slowPID {
		t.Errorf("the process serving the slow request crashed")
	}
	h.waitEvent(EventReady, "", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for len(h.workerPIDs()) != 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	after := h.workerPIDs()
	if len(after) != 2 || (after[0] == before[0] && after[1] == before[1]) {
		t.Errorf("processes before %v after %v, want one replaced", before, after)
	}
	if code, body, _ := h.get("/hello"); code != 200 {
		t.Errorf("after the crash: %d %q", code, body)
	}

	t.Run("after the head", func(t *testing.T) {
		resp, err := http.Get(h.url("/crash-after-head"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || err == nil {
			t.Errorf("status %d, body %q, err %v: want 200 and an aborted body", resp.StatusCode, b, err)
		}
	})
	for deadline := time.Now().Add(5 * time.Second); h.countEvents(EventExited, ReasonCrash) < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if s := h.g.Snapshot(); s.Crashes != 2 {
		t.Errorf("Crashes = %d, want 2", s.Crashes)
	}
}

func TestQueueTimeout(t *testing.T) {
	spec := testSpec("queue")
	spec.Threads = 1
	spec.QueueTimeout = 300 * time.Millisecond
	h := newHarness(t, spec)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if code, _, _ := h.get("/sleep?s=1.5"); code != 200 {
			t.Errorf("the busy request = %d", code)
		}
	}()
	time.Sleep(150 * time.Millisecond)
	start := time.Now()
	code, _, _ := h.get("/hello")
	took := time.Since(start)
	if code != 504 || took < 250*time.Millisecond || took > time.Second {
		t.Errorf("queued request = %d after %s, want 504 after ~300ms", code, took)
	}
	if s := h.g.Snapshot(); s.QueueTimeouts != 1 {
		t.Errorf("QueueTimeouts = %d, want 1", s.QueueTimeouts)
	}
	wg.Wait()
	// Queued, not timed out: served once the thread is free.
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.get("/sleep?s=0.2")
	}()
	time.Sleep(50 * time.Millisecond)
	if code, _, _ := h.get("/hello"); code != 200 {
		t.Errorf("request queued behind a short one = %d, want 200", code)
	}
	wg.Wait()
	if s := h.g.Snapshot(); s.QueueWaits < 1 || s.QueueWaitTotal <= 0 {
		t.Errorf("queue wait not recorded: %+v", s)
	}
}

func TestConnectTimeoutWhenNoProcess(t *testing.T) {
	spec := testSpec("noproc")
	spec.ConnectTimeout = 300 * time.Millisecond
	h := newHarness(t, spec, func(h *harness, o *Options) {
		o.FailureThreshold = 0.5 // the first crash already backs off
		o.FailureBackoff = time.Minute
	})
	if code, _, _ := h.get("/crash"); code != 500 {
		t.Fatalf("GET /crash = %d", code)
	}
	e := h.waitEvent(EventExited, ReasonCrash, 5*time.Second)
	if e.Backoff < time.Minute {
		t.Errorf("crash backoff %s, want ≥ 1m", e.Backoff)
	}
	// The group's only slot backs off, so it starts once more at once (a
	// group keeps one process whenever it can); that one crashes too, and
	// now the slot waits.
	for deadline := time.Now().Add(5 * time.Second); len(h.workerPIDs()) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no early restart: %v", h.eventList())
		}
	}
	if code, _, _ := h.get("/crash"); code != 500 {
		t.Fatalf("second GET /crash = %d", code)
	}
	for deadline := time.Now().Add(5 * time.Second); h.countEvents(EventExited, ReasonCrash) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no second crash: %v", h.eventList())
		}
	}
	start := time.Now()
	code, _, _ := h.get("/hello")
	if took := time.Since(start); code != 503 || took < 250*time.Millisecond || took > 2*time.Second {
		t.Errorf("request with no process = %d after %s, want 503 after ~300ms", code, took)
	}
}

func TestProcessTitle(t *testing.T) {
	tests := []struct {
		display, cmdline, comm string
	}{
		{"%{GROUP}", "(wsgi:title-test)\x00-\x00", "(wsgi:title-tes"},
		{"worker-%{GROUP}", "worker-%{GROUP}\x00-\x00", "worker-%{GROUP}"},
		{"a-long-display-name", "a-long-display-name\x00-\x00", "a-long-display-"},
	}
	for _, tc := range tests {
		t.Run(tc.display, func(t *testing.T) {
			spec := testSpec("title-test")
			spec.DisplayName = tc.display
			h := newHarness(t, spec)
			pid := h.workerPIDs()[0]
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if string(cmdline) != tc.cmdline {
				t.Errorf("cmdline %q, want %q", cmdline, tc.cmdline)
			}
			if strings.TrimSpace(string(comm)) != tc.comm {
				t.Errorf("comm %q, want %q", comm, tc.comm)
			}
			// Request threads inherit the name; the app sees mod_wsgi's argv.
			m := getJSON(t, h, "/title")
			if m["comm"] != tc.comm || fmt.Sprint(m["argv"]) != "[mod_wsgi]" {
				t.Errorf("inside the app: %v", m)
			}
			if exe, _ := m["executable"].(string); !filepath.IsAbs(exe) {
				t.Errorf("sys.executable = %q, want the interpreter's path", exe)
			}
		})
	}
}

func TestLazyLoadPreloadAndApplicationGroups(t *testing.T) {
	preload, _ := filepath.Abs("testdata/preload.wsgi")
	parse := func(t *testing.T, body string) (imported, start int64) {
		t.Helper()
		var pid int
		if _, err := fmt.Sscanf(body, "%d %d %d", &imported, &pid, &start); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		return imported, start
	}
	t.Run("lazy", func(t *testing.T) {
		h := newHarness(t, testSpec("lazy"))
		time.Sleep(50 * time.Millisecond)
		_, body, _ := h.get("/", "X-Script", preload)
		if imported, start := parse(t, body); imported < start {
			t.Errorf("imported at %d before the request at %d: not lazy", imported, start)
		}
	})
	t.Run("preload", func(t *testing.T) {
		spec := testSpec("preload")
		spec.Preload = []Preload{{Script: preload, CallableObject: "application"}}
		h := newHarness(t, spec)
		time.Sleep(50 * time.Millisecond)
		_, body, _ := h.get("/", "X-Script", preload)
		if imported, start := parse(t, body); imported >= start {
			t.Errorf("imported at %d, not before the request at %d", imported, start)
		}
	})
	t.Run("application groups are separate namespaces", func(t *testing.T) {
		h := newHarness(t, testSpec("appgroups"))
		seq := []struct {
			group string
			count float64
		}{{"a", 1}, {"a", 2}, {"", 1}, {"b", 1}, {"a", 3}, {"", 2}}
		modules := map[string]string{}
		for _, s := range seq {
			m := getJSON(t, h, "/count", "X-App-Group", s.group)
			if m["count"] != s.count {
				t.Errorf("group %q: count %v, want %v", s.group, m["count"], s.count)
			}
			if m["shim_app_group"] != s.group && s.count == 1 {
				t.Errorf("group %q: mod_wsgi.application_group at load = %v", s.group, m["shim_app_group"])
			}
			modules[s.group] = m["module"].(string)
		}
		if modules["a"] == modules["b"] || modules["a"] == modules[""] || !strings.HasPrefix(modules[""], "_mod_wsgi_") {
			t.Errorf("module names %v, want distinct per group", modules)
		}
		// callable-object picks another name in the same module.
		if m := getJSON(t, h, "/count", "X-App-Group", "a", "X-Callable", "other"); m["count"] != float64(4) {
			t.Errorf("callable-object=other: count %v, want 4", m["count"])
		}
	})
	t.Run("import error is retried", func(t *testing.T) {
		dir := t.TempDir()
		script := filepath.Join(dir, "broken.wsgi")
		os.WriteFile(script, []byte("raise ImportError('not yet')\n"), 0o644)
		h := newHarness(t, testSpec("importerror"))
		if code, _, _ := h.get("/", "X-Script", script); code != 500 {
			t.Errorf("broken script = %d, want 500", code)
		}
		h.waitLog("cannot be loaded as Python module")
		os.WriteFile(script, []byte(helloScript), 0o644)
		if code, body, _ := h.get("/", "X-Script", script); code != 200 || body != "fixed" {
			t.Errorf("fixed script = %d %q, want 200", code, body)
		}
	})
}

const helloScript = `
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"fixed"]
`

func TestScriptReloading(t *testing.T) {
	// mtime: the front end passes the script's mtime (as server/ does), so
	// the worker compares instead of stat'ing; otherwise the worker stats.
	for _, mtime := range []string{"0", "1"} {
		t.Run("mtime="+mtime, func(t *testing.T) { testScriptReloading(t, mtime) })
	}
}

func testScriptReloading(t *testing.T, mtime string) {
	dir := t.TempDir()
	script := filepath.Join(dir, "app.wsgi")
	write := func(version string, mtime time.Time) {
		src := fmt.Sprintf("import os, time\ndef application(e, sr):\n    time.sleep(float(e['QUERY_STRING'] or 0))\n"+
			"    sr('200 OK', [])\n    return [b'%s %%d' %% os.getpid()]\n", version)
		if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(script, mtime, mtime)
	}
	t0 := time.Now().Add(-time.Hour)
	write("v1", t0)
	h := newHarness(t, testSpec("reload"))
	_, b1, _ := h.get("/", "X-Script", script, "X-Reload", "1", "X-Mtime", mtime)
	// A request in flight on the old code when the change is seen finishes
	// there: the old process drains rather than being killed.
	var wg sync.WaitGroup
	var slowCode int
	var slowBody string
	wg.Add(1)
	go func() {
		defer wg.Done()
		slowCode, slowBody, _ = h.get("/?1", "X-Script", script, "X-Reload", "1", "X-Mtime", mtime)
	}()
	waitFor(t, func() bool { return h.g.Snapshot().InFlight == 1 })
	write("v2", t0.Add(time.Minute))
	code, b2, _ := h.get("/", "X-Script", script, "X-Reload", "1", "X-Mtime", mtime)
	var v1, v2 string
	var p1, p2 int
	fmt.Sscanf(b1, "%s %d", &v1, &p1)
	fmt.Sscanf(b2, "%s %d", &v2, &p2)
	if code != 200 || v1 != "v1" || v2 != "v2" || p1 == p2 {
		t.Errorf("before %q, after %d %q: want v2 from a new process", b1, code, b2)
	}
	h.waitEvent(EventRecycling, ReasonScriptReload, time.Second)
	wg.Wait()
	if slowCode != 200 || slowBody != fmt.Sprintf("v1 %d", p1) {
		t.Errorf("request in flight during the reload = %d %q, want 200 from the old code", slowCode, slowBody)
	}
	h.waitEvent(EventExited, ReasonScriptReload, 5*time.Second)
	// Without WSGIScriptReloading the change is not looked at.
	write("v3", t0.Add(2*time.Minute))
	if _, b3, _ := h.get("/", "X-Script", script); !strings.HasPrefix(b3, "v2 ") {
		t.Errorf("reloading off: %q, want v2 still", b3)
	}
}

// fakeClock is set by the test; the supervisor reads it.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestTimersWithFakeClock(t *testing.T) {
	tests := []struct {
		name    string
		spec    func(*Spec)
		request bool // serve one request first
		advance time.Duration
		reason  Reason // "" = no recycle expected
	}{
		{"inactivity after a request", func(s *Spec) { s.InactivityTimeout = 10 * time.Second }, true, 11 * time.Second, ReasonInactivity},
		{"inactivity not before the first request", func(s *Spec) { s.InactivityTimeout = 10 * time.Second }, false, time.Hour, ""},
		{"inactivity not yet", func(s *Spec) { s.InactivityTimeout = 10 * time.Second }, true, 9 * time.Second, ""},
		{"restart interval", func(s *Spec) { s.RestartInterval = time.Minute }, false, 61 * time.Second, ReasonRestartInterval},
		{"restart interval not yet", func(s *Spec) { s.RestartInterval = time.Minute }, true, 59 * time.Second, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
			spec := testSpec("timers")
			tc.spec(spec)
			h := newHarness(t, spec, func(h *harness, o *Options) { o.Clock = clock }, withTick(time.Hour))
			old := h.workerPIDs()[0]
			if tc.request {
				h.get("/hello")
			}
			clock.Add(tc.advance)
			h.g.reconcile()
			if tc.reason == "" {
				if n := h.countEvents(EventRecycling, ""); n != 0 {
					t.Errorf("recycled: %v", h.eventList())
				}
				return
			}
			e := h.waitEvent(EventRecycling, tc.reason, time.Second)
			if e.PID != old {
				t.Errorf("recycled pid %d, want %d", e.PID, old)
			}
			// The replacement comes up, then the old one drains and exits.
			deadline := time.Now().Add(5 * time.Second)
			for h.countEvents(EventExited, tc.reason) == 0 && time.Now().Before(deadline) {
				h.g.reconcile()
				time.Sleep(20 * time.Millisecond)
			}
			if h.countEvents(EventExited, tc.reason) == 0 {
				t.Fatalf("old process did not exit: %v", h.eventList())
			}
			if pids := h.workerPIDs(); len(pids) != 1 || pids[0] == old {
				t.Errorf("ready processes %v, want one new one", pids)
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	spec := testSpec("stuck")
	spec.Threads = 1
	spec.RequestTimeout = 400 * time.Millisecond
	spec.ShutdownTimeout = 300 * time.Millisecond
	h := newHarness(t, spec, withTick(50*time.Millisecond))
	start := time.Now()
	code, _, _ := h.get("/sleep?s=10")
	took := time.Since(start)
	if code != 504 || took > 3*time.Second {
		t.Errorf("stuck request = %d after %s, want 504 within ~1s", code, took)
	}
	h.waitEvent(EventRecycling, ReasonRequestTimeout, time.Second)
	// The stack of the stuck thread, down to the line of the app.
	h.waitLog("Dumping stack traces")
	h.waitLog("in application")
	h.waitLog("time.sleep(")
	if code, _, _ := h.get("/hello"); code != 200 {
		t.Errorf("after the timeout: %d", code)
	}
}

func TestSocketTimeout(t *testing.T) {
	spec := testSpec("socket")
	spec.SocketTimeout = 300 * time.Millisecond
	h := newHarness(t, spec)
	code, _, _ := h.get("/sleep?s=2")
	if code != 504 {
		t.Errorf("slow response with socket-timeout = %d, want 504", code)
	}
	// The stuck connection is broken: the process is replaced, and the
	// group keeps serving meanwhile.
	h.waitEvent(EventRecycling, ReasonBrokenConn, time.Second)
	if code, _, _ := h.get("/hello"); code != 200 {
		t.Errorf("after a socket timeout: %d", code)
	}
}

func TestClientGoneStopsTheApplication(t *testing.T) {
	spec := testSpec("gone")
	spec.Threads = 1
	h := newHarness(t, spec)
	marker := filepath.Join(t.TempDir(), "marker")
	resp, err := http.Get(h.url("/stream?n=100000&s=0.005&file=" + marker))
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(io.Discard, resp.Body, 1<<20)
	resp.Body.Close() // the client goes away mid-stream
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, _ := os.ReadFile(marker); string(b) == "stopped\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the application kept streaming after the client left")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The same (only) thread serves the next request: the connection is in step.
	if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
		t.Errorf("next request = %d %q", code, body)
	}
	if s := h.g.Snapshot(); s.Crashes != 0 || s.Recycles != 0 {
		t.Errorf("client disconnect disturbed the process: %+v", s)
	}
}

func TestStopDrainsInFlight(t *testing.T) {
	spec := testSpec("drain")
	h := newHarness(t, spec)
	var wg sync.WaitGroup
	wg.Add(1)
	var code int
	go func() {
		defer wg.Done()
		code, _, _ = h.get("/sleep?s=0.5")
	}()
	time.Sleep(150 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.g.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if code != 200 {
		t.Errorf("in-flight request during Stop = %d, want 200", code)
	}
	if code, _, _ := h.get("/hello"); code != 503 {
		t.Errorf("request after Stop = %d, want 503", code)
	}
	if s := h.g.Snapshot(); s.State != "stopped" || len(s.Processes) != 0 {
		t.Errorf("after Stop: %+v", s)
	}
}

func TestVirtualenvPythonHome(t *testing.T) {
	requirePython(t)
	venv := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command("python3", "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Skipf("cannot create a venv: %v %s", err, out)
	}
	site, _ := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages"))
	if len(site) != 1 {
		t.Fatalf("no site-packages in %s", venv)
	}
	os.WriteFile(filepath.Join(site[0], "venvmarker.py"), []byte("WHERE = 'venv'\n"), 0o644)
	script := filepath.Join(t.TempDir(), "venv.wsgi")
	os.WriteFile(script, []byte(`import sys, venvmarker
def application(environ, start_response):
    start_response("200 OK", [])
    return [("%s %s" % (sys.prefix, venvmarker.WHERE)).encode()]
`), 0o644)
	spec := testSpec("venv")
	spec.PythonHome = venv
	h := newHarness(t, spec)
	code, body, _ := h.get("/", "X-Script", script)
	if code != 200 || body != venv+" venv" {
		t.Errorf("in the venv group: %d %q, want %q\nlogs:\n%s", code, body, venv+" venv", h.logs)
	}
}

func TestServiceMode(t *testing.T) {
	// threads=0: the process runs its import scripts and exits; it is
	// started again about a second later, and takes no requests.
	dir := t.TempDir()
	script := filepath.Join(dir, "service.py")
	os.WriteFile(script, []byte(fmt.Sprintf("with open(%q, 'a') as f:\n    f.write('ran\\n')\n", filepath.Join(dir, "runs"))), 0o644)
	spec := testSpec("service")
	spec.Threads = 0
	spec.Preload = []Preload{{Script: script}}
	h := newHarness(t, spec, withTick(50*time.Millisecond))
	if code, _, _ := h.get("/hello"); code != 503 {
		t.Errorf("request to a threads=0 group = %d, want 503", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, "runs"))
		if strings.Count(string(b), "ran") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service script ran %d times, want it restarted; events %v", strings.Count(string(b), "ran"), h.eventList())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := h.countEvents(EventExited, ReasonServiceExit); n < 1 {
		t.Errorf("no service-exit event: %v", h.eventList())
	}
	if s := h.g.Snapshot(); s.Crashes != 0 {
		t.Errorf("service exits counted as crashes: %+v", s)
	}
}

func TestGracefulSignal(t *testing.T) {
	h := newHarness(t, testSpec("sigusr1"))
	old := h.workerPIDs()[0]
	if err := syscall.Kill(old, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	h.waitEvent(EventRecycling, ReasonGracefulSignal, 5*time.Second)
	e := h.waitEvent(EventExited, ReasonGracefulSignal, 5*time.Second)
	if e.PID != old {
		t.Errorf("exited pid %d, want %d", e.PID, old)
	}
	if pids := h.workerPIDs(); len(pids) != 1 || pids[0] == old {
		t.Errorf("ready processes %v, want one new one", pids)
	}
}

func TestStopKillsLeftoverChildren(t *testing.T) {
	h := newHarness(t, testSpec("children"))
	m := getJSON(t, h, "/spawn-child")
	child := int(m["child"].(float64))
	if err := syscall.Kill(child, 0); err != nil {
		t.Fatalf("child %d not running: %v", child, err)
	}
	if err := h.g.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The orphan is SIGKILLed with the worker's process group; its new
	// parent reaps it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			syscallKill(child)
			t.Fatalf("the application's child %d survived Stop", child)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		spec func(*Spec)
		opts Options
		want string
	}{
		{"missing interpreter", nil, Options{Python: "/nonexistent/python3", AllowRoot: true}, "test.conf:1:1: WSGIDaemonProcess bad: python interpreter"},
		{"bad home", func(s *Spec) { s.Home = "/nonexistent/home" }, Options{AllowRoot: true}, "cannot start worker process"},
		{"unknown user", func(s *Spec) { s.User = "no-such-user-xyz" }, Options{}, "unknown user"},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, struct {
			name string
			spec func(*Spec)
			opts Options
			want string
		}{"root refused", nil, Options{}, "would run as root"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requirePython(t)
			if tc.name == "unknown user" && os.Geteuid() != 0 {
				t.Skip("user= only matters as root")
			}
			spec := testSpec("bad")
			if tc.spec != nil {
				tc.spec(spec)
			}
			tc.opts.Logger = discardLogger()
			tc.opts.FailureBackoff = time.Hour
			g := NewGroup(spec, tc.opts)
			err := g.Start(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start error %v, want %q", err, tc.want)
			}
			if s := g.Snapshot(); s.State != "stopped" || len(s.Processes) != 0 {
				t.Errorf("after a failed Start: %+v", s)
			}
		})
	}
}

func TestRunsAsConfiguredUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir, err := os.MkdirTemp("", "daemon-user-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	src, _ := os.ReadFile(testApp(t))
	script := filepath.Join(dir, "app.wsgi")
	os.WriteFile(script, src, 0o644)
	// The interpreter must be reachable by nobody (not one under /root).
	python := "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	spec := testSpec("asuser")
	spec.User = "nobody"
	h := newHarness(t, spec, func(h *harness, o *Options) { o.AllowRoot = false; o.Python = python })
	h.script = script
	m := getJSON(t, h, "/modwsgi")
	if m["uid"] == float64(0) {
		t.Errorf("worker runs as root, want nobody")
	}
}

// The worker must not outlive the front end even when the front end is
// SIGKILLed. The test re-runs itself as the front end.
func TestWorkerDiesWithFrontEnd(t *testing.T) {
	if os.Getenv("DAEMON_TEST_FRONTEND") == "1" {
		frontEnd()
		return
	}
	requirePython(t)
	// Adopt the orphaned worker so the test can reap it (pid 1 of a
	// container may not), and see it exit rather than linger as a zombie.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a subreaper: %v", err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerDiesWithFrontEnd$")
	cmd.Env = append(os.Environ(), "DAEMON_TEST_FRONTEND=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscanf(out, "worker %d\n", &pid); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("front end did not report a worker: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if got == pid {
			return // exited, and reaped by us
		}
		if err != nil {
			t.Fatalf("wait4(%d): %v (not adopted?)", pid, err)
		}
		if time.Now().After(deadline) {
			syscallKill(pid)
			syscall.Wait4(pid, &ws, 0, nil)
			t.Fatalf("worker %d still running 5s after the front end was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func frontEnd() {
	g := NewGroup(testSpec("orphan"), Options{AllowRoot: true, Logger: discardLogger()})
	if err := g.Start(context.Background()); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("worker %d\n", g.Snapshot().Processes[0].PID)
	select {}
}

// Restart replaces every process gracefully: a request in flight finishes
// on its old process, new requests go to new ones, and the old ones exit.
func TestGroupRestart(t *testing.T) {
	spec := testSpec("restart")
	spec.Processes = 2
	h := newHarness(t, spec)
	before := map[int]bool{}
	for _, pid := range h.workerPIDs() {
		before[pid] = true
	}
	if len(before) != 2 {
		t.Fatalf("ready processes %v", before)
	}
	slow := make(chan int, 1)
	go func() {
		code, _, _ := h.get("/sleep?s=1")
		slow <- code
	}()
	time.Sleep(200 * time.Millisecond)
	h.g.Restart(string(ReasonFilesChanged))
	if code := <-slow; code != 200 {
		t.Errorf("request in flight during the restart: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fresh := 0
		for _, pid := range h.workerPIDs() {
			if !before[pid] {
				fresh++
			}
		}
		if fresh == 2 && h.countEvents(EventExited, ReasonFilesChanged) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Restart: pids %v (before %v), events %v", h.workerPIDs(), before, h.eventList())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
		t.Errorf("after the restart: %d %q", code, body)
	}
}

// TestRequiredPreloadFailureSaysWhy: a required script that fails makes
// Start fail with the worker's own message, every time. The worker's last
// control line races its exit; repeated starts catch a reader that loses
// it (CI saw "exit status 4" instead of the message).
func TestRequiredPreloadFailureSaysWhy(t *testing.T) {
	requirePython(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "noapp.py")
	os.WriteFile(script, []byte("app = None\n"), 0o644)
	want := "does not contain WSGI application 'application'"
	for i := range 8 {
		spec := testSpec("required")
		spec.Preload = []Preload{{Script: script, CallableObject: "application", Required: true}}
		g := NewGroup(spec, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), AllowRoot: true})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := g.Start(ctx)
		cancel()
		g.Stop(context.Background())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("start %d: %v, want an error saying %q", i, err, want)
		}
	}
}
