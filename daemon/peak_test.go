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
		r := httptest.NewRequest("GET", "/grow?kb=16384", nil)
		h.g.Serve(rec, r, &Request{Env: cgiEnv(r, spec.Name), Script: h.script, CallableObject: "application", Trace: &tr})
		if rec.Code != http.StatusOK {
			t.Fatalf("NoPeakRSS=%v: status %d: %s", off, rec.Code, rec.Body)
		}
		switch {
		case off && tr.PeakGrowth != 0:
			t.Errorf("NoPeakRSS: PeakGrowth = %d, want 0 (not measured)", tr.PeakGrowth)
		case !off && tr.PeakGrowth < 12<<20:
			t.Errorf("PeakGrowth = %d bytes after keeping 16 MiB, want at least 12 MiB", tr.PeakGrowth)
		}
		h.close()
	}
}
