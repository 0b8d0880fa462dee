package monitor

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Status is everything the status page shows; ?json serves it as is.
type Status struct {
	Started       time.Time     `json:"started"`
	UptimeSeconds float64       `json:"uptime_seconds"`
	Combined      Combined      `json:"combined"`
	Groups        []GroupStatus `json:"groups"`
	Apps          []Series      `json:"apps"`
	Routes        []Series      `json:"routes"`
	// Paths are the requests by group and PathPrefix of their URL: not
	// exported to Prometheus (they come from URLs, not from the config).
	Paths    []Series  `json:"paths,omitempty"`
	Restarts []Restart `json:"recent_restarts"`
}

// Combined is every group together.
type Combined struct {
	Requests  uint64 `json:"requests"`
	Active    int64  `json:"active"`
	Queued    int    `json:"queued"`
	Threads   int    `json:"threads"`
	Busy      int    `json:"threads_busy"`
	Processes int    `json:"processes"`
	RSSBytes  int64  `json:"rss_bytes"`
}

// Series is the totals of one group, application name or route.
type Series struct {
	Group    string            `json:"group,omitempty"`
	Name     string            `json:"name"`
	Requests uint64            `json:"requests"`
	ByClass  map[string]uint64 `json:"by_class"`
	Active   int64             `json:"active"`
	MeanMs   float64           `json:"mean_ms"`
	P50ms    float64           `json:"p50_ms"`
	P95ms    float64           `json:"p95_ms"`
	P99ms    float64           `json:"p99_ms"`
	// How much the worker processes' peak RSS grew while these requests
	// ran: in all, over how many requests, and the most for one.
	MemoryGrowthBytes    int64 `json:"memory_growth_bytes"`
	MemoryGrowthRequests int64 `json:"memory_growth_requests"`
	MemoryGrowthMaxBytes int64 `json:"memory_growth_max_bytes"`
}

// GroupStatus is one daemon process group now, and its recent history.
type GroupStatus struct {
	Series
	State   string `json:"state"`
	Threads int    `json:"threads"`
	Busy    int    `json:"threads_busy"`
	// Capacity is mod_wsgi's capacity utilisation over the last sampling
	// interval (busy thread time ÷ available thread time), 0..1.
	Capacity float64 `json:"capacity_used"`
	// The phases inside the group: waiting for a thread, and the thread
	// busy with the request.
	QueueP95ms float64 `json:"queue_p95_ms"`
	QueueP99ms float64 `json:"queue_p99_ms"`
	AppP50ms   float64 `json:"app_p50_ms"`
	AppP95ms   float64 `json:"app_p95_ms"`
	AppP99ms   float64 `json:"app_p99_ms"`
	Queued     int     `json:"queued"`
	// MinProcessRSS is the smallest RSS the sampler read of a ready
	// process that had served a request: a worker with the application
	// loaded, before any request grew it (0 = none sampled yet).
	MinProcessRSS int64             `json:"process_rss_min_bytes,omitempty"`
	Restarts      map[string]uint64 `json:"restarts"`
	Processes     []ProcessStatus   `json:"processes"`
	History       []Point           `json:"history"`
}

// ProcessStatus is one worker process.
type ProcessStatus struct {
	PID        int     `json:"pid"`
	Slot       int     `json:"slot"`
	State      string  `json:"state"`
	Threads    int     `json:"threads"`
	Busy       int     `json:"threads_busy"`
	Requests   uint64  `json:"requests"`
	AgeSeconds float64 `json:"age_seconds"`
	RSSBytes   int64   `json:"rss_bytes"`
	PSSBytes   int64   `json:"pss_bytes,omitempty"` // proportional set size, where the kernel says
	USSBytes   int64   `json:"uss_bytes,omitempty"` // unique (private) memory
	CPUSeconds float64 `json:"cpu_seconds"`
	Recycle    string  `json:"recycle,omitempty"`
}

// Restart is one process exit the group replaced.
type Restart struct {
	Time   time.Time `json:"time"`
	Group  string    `json:"group"`
	PID    int       `json:"pid"`
	Reason string    `json:"reason"`
}

func seriesOf(name string, s *series) Series {
	h := s.duration.snapshot()
	out := Series{Name: name, Requests: h.count, ByClass: map[string]uint64{}, Active: s.active.Load(),
		MeanMs: ms(h.mean()), P50ms: ms(h.quantile(0.5)), P95ms: ms(h.quantile(0.95)), P99ms: ms(h.quantile(0.99)),
		MemoryGrowthBytes: s.grown.Load(), MemoryGrowthRequests: s.grownCount.Load(), MemoryGrowthMaxBytes: s.grownMax.Load()}
	for i := range s.byClass {
		if n := s.byClass[i].Load(); n > 0 {
			out.ByClass[classNames[i]] = n
		}
	}
	return out
}

// Status reads the monitor.
func (m *Monitor) Status() Status {
	now := time.Now()
	st := Status{Started: m.started, UptimeSeconds: now.Sub(m.started).Seconds()}
	m.sampler.mu.Lock()
	history := map[string][]Point{}
	for k, v := range m.sampler.history {
		history[k] = slices.Clone(v)
	}
	minRSS := maps.Clone(m.sampler.minRSS)
	m.sampler.mu.Unlock()
	m.mu.Lock()
	restarts := map[string]map[string]uint64{}
	for k, n := range m.restarts {
		if restarts[k[0]] == nil {
			restarts[k[0]] = map[string]uint64{}
		}
		restarts[k[0]][k[1]] = n
	}
	for i := len(m.recent) - 1; i >= 0; i-- {
		e := m.recent[i]
		st.Restarts = append(st.Restarts, Restart{Time: e.Time, Group: e.Group, PID: e.PID, Reason: cmp.Or(string(e.Reason), "crash")})
	}
	m.mu.Unlock()
	for _, snap := range m.snapshots() {
		gs := m.group(snap.Name)
		q, a := gs.queue.snapshot(), gs.app.snapshot()
		g := GroupStatus{Series: seriesOf(snap.Name, &gs.series), State: snap.State, Busy: snap.InFlight,
			Queued: snap.Queued, Restarts: restarts[snap.Name], History: history[snap.Name], MinProcessRSS: minRSS[snap.Name],
			QueueP95ms: ms(q.quantile(0.95)), QueueP99ms: ms(q.quantile(0.99)),
			AppP50ms: ms(a.quantile(0.5)), AppP95ms: ms(a.quantile(0.95)), AppP99ms: ms(a.quantile(0.99))}
		for _, p := range snap.Processes {
			ps := ProcessStatus{PID: p.PID, Slot: p.Slot, State: p.State, Threads: p.Threads, Busy: p.InFlight,
				Requests: p.Requests, AgeSeconds: now.Sub(p.StartedAt).Seconds(), Recycle: p.Recycle}
			if r, ok := readProc(int32(p.PID)); ok { // read now: the page shows the present
				ps.RSSBytes, ps.CPUSeconds = r.rss, r.cpuSec
			}
			if pss, uss, ok := readShares(int32(p.PID)); ok {
				ps.PSSBytes, ps.USSBytes = pss, uss
			}
			if p.State == "ready" {
				g.Threads += p.Threads
			}
			g.Processes = append(g.Processes, ps)
		}
		if n := len(g.History); n > 1 {
			g.Capacity = g.History[n-1].Capacity
		}
		st.Groups = append(st.Groups, g)
		c := &st.Combined
		c.Requests += g.Requests
		c.Active += g.Active
		c.Queued += g.Queued
		c.Threads += g.Threads
		c.Busy += g.Busy
		c.Processes += len(g.Processes)
		for _, p := range g.Processes {
			c.RSSBytes += p.RSSBytes
		}
	}
	m.groups.Range(func(k, v any) bool {
		v.(*groupSeries).routes.each(func(r string, s *series) {
			se := seriesOf(r, s)
			se.Group = k.(string)
			st.Routes = append(st.Routes, se)
		})
		v.(*groupSeries).paths.each(func(p string, s *series) {
			se := seriesOf(p, s)
			se.Group = k.(string)
			st.Paths = append(st.Paths, se)
		})
		return true
	})
	m.apps.each(func(name string, s *series) { st.Apps = append(st.Apps, seriesOf(name, s)) })
	slices.SortFunc(st.Apps, func(a, b Series) int { return cmp.Compare(a.Name, b.Name) })
	bySeries := func(a, b Series) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name))
	}
	slices.SortFunc(st.Routes, bySeries)
	slices.SortFunc(st.Paths, bySeries)
	return st
}

// StatusHandler serves the status page (SetHandler server-status): HTML,
// ?json for tools, ?auto for mod_status-style "key: value" lines.
func (m *Monitor) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := m.Status()
		q := r.URL.RawQuery
		w.Header().Set("Cache-Control", "no-store")
		switch {
		case q == "json" || strings.HasPrefix(q, "json&"):
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", " ")
			_ = enc.Encode(st)
		case q == "auto" || strings.HasPrefix(q, "auto&"):
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			writeAuto(w, st)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			writeHTML(w, st)
		}
	})
}

// writeAuto writes mod_status's ?auto form: "Key: value" lines, one block
// of "Group-NAME-Key" lines per group.
func writeAuto(w http.ResponseWriter, st Status) {
	fmt.Fprintf(w, "ServerUptimeSeconds: %d\n", int64(st.UptimeSeconds))
	for _, g := range st.Groups {
		name := g.Name
		if name == "" {
			name = "(embedded)"
		}
		p := "Group-" + name + "-"
		fmt.Fprintf(w, "%sState: %s\n%sRequests: %d\n%sActive: %d\n%sThreads: %d\n%sBusyThreads: %d\n%sQueued: %d\n",
			p, g.State, p, g.Requests, p, g.Active, p, g.Threads, p, g.Busy, p, g.Queued)
		fmt.Fprintf(w, "%sP50ms: %.3f\n%sP95ms: %.3f\n%sP99ms: %.3f\n%sProcesses: %d\n", p, g.P50ms, p, g.P95ms, p, g.P99ms, p, len(g.Processes))
		var rss int64
		for _, pr := range g.Processes {
			rss += pr.RSSBytes
		}
		fmt.Fprintf(w, "%sRSSBytes: %d\n", p, rss)
	}
}
