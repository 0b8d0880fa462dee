package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/appserver/appserver/server"
	"github.com/appserver/appserver/server/load"
)

// The files the runner feeds the servers: the shared config must load in
// appserver (and in Apache, when installed) for both sites, the app must
// answer every workload, and the wrk scripts must send what they claim.

func benchEnv(t *testing.T, siteConf string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"run", "wsgi"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	apps, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	user := "www-data"
	if os.Geteuid() != 0 {
		user = os.Getenv("USER")
	}
	return map[string]string{"BENCH_DIR": dir, "BENCH_PORT": "28299", "BENCH_USER": user, "BENCH_APPS": apps,
		"BENCH_SITE": siteConf, "DEMO_ROOT": filepath.Join(apps, "..", "testdata", "demo")}
}

func writeDemoSite(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("../testdata/demo/site.conf")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "site-demo.conf")
	if err := os.WriteFile(p, demoSite(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDemoSiteDropsOnlyServerWideLines(t *testing.T) {
	src, err := os.ReadFile("../testdata/demo/site.conf")
	if err != nil {
		t.Fatal(err)
	}
	got := string(demoSite(src))
	srcLines := strings.Split(string(src), "\n")
	gotLines := strings.Split(got, "\n")[1:] // after the header comment
	if len(gotLines) != len(srcLines) {
		t.Fatalf("%d lines, want %d", len(gotLines), len(srcLines))
	}
	dropped := 0
	for i, l := range srcLines {
		f := strings.Fields(l)
		if len(f) > 0 && (f[0] == "Listen" || f[0] == "User" || f[0] == "Group") {
			dropped++
			if gotLines[i] != "# (bench) "+l {
				t.Errorf("line %d: %q not commented out", i+1, gotLines[i])
			}
			continue
		}
		if gotLines[i] != l {
			t.Errorf("line %d changed: %q -> %q", i+1, l, gotLines[i])
		}
	}
	if dropped != 3 {
		t.Errorf("dropped %d lines, want Listen, User and Group", dropped)
	}
}

func TestConfigLoadsInAppserver(t *testing.T) {
	siteBench, err := filepath.Abs("site-bench.conf")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		site   string
		groups map[string][2]int // name -> processes, threads
	}{
		{siteBench, map[string][2]int{"bench": {2, 8}}},
		{writeDemoSite(t), map[string][2]int{"main": {1, 5}, "volume": {3, 5}, "admin": {1, 3}}},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.site), func(t *testing.T) {
			env := benchEnv(t, tc.site)
			cfg, err := load.File("bench.conf", load.Options{LookupEnv: func(k string) (string, bool) {
				v, ok := env[k]
				return v, ok
			}})
			if err != nil {
				t.Fatalf("appserver cannot load bench.conf: %v", err)
			}
			got := map[string][2]int{}
			for _, g := range cfg.Groups {
				got[g.Spec.Name] = [2]int{g.Spec.Processes, g.Spec.Threads}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.groups) {
				t.Errorf("groups %v, want %v", got, tc.groups)
			}
			ls, err := server.Listeners(cfg)
			if err != nil || len(ls) != 1 || ls[0].Addr != "127.0.0.1:28299" {
				t.Errorf("listeners %+v %v, want 127.0.0.1:28299 only", ls, err)
			}
			if cfg.User != env["BENCH_USER"] {
				t.Errorf("User %q, want %q", cfg.User, env["BENCH_USER"])
			}
			if cfg.PythonHome != "/usr" {
				t.Errorf("WSGIPythonHome %q, want /usr (Debian's python3 for every server)", cfg.PythonHome)
			}
		})
	}
}

func TestConfigPassesApacheConfigtest(t *testing.T) {
	if _, err := os.Stat("/usr/sbin/apache2"); err != nil {
		t.Skip("Apache is not installed")
	}
	if _, err := os.Stat("/usr/lib/apache2/modules/mod_wsgi.so"); err != nil {
		t.Skip("mod_wsgi is not installed")
	}
	siteBench, _ := filepath.Abs("site-bench.conf")
	conf, _ := filepath.Abs("bench.conf")
	for _, site := range []string{siteBench, writeDemoSite(t)} {
		env := benchEnv(t, site)
		cmd := exec.Command("/usr/sbin/apache2", "-d", env["BENCH_DIR"], "-f", conf, "-t")
		cmd.Env = os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Syntax OK") {
			t.Errorf("apache2 -t with %s: %v\n%s", filepath.Base(site), err, out)
		}
	}
}

// TestAppAnswersEveryWorkload calls app.py's application directly with
// Debian's python3 (the interpreter every server runs it with).
func TestAppAnswersEveryWorkload(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip(py + " is missing")
	}
	driver := `
import io, json, sys
sys.dont_write_bytecode = True
sys.path.insert(0, ".")
import app
out = {}
for path, body in [("/hello", b""), ("/json", b""), ("/100k", b""), ("/upload", b"x" * 300000), ("/sleep", b""), ("/nope", b"")]:
    got = {}
    def start_response(status, headers):
        got["status"] = status
        got["headers"] = dict(headers)
    env = {"PATH_INFO": path, "REQUEST_METHOD": "POST" if body else "GET", "wsgi.input": io.BytesIO(body),
           "CONTENT_LENGTH": str(len(body)) if body else ""}
    data = b"".join(app.application(env, start_response))
    out[path] = {"status": got["status"], "len": len(data), "clen": got["headers"]["Content-Length"],
                 "head": data[:20].decode("latin-1")}
json.dump(out, sys.stdout)
`
	cmd := exec.Command(py, "-c", driver)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var got map[string]struct {
		Status, Clen, Head string
		Len                int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for path, check := range map[string]func(l int, head string) bool{
		"/hello":  func(l int, h string) bool { return h == "Hello world!" },
		"/json":   func(l int, h string) bool { return l >= 1000 && l <= 1100 && strings.HasPrefix(h, "{") },
		"/100k":   func(l int, h string) bool { return l == 102400 },
		"/upload": func(l int, h string) bool { return h == "300000" },
		"/sleep":  func(l int, h string) bool { return l > 0 },
	} {
		r := got[path]
		if r.Status != "200 OK" || r.Clen != fmt.Sprint(r.Len) || !check(r.Len, r.Head) {
			t.Errorf("%s: %+v", path, r)
		}
	}
	if got["/nope"].Status != "404 Not Found" {
		t.Errorf("/nope: %+v", got["/nope"])
	}
}

// runWrk points wrk with a script at a recording server for one second.
func runWrk(t *testing.T, script string, h http.HandlerFunc) {
	t.Helper()
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	out, err := exec.Command("wrk", "-t2", "-c4", "-d1s", "-s", script, srv.URL+"/").CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
}

func TestMixScript(t *testing.T) {
	var mu sync.Mutex
	count := map[string]int{}
	total := 0
	runWrk(t, "mix.lua", func(w http.ResponseWriter, r *http.Request) {
		kind := "other"
		switch {
		case r.URL.Path == "/":
			kind = "home"
		case strings.HasPrefix(r.URL.Path, "/publications/article/"):
			kind = "article"
		case strings.HasPrefix(r.URL.Path, "/admin"):
			kind = "admin"
		}
		mu.Lock()
		count[kind]++
		total++
		mu.Unlock()
	})
	if total < 2000 {
		t.Fatalf("only %d requests", total)
	}
	share := func(k string) float64 { return float64(count[k]) / float64(total) }
	for k, want := range map[string]float64{"home": 0.5, "article": 0.44, "other": 0.058} {
		if got := share(k); got < want-0.03 || got > want+0.03 {
			t.Errorf("%s: %.3f of %d requests, want %.3f", k, got, total, want)
		}
	}
	if count["admin"] == 0 || share("admin") > 0.01 {
		t.Errorf("admin: %d of %d requests, want a few (0.2%%)", count["admin"], total)
	}
}

func TestUploadScript(t *testing.T) {
	var mu sync.Mutex
	bad := []string{}
	n := 0
	runWrk(t, "upload.lua", func(w http.ResponseWriter, r *http.Request) {
		body, err := readAll(r)
		mu.Lock()
		defer mu.Unlock()
		n++
		if r.Method != "POST" || r.URL.Path != "/upload" || err != nil || body != 1<<20 || r.ContentLength != 1<<20 {
			bad = append(bad, fmt.Sprintf("%s %s len %d/%d %v", r.Method, r.URL.Path, body, r.ContentLength, err))
		}
	})
	if n == 0 || len(bad) > 0 {
		t.Errorf("%d requests; wrong ones: %v", n, bad[:min(len(bad), 3)])
	}
}

func readAll(r *http.Request) (int64, error) {
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := r.Body.Read(buf)
		n += int64(k)
		if err != nil {
			if err.Error() == "EOF" {
				return n, nil
			}
			return n, err
		}
	}
}
