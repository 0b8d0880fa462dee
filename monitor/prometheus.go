package monitor

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The Prometheus names: appserver_ prefix, base units, _total counters;
// labels group, app, route, class (status class), reason, state. Never a
// pid: processes come and go, groups stay.
var (
	descRequests = prometheus.NewDesc("appserver_requests_total",
		"Requests answered, by daemon process group and status class.", []string{"group", "class"}, nil)
	descDuration = prometheus.NewDesc("appserver_request_duration_seconds",
		"Time from the request read to the response written, by daemon process group.", []string{"group"}, nil)
	descActive = prometheus.NewDesc("appserver_requests_active",
		"Requests being served, by daemon process group.", []string{"group"}, nil)
	descAppRequests = prometheus.NewDesc("appserver_app_requests_total",
		"Requests answered, by application name (newrelic.app_name, each ';'-separated name) and status class.", []string{"app", "class"}, nil)
	descAppDuration = prometheus.NewDesc("appserver_app_request_duration_seconds",
		"Time from the request read to the response written, by application name.", []string{"app"}, nil)
	descRouteRequests = prometheus.NewDesc("appserver_route_requests_total",
		"Requests answered, by daemon process group, route (the <Location> or WSGIScriptAlias) and status class.", []string{"group", "route", "class"}, nil)
	descRouteDuration = prometheus.NewDesc("appserver_route_request_duration_seconds",
		"Time from the request read to the response written, by daemon process group and route.", []string{"group", "route"}, nil)
	descRestarts = prometheus.NewDesc("appserver_process_restarts_total",
		"Worker processes that exited and were replaced, by daemon process group and reason.", []string{"group", "reason"}, nil)
	descProcesses = prometheus.NewDesc("appserver_group_processes",
		"Worker processes, by daemon process group and state.", []string{"group", "state"}, nil)
	descThreads = prometheus.NewDesc("appserver_group_threads",
		"Request threads of the group's processes that take requests.", []string{"group"}, nil)
	descBusy = prometheus.NewDesc("appserver_group_threads_busy",
		"Request threads of the group serving a request.", []string{"group"}, nil)
	descQueued = prometheus.NewDesc("appserver_group_queue_length",
		"Requests waiting for a free thread of the group.", []string{"group"}, nil)
	descQueueTimeouts = prometheus.NewDesc("appserver_group_queue_timeouts_total",
		"Requests answered 503 because no thread of the group became free in time (queue-timeout, connect-timeout, listen-backlog).", []string{"group"}, nil)
	descQueue = prometheus.NewDesc("appserver_request_queue_seconds",
		"Time a request waited for a free worker thread of its daemon process group.", []string{"group"}, nil)
	descApp = prometheus.NewDesc("appserver_request_app_seconds",
		"Time a worker thread was busy with a request: from the request handed to it to its last byte.", []string{"group"}, nil)
	descBusySeconds = prometheus.NewDesc("appserver_group_busy_seconds_total",
		"Thread-seconds the group's worker threads spent on requests; rate() of it over appserver_group_thread_seconds_total is mod_wsgi's capacity utilisation.", []string{"group"}, nil)
	descThreadSeconds = prometheus.NewDesc("appserver_group_thread_seconds_total",
		"Thread-seconds the group's ready worker threads were available, integrated every 5 s.", []string{"group"}, nil)
	descRouteGrowth = prometheus.NewDesc("appserver_route_memory_growth_bytes_total",
		"How much the worker processes' peak RSS grew while requests of the route ran, summed.", []string{"group", "route"}, nil)
	descCPU = prometheus.NewDesc("appserver_group_cpu_seconds_total",
		"CPU time (user and system) the group's worker processes used, the exited ones included (as last sampled, every 5 s).", []string{"group"}, nil)
	descRSS = prometheus.NewDesc("appserver_group_resident_memory_bytes",
		"Resident memory of the group's worker processes, summed, read at scrape time.", []string{"group"}, nil)
	descUptime = prometheus.NewDesc("appserver_start_time_seconds",
		"When this appserver started, in seconds since the Unix epoch.", nil, nil)
)

// collector exports a Monitor to Prometheus, reading it at scrape time.
type collector struct{ m *Monitor }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	ch <- prometheus.MustNewConstMetric(descUptime, prometheus.GaugeValue, float64(m.started.UnixNano())/1e9)
	m.groups.Range(func(k, v any) bool {
		g, s := k.(string), v.(*groupSeries)
		collectClasses(ch, descRequests, &s.series, g)
		collectHistogram(ch, descDuration, s.duration.snapshot(), g)
		ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(s.active.Load()), g)
		collectHistogram(ch, descQueue, s.queue.snapshot(), g)
		collectHistogram(ch, descApp, s.app.snapshot(), g)
		ch <- prometheus.MustNewConstMetric(descBusySeconds, prometheus.CounterValue, time.Duration(s.busy.Load()).Seconds(), g)
		s.routes.each(func(r string, s *series) {
			collectClasses(ch, descRouteRequests, s, g, r)
			collectHistogram(ch, descRouteDuration, s.duration.snapshot(), g, r)
			ch <- prometheus.MustNewConstMetric(descRouteGrowth, prometheus.CounterValue, float64(s.grown.Load()), g, r)
		})
		return true
	})
	m.apps.each(func(app string, s *series) {
		collectClasses(ch, descAppRequests, s, app)
		collectHistogram(ch, descAppDuration, s.duration.snapshot(), app)
	})
	m.sampler.mu.Lock()
	for g, secs := range m.sampler.threadS {
		ch <- prometheus.MustNewConstMetric(descThreadSeconds, prometheus.CounterValue, secs, g)
	}
	m.sampler.mu.Unlock()
	m.mu.Lock()
	for k, n := range m.restarts {
		ch <- prometheus.MustNewConstMetric(descRestarts, prometheus.CounterValue, float64(n), k[0], k[1])
	}
	m.mu.Unlock()
	for _, s := range m.snapshots() {
		states := map[string]int{"starting": 0, "ready": 0, "draining": 0, "stopping": 0}
		threads := 0
		var rss int64
		var cpu float64
		for _, p := range s.Processes {
			states[p.State]++
			if st, ok := readProc(int32(p.PID)); ok {
				rss += st.rss
				cpu += st.cpuSec
			}
			if p.State == "ready" {
				threads += p.Threads
			}
		}
		for st, n := range states {
			ch <- prometheus.MustNewConstMetric(descProcesses, prometheus.GaugeValue, float64(n), s.Name, st)
		}
		ch <- prometheus.MustNewConstMetric(descThreads, prometheus.GaugeValue, float64(threads), s.Name)
		ch <- prometheus.MustNewConstMetric(descRSS, prometheus.GaugeValue, float64(rss), s.Name)
		ch <- prometheus.MustNewConstMetric(descCPU, prometheus.CounterValue, m.groupCPU(s.Name, cpu), s.Name)
		ch <- prometheus.MustNewConstMetric(descBusy, prometheus.GaugeValue, float64(s.InFlight), s.Name)
		ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(s.Queued), s.Name)
		ch <- prometheus.MustNewConstMetric(descQueueTimeouts, prometheus.CounterValue,
			float64(s.QueueTimeouts+s.ConnectTimeouts+s.BacklogFull), s.Name)
	}
}

var classNames = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

func collectClasses(ch chan<- prometheus.Metric, d *prometheus.Desc, s *series, labels ...string) {
	for i := range s.byClass {
		if n := s.byClass[i].Load(); n > 0 {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(n), append(labels, classNames[i])...)
		}
	}
}

func collectHistogram(ch chan<- prometheus.Metric, d *prometheus.Desc, h histSnapshot, labels ...string) {
	ch <- prometheus.MustNewConstHistogram(d, h.count, h.sum.Seconds(), h.promBuckets(), labels...)
}

// Registry returns a Prometheus registry with the monitor's metrics and
// the Go runtime's and this process's (go_*, process_*).
func (m *Monitor) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector{m},
		prometheus.NewGoCollector(),
		prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return reg
}

// MetricsHandler serves the Prometheus text exposition
// (SetHandler server-metrics).
func (m *Monitor) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(m.Registry(), promhttp.HandlerOpts{})
}
