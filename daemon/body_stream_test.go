package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// wsgi.input.read(100) returns once 100 bytes are there, while the client
// is still sending the body (mod_wsgi streams it too); the rest arrives
// later and the connection stays in step for the next request.
func TestInputStreams(t *testing.T) {
	spec := testSpec("stream")
	spec.Threads = 1 // the next request uses the same worker connection
	h := newHarness(t, spec)
	for _, size := range []int{1000, 3 << 20} { // one window, and several
		mark := filepath.Join(t.TempDir(), "mark")
		pr, pw := io.Pipe()
		defer pw.Close() // a failed check must not leave the request hanging
		req, _ := http.NewRequest("POST", h.url("/stream-read?mark="+mark), pr)
		req.ContentLength = int64(size)
		type result struct {
			code int
			body string
		}
		done := make(chan result, 1)
		go func() {
			code, body, _ := h.do(req)
			done <- result{code, body}
		}()
		if _, err := pw.Write([]byte(strings.Repeat("a", 100))); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if b, err := os.ReadFile(mark); err == nil && string(b) == "100" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("size %d: read(100) did not return while the client held the rest of the body", size)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := pw.Write([]byte(strings.Repeat("b", size-100))); err != nil {
			t.Fatal(err)
		}
		pw.Close()
		r := <-done
		var got struct{ First, Rest int }
		if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.code != 200 || got.First != 100 || got.Rest != size-100 {
			t.Errorf("size %d: %d %q", size, r.code, r.body)
		}
		if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
			t.Errorf("size %d: next request %d %q", size, code, body)
		}
	}
}

// An application that reads part of a window and answers leaves the rest
// of the window to the worker, which takes it in before the next request.
func TestInputPartialWindowThenNextRequest(t *testing.T) {
	spec := testSpec("partial")
	spec.Threads = 1
	h := newHarness(t, spec)
	for _, path := range []string{"/read-some?n=100", "/ignore-body"} {
		req, _ := http.NewRequest("POST", h.url(path), strings.NewReader(strings.Repeat("x", 200000)))
		if code, _, _ := h.do(req); code != 200 {
			t.Errorf("%s: %d", path, code)
		}
		if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
			t.Errorf("after %s: next request %d %q", path, code, body)
		}
	}
}
