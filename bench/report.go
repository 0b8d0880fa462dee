package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// cell is one server on one workload, over the repeats.
type cell struct {
	samples map[int]Sample // by repeat
}

func (c *cell) values(f func(Sample) float64) []float64 {
	var out []float64
	for _, rep := range sortedKeys(c.samples) {
		out = append(out, f(c.samples[rep]))
	}
	return out
}

func (c *cell) median(f func(Sample) float64) float64 { return median(c.values(f)) }

func (c *cell) errors() int64 {
	var n int64
	for _, s := range c.samples {
		n += s.Errors()
	}
	return n
}

// roleRSS is the peak RSS (kB) of the processes of one role in a sample:
// the sum over them, and the largest one.
func roleRSS(s Sample, role string) (sum, largest int64, n int) {
	for _, p := range s.Procs {
		if p.Role == role {
			sum += p.RSSKB
			largest = max(largest, p.RSSKB)
			n++
		}
	}
	return sum, largest, n
}

func cpuPerK(s Sample, role string) float64 {
	v := s.FrontCPU
	switch role {
	case roleWorker:
		v = s.WorkerCPU
	case "":
		v = s.FrontCPU + s.WorkerCPU
	}
	return perK(v, s.Requests)
}

// table indexes the samples: server -> workload -> cell.
type table map[string]map[string]*cell

func index(res *Results) table {
	t := table{}
	for _, s := range res.Samples {
		if t[s.Server] == nil {
			t[s.Server] = map[string]*cell{}
		}
		c := t[s.Server][s.Workload]
		if c == nil {
			c = &cell{samples: map[int]Sample{}}
			t[s.Server][s.Workload] = c
		}
		c.samples[s.Repeat] = s
	}
	return t
}

func (t table) has(server string) bool { return len(t[server]) > 0 }

func (t table) cell(server, wl string) *cell {
	if m := t[server]; m != nil {
		return m[wl]
	}
	return nil
}

// ratio is the median over the repeats of appserver's f divided by the
// peer's f in the same repeat: both ran in the same round, so the ratio
// cancels much of the drift between rounds.
func (t table) ratio(peer, wl string, f func(Sample) float64) (float64, bool) {
	rs := t.ratios(peer, wl, f)
	if len(rs) == 0 {
		return 0, false
	}
	return median(rs), true
}

// ratios are the per-repeat ratios behind ratio.
func (t table) ratios(peer, wl string, f func(Sample) float64) []float64 {
	a, p := t.cell("appserver", wl), t.cell(peer, wl)
	if a == nil || p == nil {
		return nil
	}
	var rs []float64
	for _, rep := range sortedKeys(a.samples) {
		ps, ok := p.samples[rep]
		if !ok || f(ps) == 0 {
			continue
		}
		rs = append(rs, f(a.samples[rep])/f(ps))
	}
	return rs
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func sortedKeys[V any](m map[int]V) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// target is one goal of the issue, checked against the measurements.
type target struct {
	Goal     string
	Workload string
	Got      float64
	Want     float64
	AtMost   bool   // the goal is Got <= Want (else Got >= Want)
	Unit     string // "×" for ratios, " MB"
	Extra    string // a further condition's state, e.g. errors
	ExtraOK  bool
	Missing  bool // not measured
}

func (g target) met() bool {
	if g.Missing {
		return false
	}
	// A relative epsilon: a ratio of exactly the goal must not fail on
	// rounding.
	eps := 1e-9 * math.Abs(g.Want)
	ok := g.Got >= g.Want-eps
	if g.AtMost {
		ok = g.Got <= g.Want+eps
	}
	return ok && (g.Extra == "" || g.ExtraOK)
}

// verdict says "met" or how far off the goal is, relative to the goal.
func (g target) verdict() string {
	if g.Missing {
		return "not measured"
	}
	if g.met() {
		return "**met**"
	}
	var parts []string
	off := (g.Want - g.Got) / g.Want
	if g.AtMost {
		off = (g.Got - g.Want) / g.Want
	}
	if off > 0 {
		parts = append(parts, fmt.Sprintf("missed by %.0f%%", off*100))
	}
	if g.Extra != "" && !g.ExtraOK {
		parts = append(parts, "missed: "+g.Extra)
	}
	return strings.Join(parts, "; ")
}

func (g target) measured() string {
	if g.Missing {
		return "–"
	}
	cmp := "≥"
	if g.AtMost {
		cmp = "≤"
	}
	s := fmt.Sprintf("%s%s (goal %s %s%s)", fmtNum(g.Got), g.Unit, cmp, fmtNum(g.Want), g.Unit)
	if g.Extra != "" {
		s += ", " + g.Extra
	}
	return s
}

// Flat front-end memory: the front end must not hold request or response
// bodies. 32 connections of 1 MB uploads held whole would add 32 MB; the
// allowance is what a few 64 KB buffers per connection cost.
const flatGrowthMB = 8

func targets(t table, res *Results) []target {
	var out []target
	req := func(s Sample) float64 { return s.ReqPerSec }
	p99 := func(s Sample) float64 { return s.P99Ms }
	cpu := func(s Sample) float64 { return cpuPerK(s, "") }
	for _, wl := range []string{"hello-c32", "hello-c256", "json-c32", "json-c256"} {
		for _, g := range []struct {
			peer string
			want float64
		}{{"apache", 2.5}, {"gunicorn", 1.3}, {"uwsgi", 1.0}} {
			v, ok := t.ratio(g.peer, wl, req)
			out = append(out, target{Goal: "req/s ÷ " + label(g.peer), Workload: wl, Got: v, Want: g.want, Unit: "×", Missing: !ok})
		}
	}
	for _, wl := range []string{"hello-c256", "json-c256"} {
		v, ok := t.ratio("apache", wl, p99)
		g := target{Goal: "p99 ÷ Apache+mod_wsgi's, zero errors", Workload: wl, Got: v, Want: 0.05, AtMost: true, Unit: "×", Missing: !ok}
		if c := t.cell("appserver", wl); c != nil {
			g.Extra = fmt.Sprintf("%d errors", c.errors())
			g.ExtraOK = c.errors() == 0
		}
		out = append(out, g)
	}
	base := t.cell("appserver", "hello-c32")
	for _, wl := range []string{"100k-c32", "upload-c32"} {
		v, ok := t.ratio("apache", wl, req)
		g := target{Goal: "req/s ÷ Apache+mod_wsgi, flat front-end memory", Workload: wl, Got: v, Want: 1.5, Unit: "×", Missing: !ok}
		if c := t.cell("appserver", wl); c != nil && base != nil {
			grow := c.median(frontRSSMB) - base.median(frontRSSMB)
			g.Extra = fmt.Sprintf("front end %+.1f MB over hello-c32 (allowed +%d)", grow, flatGrowthMB)
			g.ExtraOK = grow <= flatGrowthMB
		}
		out = append(out, g)
	}
	{
		g := target{Goal: "front-end RSS under load", Workload: "all", Want: 30, AtMost: true, Unit: " MB", Missing: true}
		worst := ""
		for _, wl := range workloadIDs(t) {
			c := t.cell("appserver", wl)
			if c == nil {
				continue
			}
			for _, v := range c.values(frontRSSMB) {
				if worst == "" || v > g.Got {
					g.Got, worst, g.Missing = v, wl, false
				}
			}
		}
		if worst != "" {
			g.Workload = "all (worst: " + worst + ")"
		}
		out = append(out, g)
	}
	{
		a, aok := baselineWorkerMB(res, "appserver", "bench")
		m, mok := baselineWorkerMB(res, "apache", "bench")
		g := target{Goal: "worker RSS at rest ≤ a mod_wsgi daemon process's", Workload: "bench app, after warm-up",
			Got: a, Want: m, AtMost: true, Unit: " MB", Missing: !aok || !mok}
		out = append(out, g)
	}
	for _, wl := range workloadIDs(t) {
		for _, g := range []struct {
			peer string
			want float64
		}{{"apache", 0.3}, {"uwsgi", 1.0}} {
			v, ok := t.ratio(g.peer, wl, cpu)
			out = append(out, target{Goal: "server CPU/request ÷ " + label(g.peer), Workload: wl, Got: v, Want: g.want, AtMost: true, Unit: "×", Missing: !ok})
		}
	}
	return out
}

func frontRSSMB(s Sample) float64 {
	sum, _, _ := roleRSS(s, roleFront)
	return float64(sum) / 1024
}

// baselineWorkerMB is the mean RSS of one worker process at rest, median
// over the repeats.
func baselineWorkerMB(res *Results, server, site string) (float64, bool) {
	var v []float64
	for _, b := range res.Baselines {
		if b.Server != server || b.Site != site {
			continue
		}
		var sum int64
		n := 0
		for _, p := range b.Procs {
			if p.Role == roleWorker {
				sum += p.RSSKB
				n++
			}
		}
		if n > 0 {
			v = append(v, float64(sum)/float64(n)/1024)
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

// workloadIDs are the measured workloads in the standard order.
func workloadIDs(t table) []string {
	var out []string
	for _, w := range workloads {
		for _, m := range t {
			if m[w.ID] != nil {
				out = append(out, w.ID)
				break
			}
		}
	}
	return out
}

func serverNames(t table) []string {
	var out []string
	for _, k := range serverKinds {
		if t[k.Name] != nil {
			out = append(out, k.Name)
		}
	}
	return out
}

func label(server string) string {
	if k := kindByName(server); k != nil {
		return k.Label
	}
	return server
}

// fmtNum prints a number with about three significant digits.
func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v):
		return "–"
	case a >= 100000:
		return fmt.Sprintf("%.0fk", v/1000)
	case a >= 10000:
		return fmt.Sprintf("%.1fk", v/1000)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a == 0:
		return "0"
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func mb(kb int64) string { return fmt.Sprintf("%.1f", float64(kb)/1024) }

// markdown is the generated part of docs/performance.md. chartDir is
// where the charts are, relative to the document.
func markdown(res *Results, chartDir string) string {
	t := index(res)
	var b strings.Builder
	m := res.Meta
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("Measured %s → %s", m.Started, orDash(m.Finished))
	if m.Quick {
		w(" (**quick mode**: indicative only)")
	}
	w(".\n\n")
	w("- Machine: %s, %s cores, %s RAM, %s, kernel %s.\n", m.Machine["cpu"], m.Machine["cores"], m.Machine["memory"], m.Machine["os"], m.Machine["kernel"])
	w("- Software: appserver built with %s; Apache %s + mod_wsgi %s; gunicorn %s; uWSGI %s (python3 plugin %s); %s for every server's workers; wrk %s.\n",
		m.Machine["go"], orDash(m.Versions["apache2"]), orDash(m.Versions["libapache2-mod-wsgi-py3"]), orDash(m.Versions["gunicorn"]),
		orDash(m.Versions["uwsgi"]), orDash(m.Versions["uwsgi-plugin-python3"]), orDash(m.Versions["python"]), orDash(m.Versions["wrk"]))
	w("- Command: `%s`: %d repeat(s); in each, every server in a rotated order runs every workload for %d s (`wrk -t2 --latency --timeout 10s`) after a %d s warm-up.\n",
		strings.TrimSpace(m.Command), m.Repeats, m.Seconds, m.Warmup)
	w("- Figures are medians over the repeats; ranges are min–max. Ratios are appserver ÷ peer within the same repeat, then the median.\n")
	if lo, med, hi, ok := otherLoad(res); ok {
		w("- Noise: besides the server and wrk, the rest of the host (this runner, other tenants) kept %.0f%% of the %s cores busy during a measurement (median; range %.0f–%.0f%%).\n",
			med, m.Machine["cores"], lo, hi)
	}
	w("\n")

	w("![requests per second by workload and server](%s)\n\n", filepath.ToSlash(filepath.Join(chartDir, "throughput.svg")))
	w("![server CPU per request, front end and workers](%s)\n\n", filepath.ToSlash(filepath.Join(chartDir, "cpu.svg")))

	w("#### Throughput, latency, errors, CPU, memory\n\n")
	w("CPU is user+system time from /proc, in ms per request (= CPU seconds per 1000 requests). Front end = appserver's Go process, Apache's master and children, gunicorn's arbiter, uWSGI's master; workers = the Python processes. RSS is the peak sampled every 500 ms during the run: the front end's total and the largest worker. Errors are summed over the repeats: non-2xx answers and wrk's socket errors (uWSGI's `--http-socket` closes the connection after every response, which wrk counts as one read error each).\n\n")
	w("| workload | server | req/s (range) | p50 ms | p99 ms | errors | CPU ms/req front end | CPU ms/req workers | front RSS MB | worker RSS MB |\n")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, wl := range workloadIDs(t) {
		for _, sv := range serverNames(t) {
			c := t.cell(sv, wl)
			if c == nil {
				continue
			}
			rps := c.values(func(s Sample) float64 { return s.ReqPerSec })
			w("| %s | %s | %s (%s–%s) | %s | %s | %s | %.3f | %.3f | %s | %s |\n", wl, label(sv),
				fmtNum(median(rps)), fmtNum(slices.Min(rps)), fmtNum(slices.Max(rps)),
				fmtNum(c.median(func(s Sample) float64 { return s.P50Ms })),
				fmtNum(c.median(func(s Sample) float64 { return s.P99Ms })),
				errorsText(c),
				c.median(func(s Sample) float64 { return cpuPerK(s, roleFront) }),
				c.median(func(s Sample) float64 { return cpuPerK(s, roleWorker) }),
				fmtNum(c.median(frontRSSMB)),
				fmtNum(c.median(func(s Sample) float64 { _, l, _ := roleRSS(s, roleWorker); return float64(l) / 1024 })))
		}
	}
	w("\n#### appserver ÷ each peer (same repeat, median; req/s with the range over the repeats)\n\n")
	w("| workload | req/s ÷ Apache | ÷ gunicorn | ÷ uWSGI | p99 ÷ Apache | ÷ gunicorn | ÷ uWSGI | CPU/req ÷ Apache | ÷ gunicorn | ÷ uWSGI |\n")
	w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, wl := range workloadIDs(t) {
		w("| %s", wl)
		for i, f := range []func(Sample) float64{
			func(s Sample) float64 { return s.ReqPerSec },
			func(s Sample) float64 { return s.P99Ms },
			func(s Sample) float64 { return cpuPerK(s, "") },
		} {
			for _, peer := range []string{"apache", "gunicorn", "uwsgi"} {
				rs := t.ratios(peer, wl, f)
				switch {
				case len(rs) == 0:
					w(" | –")
				case i == 0 && len(rs) > 1:
					w(" | %s× (%s–%s)", fmtNum(median(rs)), fmtNum(slices.Min(rs)), fmtNum(slices.Max(rs)))
				default:
					w(" | %s×", fmtNum(median(rs)))
				}
			}
		}
		w(" |\n")
	}
	for _, other := range []struct{ name, title string }{
		{"base", "appserver ÷ base (the -base binary, same repeat, median with the range)"},
		{"proto", "appserver ÷ the transport prototype (../shared/proto, same repeat, median with the range)"},
	} {
		if !t.has(other.name) {
			continue
		}
		w("\n#### %s\n\n", other.title)
		w("| workload | req/s | p99 | CPU/req | front-end CPU/req | worker CPU/req |\n|---|---:|---:|---:|---:|---:|\n")
		for _, wl := range workloadIDs(t) {
			w("| %s", wl)
			for _, f := range []func(Sample) float64{
				func(s Sample) float64 { return s.ReqPerSec },
				func(s Sample) float64 { return s.P99Ms },
				func(s Sample) float64 { return cpuPerK(s, "") },
				func(s Sample) float64 { return cpuPerK(s, roleFront) },
				func(s Sample) float64 { return cpuPerK(s, roleWorker) },
			} {
				rs := t.ratios(other.name, wl, f)
				if len(rs) == 0 {
					w(" | –")
					continue
				}
				w(" | %s× (%s–%s)", fmtNum(median(rs)), fmtNum(slices.Min(rs)), fmtNum(slices.Max(rs)))
			}
			w(" |\n")
		}
	}
	w("\n#### Targets of the issue\n\n")
	w("| goal | workload | measured | verdict |\n|---|---|---|---|\n")
	for _, g := range targets(t, res) {
		w("| %s | %s | %s | %s |\n", g.Goal, g.Workload, g.measured(), g.verdict())
	}
	w("\n#### Every process (last repeat)\n\n")
	w("At rest = after the start-up warm-up, before the first measurement; peak = the highest sample over all of the site's workloads in that repeat.\n\n")
	w("| server | site | pid | role | process | RSS MB at rest | PSS MB at rest | peak RSS MB | peak PSS MB |\n")
	w("|---|---|---:|---|---|---:|---:|---:|---:|\n")
	for _, row := range processRows(res) {
		w("| %s | %s | %d | %s | `%s` | %s | %s | %s | %s |\n", label(row.server), row.site, row.pid, row.role, row.name,
			kbOrDash(row.restRSS), kbOrDash(row.restPSS), kbOrDash(row.peakRSS), kbOrDash(row.peakPSS))
	}
	return b.String()
}

// otherLoad is the share (%) of the host's cores that neither the server
// nor wrk used during each measurement: min, median, max.
func otherLoad(res *Results) (lo, med, hi float64, ok bool) {
	cores, err := strconv.Atoi(res.Meta.Machine["cores"])
	if err != nil || cores < 1 {
		return 0, 0, 0, false
	}
	var v []float64
	for _, s := range res.Samples {
		if s.WallSecs <= 0 {
			continue
		}
		other := s.HostCPU - s.FrontCPU - s.WorkerCPU - s.WrkCPU
		v = append(v, math.Max(0, other)/(s.WallSecs*float64(cores))*100)
	}
	if len(v) == 0 {
		return 0, 0, 0, false
	}
	return slices.Min(v), median(v), slices.Max(v), true
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func kbOrDash(kb int64) string {
	if kb <= 0 {
		return "–"
	}
	return mb(kb)
}

// errorsText is the total over the repeats, split when there are any.
func errorsText(c *cell) string {
	var non2xx, sock, timeout int64
	for _, s := range c.samples {
		non2xx += s.Non2xx
		sock += s.Connect + s.Read + s.Write
		timeout += s.Timeout
	}
	if non2xx+sock+timeout == 0 {
		return "0"
	}
	var parts []string
	if non2xx > 0 {
		parts = append(parts, fmt.Sprintf("%d non-2xx", non2xx))
	}
	if sock > 0 {
		parts = append(parts, fmt.Sprintf("%d socket", sock))
	}
	if timeout > 0 {
		parts = append(parts, fmt.Sprintf("%d timeout", timeout))
	}
	return strings.Join(parts, ", ")
}

type procRow struct {
	server, site, role, name           string
	pid                                int
	restRSS, restPSS, peakRSS, peakPSS int64
}

// processRows lists every process of every server in the last repeat,
// joining its memory at rest with its peak under load by pid.
func processRows(res *Results) []procRow {
	last := 0
	for _, s := range res.Samples {
		last = max(last, s.Repeat)
	}
	siteOf := map[string]string{}
	for _, w := range workloads {
		siteOf[w.ID] = w.Site
	}
	type key struct {
		server, site string
		pid          int
	}
	rows := map[key]*procRow{}
	get := func(k key, p ProcMem) *procRow {
		r := rows[k]
		if r == nil {
			r = &procRow{server: k.server, site: k.site, pid: k.pid, role: p.Role, name: p.Name}
			rows[k] = r
		}
		return r
	}
	for _, b := range res.Baselines {
		if b.Repeat != last {
			continue
		}
		for _, p := range b.Procs {
			r := get(key{b.Server, b.Site, p.PID}, p)
			r.restRSS, r.restPSS = p.RSSKB, p.PSSKB
		}
	}
	for _, s := range res.Samples {
		if s.Repeat != last {
			continue
		}
		for _, p := range s.Procs {
			r := get(key{s.Server, siteOf[s.Workload], p.PID}, p)
			r.peakRSS, r.peakPSS = max(r.peakRSS, p.RSSKB), max(r.peakPSS, p.PSSKB)
		}
	}
	order := map[string]int{}
	for i, k := range serverKinds {
		order[k.Name] = i
	}
	out := make([]procRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.server != b.server {
			return order[a.server] < order[b.server]
		}
		if a.site != b.site {
			return a.site < b.site
		}
		if a.role != b.role {
			return a.role == roleFront
		}
		return a.pid < b.pid
	})
	return out
}

// The generated block of the performance document sits between these
// markers; everything around it is written by hand and kept.
const (
	beginMark = "<!-- BEGIN generated by bench/run.sh: do not edit by hand -->"
	endMark   = "<!-- END generated by bench/run.sh -->"
)

// replaceBlock puts body between the markers of doc, or appends a new
// block when doc has none.
func replaceBlock(doc, body string) (string, error) {
	block := beginMark + "\n" + body + endMark
	i := strings.Index(doc, beginMark)
	j := strings.Index(doc, endMark)
	switch {
	case i < 0 && j < 0:
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + block + "\n", nil
	case i < 0 || j < i:
		return "", errors.New("the markers of the generated block are missing one half or out of order; fix them by hand")
	}
	return doc[:i] + block + doc[j+len(endMark):], nil
}

// logOut receives the runner's progress lines.
var logOut io.Writer = os.Stderr

// writeReport writes the charts next to results.json and the markdown into
// the document (or to stdout when there is none).
func writeReport(res *Results, o *options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	t := index(res)
	for name, svg := range map[string][]byte{"throughput.svg": throughputChart(t), "cpu.svg": cpuChart(t)} {
		if err := os.WriteFile(filepath.Join(o.out, name), svg, 0o644); err != nil {
			return err
		}
	}
	if o.doc == "" {
		fmt.Print(markdown(res, o.out))
		fmt.Fprintln(logOut, "bench: results and charts in", o.out)
		return nil
	}
	rel, err := filepath.Rel(filepath.Dir(o.doc), o.out)
	if err != nil {
		rel = o.out
	}
	old, err := os.ReadFile(o.doc)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	doc, err := replaceBlock(string(old), markdown(res, rel))
	if err != nil {
		return fmt.Errorf("%s: %w", o.doc, err)
	}
	if err := os.WriteFile(o.doc, []byte(doc), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(logOut, "bench: updated", o.doc, "and the charts in", o.out)
	return nil
}
