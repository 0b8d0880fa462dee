package daemon

import (
	"math"
	"time"
)

// Clock tells the time for the group's supervisor decisions: crash
// backoff, inactivity-timeout, restart-interval, request-timeout. Tests
// inject a fake one to check those without sleeping.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// failureCounter is one slot's crash restart policy (after
// thejerf/suture): every failure of the slot's new process adds one to a
// counter that halves every decay; while it stays at or below threshold
// the slot restarts at once, above it the slot waits backoff plus up to
// 50% jitter, so that a crash loop neither burns the CPU nor restarts
// every process in lock step.
type failureCounter struct {
	threshold float64
	decay     time.Duration
	backoff   time.Duration
	jitter    func() float64 // in [0, 1)

	failures float64
	last     time.Time
}

// fail records a failure at now and returns how long to wait before the
// next start.
func (f *failureCounter) fail(now time.Time) time.Duration {
	f.decayTo(now)
	f.failures++
	if f.failures <= f.threshold {
		return 0
	}
	d := f.backoff
	if f.jitter != nil {
		d += time.Duration(f.jitter() * 0.5 * float64(f.backoff))
	}
	return d
}

func (f *failureCounter) decayTo(now time.Time) {
	if !f.last.IsZero() && f.decay > 0 {
		if elapsed := now.Sub(f.last); elapsed > 0 {
			f.failures *= math.Pow(0.5, elapsed.Seconds()/f.decay.Seconds())
		}
	}
	f.last = now
}

// reset forgets every failure: a process of the slot proved healthy.
func (f *failureCounter) reset() {
	f.failures = 0
	f.last = time.Time{}
}

// count is the decayed failure count at now (for snapshots and tests).
func (f *failureCounter) count(now time.Time) float64 {
	if f.last.IsZero() || f.decay <= 0 {
		return f.failures
	}
	elapsed := now.Sub(f.last)
	if elapsed <= 0 {
		return f.failures
	}
	return f.failures * math.Pow(0.5, elapsed.Seconds()/f.decay.Seconds())
}
