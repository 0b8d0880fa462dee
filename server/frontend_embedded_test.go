package server

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appserver/appserver/server/load"
)

// The embedded group starts on first use, once for all the requests that
// arrive meanwhile, without the front end's lock; a failed start is
// answered from memory for a while instead of being tried again by every
// request.
func TestEmbeddedGroupStartSharedAndRemembered(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "app.wsgi")
	if err := os.WriteFile(script, []byte("def application(e, s):\n    s('200 OK', [])\n    return [b'x']\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(conf, []byte("Listen 8999\nWSGIScriptAlias / "+script+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(conf, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	// An interpreter that does not exist: every start fails.
	f := NewFrontend(cfg, FrontendOptions{Python: filepath.Join(dir, "no-python"), AllowRoot: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err := f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer f.Stop(context.Background())
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := httptest.NewRecorder()
			f.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/x", nil))
			codes <- w.Code
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusInternalServerError {
			t.Errorf("status %d, want 500", c)
		}
	}
	f.mu.Lock()
	try := f.starting
	f.mu.Unlock()
	if try == nil || try.err == nil || time.Since(try.at) > embeddedRetry {
		t.Fatalf("no remembered failed start: %+v", try)
	}
	if n := strings.Count(logs.String(), "embedded group: "); n != 20 {
		t.Errorf("%d requests answered with the start error, want 20:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "starting the embedded group"); n != 1 {
		t.Errorf("%d start attempts for 20 concurrent requests, want 1:\n%s", n, logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
