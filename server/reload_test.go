package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
)

const reloadApp = `import os
def application(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [('%s %d %s' % (environ['mod_wsgi.process_group'], os.getpid(), environ.get('VERSION', ''))).encode()]
`

// TestFrontendReload: under constant load, a reload keeps the unchanged
// group's process, replaces the changed one, adds the new one and applies
// the new routes and environment; a reload whose group cannot start is
// refused and the old config keeps serving. No request fails.
func TestFrontendReload(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "app.wsgi")
	if err := os.WriteFile(script, []byte(reloadApp), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := func(body string) string {
		path := filepath.Join(dir, "site.conf")
		text := "Listen 8999\nWSGIScriptAlias / " + script + "\nWSGIProcessGroup a\n" +
			"<Location /b>\n    WSGIProcessGroup b\n</Location>\n" + body
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	loadConf := func(body string) *config.Config {
		cfg, err := load.File(conf(body), load.Options{NoHostChecks: true})
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		return cfg
	}
	f := NewFrontend(loadConf("WSGIDaemonProcess a threads=2\nWSGIDaemonProcess b threads=2\nSetEnv VERSION 1\n"),
		FrontendOptions{Python: "/usr/bin/python3", AllowRoot: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop(context.Background())
	get := func(path string) (int, []string) {
		w := httptest.NewRecorder()
		f.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		return w.Code, strings.Fields(w.Body.String())
	}
	_, a1 := get("/")
	_, b1 := get("/b")

	var failed, served atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			paths := []string{"/", "/b", "/x", "/b/y"}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, _ := get(paths[i]); code != http.StatusOK {
					failed.Add(1)
				}
				served.Add(1)
			}
		}()
	}

	// Changed: b's threads; new: c; the environment; a is as it was.
	next := loadConf("WSGIDaemonProcess a threads=2\nWSGIDaemonProcess b threads=3\nWSGIDaemonProcess c threads=1\n" +
		"<Location /c>\n    WSGIProcessGroup c\n</Location>\nSetEnv VERSION 2\n")
	if err := f.Reload(context.Background(), next); err != nil {
		t.Fatalf("reload: %v", err)
	}
	_, a2 := get("/")
	_, b2 := get("/b")
	_, c2 := get("/c")
	if a2[0] != "a" || a2[1] != a1[1] || a2[2] != "2" {
		t.Errorf("unchanged group a after the reload: %v, want its process %s and VERSION 2", a2, a1[1])
	}
	if b2[0] != "b" || b2[1] == b1[1] {
		t.Errorf("changed group b after the reload: %v, want a new process (was %s)", b2, b1[1])
	}
	if c2[0] != "c" {
		t.Errorf("/c after the reload: %v, want group c", c2)
	}
	// The replaced group stops (and counts as restarted) once the requests
	// routed to it under the old config are done.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := map[string]uint64{}
		for _, g := range f.Monitor().Status().Groups {
			got[g.Name] = g.Restarts["reload"]
		}
		if got["b"] == 1 && got["a"] == 0 && got["c"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("restarts by reload per group: %v, want b 1, a and c 0", got)
			break
		}
	}

	// A group that cannot start: the reload fails, the old config serves.
	bad := loadConf("WSGIDaemonProcess a threads=2\nWSGIDaemonProcess b threads=3\nWSGIDaemonProcess c threads=1 home=" +
		filepath.Join(dir, "no-venv") + "\n<Location /c>\n    WSGIProcessGroup c\n</Location>\nSetEnv VERSION 3\n")
	if err := f.Reload(context.Background(), bad); err == nil {
		t.Error("a reload whose group cannot start succeeded")
	}
	if _, a3 := get("/"); a3[2] != "2" || a3[1] != a1[1] {
		t.Errorf("after the refused reload: %v, want VERSION 2 from process %s", a3, a1[1])
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || served.Load() < 20 {
		t.Errorf("%d of %d requests failed under the reloads", failed.Load(), served.Load())
	}
}

// TestReadiness: SetHandler appserver-ready says 503 until the groups have
// a process ready and again once the server is stopping.
func TestReadiness(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "app.wsgi")
	if err := os.WriteFile(script, []byte(reloadApp), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "site.conf")
	conf := "Listen 8999\nWSGIDaemonProcess a threads=1\nWSGIProcessGroup a\nWSGIScriptAlias / " + script +
		"\n<Location /ready>\n    SetHandler appserver-ready\n</Location>\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(path, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := NewFrontend(cfg, FrontendOptions{Python: "/usr/bin/python3", AllowRoot: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ready := func() (int, string) {
		w := httptest.NewRecorder()
		f.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ready", nil))
		return w.Code, strings.TrimSpace(w.Body.String())
	}
	if code, body := ready(); code != 503 || body != "not ready: group a is new" {
		t.Errorf("before Start: %d %q", code, body)
	}
	if err := f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop(context.Background())
	if code, body := ready(); code != 200 || body != "ready" {
		t.Errorf("serving: %d %q", code, body)
	}
	f.Draining()
	if code, body := ready(); code != 503 || body != "not ready: stopping" {
		t.Errorf("stopping: %d %q", code, body)
	}
}
