package cmd_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireDjango skips without Debian's python3-django, or fails when
// APPSERVER_REQUIRE_APACHE=1 says the Debian test packages must be there.
func requireDjango(t *testing.T) string {
	t.Helper()
	admin, err := exec.LookPath("/usr/bin/django-admin")
	if err != nil {
		if os.Getenv("APPSERVER_REQUIRE_APACHE") == "1" {
			t.Fatal("python3-django is not installed (APPSERVER_REQUIRE_APACHE=1): .ci/install-deps installs it")
		}
		t.Skip("python3-django is not installed")
	}
	return admin
}

// TestQuickStartDjango (issue 8 item 5): a project made by django-admin
// startproject, served by the quick start as mod_wsgi-express serves it:
// the project folder as --working-directory (on the module search path),
// its collected static files under --url-alias, --access-log to stdout,
// 127.0.0.1 by default. The admin's login page and its CSS are served.
func TestQuickStartDjango(t *testing.T) {
	admin := requireDjango(t)
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-django-")
	py := func(args ...string) {
		t.Helper()
		cmd := exec.Command("/usr/bin/python3", args...)
		cmd.Dir = dir
		if len(args) > 0 && args[0] == "manage.py" {
			cmd.Dir = filepath.Join(dir, "mysite")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("python3 %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	py(admin, "startproject", "mysite")
	project := filepath.Join(dir, "mysite")
	settings := filepath.Join(project, "mysite", "settings.py")
	text, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	text = append(text, []byte("\nSTATIC_ROOT = BASE_DIR / 'static'\n")...)
	oracleWriteFile(t, settings, text)
	py("manage.py", "collectstatic", "--noinput", "-v0")
	py("manage.py", "migrate", "-v0")
	if out, err := exec.Command("chmod", "-R", "a+rwX", dir).CombinedOutput(); err != nil {
		t.Fatalf("chmod: %v %s", err, out)
	}

	port := oracleFreePort(t)
	logPath := filepath.Join(dir, "serve.log")
	srv, err := serveLaunch(t, logPath, nil, bin, "serve", filepath.Join(project, "mysite", "wsgi.py"),
		"--working-directory", project, "--url-alias", "/static="+filepath.Join(project, "static"),
		"--access-log", "--port", strconv.Itoa(port), "--python", "/usr/bin/python3")
	if err != nil {
		t.Fatal(err)
	}
	srv.Port = port
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", srv.Addr(), time.Second); err == nil {
			c.Close()
			srv.started = true
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the quick start does not accept connections:\n%s", srv.Tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/admin/login/"); resp.StatusCode != 200 || !strings.Contains(body, "Django administration") {
		t.Errorf("/admin/login/: %d\n%.300s\n%s", resp.StatusCode, body, srv.Tail(40))
	}
	if resp, body := get("/static/admin/css/base.css"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || len(body) < 1000 {
		t.Errorf("/static/admin/css/base.css: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	time.Sleep(500 * time.Millisecond) // the access log is flushed within 200 ms
	log := srv.Tail(60)
	for _, want := range []string{`"GET /admin/login/ HTTP/1.1" 200`, "addr=127.0.0.1:" + strconv.Itoa(port)} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if os.Geteuid() == 0 && !strings.Contains(log, "the workers run as nobody:nogroup") {
		t.Errorf("running as root, the quick start does not say the workers run as nobody:\n%s", log)
	}
}

// TestQuickStartMissingScript: a clear error, not a raw Go one.
func TestQuickStartMissingScript(t *testing.T) {
	bin := serveBinary(t)
	out, err := exec.Command(bin, "serve", "/nonexistent/mysite/wsgi.py").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no WSGI script at /nonexistent/mysite/wsgi.py: give the path of the Python file that defines application") {
		t.Errorf("serve of a missing script: %v\n%s", err, out)
	}
}

// TestQuickStartReloadOnChanges (issue 8 item 5): with --reload-on-changes
// an edited module is served by new workers within a few seconds.
func TestQuickStartReloadOnChanges(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-reload-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte("from version import V\ndef application(e, s):\n    s('200 OK', [])\n    return [V.encode()]\n"))
	oracleWriteFile(t, filepath.Join(dir, "version.py"), []byte("V = 'one'\n"))
	port := oracleFreePort(t)
	srv, err := serveLaunch(t, filepath.Join(dir, "serve.log"), nil, bin, "serve", filepath.Join(dir, "app.py"),
		"--working-directory", dir, "--reload-on-changes", "--port", strconv.Itoa(port), "--python", "/usr/bin/python3")
	if err != nil {
		t.Fatal(err)
	}
	srv.Port = port
	body := func() string {
		resp, err := http.Get("http://" + srv.Addr() + "/")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for body() != want {
			if time.Now().After(deadline) {
				t.Fatalf("never served %q (last %q):\n%s", want, body(), srv.Tail(30))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("one")
	srv.started = true
	oracleWriteFile(t, filepath.Join(dir, "version.py"), []byte("V = 'two'\n"))
	waitFor("two")
	if log := srv.Tail(50); !strings.Contains(log, "source changed") || !strings.Contains(log, "version.py") {
		t.Errorf("the restart is not logged with the file:\n%s", log)
	}
}

// TestQuickStartFailsFast (issue 8 item 6): a script without application,
// or one that does not import, stops the quick start at once with the file
// and the Python error (gunicorn does the same), instead of a server that
// answers 500 to everything.
func TestQuickStartFailsFast(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-failfast-")
	oracleWriteFile(t, filepath.Join(dir, "noapp.py"), []byte("app = None\n"))
	oracleWriteFile(t, filepath.Join(dir, "badimport.py"), []byte("import no_such_module_here\n"))
	for name, want := range map[string]string{
		"noapp.py":     "Target WSGI script '" + filepath.Join(dir, "noapp.py") + "' does not contain WSGI application 'application'",
		"badimport.py": "ModuleNotFoundError: No module named 'no_such_module_here'",
	} {
		port := strconv.Itoa(oracleFreePort(t))
		cmd := exec.Command(bin, "serve", filepath.Join(dir, name), "--port", port, "--python", "/usr/bin/python3")
		done := make(chan struct{})
		timer := time.AfterFunc(30*time.Second, func() {
			select {
			case <-done:
			default:
				_ = cmd.Process.Kill()
			}
		})
		out, err := cmd.CombinedOutput()
		close(done)
		timer.Stop()
		if err == nil || !strings.Contains(string(out), "cannot start worker process: ") || !strings.Contains(string(out), want) {
			t.Errorf("%s: %v, want a failed start saying %q:\n%s", name, err, want, out)
		}
		// Issue 8 item 7: the traceback is one log record.
		if n := strings.Count(string(out), "Traceback"); name == "badimport.py" && (n != 1 || strings.Count(string(out), "\n  File ") != 0) {
			t.Errorf("%s: the traceback is not one log record:\n%s", name, out)
		}
	}
}

// TestConfigtestCheckScripts (issue 8 item 6): configtest --check-scripts
// imports each script in one worker of the group its URL routes to and
// reports the one that fails at its WSGIScriptAlias line.
func TestConfigtestCheckScripts(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-checkscripts-")
	oracleWriteFile(t, filepath.Join(dir, "ok.py"), []byte(signalsApp))
	oracleWriteFile(t, filepath.Join(dir, "bad.py"), []byte("import no_such_module_here\n"))
	conf := filepath.Join(dir, "site.conf")
	oracleWriteFile(t, conf, []byte(strings.ReplaceAll(`Listen 127.0.0.1:8999
WSGIPythonHome /usr
WSGIDaemonProcess a processes=2
WSGIDaemonProcess b
WSGIProcessGroup a
WSGIScriptAlias /ok @DIR@/ok.py
WSGIScriptAlias /bad @DIR@/bad.py
<Location /bad>
    WSGIProcessGroup b
</Location>
`, "@DIR@", dir)))
	out, err := exec.Command(bin, "configtest", "-f", conf, "--check-scripts").CombinedOutput()
	for _, want := range []string{"site.conf:7:1: ", "WSGIDaemonProcess b: cannot start worker process", "No module named 'no_such_module_here'", "1 script(s) imported"} {
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("configtest --check-scripts (%v) lacks %q:\n%s", err, want, out)
		}
	}
	oracleWriteFile(t, filepath.Join(dir, "bad.py"), []byte(signalsApp))
	if out, err := exec.Command(bin, "configtest", "-f", conf, "--check-scripts").CombinedOutput(); err != nil || !strings.Contains(string(out), "2 script(s) imported") {
		t.Errorf("with both scripts fixed: %v\n%s", err, out)
	}
}
