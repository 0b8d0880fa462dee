package daemon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/internal/testutil"
)

// benchEnv is about what server/ sends for a browser request.
func benchEnv() []string {
	env := []string{
		"REQUEST_METHOD", "GET", "SCRIPT_NAME", "", "PATH_INFO", "/hello", "QUERY_STRING", "a=1",
		"REQUEST_URI", "/hello?a=1", "SERVER_NAME", "localhost", "SERVER_PORT", "80",
		"SERVER_PROTOCOL", "HTTP/1.1", "SERVER_SOFTWARE", "Apache", "REMOTE_ADDR", "127.0.0.1",
		"REMOTE_PORT", "54321", "SERVER_ADDR", "127.0.0.1", "DOCUMENT_ROOT", "/var/www/html",
		"SCRIPT_FILENAME", "/srv/app/app.wsgi", "GATEWAY_INTERFACE", "CGI/1.1",
		"mod_wsgi.process_group", "bench", "mod_wsgi.application_group", "localhost|",
		"mod_wsgi.callable_object", "application", "mod_wsgi.request_handler", "wsgi-script",
		"mod_wsgi.script_reloading", "1", "mod_wsgi.request_start", "1700000000000000",
		"HTTP_HOST", "localhost", "HTTP_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
		"HTTP_ACCEPT", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
		"HTTP_ACCEPT_LANGUAGE", "en-US,en;q=0.5", "HTTP_ACCEPT_ENCODING", "gzip, deflate, br",
		"HTTP_COOKIE", "sessionid=0123456789abcdef0123456789abcdef; csrftoken=abcdefabcdefabcdef",
	}
	return env
}

func BenchmarkAppendHead(b *testing.B) {
	req := &Request{Script: "/srv/app/app.wsgi", ApplicationGroup: "localhost|", CallableObject: "application", Env: benchEnv()}
	buf := make([]byte, 0, frameHeaderLen+maxChunk)
	b.ReportAllocs()
	for b.Loop() {
		out, err := appendHead(buf[:0], req, headReloading)
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResponseHead(b *testing.B) {
	p, n := sFrame("200 OK", "Content-Type", "text/html; charset=utf-8", "Content-Length", "12",
		"Set-Cookie", "a=1; Path=/", "Cache-Control", "no-cache", "X-Frame-Options", "DENY")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := decodeResponseHead(p, n); err != nil {
			b.Fatal(err)
		}
	}
}

// discardWriter is a ResponseWriter with no HTTP connection behind it, so
// the benchmark measures the group and the worker, not net/http.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkRoundTrip sends hello-world requests through a Group with 2
// processes × 8 threads, from as many goroutines as threads.
// startBenchGroup starts the 2 × 8 group the benchmarks use, stopped when
// the benchmark ends.
func startBenchGroup(b *testing.B) *Group {
	requirePython(b)
	spec := testSpec("bench")
	spec.Processes = 2
	spec.Threads = 8
	g := NewGroup(spec, Options{AllowRoot: true, Logger: discardLogger()})
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Stop(context.Background()) })
	return g
}

func BenchmarkRoundTrip(b *testing.B) {
	g := startBenchGroup(b)
	req := &Request{Script: testApp(b), CallableObject: "application", Env: benchEnv(), ScriptReloading: true}
	r := httptest.NewRequest("GET", "/hello", nil)
	// Load the app in every thread before timing.
	for i := 0; i < 32; i++ {
		g.Serve(&discardWriter{h: http.Header{}}, r, req)
	}
	var pids []int
	for _, p := range g.Snapshot().Processes {
		pids = append(pids, p.PID)
	}
	pyStart, goStart := workerCPU(pids), testutil.SelfCPU()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			g.Serve(w, r, req)
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(workerCPU(pids)-pyStart)/float64(time.Microsecond)/float64(b.N), "py-µs/req")
	b.ReportMetric(float64(testutil.SelfCPU()-goStart)/float64(time.Microsecond)/float64(b.N), "go-µs/req")
}

// workerCPU sums user+system CPU of the processes (clock ticks of 10ms).
func workerCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the ")" that ends comm: state is field 3; utime and
		// stime are fields 14 and 15.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			total += time.Duration(u+s) * 10 * time.Millisecond
		}
	}
	return total
}

// BenchmarkHTTPRoundTrip is the same through a real HTTP server and
// client on loopback (what a user would measure, minus the load tool).
func BenchmarkHTTPRoundTrip(b *testing.B) {
	h := newHarness(b, func() *Spec { s := testSpec("httpbench"); s.Processes = 2; s.Threads = 8; return s }())
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	url := h.url("/hello")
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				panic(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				panic(fmt.Sprint("status ", resp.StatusCode))
			}
		}
	})
}

// BenchmarkUpload posts 1 MB bodies that the app reads in 64 KiB pieces
// (bench/'s upload workload without HTTP), reporting the workers' CPU.
func BenchmarkUpload(b *testing.B) {
	g := startBenchGroup(b)
	body := make([]byte, 1<<20)
	env := append(benchEnv(), "CONTENT_LENGTH", strconv.Itoa(len(body)))
	for i := 0; i+1 < len(env); i += 2 {
		switch env[i] {
		case "REQUEST_METHOD":
			env[i+1] = "POST"
		case "PATH_INFO":
			env[i+1] = "/upload"
		case "QUERY_STRING":
			env[i+1] = "chunk=65536"
		}
	}
	req := &Request{Script: testApp(b), CallableObject: "application", Env: env, ScriptReloading: true}
	serve := func(w *discardWriter) {
		r := httptest.NewRequest("POST", "/upload?chunk=65536", bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		g.Serve(w, r, req)
	}
	for range 16 {
		serve(&discardWriter{h: http.Header{}})
	}
	var pids []int
	for _, p := range g.Snapshot().Processes {
		pids = append(pids, p.PID)
	}
	pyStart := workerCPU(pids)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			serve(w)
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(workerCPU(pids)-pyStart)/float64(time.Microsecond)/float64(b.N), "py-µs/req")
}
