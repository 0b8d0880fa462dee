package cmd_test

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestListenProblems (issue 8 item 9): a port in use and a port below 1024
// without the right to bind it fail serve with the Listen line and what to
// do; configtest reports the first as a host warning (it may be the server
// being replaced) and the second as an error.
func TestListenProblems(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-listen-")
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	busy := filepath.Join(dir, "busy.conf")
	oracleWriteFile(t, busy, []byte("ServerName x\nListen "+held.Addr().String()+"\n"))
	low := filepath.Join(dir, "low.conf")
	oracleWriteFile(t, low, []byte("ServerName x\nListen 127.0.0.1:81\n"))

	// A copy nobody can run: the built binary sits in a private folder.
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	public := filepath.Join(dir, "appserver")
	if err := os.WriteFile(public, data, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(unprivileged bool, args ...string) (string, int) {
		cmd := exec.Command(public, args...)
		if unprivileged && os.Geteuid() == 0 {
			u, err := user.Lookup("nobody")
			if err != nil {
				t.Fatal(err)
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	cases := []struct {
		name         string
		unprivileged bool
		args         []string
		code         int
		want         []string
	}{
		{"configtest busy", false, []string{"configtest", "-f", busy}, 0, []string{"busy.conf:2:1: warning [host]: Listen " + held.Addr().String() + ": the address is already in use now", "Syntax OK"}},
		{"serve busy", false, []string{"serve", "-f", busy}, 1, []string{"busy.conf:2:1: Listen " + held.Addr().String() + ": the address is already in use", "stop it or choose another port"}},
		{"configtest low", true, []string{"configtest", "-f", low}, 1, []string{"low.conf:2:1: Listen 127.0.0.1:81: permission denied", "CAP_NET_BIND_SERVICE"}},
		{"serve low", true, []string{"serve", "-f", low}, 1, []string{"low.conf:2:1: Listen 127.0.0.1:81: permission denied", "CAP_NET_BIND_SERVICE"}},
	}
	for _, tc := range cases {
		out, code := run(tc.unprivileged, tc.args...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.code, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out)
			}
		}
	}
}
