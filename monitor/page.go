package monitor

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
)

// The status page is one self-contained HTML document (no script, no
// CDN): tables, and SVG charts drawn here from each group's history. It
// reloads itself every SampleEvery seconds.

// chart is one small line chart of a group's history.
type chart struct {
	Title string
	Last  string
	SVG   template.HTML
}

const chartW, chartH = 240.0, 48.0

// sparkline draws vals (oldest first) as an SVG polyline scaled to its
// maximum.
func sparkline(vals []float64) template.HTML {
	peak := 0.0
	for _, v := range vals {
		peak = max(peak, v)
	}
	var pts strings.Builder
	for i, v := range vals {
		x := chartW
		if len(vals) > 1 {
			x = float64(i) * chartW / float64(len(vals)-1)
		}
		y := chartH
		if peak > 0 {
			y = chartH - v/peak*(chartH-2)
		}
		fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
	}
	return template.HTML(fmt.Sprintf(`<svg width="%g" height="%g" viewBox="0 0 %g %g" role="img"><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="%s"/></svg>`,
		chartW, chartH, chartW, chartH, strings.TrimSpace(pts.String())))
}

func charts(h []Point) []chart {
	pick := func(f func(Point) float64) []float64 {
		out := make([]float64, len(h))
		for i, p := range h {
			out[i] = f(p)
		}
		return out
	}
	last := func(vals []float64, unit string) string {
		if len(vals) == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f %s", vals[len(vals)-1], unit)
	}
	mk := func(title, unit string, f func(Point) float64) chart {
		v := pick(f)
		return chart{Title: title, Last: last(v, unit), SVG: sparkline(v)}
	}
	return []chart{
		mk("throughput", "req/s", func(p Point) float64 { return p.RatePerSec }),
		mk("response time p95", "ms", func(p Point) float64 { return p.P95ms }),
		mk("memory (RSS)", "MB", func(p Point) float64 { return float64(p.RSSBytes) / (1 << 20) }),
		mk("CPU", "%", func(p Point) float64 { return p.CPUPercent }),
		mk("capacity used", "%", func(p Point) float64 { return 100 * p.Capacity }),
	}
}

var page = template.Must(template.New("status").Funcs(template.FuncMap{
	"charts":  charts,
	"growers": growers,
	"mb":      func(b int64) string { return fmt.Sprintf("%.1f", float64(b)/(1<<20)) },
	"pct":     func(f float64) string { return fmt.Sprintf("%.0f%%", 100*f) },
	"secs":    func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"ms":      func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"name": func(s string) string {
		if s == "" {
			return "(embedded)"
		}
		return s
	},
	"refresh": func() int { return int(SampleEvery.Seconds()) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{{refresh}}">
<title>appserver status</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child,.l{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{color:#2a6}.chart div{color:#222;font-size:.85em}
</style></head><body>
<h1>appserver status</h1>
<p>up {{secs .UptimeSeconds}} s · {{len .Groups}} daemon process groups · <a href="?json">json</a> · <a href="?auto">auto</a></p>
{{with .Combined}}<p>all groups: {{.Requests}} requests, {{.Active}} active, {{.Queued}} queued, {{.Busy}} of {{.Threads}} threads busy, {{.Processes}} processes, {{mb .RSSBytes}} MB resident</p>{{end}}
{{range .Groups}}
<h2 id="group-{{name .Name}}">{{name .Name}} <small>({{.State}}) · <a href="?profile={{name .Name}}&amp;seconds=10">profile 10 s</a></small></h2>
<table><tr><th>requests</th><th>active</th><th>queued</th><th>threads busy</th><th>capacity used</th><th>mean ms</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>queue p99 ms</th><th>app p95 ms</th><th>5xx</th></tr>
<tr><td>{{.Requests}}</td><td>{{.Active}}</td><td>{{.Queued}}</td><td>{{.Busy}} / {{.Threads}}</td><td>{{pct .Capacity}}</td><td>{{ms .MeanMs}}</td><td>{{ms .P50ms}}</td><td>{{ms .P95ms}}</td><td>{{ms .P99ms}}</td><td>{{ms .QueueP99ms}}</td><td>{{ms .AppP95ms}}</td><td>{{index .ByClass "5xx"}}</td></tr></table>
<div class="charts">{{range charts .History}}<div class="chart"><div>{{.Title}}: {{.Last}}</div>{{.SVG}}</div>{{end}}</div>
<table><tr><th>pid</th><th>slot</th><th>state</th><th>threads busy</th><th>requests</th><th>age s</th><th>RSS MB</th><th>PSS MB</th><th>USS MB</th><th>CPU s</th><th>recycle</th></tr>
{{range .Processes}}<tr><td>{{.PID}}</td><td>{{.Slot}}</td><td>{{.State}}</td><td>{{.Busy}} / {{.Threads}}</td><td>{{.Requests}}</td><td>{{secs .AgeSeconds}}</td><td>{{mb .RSSBytes}}</td><td>{{mb .PSSBytes}}</td><td>{{mb .USSBytes}}</td><td>{{printf "%.2f" .CPUSeconds}}</td><td>{{.Recycle}}</td></tr>
{{end}}</table>
{{with .Restarts}}<p>restarts: {{range $r, $n := .}}{{$r}} {{$n}} · {{end}}</p>{{end}}
{{end}}
<h2>Routes that grew memory</h2>
{{with growers .Routes}}<ol>{{range .}}<li><b>{{.Name}}</b> raised {{name .Group}}'s peak memory by {{mb .MemoryGrowthBytes}} MB in {{.MemoryGrowthRequests}} of its {{.Requests}} requests (at most {{mb .MemoryGrowthMaxBytes}} MB at once)</li>
{{end}}</ol>{{else}}<p>No request has raised a worker's peak memory yet.</p>{{end}}
<h2>Routes</h2>
<table><tr><th>group</th><th class="l">route</th><th>requests</th><th>mean ms</th><th>p95 ms</th><th>p99 ms</th><th>memory added MB</th></tr>
{{range .Routes}}<tr><td>{{name .Group}}</td><td class="l">{{.Name}}</td><td>{{.Requests}}</td><td>{{ms .MeanMs}}</td><td>{{ms .P95ms}}</td><td>{{ms .P99ms}}</td><td>{{mb .MemoryGrowthBytes}}</td></tr>
{{end}}</table>
<h2>Applications</h2>
<table><tr><th>app</th><th>requests</th><th>mean ms</th><th>p95 ms</th><th>p99 ms</th></tr>
{{range .Apps}}<tr><td>{{.Name}}</td><td>{{.Requests}}</td><td>{{ms .MeanMs}}</td><td>{{ms .P95ms}}</td><td>{{ms .P99ms}}</td></tr>
{{end}}</table>
<h2>Recent restarts</h2>
<table><tr><th>time</th><th>group</th><th>pid</th><th>reason</th></tr>
{{range .Restarts}}<tr><td>{{.Time.Format "15:04:05"}}</td><td>{{name .Group}}</td><td>{{.PID}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
</body></html>
`))

// growers are the routes that raised a worker's peak memory, most first.
func growers(routes []Series) []Series {
	var out []Series
	for _, r := range routes {
		if r.MemoryGrowthBytes > 0 {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b Series) int { return cmp.Compare(b.MemoryGrowthBytes, a.MemoryGrowthBytes) })
	return out[:min(len(out), 10)]
}

func writeHTML(w io.Writer, st Status) {
	_ = page.Execute(w, st)
}
