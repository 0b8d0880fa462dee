package cmd_test

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const debianSite = `<VirtualHost *:80>
	ServerName wsgi.example.test
	WSGIDaemonProcess debsite processes=1 threads=2 display-name=%{GROUP} python-home=/usr
	WSGIProcessGroup debsite
	WSGIScriptAlias / @DIR@/app/app.wsgi
	<Directory @DIR@/app>
		Require all granted
	</Directory>
	ErrorLog ${APACHE_LOG_DIR}/debsite-error.log
	CustomLog ${APACHE_LOG_DIR}/debsite-access.log combined
</VirtualHost>
`

const debianApp = `import os, pwd
def application(environ, start_response):
    body = ("%s %s" % (environ["mod_wsgi.process_group"], pwd.getpwuid(os.getuid()).pw_name)).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
`

// TestDebianTree (issue 8 items 1 and 2): Debian's /etc/apache2 as the
// apache2 package ships it, copied with mod_wsgi enabled and one WSGI site
// added the Debian way (sites-available + a link in sites-enabled), checks
// and serves unchanged: ${APACHE_*} from its envvars, <IfModule ssl_module>
// false since ssl is not enabled, workers as www-data.
func TestDebianTree(t *testing.T) {
	oracleRequireApache(t)
	if os.Geteuid() != 0 {
		t.Skip("serving Debian's tree binds port 80 and switches to www-data: needs root (CI runs as root)")
	}
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-debian-")
	tree := filepath.Join(dir, "apache2")
	if out, err := exec.Command("cp", "-a", "/etc/apache2", tree).CombinedOutput(); err != nil {
		t.Fatalf("copying /etc/apache2: %v\n%s", err, out)
	}
	if _, err := os.Lstat(filepath.Join(tree, "mods-enabled", "wsgi.load")); err != nil {
		// a2enmod wsgi
		for _, f := range []string{"wsgi.load", "wsgi.conf"} {
			if err := os.Symlink("../mods-available/"+f, filepath.Join(tree, "mods-enabled", f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	oracleWriteFile(t, filepath.Join(dir, "app", "app.wsgi"), []byte(debianApp))
	site := strings.ReplaceAll(debianSite, "@DIR@", dir)
	oracleWriteFile(t, filepath.Join(tree, "sites-available", "debsite.conf"), []byte(site))
	if err := os.Symlink("../sites-available/debsite.conf", filepath.Join(tree, "sites-enabled", "debsite.conf")); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tree, "apache2.conf")

	out, err := exec.Command(bin, "configtest", "-f", conf).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Syntax OK") {
		t.Fatalf("configtest on Debian's tree: %v\n%s", err, out)
	}
	routes, err := exec.Command(bin, "routes", "-f", conf, "--host", "wsgi.example.test", "/x").CombinedOutput()
	if err != nil || !strings.Contains(string(routes), "debsite") {
		t.Errorf("routes: %v\n%s", err, routes)
	}

	srv, err := serveStart(t, bin, conf, 80, filepath.Join(dir, "serve.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	serveWaitTitles(t, srv, map[string]int{"(wsgi:debsite)": 1})
	req, _ := http.NewRequest("GET", "http://127.0.0.1:80/x", nil)
	req.Host = "wsgi.example.test"
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "debsite www-data" {
		t.Errorf("the WSGI site answered %d %q, want 200 \"debsite www-data\"", resp.StatusCode, body)
	}
	// The default site still serves Debian's index page from /var/www/html.
	resp, err = client.Get("http://127.0.0.1:80/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the default site answered %d", resp.StatusCode)
	}
}
