package daemon

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
)

type statusError int

func (e statusError) Error() string   { return fmt.Sprintf("bad chunked body (%d)", int(e)) }
func (e statusError) StatusCode() int { return int(e) }

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

// A failed read of the client's body is answered as Apache answers it
// (408 at Timeout, 413 over LimitRequestBody, 400 for broken framing), not
// with a 500 from the application's read error, and the application stops
// without a traceback; the worker connection stays in step.
func TestBodyReadErrorStatus(t *testing.T) {
	spec := testSpec("bodyerr")
	spec.Threads = 1 // the next request goes over the same worker connection
	h := newHarness(t, spec)
	cases := []struct {
		name string
		err  error
		want int
	}{
		{"timeout", fmt.Errorf("read tcp: %w", os.ErrDeadlineExceeded), http.StatusRequestTimeout},
		{"over LimitRequestBody", &http.MaxBytesError{Limit: 3}, http.StatusRequestEntityTooLarge},
		{"framing error with a status", statusError(http.StatusBadRequest), http.StatusBadRequest},
		{"client went away", io.ErrUnexpectedEOF, http.StatusBadRequest},
	}
	for _, tc := range cases {
		for _, path := range []string{"/readall", "/upload?chunk=1"} {
			t.Run(tc.name+path, func(t *testing.T) {
				body := io.MultiReader(strings.NewReader("abc"), failingReader{tc.err})
				req := httptest.NewRequest("POST", path, body)
				req.ContentLength = 100
				rec := httptest.NewRecorder()
				h.g.Serve(rec, req, &Request{Env: cgiEnv(req, "bodyerr"), Script: h.script, CallableObject: "application"})
				if rec.Code != tc.want {
					t.Errorf("status %d, want %d; body %q", rec.Code, tc.want, rec.Body.String())
				}
				if code, body, _ := h.get("/hello"); code != http.StatusOK || body != "Hello world!" {
					t.Errorf("next request: %d %q", code, body)
				}
			})
		}
	}
	logs := h.logs.String()
	if strings.Contains(logs, "Traceback") || strings.Contains(logs, "Exception occurred") {
		t.Errorf("the application's stop was logged as an error:\n%s", logs)
	}
	if n := strings.Count(logs, "Request data read error"); n != 2*len(cases) {
		t.Errorf("%d body read errors logged, want %d:\n%s", n, 2*len(cases), logs)
	}
	if !errors.Is(cases[0].err, os.ErrDeadlineExceeded) {
		t.Fatal("case table broken")
	}
}

type reasonRecorder struct {
	*httptest.ResponseRecorder
	reason string
}

func (r *reasonRecorder) WriteHeaderReason(code int, reason string) {
	r.reason = reason
	r.WriteHeader(code)
}

// The application's reason phrase reaches a writer that can send one; a
// standard phrase goes the plain WriteHeader way.
func TestReasonPhrase(t *testing.T) {
	h := newHarness(t, testSpec("reason"))
	for _, tc := range []struct{ status, reason string }{
		{"299 Custom Thing", "Custom Thing"},
		{"404 Nothing Here", "Nothing Here"},
		{"200 OK", ""},
		{"201 Created", ""},
	} {
		req := httptest.NewRequest("GET", "/reason?status="+strings.ReplaceAll(tc.status, " ", "+"), nil)
		rec := &reasonRecorder{ResponseRecorder: httptest.NewRecorder()}
		h.g.Serve(rec, req, &Request{Env: cgiEnv(req, "reason"), Script: h.script, CallableObject: "application"})
		if rec.Code != mustAtoi(t, tc.status[:3]) || rec.reason != tc.reason {
			t.Errorf("%q: got %d %q, want reason %q", tc.status, rec.Code, rec.reason, tc.reason)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A traceback reaches the log as one record, with the application's frames
// and without the worker's own.
func TestTracebackOneRecord(t *testing.T) {
	h := newHarness(t, testSpec("traceback"))
	if code, _, _ := h.get("/error"); code != http.StatusInternalServerError {
		t.Fatalf("/error: %d", code)
	}
	h.waitLog("Traceback")
	var records []string
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, "Traceback") || strings.Contains(line, "File ") {
			records = append(records, line)
		}
	}
	if len(records) != 1 {
		t.Fatalf("%d log lines carry the traceback, want 1:\n%s", len(records), h.logs)
	}
	rec := records[0]
	for _, want := range []string{"Exception occurred processing WSGI script", `app.wsgi\", line`, "in application"} {
		if !strings.Contains(rec, want) {
			t.Errorf("the record lacks %q: %s", want, rec)
		}
	}
	if strings.Contains(rec, "worker.py") {
		t.Errorf("the record shows the worker's own frames: %s", rec)
	}
}
