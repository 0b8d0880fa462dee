package daemon

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The worker reports how much its peak RSS grew during a request, unless
// the spec says not to read it (AppserverMonitor Off).
func TestPeakGrowthTrace(t *testing.T) {
	for _, off := range []bool{false, true} {
		spec := testSpec("peak")
		spec.Processes, spec.Threads = 1, 1
		spec.NoPeakRSS = off
		h := newHarness(t, spec)
		var tr Trace
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/grow?kb=65536", nil)
		h.g.Serve(rec, r, &Request{Env: cgiEnv(r, spec.Name), Script: h.script, CallableObject: "application", Trace: &tr})
		if rec.Code != http.StatusOK {
			t.Fatalf("NoPeakRSS=%v: status %d: %s", off, rec.Code, rec.Body)
		}
		switch {
		case off && tr.PeakGrowth != 0:
			t.Errorf("NoPeakRSS: PeakGrowth = %d, want 0 (not measured)", tr.PeakGrowth)
		case !off && tr.PeakGrowth < 48<<20:
			// 64 MiB touched takes milliseconds of page faults: well above
			// the worker's PEAK_MIN_SECONDS, below which it reads no peak.
			t.Errorf("PeakGrowth = %d bytes after keeping 64 MiB, want at least 48 MiB", tr.PeakGrowth)
		}
		h.close()
	}
}
