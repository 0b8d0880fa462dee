package cmd_test

// The hostile-input differential test: every raw request of
// testdata/hostile (smuggling, chunk framing, head syntax, request line,
// limits, Expect, pipelining, stalls) goes on a fresh connection to real
// Apache + mod_wsgi and to appserver on the same config, and the two must
// agree on the statuses answered, whether the connection was closed and how
// many times the app was called. testdata/hostile/apache.golden keeps
// Apache's answers (rewritten with -hostile.update), so that the outcomes are
// reviewable and appserver is still checked where Apache is not installed.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	hostileUpdate = flag.Bool("hostile.update", false, "rewrite testdata/hostile/apache.golden from real Apache")
	hostileGolden = flag.Bool("hostile.golden", false, "compare appserver with apache.golden only, without starting Apache")
)

const hostileDir = "../testdata/hostile"

// hostileApp records one line per call (client port, method, target) in
// rec/PORT.log, PORT being the listener's, before it reads the body, so a
// call counts even when the body read fails.
const hostileApp = `import os

def application(environ, start_response):
    port = environ.get("mod_wsgi.listener_port") or environ.get("SERVER_PORT", "0")
    line = "%s %s %r\n" % (environ.get("REMOTE_PORT", "-"), environ.get("REQUEST_METHOD"), environ.get("REQUEST_URI"))
    fd = os.open(os.path.join(os.path.dirname(__file__), "rec", port + ".log"), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line.encode("utf-8", "backslashreplace"))
    finally:
        os.close(fd)
    n = len(environ["wsgi.input"].read())
    body = ("ok %s %d\n" % (environ.get("REQUEST_METHOD"), n)).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

// hostileConfs are the config snippets of the case groups (cases.txt's
// second column). Threads enough for every parallel case to hold one.
var hostileConfs = map[string]string{
	"default": "Timeout 10\n",
	"limits":  "Timeout 10\nLimitRequestLine 256\nLimitRequestFieldSize 256\nLimitRequestFields 10\n",
	"timeout": "Timeout 2\n",
}

const hostileSnippet = `WSGIDaemonProcess hostile processes=2 threads=16 display-name=%{GROUP}
WSGIProcessGroup hostile
WSGIApplicationGroup %{GLOBAL}
WSGIScriptAlias / "@DIR@/app.wsgi"
WSGIChunkedRequest On
<Location /nochunk>
    WSGIChunkedRequest Off
</Location>
<Location /small>
    LimitRequestBody 64
</Location>
`

// hostileAllow lists the differences from Apache we accept: case name ->
// one-line reason. Every entry is a documented, known difference.
var hostileAllow = map[string]string{}

// hostileOpen lists the cases where appserver is known to differ from
// Apache because the fix is not done yet: not accepted, only tracked. A case that starts to agree
// must leave the list, so the list can only shrink.
var hostileOpen = map[string]string{}

func hostileOpenCases(reason string, names ...string) bool {
	for _, n := range names {
		hostileOpen[n] = reason
	}
	return true
}

// Every case agrees with Apache now; a new difference is listed here as
// var _ = hostileOpenCases("open (issue N): why", "case-name", ...)
var _ = hostileOpenCases("")

type hostileCase struct {
	Name, Conf, Desc string
	Data             []byte
}

// hostileOutcome is what one server did with one case's bytes.
type hostileOutcome struct {
	Statuses []string // status of each response, in order; "no-status-line" for an answer that is not HTTP/1.x (an HTTP/0.9 body)
	Closed   bool     // the server closed the connection (else it stayed quiet and open)
	Calls    int      // times the app was called
}

func (o hostileOutcome) String() string {
	st := strings.Join(o.Statuses, ",")
	if st == "" {
		st = "none"
	}
	closed := "open"
	if o.Closed {
		closed = "closed"
	}
	return fmt.Sprintf("status=%s conn=%s app=%d", st, closed, o.Calls)
}

func hostileLoadCases(t *testing.T) []hostileCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hostileDir, "cases.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []hostileCase
	seen := map[string]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || hostileConfs[f[1]] == "" || seen[f[0]] {
			t.Fatalf("cases.txt:%d: want NAME CONFIG DESCRIPTION with a known config and a new name: %q", i+1, line)
		}
		seen[f[0]] = true
		raw, err := os.ReadFile(filepath.Join(hostileDir, f[0]+".http"))
		if err != nil {
			t.Fatalf("cases.txt:%d: %v", i+1, err)
		}
		cases = append(cases, hostileCase{Name: f[0], Conf: f[1], Desc: f[2], Data: raw})
	}
	files, _ := filepath.Glob(filepath.Join(hostileDir, "*.http"))
	if len(files) != len(cases) {
		t.Fatalf("%d .http files but %d cases in cases.txt: every file needs an index line", len(files), len(cases))
	}
	return cases
}

// hostileReadGolden parses apache.golden: "NAME status=.. conn=.. app=N".
func hostileReadGolden(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(hostileDir, "apache.golden"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		t.Fatal(err)
	}
	golden := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		golden[name] = rest
	}
	return golden
}

func TestHostileE2E(t *testing.T) {
	bin := serveBinary(t)
	cases := hostileLoadCases(t)
	haveApache := !*hostileGolden
	if _, err := os.Stat(oracleApacheBin); err != nil {
		haveApache = false
	} else if _, err := os.Stat(filepath.Join(oracleModDir, "mod_wsgi.so")); err != nil {
		haveApache = false
	}
	if !haveApache && !*hostileGolden {
		if os.Getenv("APPSERVER_REQUIRE_APACHE") == "1" || *hostileUpdate {
			oracleRequireApache(t)
		}
		t.Log("real Apache not installed: comparing appserver with apache.golden only")
	}
	golden := hostileReadGolden(t)
	if golden == nil && !haveApache {
		t.Fatal("no apache.golden and no Apache to write it")
	}
	groups := map[string][]hostileCase{}
	for _, c := range cases {
		groups[c.Conf] = append(groups[c.Conf], c)
	}
	for name := range golden {
		if !slices.ContainsFunc(cases, func(c hostileCase) bool { return c.Name == name }) && !*hostileUpdate {
			t.Errorf("apache.golden has %s, which is not in cases.txt (-hostile.update rewrites it)", name)
		}
	}
	var mu sync.Mutex
	apacheAll := map[string]string{}
	var wg sync.WaitGroup
	for _, conf := range []string{"default", "limits", "timeout"} {
		wg.Add(1)
		t.Run(conf, func(t *testing.T) {
			defer wg.Done()
			t.Parallel()
			apache, server := hostileRunGroup(t, bin, conf, groups[conf], haveApache)
			mu.Lock()
			for k, v := range apache {
				apacheAll[k] = v.String()
			}
			mu.Unlock()
			var diffs []string
			for _, c := range groups[conf] {
				want, ok := golden[c.Name]
				if haveApache {
					want = apache[c.Name].String()
					if ok && golden[c.Name] != want && !*hostileUpdate {
						t.Errorf("%s: Apache now answers %q, apache.golden says %q (-hostile.update rewrites it)", c.Name, want, golden[c.Name])
					}
				} else if !ok {
					t.Errorf("%s: not in apache.golden", c.Name)
					continue
				}
				got := server[c.Name].String()
				if got == want {
					if reason, ok := hostileAllow[c.Name]; ok {
						t.Errorf("%s: allowlisted (%s) but now agrees with Apache: drop the entry", c.Name, reason)
					}
					if reason, ok := hostileOpen[c.Name]; ok {
						t.Errorf("%s: listed as open (%s) but now agrees with Apache: drop the entry", c.Name, reason)
					}
					continue
				}
				if _, ok := hostileAllow[c.Name]; ok {
					continue
				}
				if _, ok := hostileOpen[c.Name]; ok {
					t.Logf("open: %-28s apache: %-36s appserver: %s", c.Name, want, got)
					continue
				}
				diffs = append(diffs, fmt.Sprintf("  %-28s apache: %-36s appserver: %s  (%s)", c.Name, want, got, c.Desc))
			}
			if len(diffs) > 0 {
				t.Errorf("%d of %d hostile cases differ from Apache:\n%s", len(diffs), len(groups[conf]), strings.Join(diffs, "\n"))
			}
		})
	}
	t.Cleanup(func() {
		wg.Wait()
		if !*hostileUpdate || !haveApache || len(apacheAll) != len(cases) {
			return
		}
		var b strings.Builder
		b.WriteString("# Real Apache + mod_wsgi's answers to testdata/hostile (go test ./cmd -run TestHostileE2E -args -hostile.update).\n")
		b.WriteString("# NAME status=STATUSES conn=closed|open app=CALLS\n")
		names := make([]string, 0, len(apacheAll))
		for n := range apacheAll {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(&b, "%s %s\n", n, apacheAll[n])
		}
		if err := os.WriteFile(filepath.Join(hostileDir, "apache.golden"), []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	})
}

// hostileRunGroup starts Apache (when present) and then appserver on the
// group's config and replays its cases on each in turn.
func hostileRunGroup(t *testing.T, bin, conf string, cases []hostileCase, haveApache bool) (apache, server map[string]hostileOutcome) {
	oc := oracleCase{Name: "hostile-" + conf, Conf: hostileConfs[conf] + hostileSnippet}
	var cd *oracleDir
	if haveApache {
		var a *oracleApache
		cd, a = oracleStartCase(t, oc)
		hostileLayout(t, cd)
		apache = hostileReplay(t, cd, cd.Port, conf, cases)
		if err := a.Stop(); err != nil {
			t.Error(err)
		}
	} else {
		cd = oracleNewDir(t, oc, oracleFreePort(t))
		hostileLayout(t, cd)
	}
	srv := serveStartFree(t, bin, filepath.Join(cd.Dir, "serve.log"), oracleEnv, func(port int) string {
		return serveWriteConf(t, oc, cd, port)
	})
	server = hostileReplay(t, cd, srv.Port, conf, cases)
	if err := srv.Stop(); err != nil {
		t.Error(err)
	}
	return apache, server
}

// hostileLayout writes the recording app and its world-writable rec/.
func hostileLayout(t *testing.T, cd *oracleDir) {
	t.Helper()
	oracleWriteFile(t, filepath.Join(cd.Dir, "app.wsgi"), []byte(hostileApp))
	rec := filepath.Join(cd.Dir, "rec")
	if err := os.MkdirAll(rec, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(rec, 0o777); err != nil { // both servers' workers write here
		t.Fatal(err)
	}
}

// hostileReplay sends every case to 127.0.0.1:port, several at a time, and
// counts the app's calls per case from the record file (by client port).
func hostileReplay(t *testing.T, cd *oracleDir, port int, conf string, cases []hostileCase) map[string]hostileOutcome {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// The servers of one run can get the same free port in turn: start
	// with no record, or a reused client port counts the other's calls.
	if err := os.Remove(filepath.Join(cd.Dir, "rec", strconv.Itoa(port)+".log")); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	// A warm-up request, so that no case waits for the workers to start.
	warm := hostileSend(addr, []byte("GET /warmup HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"), 20*time.Second, time.Second)
	defer warm.close()
	if len(warm.statuses) != 1 || warm.statuses[0] != "200" {
		t.Fatalf("warm-up request on %s: got %v", addr, warm.statuses)
	}
	first, quiet := 2500*time.Millisecond, 700*time.Millisecond
	if conf == "timeout" {
		first = 6 * time.Second // the answer comes at Timeout (2 s)
	}
	results := make([]hostileSent, len(cases))
	sem := make(chan struct{}, 12)
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = hostileSend(addr, c.Data, first, quiet)
		}()
	}
	wg.Wait()
	defer func() {
		for i := range results {
			results[i].close()
		}
	}()
	time.Sleep(300 * time.Millisecond) // a call still writing its record line
	calls := map[string]int{}
	if data, err := os.ReadFile(filepath.Join(cd.Dir, "rec", strconv.Itoa(port)+".log")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if p, _, ok := strings.Cut(line, " "); ok {
				calls[p]++
			}
		}
	}
	out := map[string]hostileOutcome{}
	for i, c := range cases {
		r := results[i]
		if r.err != nil {
			t.Errorf("%s: %v", c.Name, r.err)
		}
		out[c.Name] = hostileOutcome{Statuses: r.statuses, Closed: r.closed, Calls: calls[r.localPort]}
	}
	return out
}

type hostileSent struct {
	// conn is left open (closed by close), so that its client port is not
	// reused by another case of the same replay: calls are counted by it.
	conn      net.Conn
	localPort string
	statuses  []string
	closed    bool
	err       error
}

func (s *hostileSent) close() {
	if s.conn != nil {
		s.conn.Close()
	}
}

// hostileSend writes data on a fresh connection and reads responses until
// the server closes, or says nothing for quiet after a response (first before
// the first one). Write errors are ignored: a server may refuse early.
func hostileSend(addr string, data []byte, first, quiet time.Duration) hostileSent {
	var s hostileSent
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		s.err = err
		return s
	}
	s.conn = conn
	_, s.localPort, _ = net.SplitHostPort(conn.LocalAddr().String())
	go func() {
		_ = conn.SetWriteDeadline(time.Now().Add(first))
		_, _ = conn.Write(data)
	}()
	br := bufio.NewReader(conn)
	wait := first
	for len(s.statuses) < 10 {
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		if _, err := br.Peek(1); err != nil {
			var ne net.Error
			s.closed = !(errors.As(err, &ne) && ne.Timeout())
			return s
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			s.statuses = append(s.statuses, "no-status-line")
			s.closed = true // nothing after it is readable; treat as the end
			return s
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusContinue {
			s.statuses = append(s.statuses, "100")
		} else {
			s.statuses = append(s.statuses, strconv.Itoa(resp.StatusCode))
		}
		if err != nil {
			s.closed = true // the body was cut short
			return s
		}
		wait = quiet
	}
	return s
}

// TestHostileSend checks the harness's reading of a connection against
// scripted servers: it must tell closed from quiet, count every response
// and report an answer without a status line.
func TestHostileSend(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	tests := []struct {
		name  string
		reply string
		close bool
		want  string
	}{
		{"one then close", ok, true, "status=200 conn=closed app=0"},
		{"one then quiet", ok, false, "status=200 conn=open app=0"},
		{"two pipelined", ok + ok, false, "status=200,200 conn=open app=0"},
		{"continue then answer", "HTTP/1.1 100 Continue\r\n\r\n" + ok, true, "status=100,200 conn=closed app=0"},
		{"nothing then close", "", true, "status=none conn=closed app=0"},
		{"nothing and quiet", "", false, "status=none conn=open app=0"},
		{"http/0.9 body", "ok\n", true, "status=no-status-line conn=closed app=0"},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nok", true, "status=200 conn=closed app=0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				_, _ = c.Read(make([]byte, 64))
				_, _ = io.WriteString(c, tc.reply)
				if !tc.close {
					time.Sleep(2 * time.Second) // longer than the quiet period
				}
			}()
			s := hostileSend(l.Addr().String(), []byte("GET / HTTP/1.1\r\n\r\n"), time.Second, 300*time.Millisecond)
			defer s.close()
			if s.err != nil {
				t.Fatal(s.err)
			}
			got := hostileOutcome{Statuses: s.statuses, Closed: s.closed}.String()
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}
