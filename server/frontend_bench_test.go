package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appserver/appserver/internal/testutil"
	"github.com/appserver/appserver/server/load"
	"github.com/appserver/appserver/server/route"
)

// The front end's whole per-request path: Frontend.ServeHTTP routes the
// request, builds the WSGI environ, writes the access log line, and proxies
// through a real daemon group (2 processes x 8 threads of Python workers)
// to a hello-world app. net/http's own connection handling is left out, so
// allocs/op are the front end's and the group's.

const benchApp = `HELLO = b"Hello world!"
BLOB = bytes(range(256)) * 400


def application(environ, start_response):
    body = BLOB if environ["PATH_INFO"] == "/100k" else HELLO
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

func benchPython(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		tb.Skip("python3 is not installed")
	}
	return p
}

// startBenchFrontend loads a config like bench/site-bench.conf and starts
// its group; accessLog adds a CustomLog in the combined format. stat, when
// set, replaces the router's file lookups.
func startBenchFrontend(tb testing.TB, accessLog bool, stat route.StatFunc, extra ...string) (*Frontend, string) {
	tb.Helper()
	py := benchPython(tb)
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(benchApp), 0o644); err != nil {
		tb.Fatal(err)
	}
	conf := fmt.Sprintf(`ServerName bench.test
WSGIDaemonProcess bench processes=2 threads=8
WSGIProcessGroup bench
WSGIApplicationGroup %%{GLOBAL}
WSGIScriptAlias / %s/app.py
`, dir) + strings.Join(extra, "\n") + "\n"
	logPath := filepath.Join(dir, "access.log")
	if accessLog {
		conf += `LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined` + "\n" +
			"CustomLog " + logPath + " combined\n"
	}
	confPath := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		tb.Fatal(err)
	}
	cfg, err := load.File(confPath, load.Options{})
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	f := NewFrontend(cfg, FrontendOptions{Routing: route.Options{Stat: stat}, Python: py, AllowRoot: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		tb.Fatalf("Start: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.Stop(ctx); err != nil {
			tb.Errorf("Stop: %v", err)
		}
	})
	return f, logPath
}

// nullWriter is a ResponseWriter with no connection behind it.
type nullWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *nullWriter) Header() http.Header { return w.h }
func (w *nullWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *nullWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}
func (w *nullWriter) Flush() {}

func (w *nullWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}

func benchRequest(path string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.Host = "bench.test"
	r.Header.Set("User-Agent", "wrk")
	// As the HTTP server sets it: without it the environ's address fields
	// take an error path that no real request takes.
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
}

// TestFrontendBenchPath keeps the benchmark honest: the request really
// goes through routing, the group and the access log, and answers the
// app's body.
func TestFrontendBenchPath(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Python workers")
	}
	f, logPath := startBenchFrontend(t, true, nil)
	for _, tc := range []struct {
		path string
		n    int
	}{{"/hello", 12}, {"/100k", 102400}} {
		w := &nullWriter{h: http.Header{}}
		f.ServeHTTP(w, benchRequest(tc.path))
		if w.status != http.StatusOK || w.n != tc.n || w.h.Get("Content-Length") != strconv.Itoa(tc.n) {
			t.Errorf("%s: status %d, %d bytes, Content-Length %q; want 200 and %d", tc.path, w.status, w.n, w.h.Get("Content-Length"), tc.n)
		}
	}
	// The log is buffered: Stop flushes it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"GET /hello HTTP/1.1" 200 `) || !strings.Contains(string(b), `"GET /100k HTTP/1.1" 200 `) {
		t.Errorf("access log:\n%s", b)
	}
}

// BenchmarkFrontend serves requests from 8 goroutines (the group's 16
// threads stay busy without a queue building up). Beyond ns/op and
// allocs/op it reports req/s, the Go process's CPU per request (this
// benchmark's own loop included) and the Python workers' CPU per request.
//
//	go test ./server -run '^$' -bench Frontend -benchtime 5s [-cpuprofile cpu.out]
func BenchmarkFrontend(b *testing.B) {
	for _, tc := range []struct {
		name, path string
		log        bool
		stat       route.StatFunc
		extra      []string
	}{
		{"hello/log=off", "/hello", false, nil, nil},
		{"hello/log=on", "/hello", true, nil, nil},
		{"100k/log=on", "/100k", true, nil, nil},
		// What the router's stat calls cost (one per path segment down
		// to the script): the same with every lookup answered from memory.
		{"hello/log=on/stat=cached", "/hello", true, cachedStat(), nil},
		// The response directives a typical site sets server-wide (no
		// client asks for gzip here: the cost of deciding, not of zlib).
		{"hello/log=off/responses", "/hello", false, nil, []string{"ExpiresActive On", "ExpiresDefault A60",
			"AddDefaultCharset utf-8", "AddOutputFilterByType DEFLATE text/plain"}},
		// bench/bench.conf's typical site lines: security headers and
		// redirects that this request matches none of.
		{"hello/log=on/headers+rewrite", "/hello", true, nil, []string{
			`Header always set X-Content-Type-Options "nosniff"`, `Header always set X-Frame-Options "SAMEORIGIN"`,
			`Header set Referrer-Policy "strict-origin-when-cross-origin"`, "RewriteEngine On",
			`RewriteCond %{HTTP_HOST} ^www\.(.+)$ [NC]`, `RewriteRule ^/(.*)$ http://%1/$1 [R=301,L]`,
			`RewriteRule ^/old/(.*)$ /$1 [R=301,L]`}},
		// What monitoring costs: the same without it (issue 10's bound).
		{"hello/log=off/monitor=off", "/hello", false, nil, []string{"AppserverMonitor Off"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f, _ := startBenchFrontend(b, tc.log, tc.stat, tc.extra...)
			r := benchRequest(tc.path)
			// Load the app in every worker thread before timing.
			for range 64 {
				w := &nullWriter{h: http.Header{}}
				f.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
			var pids []int
			for _, g := range f.Groups() {
				for _, p := range g.Snapshot().Processes {
					pids = append(pids, p.PID)
				}
			}
			py0, go0 := procsCPU(pids), testutil.SelfCPU()
			b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				w := &nullWriter{h: http.Header{}}
				for pb.Next() {
					w.reset()
					f.ServeHTTP(w, r)
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(testutil.SelfCPU()-go0)/float64(time.Microsecond)/float64(b.N), "go-µs/req")
			b.ReportMetric(float64(procsCPU(pids)-py0)/float64(time.Microsecond)/float64(b.N), "py-µs/req")
		})
	}
}

// cachedStat is os.Stat remembered forever: a bound on what caching the
// router's lookups could save, not a correct cache.
func cachedStat() route.StatFunc {
	var cache sync.Map
	return func(name string) (fs.FileInfo, error) {
		if v, ok := cache.Load(name); ok {
			return v.(fs.FileInfo), nil
		}
		fi, err := os.Stat(name)
		if err == nil {
			cache.Store(name, fi)
		}
		return fi, err
	}
}

// procsCPU sums user+system CPU of the processes from /proc (10 ms ticks).
func procsCPU(pids []int) time.Duration {
	var total time.Duration
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// utime and stime are fields 14 and 15; count from the ")" that
		// ends comm, which may itself hold spaces.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			total += time.Duration(u+s) * 10 * time.Millisecond
		}
	}
	return total
}
