package cmd_test

// Tests of the oracle's own parts that need no Apache.

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestOracleCases keeps the case set honest: every case parses, and together
// they still cover what the differential suite promises.
func TestOracleCases(t *testing.T) {
	cases, err := oracleLoadCases(oracleCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	urls := 0
	var confs, targets, hosts strings.Builder
	methods := map[string]int{}
	for _, c := range cases {
		urls += len(c.URLs)
		confs.WriteString(c.Conf + "\n")
		for _, u := range c.URLs {
			targets.WriteString(u.Target + "\n")
			hosts.WriteString(u.Host + "\n")
			methods[u.MethodOrGET()]++
		}
	}
	// The serving mode compares CONTENT_LENGTH/CONTENT_TYPE and the body
	// the app reads: some requests must carry one, some a method without.
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		if methods[m] == 0 {
			t.Errorf("no case URL is a %s request", m)
		}
	}
	if len(cases) < 6 || urls < 200 {
		t.Errorf("%d cases with %d URLs; the suite promises at least 6 configs and 200 URLs", len(cases), urls)
	}
	confNeeds := map[string]string{
		"non-root mount":                     `(?m)^\s*WSGIScriptAlias\s+/\S`,
		"root mount":                         `(?m)^\s*WSGIScriptAlias\s+/\s`,
		"<Location>":                         `<Location\s+/`,
		"<LocationMatch>":                    `<LocationMatch\s`,
		"<Location ~>":                       `<Location\s+~`,
		"wildcard <Location /w/*>":           `<Location\s+/\S*\*`,
		"vhosts":                             `<VirtualHost\s`,
		"wildcard ServerAlias":               `ServerAlias\s.*\*`,
		"WSGIScriptAliasMatch with $1":       `WSGIScriptAliasMatch\s.*\$1`,
		"SetEnv":                             `SetEnv\s`,
		"UnsetEnv":                           `UnsetEnv\s`,
		"PassEnv":                            `PassEnv\s`,
		"named regex group (MATCH_*)":        `\(\?<[A-Za-z]`,
		"%{GLOBAL}":                          `WSGIApplicationGroup\s+%\{GLOBAL\}`,
		"%{RESOURCE}":                        `WSGIApplicationGroup\s+%\{RESOURCE\}`,
		"%{SERVER}":                          `WSGIApplicationGroup\s+%\{SERVER\}`,
		"%{ENV:X}":                           `WSGIApplicationGroup\s+%\{ENV:`,
		"literal application group":          `WSGIApplicationGroup\s+[^%\s]`,
		"process-group= option":              `process-group=`,
		"application-group= option":          `application-group=`,
		"seed high-volume split":             `<Location ~ "\^/\$">`,
		"display-name":                       `display-name=`,
		"SetEnv newrelic.app_name":           `SetEnv newrelic\.app_name '`,
		"AllowEncodedSlashes":                `AllowEncodedSlashes\s`,
		"a group defined in a <VirtualHost>": `(?s)<VirtualHost[^>]*>[^<]*WSGIDaemonProcess`,
	}
	for what, re := range confNeeds {
		if !regexp.MustCompile(re).MatchString(confs.String()) {
			t.Errorf("no case config has %s (/%s/)", what, re)
		}
	}
	urlNeeds := map[string]string{
		"//x":            `(?m)^//[^/]`,
		"/./x":           `/\./`,
		"/a/../x":        `/[^/.]+/\.\./`,
		"/../x":          `(?m)^/\.\./`,
		"%2e":            `(?i)%2e[^%]`,
		"%2e%2e":         `(?i)%2e%2e`,
		"%61":            `%61`,
		"%2F":            `%2F`,
		"%2f":            `%2f`,
		"%00":            `%00`,
		"%zz":            `%zz`,
		"%20":            `%20`,
		";":              `;`,
		"upper case":     `(?m)^[^?\n]*[A-Z]`,
		"query string":   `\?.`,
		"trailing slash": `(?m)[^/]/(\?.*)?$`,
		"absolute-form":  `(?m)^http://`,
	}
	for what, re := range urlNeeds {
		if !regexp.MustCompile(re).MatchString(targets.String()) {
			t.Errorf("no case URL has %s (/%s/)", what, re)
		}
	}
	for what, re := range map[string]string{
		"a Host header":    `(?m)^[a-z]`,
		"no Host (Host:-)": `(?m)^-$`,
		"a Host with port": `(?m)^\S+:[0-9]+$`,
		"upper-case Host":  `(?m)^\S*[A-Z]`,
	} {
		if !regexp.MustCompile(re).MatchString(hosts.String()) {
			t.Errorf("no case URL has %s (/%s/)", what, re)
		}
	}
}

func TestOracleParseURL(t *testing.T) {
	tests := []struct {
		line    string
		want    oracleURL
		wantErr string
	}{
		{"/x", oracleURL{Target: "/x"}, ""},
		{"//a/../x?q=%2F", oracleURL{Target: "//a/../x?q=%2F"}, ""},
		{"Host:b.test /x", oracleURL{Host: "b.test", Target: "/x"}, ""},
		{"Host:B.test:8080   /x", oracleURL{Host: "B.test:8080", Target: "/x"}, ""},
		{"Host:- /x", oracleURL{Host: oracleHostNone, Target: "/x"}, ""},
		{"Host: /x", oracleURL{}, "empty Host:"},
		{"Host:b.test", oracleURL{}, "no target"},
		{"/x /y", oracleURL{}, "want [Host:NAME] [H:Name:value]... [METHOD] TARGET"},
		{"host:b.test /x", oracleURL{}, "[METHOD] TARGET"},
		{"POST /x", oracleURL{Method: "POST", Target: "/x"}, ""},
		{"Host:b.test PUT /x?y", oracleURL{Host: "b.test", Method: "PUT", Target: "/x?y"}, ""},
		{"GET /x", oracleURL{Target: "/x"}, ""}, // one spelling of GET
		{"Host:- POST /x", oracleURL{Host: oracleHostNone, Method: "POST", Target: "/x"}, ""},
		{"POST", oracleURL{Target: "POST"}, ""}, // a lone word is a target (Apache answers 400)
		{"post /x", oracleURL{}, "[METHOD] TARGET"},
		{"POST Host:b.test /x", oracleURL{}, "[METHOD] TARGET"},
		{"POST /x /y", oracleURL{}, "[METHOD] TARGET"},
		{"/a\x00b", oracleURL{}, "percent-encode"},
		{"H:Accept-Encoding:gzip /x", oracleURL{Target: "/x", Headers: []string{"Accept-Encoding: gzip"}}, ""},
		{"Host:b.test H:Authorization:Basic%20dTpw H:X-A: POST /x", oracleURL{Host: "b.test", Method: "POST", Target: "/x",
			Headers: []string{"Authorization: Basic dTpw", "X-A: "}}, ""},
		{"H:X-A:1", oracleURL{}, "no target"},
		{"H:Bad Name:1 /x", oracleURL{}, "cannot read header"},
		{"H:X-A:%0d%0a /x", oracleURL{}, "without CR or LF"},
		{"H:X-A /x", oracleURL{}, "cannot read header"},
		{"/x H:X-A:1", oracleURL{}, "want [Host:NAME]"},
	}
	for _, tt := range tests {
		got, err := oracleParseURL(tt.line)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("oracleParseURL(%q) error = %v, want %q", tt.line, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("oracleParseURL(%q) = %+v, %v; want %+v", tt.line, got, err, tt.want)
		}
	}
}

func TestOracleParseURLsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.urls")
	if err := os.WriteFile(path, []byte("# comment\n\n/a\n  Host:b.test /b  \n/c d\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = oracleParseURLs(path, f)
	if err == nil || !strings.Contains(err.Error(), path+":5:") {
		t.Fatalf("error = %v, want one naming %s:5", err, path)
	}
}

func TestOracleCheckConf(t *testing.T) {
	tests := []struct {
		conf    string
		wantErr string
	}{
		{"WSGIScriptAlias / @PROBE@\nWSGIScriptAlias /d/ @DIR@/d/\n<VirtualHost *:@PORT@>\n", ""},
		{"ServerAdmin admin@example.com\n", ""},
		{"# ok\nWSGIScriptAlias / @PROBLE@\n", "x.conf:2:19: unknown placeholder @PROBLE@"},
	}
	for _, tt := range tests {
		err := oracleCheckConf("x.conf", tt.conf)
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("oracleCheckConf(%q) = %v, want %q", tt.conf, err, tt.wantErr)
		}
	}
}

func TestOracleLoadCases(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "lonely.conf"), []byte("WSGIScriptAlias / @PROBE@\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := oracleLoadCases(dir); err == nil || !strings.Contains(err.Error(), "lonely.urls") {
		t.Fatalf("error = %v, want one asking for lonely.urls", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lonely.urls"), []byte("/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := "# oracle-file: tree/a.wsgi\n#oracle-file:b.py\nWSGIScriptAlias / @PROBE@\n"
	if err := os.WriteFile(filepath.Join(dir, "lonely.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cases, err := oracleLoadCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 1 || strings.Join(cases[0].Files, ",") != "tree/a.wsgi,b.py" || len(cases[0].URLs) != 1 {
		t.Fatalf("got %+v", cases)
	}
	if err := os.WriteFile(filepath.Join(dir, "lonely.conf"), []byte("# oracle-file: ../escape.py\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := oracleLoadCases(dir); err == nil || !strings.Contains(err.Error(), "inside the case directory") {
		t.Fatalf("error = %v, want an escape refused", err)
	}
}

func TestOracleNativeString(t *testing.T) {
	for in, want := range map[string]string{
		"/plain":      "/plain",
		"/Ã©":         "/\xc3\xa9",
		"caf\u00e9":   "caf\xe9",
		"snow \u2603": "snow \u2603", // not from Latin-1: unchanged
		"":            "",
	} {
		if got := oracleNativeString(in); got != want {
			t.Errorf("oracleNativeString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOracleParseProbe(t *testing.T) {
	probe := `{"mod_wsgi.process_group": "g", "mod_wsgi.application_group": "",
		"SCRIPT_NAME": "/app", "PATH_INFO": "/\u00c3\u00a9", "REQUEST_URI": "/app/%c3%a9",
		"QUERY_STRING": "", "env": {"A": "1", "N": 3}, "served": 1}`
	r := oracleParseProbe(200, []byte(probe))
	if !r.Probe || r.ProcessGroup != "g" || r.ScriptName != "/app" || r.PathInfo != "/\xc3\xa9" ||
		r.Env["A"] != "1" || r.Env["N"] != "3" || len(r.Env) != 2 || string(r.Answer) != probe {
		t.Errorf("probe body read as %+v", r)
	}
	// A server that leaves PATH_INFO out: not what Apache does (Probe is
	// false), but the probe did answer (Answer), for the serving mode.
	noPathInfo := strings.Replace(probe, `"PATH_INFO": "/\u00c3\u00a9", `, "", 1)
	r = oracleParseProbe(200, []byte(noPathInfo))
	if r.Probe || string(r.Answer) != noPathInfo {
		t.Errorf("probe body without PATH_INFO read as %+v", r)
	}
	r = oracleParseProbe(404, []byte("<html><head><title>404 Not Found</title></head></html>"))
	if r.Probe || r.Body != "404 Not Found" {
		t.Errorf("error page read as %+v", r)
	}
	r = oracleParseProbe(200, []byte(`{"SCRIPT_NAME": "/x", "PATH_INFO": "", "env": {}}`)) // some other JSON app
	if r.Probe || r.Answer != nil {
		t.Errorf("JSON without the probe's keys taken for the probe: %+v", r)
	}
}

func TestOracleCompare(t *testing.T) {
	u := oracleURL{Host: "b.test", Target: "/app/x"}
	probe := oracleApacheResult{Status: 200, Probe: true, ProcessGroup: "main", ApplicationGroup: "",
		ScriptName: "/app", PathInfo: "/x", Env: map[string]string{"A": "1", "B": ""}}
	same := oracleRoute{URL: "/app/x", Status: 200, Handler: "wsgi", ProcessGroup: "main", ApplicationGroup: "",
		ScriptName: "/app", PathInfo: "/x", Env: map[string]string{"A": "1", "B": ""}}
	tests := []struct {
		name   string
		apache oracleApacheResult
		route  func(r oracleRoute) oracleRoute
		want   []string // "field|apache|appserver"
	}{
		{"agree", probe, func(r oracleRoute) oracleRoute { return r }, nil},
		{"every field", probe, func(r oracleRoute) oracleRoute {
			r.ProcessGroup, r.ApplicationGroup, r.ScriptName, r.PathInfo = "other", "g", "", "/app/x"
			r.Env = map[string]string{"A": "2", "C": "3"}
			return r
		}, []string{
			`process_group|"main"|"other"`, `application_group|""|"g"`, `script_name|"/app"|""`,
			`path_info|"/x"|"/app/x"`, `env[A]|"1"|"2"`, `env[B]|""|(unset)`, `env[C]|(unset)|"3"`,
		}},
		{"nil env equals empty env", oracleApacheResult{Status: 200, Probe: true, Env: map[string]string{}},
			func(r oracleRoute) oracleRoute {
				r.ProcessGroup, r.ScriptName, r.PathInfo, r.Env = "", "", "", nil
				return r
			}, nil},
		{"apache refused", oracleApacheResult{Status: 404, Body: "404 Not Found", Log: "AH00026: found %2f"},
			func(r oracleRoute) oracleRoute { return r }, []string{`status|404|200|AH00026: found %2f`}},
		{"both refused, fields ignored", oracleApacheResult{Status: 400, Body: "400 Bad Request"},
			func(r oracleRoute) oracleRoute { r.Status, r.Handler, r.ScriptName = 400, "none", "junk"; return r }, nil},
		{"appserver not wsgi", probe, func(r oracleRoute) oracleRoute {
			r.Handler, r.ProcessGroup = "static", ""
			return r
		}, []string{`handler|wsgi|"static"`}},
		{"apache static, appserver wsgi", oracleApacheResult{Status: 200, Body: "hello"}, func(r oracleRoute) oracleRoute { return r },
			[]string{`handler|not wsgi: "hello"|"wsgi"`}},
		{"status and fields", probe, func(r oracleRoute) oracleRoute { r.Status, r.PathInfo = 500, "/y"; return r },
			[]string{`status|200|500`, `path_info|"/x"|"/y"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range oracleCompare("c", u, tt.apache, tt.route(same)) {
				if d.Case != "c" || d.URL != "Host:b.test /app/x" {
					t.Errorf("row names %q %q", d.Case, d.URL)
				}
				row := d.Field + "|" + d.Apache + "|" + d.Appserver
				if d.Note != "" {
					row += "|" + d.Note
				}
				got = append(got, row)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestOracleFormat(t *testing.T) {
	out := oracleFormatDisagreements([]oracleDisagreement{
		{"mounts", "/app", "status", "404", "200", "AH00128: File does not exist"},
		{"vhosts", "Host:b.test /x", "env[SCOPE]", `"b"`, oracleUnset, ""},
		{"vhosts", "Host:b.test /y", "env[LOC]", `"b"`, oracleUnset, ""},
	})
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 5 || lines[0] != "by field: env 2 status 1" || !strings.HasPrefix(lines[1], "CASE") ||
		!strings.HasSuffix(lines[2], "AH00128: File does not exist") {
		t.Fatalf("table:\n%s", out)
	}
	lines = lines[1:]
	// aligned: every column starts at the same offset on every line
	col := strings.Index(lines[0], "FIELD")
	if strings.Index(lines[1], "status") != col || strings.Index(lines[2], "env[SCOPE]") != col {
		t.Errorf("columns not aligned:\n%s", out)
	}
}

func TestOracleParseRoutes(t *testing.T) {
	full := `{"url":"/a","status":200,"vhost":"","handler":"wsgi","process_group":"g","application_group":"",` +
		`"script":"/p.py","script_name":"/a","path_info":"","env":{"K":"v"}}`
	tests := []struct {
		name    string
		out     string
		targets []string
		wantErr string
	}{
		{"ok", full + "\n", []string{"/a"}, ""},
		{"missing key", `{"url":"/a","status":200}` + "\n", []string{"/a"}, "lacks key(s) vhost, handler"},
		{"not json", "url=/a status=200\n", []string{"/a"}, "not a JSON object"},
		{"too few", full + "\n", []string{"/a", "/b"}, "printed 1 JSON lines for 2 URLs"},
		{"wrong order", full + "\n", []string{"/b"}, `for url "/a", expected "/b"`},
		{"bad type", strings.Replace(full, `"status":200`, `"status":"200"`, 1), []string{"/a"}, "cannot unmarshal"},
	}
	for _, tt := range tests {
		lines, err := oracleParseRoutes([]byte(tt.out), tt.targets)
		if tt.wantErr == "" {
			if err != nil || len(lines) != 1 || lines[0].Env["K"] != "v" || lines[0].ProcessGroup != "g" {
				t.Errorf("%s: %+v, %v", tt.name, lines, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

// TestOracleRunRoutes drives oracleRunRoutes and oracleQueryAppserver with stand-in binaries,
// to check the command line they build and the errors they report.
func TestOracleRunRoutes(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// echo: one line per URL, recording the --host it was given in vhost.
	echo := script("echo", `host=none
[ "$1 $2 $4" = "routes -f --json" ] || { echo "bad args: $*" >&2; exit 2; }
shift 4
if [ "$1" = --host ]; then host=$2; shift 2; fi
for u in "$@"; do
  printf '{"url":"%s","status":200,"vhost":"%s","handler":"wsgi","process_group":"%s","application_group":"",' "$u" "$host" "$ORACLE_GROUP"
  printf '"script":"","script_name":"","path_info":"%s","env":{}}\n' "$u"
done
`)
	c := oracleCase{Name: "t", URLs: []oracleURL{
		{Target: "/a"}, {Host: "b.test", Target: "//b"}, {Target: "/%2e"}, {Host: oracleHostNone, Target: "/n"},
	}}
	lines, err := oracleQueryAppserver(echo, &oracleDir{Conf: "/x/httpd.conf", Port: 8123}, c)
	if err != nil {
		t.Fatal(err)
	}
	wantHosts := []string{`"127.0.0.1:8123"`, `"b.test"`, `"127.0.0.1:8123"`, `"none"`}
	for i, l := range lines {
		if l.URL != c.URLs[i].Target || l.PathInfo != c.URLs[i].Target || string(l.VHost) != wantHosts[i] {
			t.Errorf("line %d = %+v, want url %q host %s", i, l, c.URLs[i].Target, wantHosts[i])
		}
		if l.ProcessGroup != "envgroup" {
			t.Errorf("line %d: the oracle environment did not reach appserver: %+v", i, l)
		}
	}

	missing := script("missing", `echo 'Error: unknown command "routes" for "appserver"' >&2; exit 2`)
	if _, err := oracleRunRoutes(missing, "/x.conf", "h", "", nil, []string{"/"}); err == nil || !strings.Contains(err.Error(), "routes --json not implemented") {
		t.Errorf("unknown command: error %v", err)
	}
	broken := script("broken", `echo '/x.conf:3:1: unknown directive "Foo"' >&2; exit 1`)
	if _, err := oracleRunRoutes(broken, "/x.conf", "h", "", nil, []string{"/"}); err == nil || !strings.Contains(err.Error(), `/x.conf:3:1: unknown directive "Foo"`) {
		t.Errorf("config error: error %v", err)
	}
}

// TestOracleProcessTracking checks the pieces Stop relies on to find and wait for
// Apache's processes, on a child of our own.
func TestOracleProcessTracking(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("cannot start sleep:", err)
	}
	pid := cmd.Process.Pid
	found := false
	for _, d := range oracleDescendants(os.Getpid()) {
		found = found || d.pid == pid
	}
	if !found {
		t.Errorf("oracleDescendants of the test do not include child %d", pid)
	}
	id, ok := oracleProcIdentity(pid)
	if !ok || !oracleAlive(id) {
		t.Fatalf("child %d not seen alive", pid)
	}
	if oracleAlive(oracleProc{pid: pid, start: id.start + "0"}) {
		t.Errorf("a different start time must mean a different process")
	}
	cmd.Process.Kill()
	// Not reaped yet: a zombie counts as gone.
	if !oracleWaitGone([]oracleProc{id}, 5*time.Second) {
		t.Errorf("killed child %d still counted alive", pid)
	}
	cmd.Wait()
}
