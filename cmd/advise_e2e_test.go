package cmd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestAdviseDemo (issue 13): the demo site run as one group, under a mix of
// mostly home and article pages and a few admin pages and reports; appserver
// advise, reading the running server's status page, proposes the admin /
// high-volume / main split by itself, and the config it writes loads and
// routes each URL to the group it chose.
func TestAdviseDemo(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-advise-")
	for _, name := range []string{"one-group.conf", "wsgi.py"} {
		data, err := os.ReadFile(filepath.Join("../testdata/demo", name))
		if err != nil {
			t.Fatal(err)
		}
		oracleWriteFile(t, filepath.Join(dir, name), data)
	}
	conf := filepath.Join(dir, "one-group.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"DEMO_ROOT=" + dir}
	srv := serveStartFree(t, bin, filepath.Join(dir, "serve.log"), env, func(port int) string {
		oracleWriteFile(t, conf, []byte(serveSetListen(t, string(orig), port)))
		return conf
	})
	base := "http://127.0.0.1:" + strconv.Itoa(srv.Port)

	// The mix: 4 clients on the hot pages, one on the admin pages.
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Go(func() {
			for i := range 100 {
				path := "/"
				if (i+c)%5 > 1 {
					path = "/publications/article/" + strconv.Itoa(i%7)
				}
				if resp, body := serveGet(t, base+path); resp.StatusCode != 200 {
					t.Errorf("%s: %d %s", path, resp.StatusCode, body)
				}
			}
		})
	}
	wg.Go(func() {
		for _, path := range []string{"/admin/", "/admin/report", "/about", "/admin/", "/admin/report", "/admin/report"} {
			if resp, body := serveGet(t, base+path); resp.StatusCode != 200 {
				t.Errorf("%s: %d %s", path, resp.StatusCode, body)
			}
		}
	})
	wg.Wait()

	advise := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"advise", "-f", conf}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("advise %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := advise("--from", base+"/server-status")
	t.Log(out)
	for _, want := range []string{"group admin (memory, new)", "group volume (volume, new)", "group main (default, changed)",
		"+<Location /admin>", "+<Location ~ \"^/$\">", "+<Location /publications/article/>", "+    WSGIProcessGroup admin",
		"/admin grows memory and is rare", "Little's law", "Steady-state memory"} {
		if !strings.Contains(out, want) {
			t.Errorf("advise lacks %q:\n%s", want, out)
		}
	}
	if t.Failed() {
		return
	}

	// The control socket of the server that runs the config gives the same.
	if out := advise(); !strings.Contains(out, "group admin (memory, new)") || !strings.Contains(out, "+<Location /admin>") {
		t.Errorf("advise through the control socket:\n%s", out)
	}
	both := exec.Command(bin, "advise", "-f", conf, "--from", base+"/server-status", "--metrics", "x.json")
	if out, err := both.CombinedOutput(); err == nil || !strings.Contains(string(out), "give --from URL or --metrics FILE, not both") {
		t.Errorf("--from and --metrics: %v\n%s", err, out)
	}

	// Recorded measurements give the same advice, written to a file.
	status := exec.Command(bin, "status", "-f", conf, "--json")
	status.Env = append(os.Environ(), env...)
	rec, err := status.Output()
	if err != nil {
		t.Fatalf("status --json: %v", err)
	}
	oracleWriteFile(t, filepath.Join(dir, "recorded.json"), rec)
	newConf := filepath.Join(dir, "advised.conf")
	advise("--metrics", filepath.Join(dir, "recorded.json"), "--out", newConf)
	cmd := exec.Command(bin, "routes", "-f", newConf, "--json", "/", "/publications/article/3", "/admin/report", "/admin", "/about")
	cmd.Env = append(os.Environ(), env...)
	routes, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("routes: %v\n%s", err, routes)
	}
	lines := strings.Split(strings.TrimSpace(string(routes)), "\n")
	for i, want := range []string{"volume", "volume", "admin", "admin", "main"} {
		if i >= len(lines) || !strings.Contains(lines[i], `"process_group":"`+want+`"`) {
			t.Errorf("route %d: want group %s in %q", i, want, routes)
		}
	}

	// Apache + mod_wsgi read the advised file too (AppserverGroup is in
	// <IfModule appserver_module>, which Apache skips).
	const apache, modules = "/usr/sbin/apache2", "/usr/lib/apache2/modules/"
	if _, err := os.Stat(modules + "mod_wsgi.so"); err != nil {
		t.Logf("no Apache + mod_wsgi to check the advised config with: %v", err)
		return
	}
	wrap := filepath.Join(dir, "apache-check.conf")
	var b strings.Builder
	b.WriteString("ServerRoot " + dir + "\nPidFile " + filepath.Join(dir, "apache.pid") + "\nErrorLog " + filepath.Join(dir, "apache-error.log") + "\n")
	for _, m := range []string{"mpm_event", "authz_core", "authz_host", "env", "status", "wsgi"} {
		b.WriteString("LoadModule " + m + "_module " + modules + "mod_" + m + ".so\n")
	}
	b.WriteString("Include " + newConf + "\n")
	oracleWriteFile(t, wrap, []byte(b.String()))
	check := exec.Command(apache, "-t", "-f", wrap)
	check.Env = append(os.Environ(), env...)
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "Syntax OK") {
		t.Errorf("apache2 -t on the advised config: %v\n%s", err, out)
	}
}
