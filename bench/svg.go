package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Small-multiple bar charts in plain SVG: one panel per workload, each
// with its own scale (hello world and a 100 ms sleep differ 100-fold).

var serverColor = map[string]string{
	"appserver": "#1b7f5f",
	"base":      "#8fc9b5",
	"apache":    "#d95f02",
	"gunicorn":  "#6a64b0",
	"uwsgi":     "#c2297a",
	"proto":     "#999999",
}

type barSpec struct {
	server string
	value  float64   // bar height (the stack's total when parts is set)
	lo, hi float64   // whisker; NaN for none
	parts  []float64 // stacked from the bottom: solid, then faded
}

type panelSpec struct {
	title string
	bars  []barSpec
}

const (
	panelW, panelH = 230, 190
	plotTop        = 42 // room for the panel title and value labels
	plotBottom     = 16
	plotLeft       = 44
	columns        = 4
	headH          = 58
)

// niceStep is a 1, 2 or 5 times a power of ten step giving about n
// gridlines up to top.
func niceStep(top float64, n int) float64 {
	if top <= 0 || math.IsNaN(top) {
		return 1
	}
	raw := top / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func renderChart(title, subtitle string, panels []panelSpec, servers []string, partNames []string) []byte {
	rows := (len(panels) + columns - 1) / columns
	width, height := columns*panelW+20, headH+rows*panelH+10
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n", width, height, width, height)
	w(`<rect width="100%%" height="100%%" fill="#ffffff"/>` + "\n")
	w(`<text x="10" y="20" font-size="15" font-weight="bold">%s</text>`+"\n", esc(title))
	w(`<text x="10" y="37" font-size="11" fill="#555">%s</text>`+"\n", esc(subtitle))
	x := 10
	for _, s := range servers {
		w(`<rect x="%d" y="45" width="10" height="10" fill="%s"/><text x="%d" y="54" font-size="11">%s</text>`+"\n", x, serverColor[s], x+14, esc(label(s)))
		x += 24 + 7*len(label(s))
	}
	if len(partNames) == 2 {
		w(`<rect x="%d" y="45" width="10" height="10" fill="#777"/><text x="%d" y="54" font-size="11">%s</text>`+"\n", x+10, x+24, esc(partNames[0]))
		x += 34 + 7*len(partNames[0])
		w(`<rect x="%d" y="45" width="10" height="10" fill="#777" fill-opacity="0.45"/><text x="%d" y="54" font-size="11">%s</text>`+"\n", x, x+14, esc(partNames[1]))
	}
	for i, p := range panels {
		ox := 10 + (i%columns)*panelW
		oy := headH + (i/columns)*panelH
		renderPanel(&b, p, ox, oy)
	}
	w("</svg>\n")
	return []byte(b.String())
}

func renderPanel(b *strings.Builder, p panelSpec, ox, oy int) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	top := 0.0
	for _, bar := range p.bars {
		top = math.Max(top, bar.value)
		if !math.IsNaN(bar.hi) {
			top = math.Max(top, bar.hi)
		}
	}
	step := niceStep(top*1.05, 4)
	yMax := step * math.Ceil(top*1.05/step)
	if yMax <= 0 {
		yMax = 1
	}
	plotH := float64(panelH - plotTop - plotBottom)
	plotW := float64(panelW - plotLeft - 12)
	y := func(v float64) float64 { return float64(oy+plotTop) + plotH*(1-v/yMax) }
	w(`<g><text x="%d" y="%d" font-size="12" font-weight="bold">%s</text>`+"\n", ox+plotLeft, oy+16, esc(p.title))
	for v := 0.0; v <= yMax+step/2; v += step {
		w(`<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="9" text-anchor="end" fill="#555">%s</text>`+"\n",
			ox+plotLeft, float64(ox+plotLeft)+plotW, y(v), y(v), ox+plotLeft-4, y(v)+3, fmtTick(v))
	}
	n := len(p.bars)
	if n == 0 {
		w("</g>\n")
		return
	}
	slot := plotW / float64(n)
	bw := slot * 0.62
	for i, bar := range p.bars {
		bx := float64(ox+plotLeft) + slot*float64(i) + (slot-bw)/2
		color := serverColor[bar.server]
		parts := bar.parts
		if parts == nil {
			parts = []float64{bar.value}
		}
		base := 0.0
		for j, part := range parts {
			opacity := 1.0
			if j > 0 {
				opacity = 0.45
			}
			w(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="%.2f"><title>%s: %s</title></rect>`+"\n",
				bx, y(base+part), bw, y(base)-y(base+part), color, opacity, esc(label(bar.server)), fmtNum(part))
			base += part
		}
		labelY := y(bar.value) - 3
		if !math.IsNaN(bar.lo) && !math.IsNaN(bar.hi) && bar.hi > bar.lo {
			cx := bx + bw/2
			w(`<path d="M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f %.1fH%.1f" stroke="#222" stroke-width="1"/>`+"\n",
				cx, y(bar.lo), y(bar.hi), cx-4, y(bar.lo), cx+4, cx-4, y(bar.hi), cx+4)
			labelY = math.Min(labelY, y(bar.hi)-3)
		}
		w(`<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle">%s</text>`+"\n", bx+bw/2, labelY, fmtNum(bar.value))
	}
	w("</g>\n")
}

func esc(s string) string { return html.EscapeString(s) }

// fmtTick labels a gridline: whole numbers below 10k without decimals.
func fmtTick(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 10000 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmtNum(v)
}

func throughputChart(t table) []byte {
	var panels []panelSpec
	for _, wl := range workloadIDs(t) {
		p := panelSpec{title: wl}
		for _, sv := range serverNames(t) {
			c := t.cell(sv, wl)
			if c == nil {
				continue
			}
			v := c.values(func(s Sample) float64 { return s.ReqPerSec })
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, x := range v {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			p.bars = append(p.bars, barSpec{server: sv, value: median(v), lo: lo, hi: hi})
		}
		panels = append(panels, p)
	}
	return renderChart("Requests per second (higher is better)",
		"median of the repeats; whiskers: min–max. 2 processes × 8 threads each, wrk -t2 on the same 2 cores.",
		panels, serverNames(t), nil)
}

func cpuChart(t table) []byte {
	var panels []panelSpec
	for _, wl := range workloadIDs(t) {
		p := panelSpec{title: wl}
		for _, sv := range serverNames(t) {
			c := t.cell(sv, wl)
			if c == nil {
				continue
			}
			// CPU seconds per 1000 requests = CPU milliseconds per request.
			front := c.median(func(s Sample) float64 { return cpuPerK(s, roleFront) })
			work := c.median(func(s Sample) float64 { return cpuPerK(s, roleWorker) })
			p.bars = append(p.bars, barSpec{server: sv, value: front + work, lo: math.NaN(), hi: math.NaN(), parts: []float64{front, work}})
		}
		panels = append(panels, p)
	}
	return renderChart("Server CPU per request, ms (lower is better)",
		"user+system CPU of the server's processes from /proc, median of the repeats; solid: front end, faded: Python workers.",
		panels, serverNames(t), []string{"front end", "workers"})
}
