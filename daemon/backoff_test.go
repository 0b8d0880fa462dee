package daemon

import (
	"testing"
	"time"
)

func TestFailureCounter(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	type step struct {
		at   time.Duration // since t0
		want time.Duration // delay returned by fail
	}
	tests := []struct {
		name   string
		jitter float64
		steps  []step
	}{
		{"below threshold restarts at once", 0, []step{{0, 0}, {time.Second, 0}, {2 * time.Second, 0}}},
		{"a burst backs off", 0, []step{{0, 0}, {0, 0}, {0, 0}, {0, 10 * time.Second}, {0, 10 * time.Second}}},
		{"jitter adds up to half", 0.5, []step{{0, 0}, {0, 0}, {0, 0}, {0, 12500 * time.Millisecond}}},
		// After two decay periods (60s) three failures count as 0.75.
		{"failures decay", 0, []step{{0, 0}, {0, 0}, {0, 0}, {time.Minute, 0}, {time.Minute, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := failureCounter{threshold: 3, decay: 30 * time.Second, backoff: 10 * time.Second,
				jitter: func() float64 { return tc.jitter }}
			for i, s := range tc.steps {
				if got := f.fail(t0.Add(s.at)); got != s.want {
					t.Errorf("failure %d at +%s: delay %s, want %s (count %.2f)", i+1, s.at, got, s.want, f.failures)
				}
			}
		})
	}
	f := failureCounter{threshold: 3, decay: 30 * time.Second, backoff: time.Second}
	f.fail(t0)
	f.fail(t0)
	if c := f.count(t0.Add(30 * time.Second)); c < 0.99 || c > 1.01 {
		t.Errorf("count after one decay period = %.3f, want 1", c)
	}
	// A healthy process of the slot clears its record.
	for range 5 {
		f.fail(t0)
	}
	f.reset()
	if d := f.fail(t0); d != 0 || f.count(t0) != 1 {
		t.Errorf("after reset: delay %s, count %.2f; want 0, 1", d, f.count(t0))
	}
}
