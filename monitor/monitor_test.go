package monitor

import (
	"fmt"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
)

func TestFineBoundsHoldPromBounds(t *testing.T) {
	if len(fineBounds)+1 != len(histogram{}.counts) {
		t.Fatalf("%d bounds for %d buckets", len(fineBounds), len(histogram{}.counts))
	}
	for i := 1; i < len(fineBounds); i++ {
		if fineBounds[i] <= fineBounds[i-1] || float64(fineBounds[i]) > 1.34*float64(fineBounds[i-1]) {
			t.Errorf("bound %d: %v after %v (want increasing, at most 34%% wider)", i, fineBounds[i], fineBounds[i-1])
		}
	}
	var h histogram
	h.observe(3 * time.Millisecond)
	if got := h.snapshot().promBuckets(); len(got) != len(promBounds) {
		t.Errorf("prom buckets %v: %d of %d bounds are fine bounds", got, len(got), len(promBounds))
	}
}

// The quantiles of a known distribution come out within a bucket's width.
func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	// 1..1000 ms, uniformly: p50 = 500 ms, p95 = 950 ms, p99 = 990 ms.
	for i := 1; i <= 1000; i++ {
		h.observe(time.Duration(i) * time.Millisecond)
	}
	s := h.snapshot()
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.95, 950 * time.Millisecond}, {0.99, 990 * time.Millisecond}} {
		got := s.quantile(tt.q)
		if math.Abs(float64(got-tt.want)) > 0.13*float64(tt.want) {
			t.Errorf("p%v = %v, want %v within 13%%", tt.q*100, got, tt.want)
		}
	}
	if m := s.mean(); m < 500*time.Millisecond || m > 501*time.Millisecond {
		t.Errorf("mean %v, want 500.5ms", m)
	}
	if b := s.promBuckets(); b[0.1] != 100 || b[1] != 1000 || b[0.5] != 500 {
		t.Errorf("cumulative buckets le=0.1 %d le=0.5 %d le=1 %d, want 100 500 1000", b[0.1], b[0.5], b[1])
	}
	// What happened since an earlier snapshot.
	h.observe(20 * time.Second)
	if d := h.snapshot().sub(s); d.count != 1 || d.quantile(0.5) < 15*time.Second || d.quantile(0.5) > 20*time.Second {
		t.Errorf("interval: %d observations, p50 %v", d.count, d.quantile(0.5))
	}
}

type fakeSource []daemon.Snapshot

func (f fakeSource) Snapshots() []daemon.Snapshot { return f }

// A request counts in its group, in each of its application names, and
// in its route; restarts count by reason, and a stop is no restart.
func TestMonitorCounts(t *testing.T) {
	m := New()
	m.SetSource(fakeSource{{Name: "admin", State: "running", InFlight: 1, Queued: 2,
		Processes: []daemon.ProcessSnapshot{{PID: 1, State: "ready", Threads: 3, InFlight: 1}}}})
	reqs := []Request{
		{Group: "admin", Apps: "My Site (admin);My Site", Route: "/admin", Status: 200, Total: 300 * time.Millisecond},
		{Group: "admin", Apps: "My Site (admin);My Site", Route: "/admin", Status: 500, Total: 10 * time.Millisecond},
		{Group: "main", Apps: "My Site (main);My Site", Route: "/", Status: 404, Total: time.Millisecond},
	}
	for i := range reqs {
		m.Start(reqs[i].Group)
		m.Done(&reqs[i])
	}
	m.Start("main") // still running
	m.Event(daemon.Event{Kind: daemon.EventExited, Group: "admin", Reason: daemon.ReasonMaximumRequests})
	m.Event(daemon.Event{Kind: daemon.EventExited, Group: "admin", Reason: daemon.ReasonMaximumRequests})
	m.Event(daemon.Event{Kind: daemon.EventExited, Group: "admin", Reason: daemon.ReasonStop})

	reg := m.Registry()
	want := `
# HELP appserver_app_requests_total Requests answered, by application name (newrelic.app_name, each ';'-separated name) and status class.
# TYPE appserver_app_requests_total counter
appserver_app_requests_total{app="My Site",class="2xx"} 1
appserver_app_requests_total{app="My Site",class="4xx"} 1
appserver_app_requests_total{app="My Site",class="5xx"} 1
appserver_app_requests_total{app="My Site (admin)",class="2xx"} 1
appserver_app_requests_total{app="My Site (admin)",class="5xx"} 1
appserver_app_requests_total{app="My Site (main)",class="4xx"} 1
# HELP appserver_group_threads_busy Request threads of the group serving a request.
# TYPE appserver_group_threads_busy gauge
appserver_group_threads_busy{group="admin"} 1
# HELP appserver_group_queue_length Requests waiting for a free thread of the group.
# TYPE appserver_group_queue_length gauge
appserver_group_queue_length{group="admin"} 2
# HELP appserver_process_restarts_total Worker processes that exited and were replaced, by daemon process group and reason.
# TYPE appserver_process_restarts_total counter
appserver_process_restarts_total{group="admin",reason="maximum-requests"} 2
# HELP appserver_requests_active Requests being served, by daemon process group.
# TYPE appserver_requests_active gauge
appserver_requests_active{group="admin"} 0
appserver_requests_active{group="main"} 1
# HELP appserver_requests_total Requests answered, by daemon process group and status class.
# TYPE appserver_requests_total counter
appserver_requests_total{class="2xx",group="admin"} 1
appserver_requests_total{class="4xx",group="main"} 1
appserver_requests_total{class="5xx",group="admin"} 1
# HELP appserver_route_requests_total Requests answered, by daemon process group, route (the <Location> or WSGIScriptAlias) and status class.
# TYPE appserver_route_requests_total counter
appserver_route_requests_total{class="2xx",group="admin",route="/admin"} 1
appserver_route_requests_total{class="4xx",group="main",route="/"} 1
appserver_route_requests_total{class="5xx",group="admin",route="/admin"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"appserver_requests_total", "appserver_app_requests_total", "appserver_route_requests_total",
		"appserver_requests_active", "appserver_process_restarts_total", "appserver_group_threads_busy",
		"appserver_group_queue_length"); err != nil {
		t.Error(err)
	}
	st := m.Status()
	if len(st.Groups) != 1 || st.Groups[0].Threads != 3 || st.Groups[0].Busy != 1 || st.Groups[0].Restarts["maximum-requests"] != 2 {
		t.Errorf("status groups: %+v", st.Groups)
	}
	if c := st.Combined; c.Requests != 2 || c.Threads != 3 || c.Busy != 1 || c.Queued != 2 || c.Processes != 1 {
		t.Errorf("combined: %+v", c)
	}
	if len(st.Restarts) != 2 || len(st.Apps) != 3 || len(st.Routes) != 2 {
		t.Errorf("status: %d restarts, %d apps, %d routes", len(st.Restarts), len(st.Apps), len(st.Routes))
	}
}

// Application names and routes are bounded; the rest is "other".
func TestMonitorLabelsBounded(t *testing.T) {
	m := New()
	for i := 0; i < MaxLabels+10; i++ {
		r := Request{Group: "g", Apps: fmt.Sprintf("app%d", i), Route: fmt.Sprintf("/r%d", i), Status: 200}
		m.Start("g")
		m.Done(&r)
	}
	st := m.Status()
	if len(st.Apps) != MaxLabels+1 || len(st.Routes) != MaxLabels+1 {
		t.Fatalf("%d apps, %d routes; want %d each (with other)", len(st.Apps), len(st.Routes), MaxLabels+1)
	}
	for _, a := range st.Apps {
		if a.Name == Other && a.Requests != 10 {
			t.Errorf("other counted %d, want 10", a.Requests)
		}
	}
}

// The exposition passes promlint: base units, _total counters, help.
func TestMetricsLint(t *testing.T) {
	m := New()
	m.SetSource(fakeSource{{Name: "g", State: "running", Processes: []daemon.ProcessSnapshot{{PID: 1, State: "ready", Threads: 1}}}})
	r := Request{Group: "g", Apps: "A", Route: "/", Status: 200, Total: time.Millisecond}
	m.Start("g")
	m.Done(&r)
	m.Event(daemon.Event{Kind: daemon.EventExited, Group: "g", Reason: daemon.ReasonCrash})
	rec := httptest.NewRecorder()
	m.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/server-metrics", nil))
	problems, err := promlint.New(strings.NewReader(rec.Body.String())).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "appserver_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
	if !strings.Contains(rec.Body.String(), `appserver_request_duration_seconds_bucket{group="g",le="0.001"} 1`) {
		t.Errorf("no duration histogram in:\n%s", rec.Body.String())
	}
}

// The status page renders its three forms.
func TestStatusForms(t *testing.T) {
	m := New()
	m.SetSource(fakeSource{{Name: "g", State: "running", Processes: []daemon.ProcessSnapshot{{PID: 1, State: "ready", Threads: 2}}}})
	m.sample(time.Now())
	r := Request{Group: "g", Apps: "A", Route: "/<x>", Status: 200, Total: time.Millisecond}
	m.Start("g")
	m.Done(&r)
	m.sample(time.Now().Add(SampleEvery))
	for q, want := range map[string]string{
		"json": `"name": "g"`,
		"auto": "Group-g-Requests: 1\n",
		"":     "<td class=\"l\">/&lt;x&gt;</td>", // escaped
	} {
		rec := httptest.NewRecorder()
		m.StatusHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/server-status?"+q, nil))
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("?%s: no %q in:\n%s", q, want, rec.Body.String())
		}
	}
	if h := m.Status().Groups[0].History; len(h) != 2 || h[1].Requests != 1 {
		t.Errorf("history %+v, want 2 points, the second with 1 request", h)
	}
}

// Capacity used is busy thread time over available thread time, per
// sampling interval; memory growth is summed per route.
func TestCapacityAndMemoryGrowth(t *testing.T) {
	m := New()
	m.SetSource(fakeSource{{Name: "admin", State: "running", Processes: []daemon.ProcessSnapshot{{PID: 1, State: "ready", Threads: 2}}}})
	t0 := time.Now()
	m.sample(t0)
	for _, r := range []Request{
		{Group: "admin", Route: "/admin/report", Status: 200, Total: 1600 * time.Millisecond, Queued: 100 * time.Millisecond, App: 1500 * time.Millisecond, PeakGrowth: 200 << 20},
		{Group: "admin", Route: "/admin/report", Status: 200, Total: time.Second, App: 900 * time.Millisecond, PeakGrowth: 10 << 20},
		{Group: "admin", Route: "/admin", Status: 200, Total: 100 * time.Millisecond, App: 100 * time.Millisecond},
	} {
		m.Start(r.Group)
		m.Done(&r)
	}
	m.sample(t0.Add(5 * time.Second))
	g := m.Status().Groups[0]
	// 2.5 busy thread-seconds of 2 threads × 5 s.
	if g.Capacity != 0.25 {
		t.Errorf("capacity used %v, want 0.25", g.Capacity)
	}
	if g.AppP99ms < 1200 || g.QueueP99ms < 50 {
		t.Errorf("phases: app p99 %v ms, queue p99 %v ms", g.AppP99ms, g.QueueP99ms)
	}
	var report Series
	for _, r := range m.Status().Routes {
		if r.Name == "/admin/report" {
			report = r
		}
	}
	if report.MemoryGrowthBytes != 210<<20 || report.MemoryGrowthRequests != 2 || report.MemoryGrowthMaxBytes != 200<<20 {
		t.Errorf("/admin/report growth: %+v", report)
	}
	rec := httptest.NewRecorder()
	m.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/server-metrics", nil))
	for _, want := range []string{
		`appserver_group_busy_seconds_total{group="admin"} 2.5`,
		`appserver_group_thread_seconds_total{group="admin"} 10`,
		`appserver_route_memory_growth_bytes_total{group="admin",route="/admin/report"} 2.2020096e+08`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("no %q in the exposition", want)
		}
	}
}

func TestPathPrefix(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "/"}, {"/", "/"}, {"x", "/"},
		{"/about", "/about"}, {"/admin", "/admin"}, {"/admin/", "/admin/"},
		{"/admin/report", "/admin/"}, {"/publications/article/", "/publications/article/"},
		{"/publications/article/17", "/publications/article/"}, {"/a/b/c/d", "/a/b/"}, {"//x", "//"},
	} {
		if got := PathPrefix(tt.in); got != tt.want {
			t.Errorf("PathPrefix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Requests of one route are told apart by their path prefix in Status.Paths.
func TestStatusPaths(t *testing.T) {
	m := New()
	for _, p := range []string{"/", "/publications/article/1", "/publications/article/2", "/admin/report"} {
		m.Start("main")
		m.Done(&Request{Group: "main", Route: "/", Path: p, Status: 200, Total: time.Millisecond, PeakGrowth: int64(len(p))})
	}
	m.Done(&Request{Group: "main", Route: "/", Status: 200}) // no path: not counted by path
	var got []string
	for _, s := range m.Status().Paths {
		got = append(got, fmt.Sprintf("%s %s %d %d", s.Group, s.Name, s.Requests, s.MemoryGrowthBytes))
	}
	want := "main / 1 1,main /admin/ 1 13,main /publications/article/ 2 46"
	if strings.Join(got, ",") != want {
		t.Errorf("paths %q, want %q", strings.Join(got, ","), want)
	}
}
