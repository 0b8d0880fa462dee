package cmd_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// controlApp spins in a function with a name nothing else has, so that it
// can be looked for in stacks and profiles.
const controlApp = `import time
def appserver_e2e_spin(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
    return n

def application(environ, start_response):
    q = environ.get("QUERY_STRING", "")
    if q.startswith("spin="):
        appserver_e2e_spin(float(q[5:]))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
`

const controlConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess app processes=2 threads=4 display-name=%{GROUP}
WSGIProcessGroup app
WSGIScriptAlias / "@DIR@/app.py"
`

var controlSocketLog = regexp.MustCompile(`msg="control socket" path=(\S+)`)

// TestControlSocket (issue 10, items 6-8): appserver status -f FILE finds
// the running server through its control socket (owner only) and prints
// its groups and processes, --stacks the stack of a slow request, and
// appserver profile the function the requests spin in.
func TestControlSocket(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-control-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(controlApp))
	srv := serveStartConf(t, bin, dir, "site.conf", controlConf)
	conf := filepath.Join(dir, "site.conf")
	run := func(args ...string) (string, error) {
		t.Helper()
		out, err := exec.Command(bin, args...).CombinedOutput()
		return string(out), err
	}
	base := "http://" + srv.Addr()

	// The socket: where the log says, owner only.
	var sock string
	for deadline := time.Now().Add(10 * time.Second); sock == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(srv.Logs[0])
		if m := controlSocketLog.FindSubmatch(data); m != nil {
			sock = string(m[1])
		}
	}
	if sock == "" {
		t.Fatalf("no control socket in the log:\n%s", srv.Tail(20))
	}
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket %s: mode %v, want a socket with 0600", sock, fi.Mode())
	}
	if di, err := os.Stat(filepath.Dir(sock)); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("control socket directory: %v %v, want 0700", di.Mode(), err)
	}

	// Requests have to arrive for the processes to be ready: wait for both.
	serveGet(t, base+"/")
	var st struct {
		Groups []struct {
			Name      string `json:"name"`
			Requests  int    `json:"requests"`
			Threads   int    `json:"threads"`
			Processes []struct {
				PID   int    `json:"pid"`
				State string `json:"state"`
			} `json:"processes"`
		} `json:"groups"`
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, err := run("status", "-f", conf, "--json")
		if err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("status --json: %v\n%s", err, out)
		}
		if len(st.Groups) == 1 && st.Groups[0].Threads == 8 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status --json: want group app with 8 ready threads:\n%s", out)
		}
	}
	if g := st.Groups[0]; g.Name != "app" || g.Requests != 1 || len(g.Processes) != 2 {
		t.Errorf("status --json: %+v", g)
	}
	out, err := run("status", "-f", conf)
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	for _, want := range []string{"Group app", "State        : running", "Requests     : 1 ", "0 of 8 threads busy", "RSS MB  CPU s"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if bySocket, err := run("status", "--socket", sock); err != nil || !strings.Contains(bySocket, "Group app") {
		t.Errorf("status --socket: %v\n%s", err, bySocket)
	}
	for _, p := range st.Groups[0].Processes {
		if !regexp.MustCompile(`(?m)^\s+` + strconv.Itoa(p.PID) + `\s+ready\s+0/4\s`).MatchString(out) {
			t.Errorf("status has no line for process %d:\n%s", p.PID, out)
		}
	}

	// --stacks while a slow request runs: its function and its URL.
	slow := make(chan error, 1)
	go func() {
		resp, err := http.Get(base + "/slow?spin=4")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		slow <- err
	}()
	var stacks string
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		stacks, err = run("status", "-f", conf, "--stacks")
		if err != nil {
			t.Fatalf("status --stacks: %v\n%s", err, stacks)
		}
		if strings.Contains(stacks, "appserver_e2e_spin") || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{"group app, pid ", "GET /slow?spin=4, running ", "in appserver_e2e_spin", "app.py"} {
		if !strings.Contains(stacks, want) {
			t.Errorf("status --stacks lacks %q:\n%s", want, stacks)
		}
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}

	// profile under load: the spinning function is what the threads do.
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := http.Get(base + "/load?spin=0.3")
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	folded := filepath.Join(dir, "x.folded")
	out, err = run("profile", "-f", conf, "app", "--duration", "2s", "--out", folded)
	svg := filepath.Join(dir, "x.svg")
	outSVG, errSVG := run("profile", "-f", conf, "app", "--duration", "1s", "--out", svg)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatalf("profile: %v\n%s", err, out)
	}
	data, err := os.ReadFile(folded)
	if err != nil {
		t.Fatal(err)
	}
	spins := 0
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if n, err := strconv.Atoi(line[strings.LastIndexByte(line, ' ')+1:]); err != nil || n <= 0 {
			t.Errorf("bad folded line %q", line)
		}
		if strings.Contains(line, ";appserver_e2e_spin ("+filepath.Join(dir, "app.py")+":2) ") {
			spins++
		}
	}
	if spins == 0 {
		t.Errorf("profile: no stack ends in appserver_e2e_spin:\n%s\n%s", data, out)
	}
	if errSVG != nil {
		t.Fatalf("profile --out x.svg: %v\n%s", errSVG, outSVG)
	}
	picture, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(picture)))
	for {
		if _, err := d.Token(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Errorf("x.svg is not XML: %v", err)
			}
			break
		}
	}
	if !strings.Contains(string(picture), "appserver_e2e_spin") {
		t.Errorf("x.svg does not show appserver_e2e_spin")
	}
	if out, err := run("profile", "-f", conf, "nope", "--duration", "1s"); err == nil || !strings.Contains(out, `no group "nope": the groups are app`) {
		t.Errorf("profile of an unknown group: %v\n%s", err, out)
	}

	// Stopped: the socket is gone, and status says nothing serves the config.
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("control socket left behind after stop: %v", err)
	}
	out, err = run("status", "-f", conf)
	if want := "appserver: no appserver is serving " + conf + ": nothing listens on " + sock + "\n"; err == nil || out != want {
		t.Errorf("status with no server: %v %q, want %q", err, out, want)
	}
}
