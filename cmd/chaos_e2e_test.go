package cmd_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const chaosConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
DocumentRoot "@DIR@"
<Directory "@DIR@">
    Require all granted
</Directory>

WSGIDaemonProcess chaos processes=2 threads=4 display-name=%{GROUP}
WSGIProcessGroup chaos
WSGIApplicationGroup %{GLOBAL}
WSGIScriptAlias / "@DIR@/chaos.wsgi"
`

// The app notes every request it starts (id and pid) in entries.log, so a
// failed request can be traced to the process that had it.
const chaosApp = `import os, time

LOG = @LOG@

def application(environ, start_response):
    pid = os.getpid()
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, ("%s %d\n" % (environ.get("HTTP_X_REQ", "-"), pid)).encode())
    finally:
        os.close(fd)
    time.sleep(0.003)
    body = str(pid).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
`

type chaosResult struct {
	id         string
	start, end time.Time
	code       int // 0 = connection error
	pid        int // who answered 200
	err        error
}

type chaosKill struct {
	pid int
	at  time.Time
}

func (k chaosKill) String() string { return fmt.Sprintf("%d@%s", k.pid, k.at.Format("15:04:05.000")) }

// TestChaosKill9 kills a worker of a 2×4 group with SIGKILL every second
// while 8 keep-alive clients send requests for 10s: only requests inside
// the killed process may fail, and no second passes without answers.
func TestChaosKill9(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-chaos-")
	entries := filepath.Join(dir, "entries.log")
	oracleWriteFile(t, entries, nil)
	if err := os.Chmod(entries, 0o666); err != nil { // the workers may run as nobody
		t.Fatal(err)
	}
	oracleWriteFile(t, filepath.Join(dir, "chaos.wsgi"), []byte(strings.ReplaceAll(chaosApp, "@LOG@", strconv.Quote(entries))))
	srv := serveStartConf(t, bin, dir, "chaos.conf", chaosConf)
	serveWaitTitles(t, srv, map[string]int{"(wsgi:chaos)": 2})
	base := "http://" + srv.Addr() + "/"

	const run = 10 * time.Second
	var (
		mu      sync.Mutex
		results []chaosResult
		lastOK  = map[int]time.Time{} // pid -> its latest answer
	)
	start := time.Now()
	stop := start.Add(run)
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			for n := 0; time.Now().Before(stop); n++ {
				r := chaosResult{id: fmt.Sprintf("c%d-%d", c, n), start: time.Now()}
				req, _ := http.NewRequest("GET", base, nil)
				req.Header.Set("X-Req", r.id)
				resp, err := client.Do(req)
				if err == nil {
					var body []byte
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					r.code = resp.StatusCode
					r.pid, _ = strconv.Atoi(string(body))
				}
				r.err = err
				r.end = time.Now()
				if err != nil {
					r.code = 0
				}
				mu.Lock()
				results = append(results, r)
				if r.code == 200 {
					lastOK[r.pid] = r.end
				}
				mu.Unlock()
			}
		}()
	}

	// Every second, SIGKILL a worker of the group that is serving (it
	// answered within the last 500ms), found by its process title.
	var kills []chaosKill
	for k := 1; k < int(run/time.Second); k++ {
		time.Sleep(time.Until(start.Add(time.Duration(k) * time.Second)))
		victim := 0
		mu.Lock()
		for _, kid := range srv.Kids() {
			if title, _ := serveTitleOf(kid.pid); title == "(wsgi:chaos)" && time.Since(lastOK[kid.pid]) < 500*time.Millisecond {
				victim = kid.pid
				break
			}
		}
		mu.Unlock()
		if victim == 0 {
			t.Errorf("second %d: no worker of the group answered within 500ms", k)
			continue
		}
		kills = append(kills, chaosKill{victim, time.Now()})
		_ = syscall.Kill(victim, syscall.SIGKILL)
	}
	wg.Wait()

	b, err := os.ReadFile(entries)
	if err != nil {
		t.Fatal(err)
	}
	ranIn := map[string]int{} // request id -> the pid its app ran in
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			if _, dup := ranIn[f[0]]; dup {
				t.Errorf("request %s ran twice", f[0])
			}
			ranIn[f[0]], _ = strconv.Atoi(f[1])
		}
	}
	killedAt := map[int]time.Time{}
	for _, k := range kills {
		killedAt[k.pid] = k.at
	}

	perSecond := make([]int, int(run/time.Second))
	failed := 0
	for _, r := range results {
		if r.code == 200 {
			if s := int(r.end.Sub(start) / time.Second); s < len(perSecond) {
				perSecond[s]++
			}
			continue
		}
		failed++
		// Only a request inside a killed process may fail: if its app
		// ran, it ran in a pid killed while the request was in flight;
		// if not, the worker had read it (else it was retried) and a kill
		// happened while it was in flight.
		pid, ran := ranIn[r.id]
		inside := false
		if ran {
			at, killed := killedAt[pid]
			inside = killed && !at.Before(r.start) && !at.After(r.end)
		} else {
			for _, k := range kills {
				inside = inside || !k.at.Before(r.start) && !k.at.After(r.end)
			}
		}
		if r.code != 500 && r.code != 0 || !inside {
			t.Errorf("request %s (%s..%s) failed: status %d err %v; its app ran: %v (pid %d); kills %v",
				r.id, r.start.Format("15:04:05.000"), r.end.Format("15:04:05.000"), r.code, r.err, ran, pid, kills)
		}
	}
	for s, n := range perSecond {
		if n == 0 {
			t.Errorf("second %d of the run: no successful answer", s)
		}
	}
	if len(kills) < 8 {
		t.Errorf("only %d kills", len(kills))
	}
	sort.Ints(perSecond)
	t.Logf("%d requests, %d failed, %d kills; answers per second: min %d max %d",
		len(results), failed, len(kills), perSecond[0], perSecond[len(perSecond)-1])
	if t.Failed() {
		t.Logf("server log:\n%s", srv.Tail(40))
	}
}
