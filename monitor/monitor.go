// Package monitor measures each daemon process group, application name and
// route separately: requests by status class, latency histograms, active
// requests, and (through a Source) the groups' queues, processes and
// restarts. It exports them to Prometheus and to the status page. The
// request path only adds to atomics; everything else happens when someone
// reads.
package monitor

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appserver/appserver/daemon"
)

// MaxLabels bounds the application names, and the routes of a group,
// counted separately; past it they are counted under Other.
const MaxLabels = 200

// Other is the label that takes what MaxLabels leaves out.
const Other = "other"

// Request is one finished request as the front end saw it.
type Request struct {
	// Group is the daemon process group ("" = embedded).
	Group string
	// Apps is the value of newrelic.app_name (or appserver.app_name): one
	// name or several separated by ';', each counted.
	Apps string
	// Route is route.Route.Label(): the <Location> or WSGIScriptAlias.
	Route string
	// Path is the request's decoded path (route.Route.URI); it is counted
	// under PathPrefix(Path), so that the partition advisor can tell URLs
	// apart that one route serves (a config with a single group).
	Path   string
	Status int
	// Total is from the request read to the response written.
	Total time.Duration
	// Queued (waiting for a worker thread) and App (the thread busy with
	// it) are the phases inside the group; PeakGrowth is how much the
	// worker process's peak RSS grew meanwhile, in bytes (daemon.Trace).
	Queued, App time.Duration
	PeakGrowth  int64
}

// series is the counters of one group, application or route.
type series struct {
	byClass  [6]atomic.Uint64 // [1]..[5]: 1xx..5xx; [0]: anything else
	active   atomic.Int64
	duration histogram
	// The worker's peak RSS growth while these requests ran: total bytes,
	// how many requests grew it, the largest single growth.
	grown, grownCount, grownMax atomic.Int64
}

func (s *series) add(r *Request, bucket int) {
	c := r.Status / 100
	if c < 1 || c > 5 {
		c = 0
	}
	s.byClass[c].Add(1)
	s.duration.observeAt(bucket, r.Total)
	if g := r.PeakGrowth; g > 0 {
		s.grown.Add(g)
		s.grownCount.Add(1)
		for {
			m := s.grownMax.Load()
			if g <= m || s.grownMax.CompareAndSwap(m, g) {
				break
			}
		}
	}
}

func (s *series) requests() uint64 {
	var n uint64
	for i := range s.byClass {
		n += s.byClass[i].Load()
	}
	return n
}

// labeled is a bounded set of series by label, read without a lock.
type labeled struct {
	m     sync.Map // string -> *series
	n     atomic.Int32
	mu    sync.Mutex // serialises creation only
	other series
}

func (l *labeled) get(label string) *series {
	if s, ok := l.m.Load(label); ok {
		return s.(*series)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.m.Load(label); ok {
		return s.(*series)
	}
	if l.n.Load() >= MaxLabels {
		return &l.other
	}
	s := &series{}
	l.m.Store(label, s)
	l.n.Add(1)
	return s
}

// each calls fn for every label, and for Other when it counted anything.
func (l *labeled) each(fn func(label string, s *series)) {
	l.m.Range(func(k, v any) bool {
		fn(k.(string), v.(*series))
		return true
	})
	if l.other.requests() > 0 || l.other.active.Load() != 0 {
		fn(Other, &l.other)
	}
}

// Source tells the monitor about the groups it cannot see from requests.
type Source interface {
	// Snapshots returns every group's state, the embedded one included.
	Snapshots() []daemon.Snapshot
}

// groupSeries is a group's counters, its routes' and its path prefixes'.
type groupSeries struct {
	series
	queue, app histogram    // the phases inside the group
	busy       atomic.Int64 // nanoseconds its threads were busy (sum of App)
	routes     labeled
	paths      labeled
}

// Monitor is the measurements of one running server.
type Monitor struct {
	started time.Time
	groups  sync.Map // group name -> *groupSeries
	apps    labeled

	sampler sampler

	mu       sync.Mutex
	source   Source
	restarts map[[2]string]uint64 // {group, reason}
	recent   []daemon.Event       // the last restarts, newest last
}

// New returns a Monitor for a server started now.
func New() *Monitor {
	return &Monitor{started: time.Now(), restarts: map[[2]string]uint64{}}
}

// SetSource names what Snapshots come from.
func (m *Monitor) SetSource(s Source) {
	m.mu.Lock()
	m.source = s
	m.mu.Unlock()
}

func (m *Monitor) group(name string) *groupSeries {
	if s, ok := m.groups.Load(name); ok {
		return s.(*groupSeries)
	}
	s, _ := m.groups.LoadOrStore(name, &groupSeries{})
	return s.(*groupSeries)
}

// Start counts a request as active in its group until Done.
func (m *Monitor) Start(group string) {
	m.group(group).active.Add(1)
}

// Done counts a finished request everywhere it belongs.
func (m *Monitor) Done(r *Request) {
	g := m.group(r.Group)
	g.active.Add(-1)
	bucket := bucketOf(r.Total)
	g.add(r, bucket)
	if r.App > 0 {
		g.queue.observe(r.Queued)
		g.app.observe(r.App)
		g.busy.Add(int64(r.App))
	}
	for apps := r.Apps; apps != ""; {
		var name string
		name, apps, _ = strings.Cut(apps, ";")
		if name = strings.TrimSpace(name); name != "" {
			m.apps.get(name).add(r, bucket)
		}
	}
	g.routes.get(r.Route).add(r, bucket)
	if r.Path != "" {
		g.paths.get(PathPrefix(r.Path)).add(r, bucket)
	}
}

// PathPrefix is what the monitor counts a URL path under: "/" itself, a
// top-level name ("/about", "/admin"), else the path up to the end of its
// second folder ("/admin/report" → "/admin/", "/publications/article/7" →
// "/publications/article/"). Folders are where <Location> prefixes cut, and
// stopping at two keeps identifiers in URLs from making a label each (past
// MaxLabels the rest counts under Other). It does not allocate.
func PathPrefix(p string) string {
	if len(p) < 2 || p[0] != '/' {
		return "/"
	}
	i := strings.IndexByte(p[1:], '/')
	if i < 0 {
		return p
	}
	i++ // p[i] is the slash after the first name
	j := strings.IndexByte(p[i+1:], '/')
	if j < 0 {
		return p[:i+1]
	}
	return p[:i+1+j+1]
}

// maxRecent is how many restarts the status page lists.
const maxRecent = 50

// Event records a daemon lifecycle event; restarts are exits of a process
// that the group replaces (every exit but a stop).
func (m *Monitor) Event(e daemon.Event) {
	if e.Kind != daemon.EventExited || e.Reason == daemon.ReasonStop {
		return
	}
	reason := string(e.Reason)
	if reason == "" {
		reason = string(daemon.ReasonCrash)
	}
	m.mu.Lock()
	m.restarts[[2]string{e.Group, reason}]++
	m.recent = append(m.recent, e)
	if len(m.recent) > maxRecent {
		m.recent = append(m.recent[:0], m.recent[len(m.recent)-maxRecent:]...)
	}
	m.mu.Unlock()
}

// ReasonReload is the restart reason of the processes a config reload
// replaced (their group changed or left).
const ReasonReload = "reload"

// Reloaded counts the processes of a group a reload replaced as restarts
// (their exits themselves are stops, which do not count).
func (m *Monitor) Reloaded(group string, pids []int) {
	if len(pids) == 0 {
		return
	}
	now := time.Now()
	m.mu.Lock()
	m.restarts[[2]string{group, ReasonReload}] += uint64(len(pids))
	for _, pid := range pids {
		m.recent = append(m.recent, daemon.Event{Time: now, Kind: daemon.EventExited, Group: group, PID: pid, Reason: ReasonReload})
	}
	if len(m.recent) > maxRecent {
		m.recent = append(m.recent[:0], m.recent[len(m.recent)-maxRecent:]...)
	}
	m.mu.Unlock()
}

func (m *Monitor) snapshots() []daemon.Snapshot {
	m.mu.Lock()
	src := m.source
	m.mu.Unlock()
	if src == nil {
		return nil
	}
	return src.Snapshots()
}
