package cmd_test

// End-to-end serving tests: the real appserver binary, real python3 workers,
// real HTTP, on the demo site (testdata/demo) and on a small site of our own
// (the probe app, static files). Where Apache + mod_wsgi define the answer,
// the expected value is what Apache 2.4.71 + mod_wsgi 4.9.4 answered to the
// same request on the same config (measured by hand; the tables say so).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// servePython is the interpreter the e2e configs name (WSGIPythonHome /usr):
// a user-local python3 on PATH may not be executable by the workers' user.
const servePython = "/usr/bin/python3"

func TestServeE2E(t *testing.T) {
	bin := serveBinary(t)
	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		serveTestDemo(t, bin)
	})
	t.Run("site", func(t *testing.T) {
		t.Parallel()
		serveTestSite(t, bin)
	})
}

// serveBinary skips a serving test where it cannot run (-short, no
// /usr/bin/python3 for the configs' WSGIPythonHome /usr) and returns the
// appserver binary to test (-oracle.bin, else one built for this run).
func serveBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts appserver with python3 workers; skipped with -short")
	}
	if _, err := os.Stat(servePython); err != nil {
		t.Skipf("%s not installed: the e2e configs use WSGIPythonHome /usr", servePython)
	}
	if *oracleBin != "" {
		return *oracleBin
	}
	bin, err := oracleBuild(t)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// serveWorldDir makes a fresh directory under /tmp that the workers' user
// (nobody when the test runs as root) can read: t.TempDir's parents are
// private to the test user.
func serveWorldDir(t *testing.T, prefix string) string {
	t.Helper()
	base := os.TempDir()
	if os.Geteuid() == 0 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if *oracleKeep {
			t.Logf("kept %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveStartConf starts bin on a free port with the config template conf
// (@DIR@ = dir, @PORT@ = the port) written to dir/name, logging to
// dir/serve.log.
func serveStartConf(t *testing.T, bin, dir, name, conf string) *serveServer {
	t.Helper()
	return serveStartFree(t, bin, filepath.Join(dir, "serve.log"), nil, func(port int) string {
		path := filepath.Join(dir, name)
		text := strings.NewReplacer("@DIR@", dir, "@PORT@", strconv.Itoa(port)).Replace(conf)
		oracleWriteFile(t, path, []byte(text))
		return path
	})
}

var serveListenRe = regexp.MustCompile(`(?m)^Listen[ \t]+\S+[ \t]*$`)

// serveSetListen returns conf with its one Listen line moved to
// 127.0.0.1:port, and nothing else changed.
func serveSetListen(t *testing.T, conf string, port int) string {
	t.Helper()
	if n := len(serveListenRe.FindAllString(conf, -1)); n != 1 {
		t.Fatalf("want exactly one Listen line to rewrite, found %d", n)
	}
	return serveListenRe.ReplaceAllString(conf, "Listen 127.0.0.1:"+strconv.Itoa(port))
}

// serveClient talks to the servers under test: no keep-alive (nothing stays
// connected to a server being stopped), no redirects followed.
var serveClient = &http.Client{
	Transport:     &http.Transport{DisableKeepAlives: true, DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       60 * time.Second,
}

// serveDo sends req and returns the response with its whole body.
func serveDo(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := serveClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func serveGet(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return serveDo(t, req)
}

// serveRaw sends a hand-written request (the target byte for byte) on a
// connection of its own and returns the response and everything the server
// sent after the head: for HEAD, that must be nothing.
func serveRaw(t *testing.T, addr, method, target string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, target, err)
	}
	resp.Body.Close()
	// With Connection: close, anything after the body is a protocol error
	// (for HEAD: a body that should not have been sent).
	rest, _ := io.ReadAll(br)
	return resp, append(body, rest...)
}

// serveProbe reads the probe app's JSON answer.
func serveProbe(t *testing.T, what string, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: not the probe's JSON (%v): %.200q", what, err, body)
	}
	return m
}

// serveTitleOf is what ps -o args shows first for pid, and its comm.
func serveTitleOf(pid int) (title, comm string) {
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	args := strings.Fields(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if len(args) > 0 {
		title = args[0]
	}
	return title, strings.TrimSpace(string(c))
}

// serveWaitTitles waits until the server's children carry exactly the
// titles in want (title -> count) and returns pid -> title. Workers start
// in the background after the server binds.
func serveWaitTitles(t *testing.T, srv *serveServer, want map[string]int) map[int]string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := map[string]int{}
		pids := map[int]string{}
		for _, k := range srv.Kids() {
			title, _ := serveTitleOf(k.pid)
			got[title]++
			pids[k.pid] = title
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server's processes after 30s: %v; want %v\n%s", got, want, srv.Tail(20))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serveStartDemo copies the demo site (testdata/demo) to a fresh folder
// and serves it on a free port, as its README says.
func serveStartDemo(t *testing.T, bin, prefix string) (*serveServer, string) {
	t.Helper()
	dir := serveWorldDir(t, prefix)
	for _, name := range []string{"site.conf", "wsgi.py"} {
		data, err := os.ReadFile(filepath.Join("../testdata/demo", name))
		if err != nil {
			t.Fatal(err)
		}
		oracleWriteFile(t, filepath.Join(dir, name), data)
	}
	conf := filepath.Join(dir, "site.conf")
	orig, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	srv := serveStartFree(t, bin, filepath.Join(dir, "serve.log"), []string{"DEMO_ROOT=" + dir}, func(port int) string {
		oracleWriteFile(t, conf, []byte(serveSetListen(t, string(orig), port)))
		return conf
	})
	return srv, dir
}

// serveTestDemo runs the demo site as its README says and checks that every
// URL reaches its group, the process titles, SetEnv per Location, and that
// SIGTERM stops everything.
func serveTestDemo(t *testing.T, bin string) {
	srv, _ := serveStartDemo(t, bin, "appserver-e2e-demo-")

	// ps: one process per slot of each group, named by display-name=%{GROUP}.
	pids := serveWaitTitles(t, srv, map[string]int{"(wsgi:main)": 1, "(wsgi:volume)": 3, "(wsgi:admin)": 1})
	t.Run("titles", func(t *testing.T) {
		// comm is what top and ps -e show (the kernel keeps 15 bytes). The
		// worker sets it while it starts up, after the title (its argv),
		// so give it a moment.
		for pid, title := range pids {
			want := title[:min(len(title), 15)]
			deadline := time.Now().Add(10 * time.Second)
			_, comm := serveTitleOf(pid)
			for comm != want && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				_, comm = serveTitleOf(pid)
			}
			if comm != want {
				t.Errorf("pid %d: /proc/PID/comm = %q after 10s, want %q (its title)", pid, comm, want)
			}
		}
		if _, err := exec.LookPath("ps"); err != nil {
			t.Skip("no ps to cross-check /proc with")
		}
		out, err := exec.Command("ps", "-o", "args=", "--ppid", strconv.Itoa(srv.PID())).Output()
		if err != nil {
			t.Fatalf("ps: %v", err)
		}
		got := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				got[f[0]]++
			}
		}
		if got["(wsgi:main)"] != 1 || got["(wsgi:volume)"] != 3 || got["(wsgi:admin)"] != 1 {
			t.Errorf("ps -o args --ppid %d shows %v, want (wsgi:main) x1, (wsgi:volume) x3, (wsgi:admin) x1:\n%s",
				srv.PID(), got, out)
		}
	})

	// The demo page ends with "group G, pid N, RSS ..., app name A".
	footer := regexp.MustCompile(`group (\S+), pid (\d+), RSS .*?, app name (.*?)</small>`)
	t.Run("groups", func(t *testing.T) {
		for _, tt := range []struct {
			path, group, appName string
		}{
			{"/", "volume", "My Site (volume);My Site"},
			{"/?page=2", "volume", "My Site (volume);My Site"},
			{"/publications/article/1", "volume", "My Site (volume);My Site"},
			{"/publications/article/", "volume", "My Site (volume);My Site"},
			// <Location /publications/article/> needs the trailing slash.
			{"/publications/article", "main", "My Site (main);My Site"},
			{"/admin", "admin", "My Site (admin);My Site"},
			{"/admin/users", "admin", "My Site (admin);My Site"},
			{"/about", "main", "My Site (main);My Site"},
			{"/index.html", "main", "My Site (main);My Site"},
		} {
			resp, body := serveGet(t, "http://"+srv.Addr()+tt.path)
			m := footer.FindSubmatch(body)
			if resp.StatusCode != http.StatusOK || m == nil {
				t.Errorf("GET %s: %d, page without the demo footer: %.300q", tt.path, resp.StatusCode, body)
				continue
			}
			group, appName := string(m[1]), html.UnescapeString(string(m[3]))
			pid, _ := strconv.Atoi(string(m[2]))
			if group != tt.group || appName != tt.appName {
				t.Errorf("GET %s: group %q, newrelic.app_name %q; want %q, %q", tt.path, group, appName, tt.group, tt.appName)
			}
			title, _ := serveTitleOf(pid)
			if want := "(wsgi:" + tt.group + ")"; title != want || pids[pid] != want {
				t.Errorf("GET %s: answered by pid %d titled %q (a child of the server: %v), want one of its %s processes",
					tt.path, pid, title, pids[pid] != "", want)
			}
		}
	})

	t.Run("sigterm", func(t *testing.T) { serveCheckSIGTERM(t, srv) })
}

// serveCheckSIGTERM stops srv with SIGTERM and checks that it exits 0 and
// takes every worker with it.
func serveCheckSIGTERM(t *testing.T, srv *serveServer) {
	t.Helper()
	kids := srv.Kids()
	if len(kids) == 0 {
		t.Fatal("the server has no worker processes to stop")
	}
	start := time.Now()
	if err := srv.Stop(); err != nil { // SIGTERM, then waits; reports leftovers and a non-zero exit
		t.Fatal(err)
	}
	for _, k := range kids {
		if oracleAlive(k) {
			t.Errorf("worker pid %d still running after the server exited", k.pid)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("SIGTERM took %v to stop an idle server (the groups' shutdown-timeout is 5s)", d.Round(time.Millisecond))
	}
}

// serveSiteConf is the e2e site: the probe in two daemon groups, one of
// them taking chunked bodies, and static files through Alias, allowed and
// denied. @DIR@ is the site's folder, @PORT@ its port.
const serveSiteConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
DocumentRoot "@DIR@/htdocs"
<Directory "@DIR@">
    Require all granted
</Directory>

WSGIDaemonProcess app processes=2 threads=4 display-name=%{GROUP}
WSGIDaemonProcess upload threads=2 display-name=%{GROUP}
WSGIProcessGroup app
WSGIApplicationGroup %{GLOBAL}
WSGIScriptAlias /app "@DIR@/probe.py"
WSGIScriptAlias /chunked "@DIR@/probe.py"
<Location /chunked>
    WSGIChunkedRequest On
    WSGIProcessGroup upload
    SetEnv newrelic.app_name 'Uploads;My Site'
</Location>

Alias /static "@DIR@/static"
Alias /secret "@DIR@/secret"
<Directory "@DIR@/secret">
    Require all denied
</Directory>
`

// serveSiteFiles are the site's files besides the probe.
var serveSiteFiles = map[string]string{
	"static/hello.txt":      "hello static\n",
	"static/style.css":      "body{}\n",
	"static/data.json":      "{\"a\":1}\n",
	"static/page.html":      "<p>x</p>\n",
	"static/file.zzz":       "zzz\n",
	"static/sub/index.html": "idx\n",
	"static/empty/.keep":    "",
	"secret/s.txt":          "SECRET\n",
	"outside.txt":           "OUTSIDE\n",
	"htdocs/.keep":          "",
}

func serveTestSite(t *testing.T, bin string) {
	dir := serveWorldDir(t, "appserver-e2e-site-")
	probe, err := os.ReadFile(oracleProbeSource)
	if err != nil {
		t.Fatal(err)
	}
	oracleWriteFile(t, filepath.Join(dir, "probe.py"), probe)
	for rel, content := range serveSiteFiles {
		oracleMkdir(t, dir, filepath.Dir(rel))
		oracleWriteFile(t, filepath.Join(dir, rel), []byte(content))
	}
	srv := serveStartFree(t, bin, filepath.Join(dir, "serve.log"), nil, func(port int) string {
		conf := filepath.Join(dir, "site.conf")
		text := strings.NewReplacer("@DIR@", dir, "@PORT@", strconv.Itoa(port)).Replace(serveSiteConf)
		oracleWriteFile(t, conf, []byte(text))
		return conf
	})
	pids := serveWaitTitles(t, srv, map[string]int{"(wsgi:app)": 2, "(wsgi:upload)": 1})
	base := "http://" + srv.Addr()

	t.Run("groups", func(t *testing.T) {
		for _, tt := range []struct {
			path, group, scriptName, pathInfo, query, appName string
		}{
			{"/app/x?y=1", "app", "/app", "/x", "y=1", ""},
			{"/app", "app", "/app", "", "", ""},
			{"/chunked/a/b", "upload", "/chunked", "/a/b", "", "Uploads;My Site"},
		} {
			resp, body := serveGet(t, base+tt.path)
			m := serveProbe(t, "GET "+tt.path, body)
			env, _ := m["env"].(map[string]any)
			pidf, _ := m["pid"].(float64)
			pid := int(pidf)
			if resp.StatusCode != 200 || m["mod_wsgi.process_group"] != tt.group || m["SCRIPT_NAME"] != tt.scriptName ||
				m["PATH_INFO"] != tt.pathInfo || m["QUERY_STRING"] != tt.query || m["REQUEST_METHOD"] != "GET" {
				t.Errorf("GET %s: %d group %v SCRIPT_NAME %v PATH_INFO %v QUERY_STRING %v REQUEST_METHOD %v; want 200 %q %q %q %q GET",
					tt.path, resp.StatusCode, m["mod_wsgi.process_group"], m["SCRIPT_NAME"], m["PATH_INFO"], m["QUERY_STRING"],
					m["REQUEST_METHOD"], tt.group, tt.scriptName, tt.pathInfo, tt.query)
			}
			if got, _ := env["newrelic.app_name"].(string); got != tt.appName {
				t.Errorf("GET %s: newrelic.app_name %q, want %q", tt.path, got, tt.appName)
			}
			if title, _ := serveTitleOf(pid); title != "(wsgi:"+tt.group+")" || pids[pid] == "" {
				t.Errorf("GET %s: answered by pid %d titled %q (a child of the server: %v)", tt.path, pid, title, pids[pid] != "")
			}
		}
	})

	t.Run("bodies", func(t *testing.T) { serveCheckBodies(t, base) })

	t.Run("download", func(t *testing.T) {
		const size = 20 << 20
		start := time.Now()
		resp, body := serveGet(t, fmt.Sprintf("%s/app/big?size=%d", base, size))
		if resp.StatusCode != 200 || resp.ContentLength != size || len(body) != size {
			t.Fatalf("20 MB download: status %d, Content-Length %d, %d bytes received", resp.StatusCode, resp.ContentLength, len(body))
		}
		if i := bytes.IndexFunc(body, func(r rune) bool { return r != 'x' }); i >= 0 {
			t.Errorf("20 MB download: byte %d is %q, the app sent only 'x'", i, body[i])
		}
		t.Logf("20 MB download in %v", time.Since(start).Round(time.Millisecond))
	})

	t.Run("HEAD", func(t *testing.T) {
		// mod_wsgi 4.9.4 passes HEAD to the app (WSGIMapHEADToGET is
		// effectively Off); Apache drops the body and keeps the app's
		// Content-Length.
		resp, rest := serveRaw(t, srv.Addr(), "HEAD", "/app/x", nil)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || resp.ContentLength <= 0 {
			t.Errorf("HEAD /app/x: %d, Content-Type %q, Content-Length %d; want 200, application/json, the app's length",
				resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
		}
		if len(rest) != 0 {
			t.Errorf("HEAD /app/x: %d bytes of body sent: %.100q", len(rest), rest)
		}
	})

	t.Run("static", func(t *testing.T) { serveCheckStatic(t, srv.Addr(), dir) })

	t.Run("sigterm", func(t *testing.T) { serveCheckSIGTERM(t, srv) })
}

// serveCheckBodies posts bodies with Content-Length and chunked, small and
// 20 MB, and checks what the app read (input_length) and the CGI variables
// describing the body (as Apache 2.4.71 + mod_wsgi 4.9.4 set them).
func serveCheckBodies(t *testing.T, base string) {
	big := bytes.Repeat([]byte("0123456789abcdef"), (20<<20)/16)
	const unset = "(unset)"
	for _, tt := range []struct {
		name    string
		path    string
		body    []byte
		chunked bool
		status  int
		// CONTENT_LENGTH and HTTP_TRANSFER_ENCODING the app sees.
		contentLength, transferEncoding string
	}{
		{"Content-Length", "/app/form", []byte("a=1&b=%C3%A9"), false, 200, "12", unset},
		{"empty, Content-Length: 0", "/app/form", []byte{}, false, 200, "0", unset},
		{"chunked with WSGIChunkedRequest On", "/chunked/x", []byte("abcdefghij"), true, 200, unset, "chunked"},
		// mod_wsgi: "optional support for chunked transfer encoding has not been enabled".
		{"chunked without WSGIChunkedRequest", "/app/x", []byte("abcdefghij"), true, 411, "", ""},
		{"20 MB, Content-Length", "/app/upload", big, false, 200, strconv.Itoa(len(big)), unset},
		{"20 MB, chunked", "/chunked/upload", big, true, 200, unset, "chunked"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(body) // unknown length: net/http sends it chunked
			}
			req, err := http.NewRequest(http.MethodPost, base+tt.path+"?full=1", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.chunked {
				req.TransferEncoding = []string{"chunked"}
			} else {
				req.ContentLength = int64(len(tt.body))
			}
			start := time.Now()
			resp, out := serveDo(t, req)
			if resp.StatusCode != tt.status {
				t.Fatalf("POST %s: status %d, want %d: %.200q", tt.path, resp.StatusCode, tt.status, out)
			}
			if tt.status != 200 {
				return
			}
			m := serveProbe(t, "POST "+tt.path, out)
			environ, _ := m["environ"].(map[string]any)
			get := func(k string) string {
				if v, ok := environ[k].(string); ok {
					return v
				}
				return unset
			}
			if n, _ := m["input_length"].(float64); int(n) != len(tt.body) {
				t.Errorf("the app read %v bytes of a %d-byte body", m["input_length"], len(tt.body))
			}
			if get("REQUEST_METHOD") != "POST" || get("CONTENT_TYPE") != "application/x-www-form-urlencoded" ||
				get("CONTENT_LENGTH") != tt.contentLength || get("HTTP_TRANSFER_ENCODING") != tt.transferEncoding {
				t.Errorf("REQUEST_METHOD %s CONTENT_TYPE %s CONTENT_LENGTH %s HTTP_TRANSFER_ENCODING %s; want POST, the form type, %s, %s",
					get("REQUEST_METHOD"), get("CONTENT_TYPE"), get("CONTENT_LENGTH"), get("HTTP_TRANSFER_ENCODING"),
					tt.contentLength, tt.transferEncoding)
			}
			if len(tt.body) > 1<<20 {
				t.Logf("%d MB up in %v", len(tt.body)>>20, time.Since(start).Round(time.Millisecond))
			}
		})
	}
}

// serveAbsent in a want-header table means the header must not be sent.
const serveAbsent = "(absent)"

// serveCheckStatic checks Alias'd static files against what Apache 2.4.71
// answered on the same files and config (mod_mime with /etc/mime.types,
// FileETag MTime Size, mod_dir, Require).
func serveCheckStatic(t *testing.T, addr, dir string) {
	fi, err := os.Stat(filepath.Join(dir, "static/hello.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Apache's default ETag: size and mtime in microseconds, in hex.
	etag := fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixMicro())
	lastMod := fi.ModTime().UTC().Format(http.TimeFormat)
	earlier := fi.ModTime().Add(-time.Hour).UTC().Format(http.TimeFormat)
	hello := "hello static\n"
	for _, tt := range []struct {
		name           string
		method, target string
		header         map[string]string
		status         int
		want           map[string]string // response headers; serveAbsent = must not be sent
		body           *string           // nil: not checked
	}{
		{"file", "GET", "/static/hello.txt", nil, 200, map[string]string{
			"Content-Type": "text/plain", "ETag": etag, "Last-Modified": lastMod, "Accept-Ranges": "bytes",
			"Content-Length": "13"}, &hello},
		{"HEAD", "HEAD", "/static/hello.txt", nil, 200, map[string]string{"Content-Length": "13", "ETag": etag}, servePtr("")},
		// POST to a static file is served like GET by Apache's default handler.
		{"POST", "POST", "/static/hello.txt", map[string]string{"Content-Length": "0"}, 200, nil, &hello},
		{"PUT", "PUT", "/static/hello.txt", map[string]string{"Content-Length": "0"}, 405, nil, nil},
		{"MIME css", "GET", "/static/style.css", nil, 200, map[string]string{"Content-Type": "text/css"}, nil},
		{"MIME json", "GET", "/static/data.json", nil, 200, map[string]string{"Content-Type": "application/json"}, nil},
		{"MIME html", "GET", "/static/page.html", nil, 200, map[string]string{"Content-Type": "text/html"}, nil},
		// No type for an unknown extension: Apache 2.4 sends none (no sniffing).
		{"MIME unknown", "GET", "/static/file.zzz", nil, 200, map[string]string{"Content-Type": serveAbsent}, servePtr("zzz\n")},
		{"Range", "GET", "/static/hello.txt", map[string]string{"Range": "bytes=0-4"}, 206,
			map[string]string{"Content-Range": "bytes 0-4/13", "Content-Length": "5"}, servePtr("hello")},
		{"Range past the end", "GET", "/static/hello.txt", map[string]string{"Range": "bytes=50-60"}, 416, nil, nil},
		{"If-Modified-Since, unchanged", "GET", "/static/hello.txt", map[string]string{"If-Modified-Since": lastMod}, 304,
			map[string]string{"ETag": etag}, servePtr("")},
		{"If-Modified-Since, changed", "GET", "/static/hello.txt", map[string]string{"If-Modified-Since": earlier}, 200, nil, &hello},
		{"If-None-Match, same", "GET", "/static/hello.txt", map[string]string{"If-None-Match": etag}, 304, nil, servePtr("")},
		{"If-None-Match, other", "GET", "/static/hello.txt", map[string]string{"If-None-Match": `"other"`}, 200, nil, &hello},
		{"directory index", "GET", "/static/sub/", nil, 200, map[string]string{"Content-Type": "text/html"}, servePtr("idx\n")},
		// mod_dir's DirectorySlash redirect, built from the Host header.
		{"directory without slash", "GET", "/static/sub?a=1", nil, 301,
			map[string]string{"Location": "http://" + addr + "/static/sub/?a=1"}, nil},
		{"directory without index", "GET", "/static/empty/", nil, 404, nil, nil},
		{"missing", "GET", "/static/nope.txt", nil, 404, nil, nil},
		{"file with trailing slash", "GET", "/static/hello.txt/", nil, 404, nil, nil},
		{"merged slashes", "GET", "/static//hello.txt", nil, 200, nil, &hello},
		{"dot segment", "GET", "/static/./hello.txt", nil, 200, nil, &hello},
		{"encoded dot", "GET", "/static/hello%2etxt", nil, 200, nil, &hello},
		{"case matters", "GET", "/STATIC/hello.txt", nil, 404, nil, nil},
		{"Require all denied", "GET", "/secret/s.txt", nil, 403, nil, nil},
		// No way out of the Alias target: the file next to it is never served.
		{"..", "GET", "/static/../outside.txt", nil, 404, nil, nil},
		{"%2e%2e", "GET", "/static/%2e%2e/outside.txt", nil, 404, nil, nil},
		{"..%2f", "GET", "/static/..%2foutside.txt", nil, 404, nil, nil},
		{"../..", "GET", "/static/sub/../../outside.txt", nil, 404, nil, nil},
		{"%2e%2e%2f%2e%2e", "GET", "/static/%2e%2e%2f%2e%2e/outside.txt", nil, 404, nil, nil},
		{"above the root", "GET", "/../" + filepath.Base(dir) + "/outside.txt", nil, 400, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := serveRaw(t, addr, tt.method, tt.target, tt.header)
			if resp.StatusCode != tt.status {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.target, resp.StatusCode, tt.status)
			}
			for k, want := range tt.want {
				got, ok := resp.Header[http.CanonicalHeaderKey(k)]
				switch {
				case want == serveAbsent && ok:
					t.Errorf("%s %s: %s: %q sent; Apache sends none", tt.method, tt.target, k, got)
				case want != serveAbsent && (!ok || got[0] != want):
					t.Errorf("%s %s: %s: %q, want %q", tt.method, tt.target, k, got, want)
				}
			}
			if tt.body != nil && string(body) != *tt.body {
				t.Errorf("%s %s: body %.100q, want %q", tt.method, tt.target, body, *tt.body)
			}
			for _, secret := range []string{"OUTSIDE", "SECRET"} {
				if bytes.Contains(body, []byte(secret)) {
					t.Errorf("%s %s: served a file it must not: %.100q", tt.method, tt.target, body)
				}
			}
		})
	}
}

func servePtr(s string) *string { return &s }
