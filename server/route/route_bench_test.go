package route

import (
	"fmt"
	"testing"

	"github.com/appserver/appserver/server/config"
)

// benchConfig is a site with n <Location> sections: plain prefixes that
// pick process groups and set variables, plus a few regex and wildcard
// sections, under a WSGIScriptAlias of the whole site.
func benchConfig(t testing.TB, n int) *testConfig {
	main := mainServer("bench.test")
	main.Defaults.ProcessGroup = setting("main")
	main.Defaults.Env = env("newrelic.app_name", "Site (main);Site")
	main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/site/wsgi.py", false)}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/srv/site/wsgi.py").stat}
	for _, g := range []string{"main", "volume", "admin"} {
		c.Groups = append(c.Groups, group(g, ""))
	}
	for i := 0; len(main.Sections) < n; i++ {
		switch {
		case i%100 == 7:
			main.Sections = append(main.Sections, sec(t, config.SectionLocationMatch, fmt.Sprintf("^/r%d/[0-9]+$", i), &config.DirConf{ProcessGroup: setting("volume")}))
		case i%250 == 11:
			main.Sections = append(main.Sections, sec(t, config.SectionLocation, fmt.Sprintf("/w%d/*/edit", i), &config.DirConf{ProcessGroup: setting("admin")}))
		case i%2 == 0:
			main.Sections = append(main.Sections, sec(t, config.SectionLocation, fmt.Sprintf("/p%d", i/2), &config.DirConf{ProcessGroup: setting("volume"),
				Env: env("newrelic.app_name", fmt.Sprintf("Site (p%d);Site", i/2))}))
		default:
			main.Sections = append(main.Sections, sec(t, config.SectionLocation, fmt.Sprintf("/p%d/sub/", i/2), &config.DirConf{ProcessGroup: setting("admin")}))
		}
	}
	return c
}

// BenchmarkRoute1000Locations routes one request through a config with
// 1000 <Location> sections (the brief's budget is 2µs per request).
func BenchmarkRoute1000Locations(b *testing.B) {
	c := benchConfig(b, 1000)
	req := Request{Method: "GET", Target: "/p250/sub/page?x=1", Host: "bench.test", LocalIP: "127.0.0.1", LocalPort: 80}
	table := Compile(c.Config, Options{Stat: c.Stat})
	r := table.Route(req)
	if r.Status != 200 || r.ProcessGroup != "admin" || r.Env["newrelic.app_name"] != "Site (p250);Site" || r.ScriptName != "" || r.PathInfo != "/p250/sub/page" {
		b.Fatalf("unexpected route: %d %s %q %v %q %q", r.Status, r.Reason, r.ProcessGroup, r.Env, r.ScriptName, r.PathInfo)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		table.Route(req)
	}
}

// TestBenchConfigShape keeps the benchmark honest: the config has the
// section mix it claims, and the request really matches several sections.
func TestBenchConfigShape(t *testing.T) {
	c := benchConfig(t, 1000)
	kinds := map[int]int{}
	tables := Compile(c.Config, Options{Stat: c.Stat})
	for _, ls := range tables.main.locs.secs {
		kinds[ls.kind]++
	}
	if len(c.Main.Sections) != 1000 || kinds[locRegex] != 10 || kinds[locWild] != 4 {
		t.Fatalf("sections %d, kinds %v", len(c.Main.Sections), kinds)
	}
	ids := tables.main.locs.match(nil, "/p250/sub/page", "/p250/sub/page")
	if len(ids) != 2 {
		t.Errorf("matched %v, want /p250 and /p250/sub/", ids)
	}
}
