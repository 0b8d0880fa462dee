package monitor

import (
	"testing"
	"time"
)

// BenchmarkRequestAccounting is what the monitor adds to each request on
// the front end: Start and Done for a request counted under its group, two
// application names and its route, from every CPU at once (the counters
// are shared, so this includes their cache-line traffic).
func BenchmarkRequestAccounting(b *testing.B) {
	m := New()
	r := &Request{Group: "main", Apps: "My Site (main);My Site", Route: "/publications/article/", Path: "/publications/article/17", Status: 200,
		Total: 3 * time.Millisecond, Queued: 100 * time.Microsecond, App: 2 * time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Start(r.Group)
			m.Done(r)
		}
	})
}
