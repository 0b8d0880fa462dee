package route

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/load"
)

// TestMergeOrderTable covers httpd's section merge order (Directory,
// DirectoryMatch, Files, Location), verified against Apache 2.4 (<If> is
// out of scope: Load
// discards <If> sections).
func TestMergeOrderTable(t *testing.T) {
	t.Run("locations in file order, last wins", func(t *testing.T) {
		main := mainServer("main.test")
		main.Defaults.Env = env("ORDER", "s")
		main.Sections = []*config.Section{
			sec(t, config.SectionLocation, "/a", &config.DirConf{Env: env("ORDER", "a")}),
			sec(t, config.SectionLocationMatch, "^/a/b", &config.DirConf{Env: env("ORDER", "m")}),
			sec(t, config.SectionLocation, "/a/b", &config.DirConf{Env: env("ORDER", "ab")}),
		}
		c := &config.Config{Main: main}
		for target, want := range map[string]string{"/a/b": "ab", "/a/bc": "m", "/a": "a", "/z": "s"} {
			if got := get(c, target, "", 80).Env["ORDER"]; got != want {
				t.Errorf("%s: ORDER=%q, want %q", target, got, want)
			}
		}
	})
	t.Run("location beats directory regardless of file order", func(t *testing.T) {
		main := mainServer("main.test")
		main.Sections = []*config.Section{
			sec(t, config.SectionLocation, "/", &config.DirConf{Env: env("ORD2", "loc")}),
			sec(t, config.SectionDirectory, "/tmp/aptest", &config.DirConf{Env: env("ORD2", "dir")}),
		}
		main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/s", "/tmp/aptest/app.wsgi", false)}
		c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/tmp/aptest/app.wsgi").stat}
		if got := get(c, "/s", "", 80).Env["ORD2"]; got != "loc" {
			t.Errorf("ORD2=%q, want loc", got)
		}
	})
	t.Run("main-server section beats vhost top level", func(t *testing.T) {
		main := mainServer("main.test")
		main.Sections = []*config.Section{
			sec(t, config.SectionLocation, "/admin", &config.DirConf{Env: env("X", "main-location", "VLOC", "main")}),
		}
		b := vhost(main, "b.test", addr("*:80"))
		b.Defaults = config.MergeDirConf(main.Defaults, &config.DirConf{Env: env("X", "vhost-toplevel")})
		b.Sections = []*config.Section{sec(t, config.SectionLocation, "/admin", &config.DirConf{Env: env("VLOC", "b")})}
		c := &config.Config{Main: main, VHosts: []*config.VHost{b}}
		r := get(c, "/admin", "b.test", 80)
		if r.Env["X"] != "main-location" || r.Env["VLOC"] != "b" {
			t.Errorf("env = %v, want X=main-location VLOC=b", r.Env)
		}
		if r := get(c, "/other", "b.test", 80); r.Env["X"] != "vhost-toplevel" {
			t.Errorf("/other env = %v", r.Env)
		}
	})
	t.Run("process group by location", func(t *testing.T) {
		main := mainServer("main.test")
		main.Defaults.ProcessGroup = setting("main")
		main.Sections = []*config.Section{sec(t, config.SectionLocation, "/other", &config.DirConf{ProcessGroup: setting("other")})}
		main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/app.wsgi", false)}
		c := &testConfig{Config: &config.Config{Main: main, Groups: []*config.Group{group("main", ""), group("other", "")}}, Stat: newFakeFS("/srv/app.wsgi").stat}
		for target, want := range map[string]string{"/other": "other", "/other/x": "other", "/": "main", "/otherx": "main"} {
			r := get(c, target, "", 80)
			if r.Status != 200 || r.ProcessGroup != want || r.Group == nil || r.Group.Spec.Name != want {
				t.Errorf("%s: %d %s group %q, want %q", target, r.Status, r.Reason, r.ProcessGroup, want)
			}
		}
	})
}

// TestDirectoryMergeOrder: Directory sections merge shortest first, regex
// ones after, then Files (server level, then nested), then Locations.
func TestDirectoryMergeOrder(t *testing.T) {
	main := mainServer("main.test")
	main.Sections = []*config.Section{
		sec(t, config.SectionLocation, "/", &config.DirConf{Env: env("L", "loc")}),
		sec(t, config.SectionDirectoryMatch, "^/srv/", &config.DirConf{Env: env("D", "regex", "R", "1")}),
		sec(t, config.SectionDirectory, "/srv/app", &config.DirConf{Env: env("D", "srv-app")}),
		sec(t, config.SectionDirectory, "/srv", &config.DirConf{Env: env("D", "srv", "S", "1")}),
		sec(t, config.SectionDirectory, "/", &config.DirConf{Env: env("D", "root", "ROOT", "1", "L", "dir")}),
		sec(t, config.SectionFiles, "*.wsgi", &config.DirConf{Env: env("F", "server-files")}),
		sec(t, config.SectionDirectory, "/srv/*", &config.DirConf{Env: env("W", "wild")}),
		sec(t, config.SectionDirectory, "/srv/app/missing", &config.DirConf{Env: env("MISSING", "1")}),
	}
	main.Sections[3].Nested = []*config.Section{sec(t, config.SectionFiles, "app.wsgi", &config.DirConf{Env: env("F", "nested")})}
	main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/app/", false)}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/srv/app/app.wsgi").stat}
	r := get(c, "/app.wsgi/x", "", 80)
	want := map[string]string{"D": "regex", "R": "1", "S": "1", "ROOT": "1", "L": "loc", "F": "nested", "W": "wild"}
	if fmt.Sprint(r.Env) != fmt.Sprint(want) {
		t.Errorf("env = %v\nwant  %v", r.Env, want)
	}
	if r.ScriptName != "/app.wsgi" || r.PathInfo != "/x" {
		t.Errorf("split %q %q", r.ScriptName, r.PathInfo)
	}
}

// TestDirectoryMatchSeesFile: <DirectoryMatch> is tested against the
// walked file name, named groups included (observed on Apache 2.4.71:
// "probe_app" matched the script, "^/srv/shared/ref$" and ".../ref/$" did
// not).
func TestDirectoryMatchSeesFile(t *testing.T) {
	main := mainServer("127.0.0.1")
	main.Sections = []*config.Section{
		sec(t, config.SectionDirectoryMatch, "probe_app", &config.DirConf{Env: env("DM_FILE", "1")}),
		sec(t, config.SectionDirectoryMatch, "^/srv/shared/ref$", &config.DirConf{Env: env("DM_NOSLASH", "1")}),
		sec(t, config.SectionDirectoryMatch, "^/srv/shared/ref/$", &config.DirConf{Env: env("DM_SLASH", "1")}),
		sec(t, config.SectionDirectoryMatch, "^/srv/shared/re(?<x>f)", &config.DirConf{Env: env("DM_PREFIX", "1")}),
		sec(t, config.SectionFiles, "probe_app.py", &config.DirConf{Env: env("FILES_HIT", "1")}),
	}
	main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/a", "/srv/shared/ref/probe_app.py", false)}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/srv/shared/ref/probe_app.py").stat}
	r := get(c, "/a/x", "127.0.0.1:28531", 28531)
	want := map[string]string{"DM_FILE": "1", "DM_PREFIX": "1", "FILES_HIT": "1", "MATCH_X": "f"}
	if fmt.Sprint(r.Env) != fmt.Sprint(want) {
		t.Errorf("env = %v, want %v", r.Env, want)
	}
}

func TestModEnvMerge(t *testing.T) {
	main := mainServer("main.test")
	main.Defaults.Env = []config.EnvOp{
		{Op: "set", Name: "KEEP", Value: "server"},
		{Op: "set", Name: "GONE", Value: "server"},
		{Op: "pass", Name: "PASSED", Value: "from-env"},
		{Op: "set", Name: "newrelic.app_name", Value: "My Site (main);My Site"},
	}
	main.Sections = []*config.Section{
		sec(t, config.SectionLocation, "/x", &config.DirConf{Env: []config.EnvOp{
			{Op: "unset", Name: "GONE"},
			{Op: "set", Name: "LATE", Value: "1"},
			{Op: "unset", Name: "LATE"},
			{Op: "unset", Name: "BACK"},
			{Op: "set", Name: "BACK", Value: "again"},
		}}),
	}
	r := get(&config.Config{Main: main}, "/x", "", 80)
	want := map[string]string{"KEEP": "server", "PASSED": "from-env", "BACK": "again", "newrelic.app_name": "My Site (main);My Site"}
	if fmt.Sprint(r.Env) != fmt.Sprint(want) {
		t.Errorf("env = %v, want %v", r.Env, want)
	}
}

// scriptFS is the file system of the §3.4 lab: a script file and a
// directory of scripts.
func scriptFS() fakeFS {
	return newFakeFS("/srv/env.wsgi", "/srv/dir/bar", "/srv/dir/foo.wsgi", "/srv/dir/sub/")
}

// TestScriptNamePathInfoTable covers SCRIPT_NAME/PATH_INFO as observed
// with mod_wsgi 4.9.4.
func TestScriptNamePathInfoTable(t *testing.T) {
	main := mainServer("localhost")
	main.ScriptAliases = []*config.ScriptAlias{
		scriptAlias(t, "/app", "/srv/env.wsgi", false),
		scriptAlias(t, "/slash/", "/srv/env.wsgi", false),
		scriptAlias(t, "/d/", "/srv/dir/", false),
		scriptAlias(t, "^/m/([^/]+)", "/srv/dir/$1.wsgi", true),
		scriptAlias(t, "^/mm/[^/]+", "/srv/env.wsgi", true),
	}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: scriptFS().stat}
	rootMain := mainServer("localhost")
	rootMain.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/env.wsgi", false)}
	root := &testConfig{Config: &config.Config{Main: rootMain}, Stat: scriptFS().stat}

	tests := []struct {
		c          *testConfig
		target     string
		status     int
		scriptName string
		pathInfo   string
		script     string
	}{
		{c, "/app", 200, "/app", "", "/srv/env.wsgi"},
		{c, "/app/", 200, "/app", "/", "/srv/env.wsgi"},
		{c, "/app/x/y", 200, "/app", "/x/y", "/srv/env.wsgi"},
		{c, "/app//x///y", 200, "/app", "/x/y", "/srv/env.wsgi"},
		{c, "/application", 404, "", "", ""},
		{c, "/APP/x", 404, "", "", ""},
		{c, "/app/a%2Fb", 404, "", "", ""},
		{c, "/slash", 404, "", "", ""},
		{c, "/slash/", 200, "/slash/", "", "/srv/env.wsgi"},
		{c, "/slash/z", 404, "", "", ""},
		{c, "/d/bar", 200, "/d/bar", "", "/srv/dir/bar"},
		{c, "/d/bar/extra", 200, "/d/bar", "/extra", "/srv/dir/bar"},
		{c, "/d/nothere/extra", 404, "", "", ""},
		{c, "/d/sub/", 403, "", "", ""},
		{c, "/m/foo/p/q", 200, "/m/foo", "/p/q", "/srv/dir/foo.wsgi"},
		{c, "/mm/abc/p", 200, "/mm/abc", "/p", "/srv/env.wsgi"},
		{root, "/zz", 200, "", "/zz", "/srv/env.wsgi"},
		{root, "/", 200, "", "/", "/srv/env.wsgi"},
		{root, "//zz//y", 200, "", "/zz/y", "/srv/env.wsgi"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := get(tt.c, tt.target, "localhost", 80)
			if r.Status != tt.status {
				t.Fatalf("status %d (%s), want %d", r.Status, r.Reason, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if r.Handler != "wsgi" || r.ScriptName != tt.scriptName || r.PathInfo != tt.pathInfo || r.Script != tt.script {
				t.Errorf("got %s SCRIPT_NAME=%q PATH_INFO=%q script=%q, want %q %q %q",
					r.Handler, r.ScriptName, r.PathInfo, r.Script, tt.scriptName, tt.pathInfo, tt.script)
			}
		})
	}
}

func TestFindPathInfo(t *testing.T) {
	tests := []struct {
		uri, pathInfo string
		want          int
	}{
		{"/app/x/y", "/x/y", 4},
		{"/app//x///y", "/x/y", 4},
		{"/app//x///y", "/x///y", 7}, // as ap_find_path_info computes it
		{"/app/", "/", 4},
		{"/zz", "/zz", 0},
		{"/d/bar/extra", "/extra", 6},
		{"/a/b", "/nomatch", 4},
		{"", "/x", 0},
	}
	for _, tt := range tests {
		if got := findPathInfo(tt.uri, tt.pathInfo); got != tt.want {
			t.Errorf("findPathInfo(%q, %q) = %d, want %d", tt.uri, tt.pathInfo, got, tt.want)
		}
	}
}

// TestMissingScriptTreatedAsFile: a WSGIScriptAlias target that does not
// exist on this host is taken to be a file, so routes can explain a config
// away from its server.
func TestMissingScriptTreatedAsFile(t *testing.T) {
	main := mainServer("site.test")
	main.ScriptAliases = []*config.ScriptAlias{
		scriptAlias(t, "/app", "/nowhere/site/wsgi.py", false),
		scriptAlias(t, "/scripts/", "/nowhere/scripts/", false),
	}
	main.Sections = []*config.Section{sec(t, config.SectionDirectory, "/nowhere/site", &config.DirConf{Env: env("DIR", "1")})}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS().stat}
	r := get(c, "/app/x", "site.test", 80)
	if r.Status != 200 || r.ScriptName != "/app" || r.PathInfo != "/x" || r.Script != "/nowhere/site/wsgi.py" || r.Env["DIR"] != "1" {
		t.Errorf("got %d %s %q %q %q env %v", r.Status, r.Reason, r.ScriptName, r.PathInfo, r.Script, r.Env)
	}
	r = get(c, "/scripts/a.wsgi/p", "site.test", 80)
	if r.Status != 200 || r.ScriptName != "/scripts/a.wsgi" || r.PathInfo != "/p" {
		t.Errorf("dir target: got %d %s %q %q", r.Status, r.Reason, r.ScriptName, r.PathInfo)
	}
	// A script whose folder exists is really missing: Apache's 404.
	c.Stat = newFakeFS("/nowhere/site/").stat
	if r := get(c, "/app/x", "site.test", 80); r.Status != 404 || r.Reason != "Target WSGI script not found or unable to stat: /nowhere/site/wsgi.py" {
		t.Errorf("missing script in existing folder: %d %q", r.Status, r.Reason)
	}
	// When the target exists the real walk decides: a missing file is 404.
	c.Stat = newFakeFS("/nowhere/site/wsgi.py").stat
	main.ScriptAliases[0].URL = "/app/"
	if r := get(c, "/app/z", "site.test", 80); r.Status != 404 {
		t.Errorf("existing target, missing file: status %d", r.Status)
	}
}

// TestApplicationGroupNaming covers %{RESOURCE} and friends with the
// results observed on Apache 2.4.71 + mod_wsgi 4.9.4 (the port is the Host
// header's, else the server's ServerName port, else 80; 80 and 443 are
// dropped; the listener port is never used).
func TestApplicationGroupNaming(t *testing.T) {
	main := mainServer("127.0.0.1")
	main.ScriptAliases = []*config.ScriptAlias{
		scriptAlias(t, "/a", "/srv/env.wsgi", false),
		scriptAlias(t, "/UP", "/srv/env.wsgi", false),
		scriptAlias(t, "/", "/srv/env.wsgi", false),
	}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: scriptFS().stat}

	v1 := vhost(main, "v1.test", addr("*:28532"))
	v1.Port = 8081
	v1.ScriptAliases = []*config.ScriptAlias{
		scriptAlias(t, "/a", "/srv/env.wsgi", false),
		scriptAlias(t, "/g", "/srv/env.wsgi", false),
	}
	v1.ScriptAliases[1].ProcessGroup = strp("gv1")
	v2 := vhost(main, "v2.test", addr("*:28532"))
	v2.Aliases = []string{"*.v2.test"}
	v2.ScriptAliases = []*config.ScriptAlias{
		scriptAlias(t, "/a", "/srv/env.wsgi", false),
		scriptAlias(t, "/g", "/srv/env.wsgi", false),
		scriptAlias(t, "/h", "/srv/env.wsgi", false),
	}
	v2.ScriptAliases[0].ApplicationGroup = strp("%{SERVER}")
	v2.ScriptAliases[1].ProcessGroup = strp("gv1")
	v2.ScriptAliases[2].ApplicationGroup = strp("%{HOST}")
	v3 := vhost(main, "", addr("*:28532"))
	v3.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/a", "/srv/env.wsgi", false)}
	v3.ScriptAliases[0].ApplicationGroup = strp("%{HOST}")
	vc := &testConfig{Config: &config.Config{Main: mainServer("127.0.0.1"), VHosts: []*config.VHost{v1, v2, v3}, Groups: []*config.Group{group("gv1", "v1.test")}}, Stat: scriptFS().stat}
	vc.Main.ScriptAliases = main.ScriptAliases

	tests := []struct {
		name   string
		c      *testConfig
		req    Request
		status int
		group  string
		app    string
	}{
		{"host with port", c, Request{Target: "/a/x", Host: "127.0.0.1:28531", LocalPort: 28531}, 200, "", "127.0.0.1:28531|/a"},
		{"host without port", c, Request{Target: "/a/x", Host: "foo", LocalPort: 28531}, 200, "", "127.0.0.1|/a"},
		{"host port 80", c, Request{Target: "/a/x", Host: "foo:80", LocalPort: 28531}, 200, "", "127.0.0.1|/a"},
		{"host port 443", c, Request{Target: "/a/x", Host: "foo:443", LocalPort: 28531}, 200, "", "127.0.0.1|/a"},
		{"host port 8080", c, Request{Target: "/a/x", Host: "foo:8080", LocalPort: 28531}, 200, "", "127.0.0.1:8080|/a"},
		{"no host", c, Request{Target: "/a/x", LocalPort: 28531}, 200, "", "127.0.0.1|/a"},
		{"absolute with port", c, Request{Target: "http://x.test:9090/a/x", Host: "127.0.0.1:28531", LocalPort: 28531}, 200, "", "127.0.0.1:9090|/a"},
		{"absolute without port", c, Request{Target: "http://x.test/a/x", Host: "127.0.0.1:28531", LocalPort: 28531}, 200, "", "127.0.0.1|/a"},
		{"script name lower-cased", c, Request{Target: "/UP/x", Host: "127.0.0.1:28531", LocalPort: 28531}, 200, "", "127.0.0.1:28531|/up"},
		{"root mount", c, Request{Target: "/st/x", Host: "127.0.0.1:28531", LocalPort: 28531}, 200, "", "127.0.0.1:28531|"},
		{"ServerName port", vc, Request{Target: "/a/x", Host: "v1.test", LocalPort: 28532}, 200, "", "v1.test:8081|/a"},
		{"Host port beats ServerName port", vc, Request{Target: "/a/x", Host: "v1.test:9", LocalPort: 28532}, 200, "", "v1.test:9|/a"},
		{"trailing dot and case", vc, Request{Target: "/a/x", Host: "V1.TEST.", LocalPort: 28532}, 200, "", "v1.test:8081|/a"},
		{"%{SERVER}", vc, Request{Target: "/a/x", Host: "v2.test", LocalPort: 28532}, 200, "", "v2.test"},
		{"%{SERVER} via alias", vc, Request{Target: "/a/x", Host: "x.v2.test:8080", LocalPort: 28532}, 200, "", "v2.test:8080"},
		{"no ServerName: main name, address port", vc, Request{Target: "/a/x", Host: "127.0.0.1", LocalPort: 28532}, 200, "", "127.0.0.1:28532"},
		{"%{HOST}", vc, Request{Target: "/h", Host: "Q.V2.test:77", LocalPort: 28532}, 200, "", "q.v2.test:77"},
		{"unmatched host: first vhost", vc, Request{Target: "/a/x", Host: "nomatch", LocalPort: 28532}, 200, "", "v1.test:8081|/a"},
		{"ipv6 host port 80", vc, Request{Target: "/a/x", Host: "[::1]:80", LocalPort: 28532}, 200, "", "v1.test|/a"},
		{"group of another vhost", vc, Request{Target: "/g", Host: "v2.test", LocalPort: 28532}, 500, "gv1", ""},
		{"group of own vhost", vc, Request{Target: "/g", Host: "v1.test", LocalPort: 28532}, 200, "gv1", "v1.test:8081|/g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.Route(tt.req)
			if r.Status != tt.status || r.ProcessGroup != tt.group || (tt.status == 200 && r.ApplicationGroup != tt.app) {
				t.Errorf("got %d %q group %q app %q, want %d group %q app %q", r.Status, r.Reason, r.ProcessGroup, r.ApplicationGroup, tt.status, tt.group, tt.app)
			}
		})
	}
}

func TestGroupExpansion(t *testing.T) {
	g := groupContext{serverName: "site.test", port: 8080, hostname: "www.site.test", uri: "/App//x/y", pathInfo: "/y",
		env: map[string]string{"PG": "met", "INDIRECT": "%{SERVER}", "LOOP": "%{ENV:PG}", "PCT": "%odd"}}
	tests := []struct {
		in, want string
	}{
		{"literal", "literal"},
		{"%{GLOBAL}", ""},
		{"%{RESOURCE}", "site.test:8080|/app/x"},
		{"%{SERVER}", "site.test:8080"},
		{"%{HOST}", "www.site.test:8080"},
		{"%{ENV:PG}", "met"},
		{"%{ENV:INDIRECT}", "site.test:8080"},
		{"%{ENV:LOOP}", "%{ENV:PG}"},
		{"%{ENV:PCT}", "%odd"},
		{"%{ENV:UNSET_VARIABLE_FOR_TEST}", "%{ENV:UNSET_VARIABLE_FOR_TEST}"},
		{"%{ENV:PG", "%{ENV:PG"},
		{"%{UNKNOWN}", "%{UNKNOWN}"},
		{"%", "%"},
	}
	for _, tt := range tests {
		if got := g.expandGroup(tt.in); got != tt.want {
			t.Errorf("expandGroup(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	callables := []struct {
		in   string
		want string
	}{
		{"app", "app"},
		{"%{ENV:PG}", "met"},
		{"%{ENV:UNSET_VARIABLE_FOR_TEST}", "application"},
		{"%{SERVER}", "application"},
		{"%", "application"},
	}
	for _, tt := range callables {
		if got := g.callableObject(tt.in); got != tt.want {
			t.Errorf("callableObject(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	noHost := groupContext{serverName: "site.test", port: 443, uri: "/"}
	if got := noHost.host(); got != "site.test" {
		t.Errorf("%%{HOST} without Host = %q", got)
	}
	if got := noHost.resource(); got != "site.test|/" {
		t.Errorf("default application group = %q", got)
	}
}

// TestWSGIProcessGroupRules covers §3.2: alias options win over sections,
// %{ENV:}, unknown groups, WSGIRestrictProcess and WSGIRestrictEmbedded.
func TestWSGIProcessGroupRules(t *testing.T) {
	mk := func() (*testConfig, *config.VHost) {
		main := mainServer("127.0.0.1")
		main.Defaults.ProcessGroup = setting("app")
		main.ScriptAliases = []*config.ScriptAlias{
			scriptAlias(t, "/app", "/srv/env.wsgi", false),
			scriptAlias(t, "/other", "/srv/env.wsgi", false),
			scriptAlias(t, "/opt", "/srv/env.wsgi", false),
		}
		opt := main.ScriptAliases[2]
		opt.ProcessGroup, opt.ApplicationGroup = strp("other"), strp("optgroup")
		opt.CallableObject, opt.PassAuthorization = strp("%{ENV:NOT_EXPANDED}"), boolp(true)
		main.Sections = []*config.Section{
			sec(t, config.SectionLocation, "/app", &config.DirConf{ApplicationGroup: setting("%{GLOBAL}"), Env: env("which", "app")}),
			sec(t, config.SectionLocation, "/other", &config.DirConf{ProcessGroup: setting("other"), Env: env("which", "other")}),
			sec(t, config.SectionLocation, "/opt/x", &config.DirConf{ProcessGroup: setting("app"), ApplicationGroup: setting("%{GLOBAL}"),
				CallableObject: setting("handler"), PassAuthorization: boolp(false), Env: env("which", "opt-x")}),
		}
		return &testConfig{Config: &config.Config{Main: main, Groups: []*config.Group{group("app", ""), group("other", "")}}, Stat: scriptFS().stat}, main
	}
	// The cases/mount.conf of the reference scripts.
	c, _ := mk()
	tests := []struct {
		target, group, app, callable string
		auth                         bool
	}{
		{"/app/x", "app", "", "application", false},
		{"/other/y", "other", "127.0.0.1|/other", "application", false},
		{"/opt", "other", "optgroup", "%{ENV:NOT_EXPANDED}", true},
		{"/opt/x", "other", "optgroup", "%{ENV:NOT_EXPANDED}", true},
		{"/opt/xy", "other", "optgroup", "%{ENV:NOT_EXPANDED}", true},
	}
	for _, tt := range tests {
		r := get(c, tt.target, "", 80)
		if r.Status != 200 || r.ProcessGroup != tt.group || r.ApplicationGroup != tt.app || r.CallableObject != tt.callable || r.PassAuthorization != tt.auth {
			t.Errorf("%s: %d %s group %q app %q callable %q auth %v", tt.target, r.Status, r.Reason, r.ProcessGroup, r.ApplicationGroup, r.CallableObject, r.PassAuthorization)
		}
	}

	t.Run("env group", func(t *testing.T) {
		c, main := mk()
		main.Defaults.ProcessGroup = setting("%{ENV:PGROUP}")
		main.Defaults.Env = env("PGROUP", "other")
		if r := get(c, "/app", "", 80); r.ProcessGroup != "other" || r.Status != 200 {
			t.Errorf("got %d %s %q", r.Status, r.Reason, r.ProcessGroup)
		}
	})
	t.Run("unset env group is literal", func(t *testing.T) {
		c, main := mk()
		main.Defaults.ProcessGroup = setting("%{ENV:UNSET_VARIABLE_FOR_TEST}")
		r := get(c, "/app", "", 80)
		want := "No WSGI daemon process called '%{ENV:UNSET_VARIABLE_FOR_TEST}' has been configured: /srv/env.wsgi"
		if r.Status != 500 || r.Reason != want {
			t.Errorf("got %d %q", r.Status, r.Reason)
		}
	})
	t.Run("restrict process", func(t *testing.T) {
		c, main := mk()
		main.Defaults.RestrictProcess = []string{"other", "%{GLOBAL}"}
		if r := get(c, "/other", "", 80); r.Status != 200 {
			t.Errorf("allowed group: %d %s", r.Status, r.Reason)
		}
		r := get(c, "/app", "", 80)
		if r.Status != 500 || !strings.Contains(r.Reason, "cannot be accessed by this WSGI application as not a member of allowed groups") {
			t.Errorf("restricted group: %d %s", r.Status, r.Reason)
		}
		main.Defaults.ProcessGroup = setting("%{GLOBAL}")
		if r := get(c, "/app", "", 80); r.Status != 200 || r.ProcessGroup != "" {
			t.Errorf("embedded allowed by %%{GLOBAL}: %d %s", r.Status, r.Reason)
		}
	})
	t.Run("restrict embedded", func(t *testing.T) {
		c, main := mk()
		main.Defaults.ProcessGroup = nil
		c.RestrictEmbedded = true
		r := get(c, "/app", "", 80)
		if r.Status != 500 || r.Reason != "Embedded mode of mod_wsgi disabled by runtime configuration: /srv/env.wsgi" {
			t.Errorf("got %d %q", r.Status, r.Reason)
		}
		c2, main2 := mk()
		main2.Defaults.ProcessGroup = nil
		if r := get(c2, "/app", "", 80); r.Status != 200 || r.ProcessGroup != "" || r.Group != nil {
			t.Errorf("embedded: %d %s", r.Status, r.Reason)
		}
	})
}

// TestHandlers covers how the handler is chosen: aliases, SetHandler (None
// overrides nothing, as observed), AddHandler, ExecCGI, Require, and the
// DocumentRoot fallback.
func TestHandlers(t *testing.T) {
	mk := func() (*testConfig, *config.VHost) {
		main := mainServer("main.test")
		main.DocumentRoot = "/var/www"
		main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/env.wsgi", false)}
		main.FileAliases = []*config.Alias{{URL: "/static/", Target: "/srv/static/", Kind: "alias"}}
		re, _ := config.CompileRegexp("^/icons/(.*)")
		main.FileAliases = append(main.FileAliases, &config.Alias{URL: "^/icons/(.*)", Regex: re, Target: "/usr/share/icons/$1", Kind: "aliasmatch"})
		main.Sections = []*config.Section{
			sec(t, config.SectionLocation, "/server-status", &config.DirConf{Handler: setting("server-status")}),
			sec(t, config.SectionLocation, "/st", &config.DirConf{Handler: setting("None")}),
			sec(t, config.SectionDirectory, "/", &config.DirConf{Require: "denied"}),
			sec(t, config.SectionDirectory, "/srv", &config.DirConf{Require: "granted"}),
			sec(t, config.SectionDirectory, "/var/www", &config.DirConf{Require: "granted"}),
			sec(t, config.SectionDirectory, "/usr/share/icons", &config.DirConf{Require: "granted"}),
			sec(t, config.SectionLocation, "/private", &config.DirConf{Require: "denied"}),
		}
		fs := newFakeFS("/srv/env.wsgi", "/srv/static/a.css", "/var/www/index.html", "/var/www/cgi/run.wsgi", "/usr/share/icons/x.png", "/srv/other.py")
		return &testConfig{Config: &config.Config{Main: main}, Stat: fs.stat}, main
	}
	tests := []struct {
		name    string
		setup   func(*config.VHost)
		target  string
		status  int
		handler Handler
		file    string
	}{
		{"script alias", nil, "/x", 200, "wsgi", ""},
		{"set handler server-status", nil, "/server-status", 200, HandlerStatus, ""},
		{"set handler none keeps wsgi", nil, "/st/x", 200, "wsgi", ""},
		{"alias is static", nil, "/static/a.css", 200, "static", "/srv/static/a.css"},
		{"aliasmatch is static", nil, "/icons/x.png", 200, "static", "/usr/share/icons/x.png"},
		{"alias outside granted dirs", func(m *config.VHost) {
			m.FileAliases = append([]*config.Alias{{URL: "/etc", Target: "/etc", Kind: "alias"}}, m.FileAliases...)
		}, "/etc/passwd", 403, "static", "/etc/passwd"},
		{"require denied in location", nil, "/private", 403, "wsgi", ""},
		{"docroot static", func(m *config.VHost) { m.ScriptAliases = nil }, "/index.html", 200, "static", "/var/www/index.html"},
		{"no docroot", func(m *config.VHost) { m.ScriptAliases, m.DocumentRoot = nil, "" }, "/index.html", 404, "none", ""},
		{"no docroot but set handler", func(m *config.VHost) { m.ScriptAliases, m.DocumentRoot = nil, "" }, "/server-status", 200, HandlerStatus, ""},
		{"directory denied", func(m *config.VHost) {
			m.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/opt/app.wsgi", false)}
		}, "/x", 403, "wsgi", ""},
		{"set handler wsgi-script without ExecCGI", func(m *config.VHost) {
			m.ScriptAliases = nil
			m.Sections = append(m.Sections, sec(t, config.SectionDirectory, "/var/www/cgi", &config.DirConf{Handler: setting("wsgi-script")}))
		}, "/cgi/run.wsgi/p", 403, "wsgi", ""},
		{"set handler wsgi-script with ExecCGI", func(m *config.VHost) {
			m.ScriptAliases = nil
			m.Sections = append(m.Sections, sec(t, config.SectionDirectory, "/var/www/cgi", &config.DirConf{Handler: setting("wsgi-script"), Options: []string{"ExecCGI"}}))
		}, "/cgi/run.wsgi/p", 200, "wsgi", ""},
		{"add handler with ExecCGI", func(m *config.VHost) {
			m.ScriptAliases = nil
			m.Sections = append(m.Sections, sec(t, config.SectionDirectory, "/var/www/cgi", &config.DirConf{AddHandlers: map[string]string{"wsgi": "wsgi-script"}, Options: []string{"+ExecCGI"}}))
		}, "/cgi/run.wsgi", 200, "wsgi", ""},
		{"add handler other extension", func(m *config.VHost) {
			m.ScriptAliases = nil
			m.Sections = append(m.Sections, sec(t, config.SectionDirectory, "/var/www/cgi", &config.DirConf{AddHandlers: map[string]string{"py": "wsgi-script"}, Options: []string{"ExecCGI"}}))
		}, "/cgi/run.wsgi", 200, "static", "/var/www/cgi/run.wsgi"},
		{"set handler wsgi-script on missing file", func(m *config.VHost) {
			m.ScriptAliases = nil
			m.Sections = append(m.Sections, sec(t, config.SectionDirectory, "/var/www", &config.DirConf{Handler: setting("wsgi-script"), Options: []string{"ExecCGI"}}))
		}, "/nothere.wsgi", 404, "wsgi", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, main := mk()
			if tt.setup != nil {
				tt.setup(main)
			}
			r := get(c, tt.target, "main.test", 80)
			if r.Status != tt.status || r.Handler != tt.handler || r.File != tt.file {
				t.Errorf("got %d %q handler %q file %q, want %d %q %q", r.Status, r.Reason, r.Handler, r.File, tt.status, tt.handler, tt.file)
			}
		})
	}
}

func TestOptionsStar(t *testing.T) {
	c := &testConfig{Config: &config.Config{Main: mainServer("main.test")}}
	if r := c.Route(Request{Method: "OPTIONS", Target: "*"}); r.Status != 200 {
		t.Errorf("OPTIONS *: %d %s", r.Status, r.Reason)
	}
	if r := c.Route(Request{Method: "GET", Target: "*"}); r.Status != 400 {
		t.Errorf("GET *: %d", r.Status)
	}
}

// TestRouteConcurrent routes from many goroutines at once on a fresh
// Config (the tables are built on first use); run with -race.
func TestRouteConcurrent(t *testing.T) {
	c := benchConfig(t, 200)
	var wg sync.WaitGroup
	results := make([]string, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var keys []string
			for j := 0; j < 50; j++ {
				r := get(c, "/p17/sub/page", "bench.test", 80)
				keys = append(keys, r.ProcessGroup)
			}
			sort.Strings(keys)
			results[i] = strings.Join(keys[:1], ",")
		}(i)
	}
	wg.Wait()
	for _, r := range results {
		if r != results[0] || r == "" {
			t.Fatalf("results differ or empty: %v", results)
		}
	}
}

// TestRouteNeverPanics feeds odd inputs through Route.
func TestRouteNeverPanics(t *testing.T) {
	c := benchConfig(t, 20)
	targets := []string{"", "/", "%", "/%", "/%2", "?", "/?", "http://", "http://[", "http://[::1", "http://a:99999999999999999999/",
		"/..", "/../..", "/.%2e/.%2e", "\x00", "/\x00", "*", "//", "///..", "/%2f%2f", "http://x.test", "HTTPS://X/"}
	hosts := []string{"", ":", "[", "[]", "[::1]:", "a:b:c", ".", "..", "a.", "\xff", "%", "1.2.3.4.5"}
	for _, tg := range targets {
		for _, h := range hosts {
			for _, ip := range []string{"", "::1", "bogus", "[::1]"} {
				r := c.Route(Request{Target: tg, Host: h, LocalIP: ip})
				if r == nil || r.Status == 0 {
					t.Fatalf("Route(%q, %q) = %+v", tg, h, r)
				}
			}
		}
	}
}

// TestEnvMergePerWalk: each walk (directories, files, locations) merges
// its sections with each other first, so an UnsetEnv only removes an
// earlier variable when its section is the walk's only one with mod_env
// directives. Expectations observed on Apache 2.4.71.
func TestEnvMergePerWalk(t *testing.T) {
	mk := func(secondDir bool) *testConfig {
		main := mainServer("127.0.0.1")
		main.Defaults.Env = env("KEEP", "server")
		main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/shared/ref/probe_app.py", false)}
		main.Sections = []*config.Section{
			sec(t, config.SectionLocation, "/a", &config.DirConf{Env: []config.EnvOp{{Op: "unset", Name: "KEEP"}}}),
			sec(t, config.SectionLocation, "/b", &config.DirConf{Env: env("X", "1")}),
			sec(t, config.SectionLocation, "/b", &config.DirConf{Env: []config.EnvOp{{Op: "unset", Name: "KEEP"}}}),
			sec(t, config.SectionLocation, "/c", &config.DirConf{Env: []config.EnvOp{{Op: "unset", Name: "KEEP"}}}),
			sec(t, config.SectionLocation, "/c", &config.DirConf{Env: env("X", "1")}),
			sec(t, config.SectionLocation, "/d", &config.DirConf{Env: env("KEEP", "d1")}),
			sec(t, config.SectionLocation, "/d", &config.DirConf{Env: []config.EnvOp{{Op: "unset", Name: "KEEP"}, {Op: "set", Name: "Y", Value: "1"}}}),
			// Sections without mod_env directives do not count.
			sec(t, config.SectionDirectory, "/", &config.DirConf{Require: "denied"}),
			sec(t, config.SectionDirectory, "/srv/shared", &config.DirConf{Env: []config.EnvOp{{Op: "unset", Name: "KEEP"}, {Op: "set", Name: "D1", Value: "1"}}}),
			sec(t, config.SectionDirectory, "/srv/shared/ref", &config.DirConf{Require: "granted"}),
			sec(t, config.SectionFiles, "probe_app.py", &config.DirConf{Env: env("F1", "1")}),
		}
		if secondDir {
			main.Sections = append(main.Sections, sec(t, config.SectionDirectory, "/srv/shared/ref", &config.DirConf{Env: env("D2", "1")}))
		}
		return &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/srv/shared/ref/probe_app.py").stat}
	}
	tests := []struct {
		secondDir bool
		target    string
		want      string
	}{
		{true, "/a", "map[D1:1 D2:1 F1:1]"},
		{true, "/b", "map[D1:1 D2:1 F1:1 KEEP:server X:1]"},
		{true, "/c", "map[D1:1 D2:1 F1:1 KEEP:server X:1]"},
		{true, "/d", "map[D1:1 D2:1 F1:1 KEEP:server Y:1]"},
		{true, "/e", "map[D1:1 D2:1 F1:1 KEEP:server]"},
		{false, "/e", "map[D1:1 F1:1]"},
	}
	for _, tt := range tests {
		r := get(mk(tt.secondDir), tt.target, "", 80)
		if got := fmt.Sprint(r.Env); r.Status != 200 || got != tt.want {
			t.Errorf("%s (second dir %v): %d %s env %s, want %s", tt.target, tt.secondDir, r.Status, r.Reason, got, tt.want)
		}
	}
}

// TestTranslateCorners mirrors an experiment on Apache 2.4.71: Alias wins
// over WSGIScriptAlias, a directory without its '/' is redirected by
// mod_dir, an empty regex match is no match, WSGIRestrictProcess,
// AddHandler with ExecCGI, and Options -ExecCGI in a Location.
func TestTranslateCorners(t *testing.T) {
	main := mainServer("127.0.0.1")
	main.Defaults.ProcessGroup = setting("g1")
	main.FileAliases = []*config.Alias{
		{URL: "/static", Target: "/e5d", Kind: "alias"},
		{URL: "/h", Target: "/e5d/sub", Kind: "alias"},
		{URL: "/noexec", Target: "/e5d/sub", Kind: "alias"},
	}
	main.ScriptAliases = []*config.ScriptAlias{
		scriptAlias(t, "/d", "/e5d", false),
		scriptAlias(t, "^(/x)?", "/probe.py", true),
		scriptAlias(t, "/r", "/probe.py", false),
		scriptAlias(t, "/", "/probe.py", false),
	}
	main.Sections = []*config.Section{
		sec(t, config.SectionLocation, "/r", &config.DirConf{RestrictProcess: []string{"g2"}}),
		sec(t, config.SectionDirectory, "/e5d/sub", &config.DirConf{AddHandlers: map[string]string{"wsgi": "wsgi-script"}, Options: []string{"+ExecCGI"}}),
		sec(t, config.SectionLocation, "/noexec", &config.DirConf{Options: []string{"-ExecCGI"}}),
	}
	c := &testConfig{Config: &config.Config{Main: main, Groups: []*config.Group{group("g1", ""), group("g2", "")}}, Stat: newFakeFS("/e5d/app.wsgi", "/e5d/sub/run.wsgi", "/probe.py").stat}
	tests := []struct {
		target             string
		status             int
		handler            Handler
		scriptName, pathIn string
	}{
		{"/static/app.wsgi", 200, "static", "", ""},
		{"/d", 301, "wsgi", "", ""},
		{"/d/", 403, "wsgi", "", ""},
		{"/d/app.wsgi/z", 200, "wsgi", "/d/app.wsgi", "/z"},
		{"/y", 200, "wsgi", "", "/y"},
		{"/x/y", 200, "wsgi", "/x", "/y"},
		{"/r/q", 500, "wsgi", "/r", "/q"},
		{"/h/run.wsgi/p", 200, "wsgi", "/h/run.wsgi", "/p"},
		{"/noexec/run.wsgi", 403, "wsgi", "", ""},
	}
	for _, tt := range tests {
		r := get(c, tt.target, "127.0.0.1:28531", 28531)
		if r.Status != tt.status || r.Handler != tt.handler || r.ScriptName != tt.scriptName || r.PathInfo != tt.pathIn {
			t.Errorf("%s: %d %q %s %q %q, want %d %s %q %q", tt.target, r.Status, r.Reason, r.Handler, r.ScriptName, r.PathInfo,
				tt.status, tt.handler, tt.scriptName, tt.pathIn)
		}
	}
}

// TestStaticOutcomes: the default handler's 404s and mod_dir's index.
func TestStaticOutcomes(t *testing.T) {
	main := mainServer("main.test")
	main.DocumentRoot = "/var/www"
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/var/www/a.txt", "/var/www/docs/index.html", "/var/www/empty/").stat}
	tests := []struct {
		target string
		status int
		file   string
		reason string
	}{
		{"/a.txt", 200, "/var/www/a.txt", ""},
		{"/a.txt/more", 404, "/var/www/a.txt/more", "File does not exist: /var/www/a.txt/more"},
		{"/nope/x", 404, "/var/www/nope/x", "File does not exist: /var/www/nope/x"},
		{"/docs/", 200, "/var/www/docs/index.html", ""},
		{"/docs", 301, "/var/www/docs", "mod_dir DirectorySlash: redirect to /docs/"},
		{"/empty/", 404, "/var/www/empty/", "Attempt to serve directory: /var/www/empty/"},
		{"/", 404, "/var/www/", "Attempt to serve directory: /var/www/"},
	}
	for _, tt := range tests {
		r := get(c, tt.target, "main.test", 80)
		if r.Status != tt.status || r.Handler != "static" || r.File != tt.file || r.Reason != tt.reason {
			t.Errorf("%s: %d %q %s %q, want %d %q %q", tt.target, r.Status, r.Reason, r.Handler, r.File, tt.status, tt.reason, tt.file)
		}
	}
}

// TestRelativeScriptPath: a relative target is taken from the working
// directory (apr_filepath_merge with the server's cwd).
func TestRelativeScriptPath(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Skip(err)
	}
	main := mainServer("main.test")
	main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "site/wsgi.py", false)}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS(cwd + "/site/wsgi.py").stat}
	r := get(c, "/x", "", 80)
	if r.Status != 200 || r.Script != cwd+"/site/wsgi.py" || r.PathInfo != "/x" {
		t.Errorf("got %d %s %q %q", r.Status, r.Reason, r.Script, r.PathInfo)
	}
}

func TestScriptAliasNeverServesSource(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "secret.cgi")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho password=hunter2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "s.conf")
	text := "Listen 127.0.0.1:8080\nScriptAlias /cgi-bin/ " + dir + "/\nAddHandler cgi-script .cgi\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := load.File(conf, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/cgi-bin/secret.cgi", "/secret.cgi"} {
		r := Compile(cfg, Options{}).Route(Request{Target: target, LocalIP: "127.0.0.1", LocalPort: 8080})
		if r.Handler == "static" {
			t.Errorf("%s: a CGI script is served as a static file (%s): its source would leak", target, r.File)
		}
	}
	if r := Compile(cfg, Options{}).Route(Request{Target: "/cgi-bin/secret.cgi", LocalIP: "127.0.0.1", LocalPort: 8080}); r.Status != 404 {
		t.Errorf("/cgi-bin/secret.cgi: status %d, want 404", r.Status)
	}
}

// TestRouteLabel: the label is the last <Location> that applied, else the
// WSGIScriptAlias, whatever the URL's own path.
func TestRouteLabel(t *testing.T) {
	main := mainServer("label.test")
	main.ScriptAliases = []*config.ScriptAlias{scriptAlias(t, "/", "/srv/app.wsgi", false)}
	main.Sections = []*config.Section{
		sec(t, config.SectionLocationMatch, "^/$", &config.DirConf{}),
		sec(t, config.SectionLocation, "/admin", &config.DirConf{}),
		sec(t, config.SectionLocation, "/admin/reports", &config.DirConf{}),
	}
	c := &testConfig{Config: &config.Config{Main: main}, Stat: newFakeFS("/srv/app.wsgi").stat}
	for target, want := range map[string]string{
		"/":                  "~ ^/$",
		"/admin":             "/admin",
		"/admin/users/7":     "/admin",
		"/admin/reports/pdf": "/admin/reports",
		"/articles/42":       "/",
	} {
		r := get(c, target, "label.test", 80)
		if r.Status != 200 || r.Label() != want {
			t.Errorf("%s: %d label %q, want %q", target, r.Status, r.Label(), want)
		}
	}
}
