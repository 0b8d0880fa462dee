package monitor

import (
	"math"
	"sort"
	"sync/atomic"
	"time"
)

// Latency histograms are counted by hand rather than with client_golang's
// Histogram: the status page needs p50/p95/p99 from the same counts, so the
// buckets are fine (ten a decade, at most 25% wide), and Prometheus gets a
// coarse subset of them (its usual 1-2.5-5 bounds), which is exact because
// every coarse bound is also a fine one.

// fineBounds are the upper bounds of the buckets, from 100µs to 100s.
var fineBounds = func() []time.Duration {
	steps := []float64{1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5}
	var b []time.Duration
	for exp := -4; exp <= 1; exp++ {
		for _, s := range steps {
			b = append(b, time.Duration(s*math.Pow10(exp)*float64(time.Second)+0.5))
		}
	}
	return append(b, 100*time.Second)
}()

// promBounds are the bounds exported to Prometheus, in seconds; each is
// one of fineBounds.
var promBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100}

// histogram is a lock-free latency histogram; the last bucket is +Inf.
type histogram struct {
	counts [62]atomic.Uint64 // len(fineBounds)+1
	sum    atomic.Int64      // nanoseconds
}

func (h *histogram) observe(d time.Duration) {
	h.observeAt(bucketOf(d), d)
}

// bucketOf is the bucket d falls in, found once for the several
// histograms a request's total time goes into.
func bucketOf(d time.Duration) int {
	return sort.Search(len(fineBounds), func(i int) bool { return fineBounds[i] >= d })
}

func (h *histogram) observeAt(bucket int, d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucket].Add(1)
	h.sum.Add(int64(d))
}

// histSnapshot is a histogram read at one moment.
type histSnapshot struct {
	counts [62]uint64
	count  uint64
	sum    time.Duration
}

func (h *histogram) snapshot() histSnapshot {
	var s histSnapshot
	for i := range h.counts {
		s.counts[i] = h.counts[i].Load()
		s.count += s.counts[i]
	}
	s.sum = time.Duration(h.sum.Load())
	return s
}

// sub is s minus an earlier snapshot of the same histogram: what happened
// between the two.
func (s histSnapshot) sub(old histSnapshot) histSnapshot {
	var d histSnapshot
	for i := range s.counts {
		d.counts[i] = s.counts[i] - old.counts[i]
		d.count += d.counts[i]
	}
	d.sum = s.sum - old.sum
	return d
}

// quantile estimates the q-quantile (0 < q < 1) by linear interpolation
// inside the bucket it falls in; 0 when there are no observations.
func (s histSnapshot) quantile(q float64) time.Duration {
	if s.count == 0 {
		return 0
	}
	rank := q * float64(s.count)
	var seen float64
	for i, c := range s.counts {
		if c == 0 || seen+float64(c) < rank {
			seen += float64(c)
			continue
		}
		lo := time.Duration(0)
		if i > 0 {
			lo = fineBounds[i-1]
		}
		if i == len(fineBounds) {
			return lo // +Inf bucket: say its lower bound
		}
		hi := fineBounds[i]
		return lo + time.Duration((rank-seen)/float64(c)*float64(hi-lo))
	}
	return fineBounds[len(fineBounds)-1]
}

// mean is the average observation; 0 when there is none.
func (s histSnapshot) mean() time.Duration {
	if s.count == 0 {
		return 0
	}
	return s.sum / time.Duration(s.count)
}

// promBuckets returns the cumulative counts at promBounds.
func (s histSnapshot) promBuckets() map[float64]uint64 {
	out := make(map[float64]uint64, len(promBounds))
	var cum uint64
	j := 0
	for i, b := range fineBounds {
		cum += s.counts[i]
		for j < len(promBounds) && time.Duration(promBounds[j]*float64(time.Second)+0.5) == b {
			out[promBounds[j]] = cum
			j++
		}
	}
	return out
}
