package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The retry rule rests on how Linux AF_UNIX stream sockets report a peer
// that went away: ECONNRESET to a read when it left data unread, a plain
// EOF when it had read everything, EPIPE to a write after it closed.
func TestUnixSocketPeerDeath(t *testing.T) {
	tests := []struct {
		name    string
		readAll bool // the peer reads what we wrote before it closes
		op      string
		want    error // nil = io.EOF
	}{
		{"closed with our data unread: read", false, "read", syscall.ECONNRESET},
		{"closed after reading everything: read", true, "read", nil},
		{"closed: write", true, "write", syscall.EPIPE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ours, theirs, err := socketPair(0, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer ours.Close()
			if tc.op == "read" {
				if _, err := ours.Write([]byte("H-frame")); err != nil {
					t.Fatal(err)
				}
				if tc.readAll {
					b := make([]byte, 7)
					if _, err := io.ReadFull(theirs, b); err != nil {
						t.Fatal(err)
					}
				}
			}
			theirs.Close()
			buf := make([]byte, 16)
			if tc.op == "read" {
				_, err = ours.Read(buf)
			} else {
				_, err = ours.Write(buf)
			}
			want := tc.want
			if want == nil {
				want = io.EOF
			}
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", tc.op, err, want)
			}
		})
	}
}

// Killing healthy processes of a 2-process group again and again must
// never leave it without one: each is replaced at once, with no backoff.
func TestKilledProcessesReplacedAtOnce(t *testing.T) {
	spec := testSpec("killed")
	spec.Processes = 2
	// The lowest threshold: a second counted failure of a slot would
	// back off.
	h := newHarness(t, spec, withTick(50*time.Millisecond), func(h *harness, o *Options) { o.FailureThreshold = 1 })

	// Pollers: the times of successful answers.
	var mu sync.Mutex
	var oks []time.Time
	fails := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopPollers := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopPollers()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := h.srv.Client().Get(h.url("/pid"))
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				if ok {
					oks = append(oks, time.Now())
				} else {
					fails++
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	start := time.Now()

	// Six kills in about six seconds, each of a process that lived and
	// served (not young), so none may count toward backoff.
	var killed []int
	for k := 0; k < 6; k++ {
		time.Sleep(time.Until(start.Add(time.Duration(k) * time.Second)))
		var pid int
		for deadline := time.Now().Add(3 * time.Second); pid == 0; {
			for _, p := range h.g.Snapshot().Processes {
				if p.State == "ready" && (p.Requests >= 2*youngRequests || time.Since(p.ReadyAt) > youngAge) {
					pid = p.PID
					break
				}
			}
			if pid == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("kill %d: no ready process that served for 3s; events %v", k, h.eventList())
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		syscallKill(pid)
		killed = append(killed, pid)
	}
	time.Sleep(2 * time.Second)
	stopPollers()

	h.mu.Lock()
	exitAt := map[int]time.Time{}
	var readyAt []Event
	for _, e := range h.events {
		switch {
		case e.Kind == EventExited && e.Reason == ReasonCrash:
			exitAt[e.PID] = e.Time
			if e.Backoff != 0 {
				t.Errorf("pid %d: killed after serving, backoff %s, want 0", e.PID, e.Backoff)
			}
		case e.Kind == EventReady:
			readyAt = append(readyAt, e)
		}
	}
	h.mu.Unlock()
	for _, pid := range killed {
		at, ok := exitAt[pid]
		if !ok {
			t.Errorf("no crash event for killed pid %d", pid)
			continue
		}
		replaced := false
		for _, e := range readyAt {
			if !e.Time.Before(at) && e.Time.Sub(at) < 2*time.Second {
				replaced = true
			}
		}
		if !replaced {
			t.Errorf("pid %d killed at %s: no process became ready within 2s", pid, at.Format("15:04:05.000"))
		}
	}
	// At every moment at least one process served: no gap of a second
	// between answers.
	mu.Lock()
	defer mu.Unlock()
	prev := start
	for _, at := range oks {
		if at.Before(start) {
			continue
		}
		if gap := at.Sub(prev); gap > time.Second {
			t.Errorf("no answer for %s before %s", gap, at.Format("15:04:05.000"))
		}
		prev = at
	}
	if s := h.g.Snapshot(); len(h.workerPIDs()) != 2 {
		t.Errorf("after the kills: %+v", s)
	}
	t.Logf("%d answers, %d failed requests, %d kills", len(oks), fails, len(killed))
}

// A worker that dies at import, every time, backs off instead of being
// restarted in a loop, and serves again once the script is fixed.
func TestCrashLoopBacksOff(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "broken")
	script := filepath.Join(dir, "preload.py")
	if err := os.WriteFile(script, []byte("import os\nif os.path.exists("+
		jsonString(marker)+"):\n    os._exit(7)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := testSpec("loop")
	spec.Preload = []Preload{{Script: script}}
	h := newHarness(t, spec, withTick(50*time.Millisecond), func(h *harness, o *Options) {
		o.FailureThreshold = 2
		o.FailureBackoff = 2 * time.Second
	})
	if code, _, _ := h.get("/hello"); code != 200 {
		t.Fatalf("GET /hello = %d", code)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pid := h.workerPIDs()[0]
	syscallKill(pid)
	time.Sleep(3 * time.Second)
	failed := h.countEvents(EventSpawnFailed, "")
	// Two at once (the threshold), one early start because no process was
	// left (rescue), then one per 2-3s: a loop without backoff would
	// have started dozens of interpreters in these 3s.
	if failed < 3 || failed > 6 {
		t.Errorf("%d failed starts in 3s, want 3 to 6; events %v", failed, h.eventList())
	}
	backedOff := false
	h.mu.Lock()
	for _, e := range h.events {
		if e.Kind == EventSpawnFailed && e.Backoff >= 2*time.Second {
			backedOff = true
		}
	}
	h.mu.Unlock()
	if !backedOff {
		t.Errorf("no failed start backed off: %v", h.eventList())
	}
	if !strings.Contains(h.logs.String(), "restart_in=") {
		t.Errorf("restarts not logged with their delay:\n%s", h.logs)
	}
	os.Remove(marker)
	for deadline := time.Now().Add(10 * time.Second); len(h.workerPIDs()) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no process after the script was fixed: %v", h.eventList())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _, _ := h.get("/hello"); code != 200 {
		t.Errorf("after the fix: GET /hello = %d", code)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// A request written to a worker that is killed before it reads it is sent
// to the replacement; one the application was running when its worker
// died gets 500 and is never run twice.
func TestRetryRequestTheWorkerNeverRead(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	spec := testSpec("retry")
	h := newHarness(t, spec, withTick(50*time.Millisecond))
	runs := func(f string) []string {
		b, _ := os.ReadFile(f)
		return strings.Fields(string(b))
	}

	// The kernel now and then reports a plain EOF instead of ECONNRESET
	// for a worker killed while stopped (about 1 run in 20 here; the
	// request then gets 500, as before retries existed), so the scenario
	// gets three attempts; without the retry every attempt fails.
	t.Run("never read", func(t *testing.T) {
		var problems []string
		for attempt := 1; attempt <= 3; attempt++ {
			problems = nil
			fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
			retriesBefore := h.g.Snapshot().Retries
			logBefore := len(h.logs.String())
			f := filepath.Join(dir, fmt.Sprintf("never-read-%d", attempt))
			// A process that has answered is past its start-up: every thread
			// waits on its connection.
			if code, _, _ := h.get("/hello"); code != 200 {
				t.Fatalf("warm-up: %d", code)
			}
			pid := h.workerPIDs()[0]
			if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
			type result struct {
				code int
				body string
			}
			done := make(chan result, 1)
			go func() {
				code, body, _ := h.get("/append?f=" + f)
				done <- result{code, body}
			}()
			// The request is on the stopped worker's connection...
			for deadline := time.Now().Add(5 * time.Second); h.g.Snapshot().InFlight != 1; {
				if time.Now().After(deadline) {
					t.Fatal("the request never reached the worker")
				}
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // ...and its head written
			syscallKill(pid)
			r := <-done
			var m map[string]any
			json.Unmarshal([]byte(r.body), &m)
			if r.code != 200 || m["pid"] == float64(pid) {
				fail("request written to a killed worker: %d %q, want the replacement's 200", r.code, r.body)
			}
			if got := runs(f); len(got) != 1 {
				fail("the application ran %d times (%v), want once", len(got), got)
			}
			if s := h.g.Snapshot(); s.Retries != retriesBefore+1 {
				fail("Retries = %d, want %d", s.Retries, retriesBefore+1)
			}
			if !strings.Contains(h.logs.String()[logBefore:], "died before it read the request") {
				fail("retry not logged:\n%s", h.logs)
			}
			if len(problems) == 0 {
				return
			}
			t.Logf("attempt %d: %s", attempt, strings.Join(problems, "; "))
		}
		t.Error(strings.Join(problems, "\n"))
	})

	t.Run("app was running", func(t *testing.T) {
		f := filepath.Join(dir, "running")
		var pid int
		for deadline := time.Now().Add(5 * time.Second); pid == 0; {
			if pids := h.workerPIDs(); len(pids) == 1 {
				pid = pids[0]
			} else if time.Now().After(deadline) {
				t.Fatal("no ready process")
			} else {
				time.Sleep(10 * time.Millisecond)
			}
		}
		before := h.g.Snapshot().Retries
		done := make(chan int, 1)
		go func() {
			code, _, _ := h.get("/append?s=10&f=" + f)
			done <- code
		}()
		for deadline := time.Now().Add(5 * time.Second); len(runs(f)) == 0; {
			if time.Now().After(deadline) {
				t.Fatal("the application never ran")
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Kill the process the application runs in (it wrote its pid).
		if ran, err := strconv.Atoi(runs(f)[0]); err != nil {
			t.Fatal(err)
		} else {
			pid = ran
		}
		syscallKill(pid)
		if code := <-done; code != 500 {
			t.Errorf("request whose application was running when the worker died = %d, want 500", code)
		}
		// Give a wrong retry every chance to show up in the file.
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if pids := h.workerPIDs(); len(pids) == 1 && pids[0] != pid {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no replacement")
			}
		}
		if code, _, _ := h.get("/hello"); code != 200 {
			t.Errorf("after the crash: %d", code)
		}
		if got := runs(f); len(got) != 1 {
			t.Errorf("the application ran %d times (%v), want once", len(got), got)
		}
		if s := h.g.Snapshot(); s.Retries != before {
			t.Errorf("Retries %d -> %d, want no retry", before, s.Retries)
		}
	})
}
