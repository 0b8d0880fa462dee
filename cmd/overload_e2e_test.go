package cmd_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

const overloadConf = `Listen 127.0.0.1:@PORT@
ServerName 127.0.0.1
WSGIPythonHome /usr
WSGIDaemonProcess slow processes=1 threads=2 queue-timeout=2 listen-backlog=20 connect-timeout=1
WSGIDaemonProcess fast processes=1 threads=4
WSGIProcessGroup fast
WSGIScriptAlias / "@DIR@/app.py"
<Location /slow>
    WSGIProcessGroup slow
</Location>
`

// TestOverloadStaysLocal (issue 11 item 5): a saturated group answers what
// it cannot serve promptly (504 past queue-timeout, 503 past the backlog)
// while another group goes on serving every request.
func TestOverloadStaysLocal(t *testing.T) {
	bin := serveBinary(t)
	dir := serveWorldDir(t, "appserver-e2e-overload-")
	oracleWriteFile(t, filepath.Join(dir, "app.py"), []byte(signalsApp))
	srv := serveStartConf(t, bin, dir, "site.conf", overloadConf)
	base := "http://" + srv.Addr()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 100}}
	get := func(path string) (int, time.Duration) {
		began := time.Now()
		resp, err := client.Get(base + path)
		if err != nil {
			return 0, time.Since(began)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(began)
	}
	if code, _ := get("/warm"); code != 200 {
		t.Fatalf("warm-up: %d", code)
	}
	get("/slow/warm")

	// 60 clients at once on the slow group: 2 threads, each request 3 s.
	var mu sync.Mutex
	codes := map[int]int{}
	var slowest time.Duration
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, took := get("/slow/x?s=3")
			mu.Lock()
			codes[code]++
			if code != 200 {
				slowest = max(slowest, took)
			}
			mu.Unlock()
		}()
	}
	time.Sleep(500 * time.Millisecond)
	// Meanwhile the fast group serves every request.
	fastFailed := 0
	for range 50 {
		if code, _ := get("/fast/y"); code != 200 {
			fastFailed++
		}
	}
	wg.Wait()
	if fastFailed != 0 {
		t.Errorf("%d of 50 requests to the other group failed while one group was saturated", fastFailed)
	}
	if codes[200] < 2 || codes[504] == 0 || codes[503] == 0 || codes[200]+codes[503]+codes[504] != 60 {
		t.Errorf("the saturated group answered %v; want some 200, 504 past queue-timeout, 503 past the backlog, nothing else", codes)
	}
	// Refused requests are answered when a thread frees up (504, as
	// mod_wsgi checks the queue time then) or at once (503): none waits
	// for the whole queue.
	if slowest > 10*time.Second {
		t.Errorf("a refused request took %v to be answered", slowest)
	}
	t.Logf("slow group: %v", strconv.Quote(fmtCodes(codes)))
}

func fmtCodes(m map[int]int) string {
	s := ""
	for _, c := range []int{200, 503, 504, 0} {
		if m[c] > 0 {
			s += strconv.Itoa(c) + "×" + strconv.Itoa(m[c]) + " "
		}
	}
	return s
}
