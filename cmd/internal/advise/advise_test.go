package advise

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/appserver/appserver/internal/testutil"
	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
)

var demoRoot, _ = filepath.Abs("../../../testdata/demo")

func lookupDemo(name string) (string, bool) {
	if name == "DEMO_ROOT" {
		return demoRoot, true
	}
	return os.LookupEnv(name)
}

func loadConf(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := load.File(path, load.Options{NoHostChecks: true, LookupEnv: lookupDemo})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg
}

func readStatus(t *testing.T, path string) monitor.Status {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st monitor.Status
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

var testHost = Host{MemoryBytes: 8 << 30, CPUs: 2}

// The advice on recorded measurements, as text: golden files.
func TestAdviseGolden(t *testing.T) {
	for _, tt := range []struct {
		name, metrics, conf string
		split               bool
		groups              string // name:class:exists
	}{
		{"one-group", "one-group.json", "../../../testdata/demo/one-group.conf", true, "admin:memory:false volume:volume:false main:default:true"},
		{"partitioned", "partitioned.json", "../../../testdata/demo/site.conf", true, "admin:memory:true volume:volume:true main:default:true"},
		{"flat", "flat.json", "testdata/flat.conf", false, "main:default:true"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Advise(Input{Status: readStatus(t, "testdata/"+tt.metrics), Config: loadConf(t, tt.conf), Host: testHost})
			if err != nil {
				t.Fatal(err)
			}
			var groups []string
			for _, g := range p.Groups {
				groups = append(groups, g.Name+":"+string(g.Class)+":"+map[bool]string{true: "true", false: "false"}[g.Exists])
			}
			if got := strings.Join(groups, " "); got != tt.groups || p.Split != tt.split {
				t.Errorf("groups %q split %v, want %q split %v", got, p.Split, tt.groups, tt.split)
			}
			var b bytes.Buffer
			p.Write(&b)
			testutil.Golden(t, "testdata/"+tt.name+".advice", b.Bytes())
		})
	}
}

func TestBaseRSS(t *testing.T) {
	const mb = 1 << 20
	status := func(growthMax, grown int64, rss ...int64) monitor.Status {
		g := monitor.GroupStatus{Series: monitor.Series{Name: "main"}}
		for _, r := range rss {
			g.Processes = append(g.Processes, monitor.ProcessStatus{RSSBytes: r})
		}
		return monitor.Status{Groups: []monitor.GroupStatus{g},
			Routes: []monitor.Series{{Group: "main", Name: "/", MemoryGrowthBytes: grown, MemoryGrowthMaxBytes: growthMax}}}
	}
	for _, tt := range []struct {
		name string
		st   monitor.Status
		want int64
	}{
		{"one process never grew", status(200*mb, 600*mb, 230*mb, 15*mb, 220*mb), 15 * mb},
		{"every process grew", status(200*mb, 500*mb, 230*mb, 220*mb, 225*mb), 175 * mb / 3},
		{"growth charged twice: floor", status(20*mb, 600*mb, 40*mb, 40*mb), 8 * mb},
		{"nothing grew", status(0, 0, 30*mb, 32*mb), 30 * mb},
		{"no process", monitor.Status{}, 20 * mb},
		{"sampled by the monitor", func() monitor.Status {
			st := status(200*mb, 600*mb, 230*mb, 220*mb, 225*mb)
			st.Groups[0].MinProcessRSS = 14 * mb
			return st
		}(), 14 * mb},
	} {
		if got, _, _ := baseRSS(tt.st); got != tt.want {
			t.Errorf("%s: base %d MB, want %d MB", tt.name, got/mb, tt.want/mb)
		}
	}
}

func TestSizingHelpers(t *testing.T) {
	for _, tt := range []struct {
		L    float64
		want int
	}{{0, 1}, {0.1, 3}, {1, 5}, {4, 11}, {16, 29}} {
		if got := threadsFor(tt.L); got != tt.want {
			t.Errorf("threadsFor(%v) = %d, want %d", tt.L, got, tt.want)
		}
	}
	for _, tt := range []struct {
		loc, name string
		want      bool
	}{{"/admin", "/admin", true}, {"/admin", "/admin/", true}, {"/admin", "/adminx", false},
		{"/publications/article/", "/publications/article/", true}, {"/publications/article/", "/publications/", false}} {
		if got := covers(tt.loc, tt.name); got != tt.want {
			t.Errorf("covers(%q, %q) = %v", tt.loc, tt.name, got)
		}
	}
	for in, want := range map[string]string{"/": "/", "/admin": "/admin", "/admin/": "/admin", "/a/b/": "/a"} {
		if got := areaOf(in); got != want {
			t.Errorf("areaOf(%q) = %q, want %q", in, got, want)
		}
	}
}
