package main

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// weighted.lua replays advise.mix in its proportions, one URL per {n}.
func TestWeightedScript(t *testing.T) {
	t.Setenv("MIX", "advise.mix")
	var mu sync.Mutex
	count := map[string]int{}
	articles := map[string]bool{}
	total := 0
	runWrk(t, "weighted.lua", func(w http.ResponseWriter, r *http.Request) {
		kind := r.URL.Path
		if strings.HasPrefix(kind, "/publications/article/") {
			mu.Lock()
			articles[kind] = true
			mu.Unlock()
			kind = "article"
		}
		mu.Lock()
		count[kind]++
		total++
		mu.Unlock()
	})
	if total < 2000 {
		t.Fatalf("only %d requests", total)
	}
	for k, want := range map[string]float64{"/": 0.5, "article": 0.44, "/about": 0.058, "/admin/": 0.002} {
		if got := float64(count[k]) / float64(total); got < want*0.8-0.002 || got > want*1.2+0.002 {
			t.Errorf("%s: %.4f of %d requests, want %.3f", k, got, total, want)
		}
	}
	if len(articles) < 400 {
		t.Errorf("%d different articles, want 440", len(articles))
	}
}

// TestAdviseScenario runs the scenario script's short form (issue 13): the
// one-group demo under the mix, advise, the advised config under the same
// mix; the script fails unless the advice is the admin/volume split.
func TestAdviseScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("two 20 s load phases; skipped with -short")
	}
	// CI (APPSERVER_REQUIRE_APACHE=1) installs the tools: there a missing
	// one fails the test instead of skipping it.
	missing := t.Skipf
	if os.Getenv("APPSERVER_REQUIRE_APACHE") == "1" {
		missing = t.Fatalf
	}
	for _, tool := range []string{"wrk", "jq", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing("%s is not installed", tool)
		}
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		missing("/usr/bin/python3 is missing")
	}
	cmd := exec.Command("bash", "advise-scenario.sh", "--short")
	cmd.Env = append(os.Environ(), "OUT="+t.TempDir(), "PORT=28392")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "total RSS -") {
		t.Errorf("no memory saved:\n%s", out)
	}
}
