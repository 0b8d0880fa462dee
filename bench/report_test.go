package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/internal/testutil"
)

// fakeResults is a run of every server on every workload, 3 repeats, with
// numbers shaped like real ones: appserver twice Apache's speed, slower
// than uWSGI on hello world, and so on.
func fakeResults() *Results {
	res := &Results{Meta: Meta{
		Started: "2026-01-02T03:04:05Z", Finished: "2026-01-02T03:22:05Z", Command: "bench/run.sh",
		Machine:  map[string]string{"cpu": "Test CPU", "cores": "2", "memory": "1000 kB", "os": "TestOS", "kernel": "6.0", "go": "go1.26"},
		Versions: map[string]string{"apache2": "2.4.71", "libapache2-mod-wsgi-py3": "4.9.4", "gunicorn": "20.1.0", "uwsgi": "2.0.21", "python": "Python 3.11.2", "wrk": "4.1.0"},
		Repeats:  3, Seconds: 8, Warmup: 1, Servers: []string{"appserver", "apache", "gunicorn", "uwsgi"},
	}}
	speed := map[string]float64{"appserver": 20000, "apache": 8000, "gunicorn": 15000, "uwsgi": 25000}
	p99 := map[string]float64{"appserver": 20, "apache": 1500, "gunicorn": 40, "uwsgi": 300}
	scale := map[string]float64{"hello-c32": 1, "hello-c256": 0.95, "json-c32": 0.9, "json-c256": 0.85, "100k-c32": 0.5,
		"upload-c32": 0.06, "sleep-c256": 0.008, "mix-c32": 0.7}
	for rep := 1; rep <= 3; rep++ {
		drift := 1 + 0.05*float64(rep-2) // every server in a round drifts alike
		for _, sv := range res.Meta.Servers {
			frontKB := map[string]int64{"appserver": 12000, "apache": 40000, "gunicorn": 28000, "uwsgi": 16000}[sv]
			res.Baselines = append(res.Baselines, Baseline{Repeat: rep, Server: sv, Site: "bench", Procs: []ProcMem{
				{PID: 100, Role: roleFront, Name: sv, RSSKB: frontKB, PSSKB: frontKB / 2},
				{PID: 101, Role: roleWorker, Name: "(wsgi:bench)", RSSKB: 15000 + int64(len(sv))*100, PSSKB: 8000},
				{PID: 102, Role: roleWorker, Name: "(wsgi:bench)", RSSKB: 15400, PSSKB: 8100},
			}})
			for _, w := range workloads {
				rps := speed[sv] * scale[w.ID] * drift
				n := int64(rps * 8)
				s := Sample{Repeat: rep, Server: sv, Workload: w.ID, Requests: n, ReqPerSec: rps,
					P50Ms: 1000 * 32 / rps, P99Ms: p99[sv] * (1 + float64(rep)/10), WallSecs: 8,
					FrontCPU: float64(n) * 40e-6, WorkerCPU: float64(n) * 30e-6, WrkCPU: 4, HostCPU: 15,
					Procs: []ProcMem{
						{PID: 100, Role: roleFront, Name: sv, RSSKB: frontKB + int64(rep)*500, PSSKB: frontKB / 2},
						{PID: 101, Role: roleWorker, Name: "(wsgi:bench)", RSSKB: 16000, PSSKB: 9000},
					}}
				if sv == "apache" {
					s.FrontCPU, s.WorkerCPU = float64(n)*90e-6, float64(n)*95e-6
				}
				if sv == "uwsgi" {
					s.Read = n // a close after every response
					s.FrontCPU = 0
				}
				if w.Site == "demo" {
					s.Procs[0].PID, s.Procs[1].PID = 200, 201
				}
				res.Samples = append(res.Samples, s)
			}
		}
	}
	return res
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got)
}

func TestMarkdownGolden(t *testing.T) {
	golden(t, "report.golden.md", []byte(markdown(fakeResults(), "../bench/results")))
}

func TestChartsGolden(t *testing.T) {
	tab := index(fakeResults())
	for name, svg := range map[string][]byte{"throughput.golden.svg": throughputChart(tab), "cpu.golden.svg": cpuChart(tab)} {
		t.Run(name, func(t *testing.T) {
			// Well-formed XML with one panel per workload.
			dec := xml.NewDecoder(bytes.NewReader(svg))
			groups := 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed SVG: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
					groups++
				}
			}
			if groups != len(workloads) {
				t.Errorf("%d panels, want %d", groups, len(workloads))
			}
			golden(t, name, svg)
		})
	}
}

func TestRatioPairsRepeats(t *testing.T) {
	res := &Results{}
	// appserver is exactly 2x apache in every repeat, while both drift a
	// lot between repeats: the median of per-repeat ratios is 2.
	for rep, base := range []float64{1000, 3000, 500} {
		res.Samples = append(res.Samples,
			Sample{Repeat: rep + 1, Server: "appserver", Workload: "hello-c32", ReqPerSec: 2 * base},
			Sample{Repeat: rep + 1, Server: "apache", Workload: "hello-c32", ReqPerSec: base})
	}
	// A repeat only one of them has is ignored.
	res.Samples = append(res.Samples, Sample{Repeat: 9, Server: "appserver", Workload: "hello-c32", ReqPerSec: 1})
	got, ok := index(res).ratio("apache", "hello-c32", func(s Sample) float64 { return s.ReqPerSec })
	if !ok || got != 2 {
		t.Errorf("ratio = %v %v, want 2 true", got, ok)
	}
	if _, ok := index(res).ratio("uwsgi", "hello-c32", func(s Sample) float64 { return s.ReqPerSec }); ok {
		t.Error("ratio against an unmeasured peer is ok")
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{[]float64{3, 1, 2}, 2}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{7}, 7}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestTargetVerdict(t *testing.T) {
	tests := []struct {
		name string
		g    target
		want string
	}{
		{"at least, met", target{Got: 2.6, Want: 2.5}, "**met**"},
		{"at least, missed", target{Got: 2.0, Want: 2.5}, "missed by 20%"},
		{"at most, met", target{Got: 0.05, Want: 0.05, AtMost: true}, "**met**"},
		{"at most, missed", target{Got: 0.45, Want: 0.3, AtMost: true}, "missed by 50%"},
		{"extra condition fails alone", target{Got: 0.01, Want: 0.05, AtMost: true, Extra: "3 errors"}, "missed: 3 errors"},
		{"both fail", target{Got: 1, Want: 1.5, Extra: "front end +40 MB", ExtraOK: false}, "missed by 33%; missed: front end +40 MB"},
		{"extra ok", target{Got: 2, Want: 1.5, Extra: "0 errors", ExtraOK: true}, "**met**"},
		{"missing", target{Missing: true}, "not measured"},
	}
	for _, tc := range tests {
		if got := tc.g.verdict(); got != tc.want {
			t.Errorf("%s: verdict %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestTargetsFromResults(t *testing.T) {
	gs := targets(index(fakeResults()), fakeResults())
	find := func(goal, wl string) target {
		for _, g := range gs {
			if strings.HasPrefix(g.Goal, goal) && strings.HasPrefix(g.Workload, wl) {
				return g
			}
		}
		t.Fatalf("no target %q for %s", goal, wl)
		return target{}
	}
	if g := find("req/s ÷ Apache", "hello-c32"); math.Abs(g.Got-2.5) > 1e-9 {
		t.Errorf("hello vs apache: %+v", g)
	}
	if g := find("req/s ÷ uWSGI", "hello-c32"); math.Abs(g.Got-0.8) > 1e-9 || g.met() {
		t.Errorf("hello vs uwsgi: %+v", g)
	}
	// p99: 20/1500 in every repeat scaled alike = 0.0133.
	if g := find("p99", "hello-c256"); math.Abs(g.Got-20.0/1500) > 1e-9 || !g.met() {
		t.Errorf("p99: %+v", g)
	}
	// appserver's front end is 12000 kB + 500 kB per repeat: 13.2 MB at worst.
	if g := find("front-end RSS", "all"); math.Abs(g.Got-13500.0/1024) > 1e-9 || !g.met() {
		t.Errorf("front-end RSS: %+v", g)
	}
	// Flat: the front end is the same size in every workload.
	if g := find("req/s ÷ Apache+mod_wsgi, flat", "upload-c32"); !g.ExtraOK {
		t.Errorf("flat memory: %+v", g)
	}
	// CPU/request: 70 µs vs apache's 185 µs = 0.378: missed.
	if g := find("server CPU/request ÷ Apache", "hello-c32"); math.Abs(g.Got-70.0/185) > 1e-9 || g.met() {
		t.Errorf("cpu vs apache: %+v", g)
	}
	// Worker at rest: (15000+900+15400)/2 vs (15000+600+15400)/2 kB.
	if g := find("worker RSS at rest", "bench"); g.met() || math.Abs(g.Got-15650.0/1024) > 1e-9 {
		t.Errorf("worker at rest: %+v", g)
	}
}

func TestReplaceBlock(t *testing.T) {
	block := beginMark + "\nNEW\n" + endMark
	tests := []struct {
		name, doc, want, wantErr string
	}{
		{name: "empty doc", doc: "", want: "\n" + block + "\n"},
		{name: "no block yet", doc: "# Perf\n\nintro", want: "# Perf\n\nintro\n\n" + block + "\n"},
		{name: "replace, keep the rest", doc: "# Perf\n" + beginMark + "\nOLD\nOLD\n" + endMark + "\n## Analysis\n",
			want: "# Perf\n" + block + "\n## Analysis\n"},
		{name: "end only", doc: "x\n" + endMark, wantErr: "missing one half"},
		{name: "begin only", doc: beginMark + "\nx", wantErr: "missing one half"},
		{name: "reversed", doc: endMark + "\n" + beginMark, wantErr: "out of order"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replaceBlock(tc.doc, "NEW\n")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

func TestWriteReportKeepsHandWrittenText(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "docs", "performance.md")
	if err := os.MkdirAll(filepath.Dir(doc), 0o755); err != nil {
		t.Fatal(err)
	}
	hand := "# Performance\n\nWritten by hand.\n\n" + beginMark + "\nold\n" + endMark + "\n\n## Next optimisations\n\nAlso by hand.\n"
	if err := os.WriteFile(doc, []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &options{out: filepath.Join(dir, "bench", "results"), doc: doc}
	var msgs strings.Builder
	logOut = &msgs
	defer func() { logOut = os.Stderr }()
	if err := writeReport(fakeResults(), o); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := string(got)
	for _, want := range []string{"Written by hand.", "## Next optimisations\n\nAlso by hand.", "](../bench/results/throughput.svg)", "| hello-c32 | appserver | 20.0k"} {
		if !strings.Contains(s, want) {
			t.Errorf("document lacks %q", want)
		}
	}
	if strings.Contains(s, "\nold\n") {
		t.Error("the old block survived")
	}
	for _, f := range []string{"throughput.svg", "cpu.svg"} {
		if _, err := os.Stat(filepath.Join(o.out, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		top  float64
		want float64
	}{{25000, 10000}, {160, 50}, {0.9, 0.5}, {0, 1}} {
		if got := niceStep(tc.top, 4); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("niceStep(%v) = %v, want %v", tc.top, got, tc.want)
		}
	}
}

func TestFmtTick(t *testing.T) {
	for in, want := range map[float64]string{50: "50", 2000: "2000", 20000: "20.0k", 0.25: "0.250", 0: "0"} {
		if got := fmtTick(in); got != want {
			t.Errorf("fmtTick(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestFmtNum(t *testing.T) {
	for in, want := range map[float64]string{123456: "123k", 23926.5: "23.9k", 955.4: "955", 12.34: "12.3", 1.234: "1.23", 0.01234: "0.012", 0: "0", math.NaN(): "–"} {
		if got := fmtNum(in); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", in, got, want)
		}
	}
}
