package cmd_test

// The oracle: a differential test of appserver's routing against real Apache
// 2.4 + mod_wsgi 4.9. Every case in testdata/oracle is run by both servers
// from one generated httpd.conf; every oracleDisagreement is printed as a table.
// See testdata/oracle/README.md.

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var oracleKeep = flag.Bool("oracle.keep", false,
	"keep each oracle case's directory under /tmp (httpd.conf, case.conf, error.log, apache.jsonl, routes.jsonl)")

var oracleShow = flag.Bool("oracle.show", false, "log what real Apache answered for every URL of each case")

var oracleBin = flag.String("oracle.bin", "", "appserver binary to test instead of building ./cmd/appserver")

const oracleCasesDir = "../testdata/oracle"

func TestOracle(t *testing.T) {
	oracleRequireApache(t)
	cases, err := oracleLoadCases(oracleCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	bin, buildErr := *oracleBin, error(nil)
	if bin == "" {
		bin, buildErr = oracleBuild(t)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			// Apache spends most of its time waiting (start-up, ~3 s for
			// mod_wsgi daemons to stop), so cases overlap well.
			t.Parallel()
			oracleRunCase(t, c, bin, buildErr)
		})
	}
}

// oracleRunCase runs c through Apache, then through appserver in two
// subtests, "routes" (routes --json) and "serve" (serve -f), and reports
// every oracleDisagreement. `-run 'TestOracle$/CASE/routes'` skips the other.
func oracleRunCase(t *testing.T, c oracleCase, bin string, buildErr error) {
	cd, a := oracleStartCase(t, c)
	apache := oracleQueryApache(t, c, a)
	// Stop in the background while appserver answers; the cleanup that
	// oracleStartApache registered waits for it.
	go a.Stop()
	if *oracleKeep {
		oracleWriteJSONL(t, filepath.Join(cd.Dir, "apache.jsonl"), apache)
	}
	if *oracleShow {
		t.Logf("real Apache on %s:\n%s", c.Name, oracleFormatApache(apache))
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	t.Run("routes", func(t *testing.T) { oracleCheckRoutes(t, c, cd, bin, apache) })
	t.Run("serve", func(t *testing.T) { serveOracleCheck(t, c, cd, bin, apache) })
}

// oracleCheckRoutes compares `appserver routes --json` with Apache's answers.
func oracleCheckRoutes(t *testing.T, c oracleCase, cd *oracleDir, bin string, apache []oracleApacheResult) {
	if c.Compare.ServeOnly {
		t.Skip("serve-only case: routes runs neither mod_wsgi's auth hooks nor DNS lookups (it fails closed on them)")
	}
	routes, err := oracleQueryAppserver(bin, cd, c)
	if errors.Is(err, errOracleRoutesMissing) {
		t.Fatalf("%v: the Apache half ran (%d URLs); nothing to compare it with", err, len(apache))
	}
	if err != nil {
		t.Fatal(err)
	}
	if *oracleKeep {
		oracleWriteJSONL(t, filepath.Join(cd.Dir, "routes.jsonl"), routes)
	}
	var rows []oracleDisagreement
	for i, u := range c.URLs {
		rows = append(rows, oracleCompare(c.Name, u, apache[i], routes[i])...)
	}
	if len(rows) > 0 {
		t.Errorf("%d oracleDisagreement(s) with real Apache in %d URLs of %s (-args -oracle.keep keeps the case directory):\n%s",
			len(rows), len(c.URLs), c.Name, oracleFormatDisagreements(rows))
	}
}

func oracleWriteJSONL[T any](t *testing.T, path string, items []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOracleHarness checks the harness itself against facts the reference
// known of real Apache 2.4 + mod_wsgi 4.9 (URL normalisation,
// SCRIPT_NAME/PATH_INFO): if requests were cleaned up on the way, or
// answers misread, these would fail.
func TestOracleHarness(t *testing.T) {
	oracleRequireApache(t)
	t.Parallel()
	facts := []struct {
		host, target string
		status       int
		scriptName   string
		pathInfo     string
		env          map[string]string
	}{
		{"", "/app", 200, "/app", "", nil},
		{"", "/app/", 200, "/app", "/", nil},
		{"", "/app/x/y?q=1", 200, "/app", "/x/y", nil},
		{"", "/app//x///y", 200, "/app", "/x/y", nil},
		{"", "//app/x", 200, "/app", "/x", nil},
		{"", "/app/./x", 200, "/app", "/x", nil},
		{"", "/foo/../app/x", 200, "/app", "/x", nil},
		{"", "/%61pp/x", 200, "/app", "/x", nil},
		{"", "/app/x%20y", 200, "/app", "/x y", nil},
		{"", "/app/%c3%a9", 200, "/app", "/\xc3\xa9", nil},
		{"", "/app/env/x", 200, "/app", "/env/x", map[string]string{"FACT": "yes"}},
		{oracleHostNone, "/app/x", 200, "/app", "/x", nil},
		{"", "/application", 404, "", "", nil},
		{"", "/APP/x", 404, "", "", nil},
		{"", "/app/a%2Fb", 404, "", "", nil},
		{"", "/app/a%00b", 404, "", "", nil},
		{"", "/../app", 400, "", "", nil},
		{"", "/%2e%2e/app", 400, "", "", nil},
		{"", "/app/%zz", 400, "", "", nil},
		{"a/b", "/app", 400, "", "", nil},
	}
	c := oracleCase{Name: "harness", Conf: `WSGIDaemonProcess facts threads=2
WSGIProcessGroup facts
WSGIScriptAlias /app @PROBE@
<Location /app/env>
    SetEnv FACT yes
</Location>
`}
	for i, f := range facts {
		c.URLs = append(c.URLs, oracleURL{Line: i + 1, Host: f.host, Target: f.target})
	}
	cd, a := oracleStartCase(t, c)
	got := oracleQueryApache(t, c, a)
	for i, f := range facts {
		r := got[i]
		if r.Status != f.status {
			t.Errorf("%s: status %d, want %d (%s)", c.URLs[i].Label(), r.Status, f.status, r.Body)
			continue
		}
		if f.status != 200 {
			continue
		}
		if !r.Probe {
			t.Errorf("%s: the probe did not answer: %q", c.URLs[i].Label(), r.Body)
			continue
		}
		wantGroup := "127.0.0.1:" + strconv.Itoa(cd.Port) + "|/app"
		if f.host == oracleHostNone {
			wantGroup = "127.0.0.1|/app" // no Host: no port to report
		}
		if r.ScriptName != f.scriptName || r.PathInfo != f.pathInfo || r.ProcessGroup != "facts" || r.ApplicationGroup != wantGroup {
			t.Errorf("%s: got SCRIPT_NAME %q PATH_INFO %q groups %q %q; want %q %q %q %q", c.URLs[i].Label(),
				r.ScriptName, r.PathInfo, r.ProcessGroup, r.ApplicationGroup, f.scriptName, f.pathInfo, "facts", wantGroup)
		}
		if len(f.env) != len(r.Env) {
			t.Errorf("%s: env %v, want %v", c.URLs[i].Label(), r.Env, f.env)
		}
		for k, v := range f.env {
			if r.Env[k] != v {
				t.Errorf("%s: env[%s] = %q, want %q", c.URLs[i].Label(), k, r.Env[k], v)
			}
		}
	}
}
