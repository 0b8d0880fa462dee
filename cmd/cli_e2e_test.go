package cmd_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCLIVersionManHelp (issue 8 item 8): --version and version agree, man
// writes a page per command, and serve's help does not call -f required.
func TestCLIVersionManHelp(t *testing.T) {
	bin := serveBinary(t)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("appserver %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	v1, v2 := run("--version"), run("version")
	if v1 != v2 || !regexp.MustCompile(`^appserver \S+.* \(go1\.\d+`).MatchString(v1) {
		t.Errorf("--version %q, version %q", v1, v2)
	}
	dir := t.TempDir()
	run("man", "--dir", dir)
	page, err := os.ReadFile(filepath.Join(dir, "appserver-serve.1"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), ".TH \"APPSERVER\" \"1\"") || !strings.Contains(string(page), "envvars") {
		t.Errorf("appserver-serve.1 is not the serve man page:\n%.400s", page)
	}
	// Issue 8 items 10 and 12: every bad option of a WSGIDaemonProcess line
	// at once; routes says that serve answers server-status.
	dir2 := serveWorldDir(t, "appserver-e2e-cli-")
	conf := filepath.Join(dir2, "site.conf")
	oracleWriteFile(t, conf, []byte("Listen 127.0.0.1:8999\nWSGIDaemonProcess shop processes=0 proceses=2 umask=99\nWSGIProcessGroup shop\n<Location /server-status>\n    SetHandler server-status\n</Location>\n"))
	out, _ := exec.Command(bin, "configtest", "-f", conf).CombinedOutput()
	if !strings.Contains(string(out), "3 error(s)") || strings.Contains(string(out), "names no WSGIDaemonProcess") {
		t.Errorf("configtest of three bad options:\n%s", out)
	}
	oracleWriteFile(t, conf, []byte("Listen 127.0.0.1:8999\n<Location /server-status>\n    SetHandler server-status\n</Location>\n"))
	if routes := run("routes", "-f", conf, "/server-status"); !strings.Contains(routes, "200") || !strings.Contains(routes, "handler  server-status") {
		t.Errorf("routes /server-status:\n%s", routes)
	}
	// routes --remote: Require ip is decided for that client (default
	// 127.0.0.1), and the table shows the rule.
	oracleWriteFile(t, conf, []byte("Listen 127.0.0.1:8999\n<Location /server-status>\n    SetHandler server-status\n    Require ip 127.0.0.1 10.1\n</Location>\n"))
	for _, tc := range []struct{ remote, want string }{{"", "200"}, {"10.1.2.3", "200"}, {"192.0.2.1", "403"}, {"::1", "403"}} {
		args := []string{"routes", "-f", conf, "--json"}
		if tc.remote != "" {
			args = append(args, "--remote", tc.remote)
		}
		if routes := run(append(args, "/server-status")...); !strings.Contains(routes, `"status":`+tc.want) {
			t.Errorf("routes --remote %q /server-status: want %s:\n%s", tc.remote, tc.want, routes)
		}
	}
	if table := run("routes", "-f", conf); !strings.Contains(table, "Require=any(ip 127.0.0.1 10.1)") {
		t.Errorf("routes table does not show the Require rule:\n%s", table)
	}
	if help := run("routes", "--help"); !strings.Contains(help, "--remote") || !strings.Contains(help, "Require ip") {
		t.Errorf("routes --help does not document --remote:\n%s", help)
	}
	help := run("serve", "--help")
	if line := regexp.MustCompile(`(?m)^.*--file.*$`).FindString(help); line == "" || strings.Contains(line, "required") {
		t.Errorf("serve --help: %q", line)
	}
}
