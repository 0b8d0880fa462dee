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
