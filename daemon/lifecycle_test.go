package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Tests of the lifecycle options: startup-timeout, deadlock-timeout,
// header-buffer-size, response-socket-timeout, listen-backlog,
// script-user/script-group, the rlimits and cpu-priority, dynamic process
// counts, and recycling under load without a failed request.

func TestStartupTimeout(t *testing.T) {
	tests := []struct {
		name    string
		scripts []string // served in turn, one request each
		codes   []int
		recycle bool
	}{
		{"never loads", []string{brokenScript}, []int{500}, true},
		{"loads", []string{helloScript}, []int{200}, false},
		// The first successful load disarms the timer for good.
		{"fails, then loads in time", []string{brokenScript, helloScript}, []int{500, 200}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // they mostly wait for the timer
			script := filepath.Join(t.TempDir(), "app.wsgi")
			spec := testSpec("startup")
			spec.StartupTimeout = time.Second
			spec.ShutdownTimeout = 500 * time.Millisecond
			h := newHarness(t, spec, withTick(50*time.Millisecond))
			old := h.workerPIDs()[0]
			armed := time.Now()
			for i, src := range tc.scripts {
				if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
				if code, body, _ := h.get("/", "X-Script", script); code != tc.codes[i] {
					t.Fatalf("request %d = %d %q, want %d", i, code, body, tc.codes[i])
				}
			}
			if !tc.recycle {
				time.Sleep(time.Until(armed.Add(1500 * time.Millisecond)))
				if n := h.countEvents(EventRecycling, ReasonStartupTimeout); n != 0 {
					t.Errorf("recycled although the script loaded: %v", h.eventList())
				}
				if pids := h.workerPIDs(); len(pids) != 1 || pids[0] != old {
					t.Errorf("ready processes %v, want still %d", pids, old)
				}
				return
			}
			e := h.waitEvent(EventRecycling, ReasonStartupTimeout, 5*time.Second)
			if e.PID != old {
				t.Errorf("recycled pid %d, want %d", e.PID, old)
			}
			if took := time.Since(armed); took < time.Second {
				t.Errorf("recycled after %s, before startup-timeout", took)
			}
			h.waitLog("Application startup timer expired")
			h.waitEvent(EventExited, ReasonStartupTimeout, 5*time.Second)
			// The replacement loads the fixed script.
			os.WriteFile(script, []byte(helloScript), 0o644)
			if code, body, _ := h.get("/", "X-Script", script); code != 200 || body != "fixed" {
				t.Errorf("after the restart: %d %q", code, body)
			}
		})
	}
}

const brokenScript = "raise ImportError('not loadable')\n"

func TestDeadlockTimeout(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		code    int
		recycle bool
	}{
		// time.sleep releases the GIL: the main thread answers pings.
		{"sleep releases the GIL", "/sleep?s=2", 200, false},
		// A C call that keeps the GIL: nothing answers; hard restart.
		{"C call holds the GIL", "/hold-gil?s=6", 500, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // they mostly wait
			spec := testSpec("deadlock")
			spec.Threads = 2
			spec.DeadlockTimeout = time.Second
			spec.ShutdownTimeout = 300 * time.Millisecond
			h := newHarness(t, spec, withTick(100*time.Millisecond))
			old := h.workerPIDs()[0]
			start := time.Now()
			code, body, _ := h.get(tc.path)
			took := time.Since(start)
			if code != tc.code {
				t.Fatalf("GET %s = %d %q after %s, want %d\nlogs:\n%s", tc.path, code, body, took, tc.code, h.logs)
			}
			if !tc.recycle {
				if n := h.countEvents(EventRecycling, ""); n != 0 {
					t.Errorf("recycled: %v", h.eventList())
				}
				return
			}
			if took > 4*time.Second {
				t.Errorf("the stuck request took %s: the process was not killed", took)
			}
			e := h.waitEvent(EventRecycling, ReasonDeadlockTimeout, time.Second)
			if e.PID != old {
				t.Errorf("recycled pid %d, want %d", e.PID, old)
			}
			h.waitLog("Daemon process deadlock timer expired")
			h.waitEvent(EventExited, ReasonDeadlockTimeout, 5*time.Second)
			m := getJSON(t, h, "/pid")
			if int(m["pid"].(float64)) == old {
				t.Errorf("still served by the deadlocked process %d", old)
			}
		})
	}
}

func TestHeaderBufferSize(t *testing.T) {
	tests := []struct {
		size int    // header-buffer-size; 0 = default 32768
		name string // header name; the line is "name: vvv..."
		n    int    // value length
		code int
	}{
		// Measured on Apache 2.4 + mod_wsgi 4.9.4 with header-buffer-size=8192:
		// "X-Long: " + 8181 bytes passes, one more gives 500.
		{8192, "X-Long", 8181, 200},
		{8192, "X-Long", 8182, 500},
		{8192, "X-Longer-Name", 8174, 200},
		{8192, "X-Longer-Name", 8175, 500},
		{0, "X-Long", 32757, 200},
		{0, "X-Long", 32758, 500},
	}
	groups := map[int]*harness{}
	for _, tc := range tests {
		h := groups[tc.size]
		if h == nil {
			spec := testSpec(fmt.Sprintf("hbs%d", tc.size))
			spec.Threads = 1 // every request reuses one connection: it must stay in step
			spec.HeaderBufferSize = tc.size
			h = newHarness(t, spec)
			groups[tc.size] = h
		}
		for _, stream := range []string{"", "1"} {
			t.Run(fmt.Sprintf("size=%d/%s=%d/stream=%s", tc.size, tc.name, tc.n, stream), func(t *testing.T) {
				code, body, _ := h.get(fmt.Sprintf("/long-header?name=%s&n=%d&stream=%s", tc.name, tc.n, stream))
				if code != tc.code {
					t.Fatalf("status %d, want %d", code, tc.code)
				}
				if code == 200 && body != "ok" && body != "chunkchunkchunk" {
					t.Errorf("body %q", body)
				}
				if code == 500 {
					h.waitLog("Truncated or oversized response headers received from daemon process")
				}
				if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
					t.Errorf("next request = %d %q", code, body)
				}
			})
		}
	}
	for _, h := range groups {
		if s := h.g.Snapshot(); s.Crashes != 0 || s.Recycles != 0 {
			t.Errorf("an oversized header disturbed the process: %+v", s)
		}
	}
}

func TestResponseSocketTimeout(t *testing.T) {
	spec := testSpec("rst")
	spec.Threads = 1
	spec.ResponseSocketTimeout = 500 * time.Millisecond
	h := newHarness(t, spec)
	marker := filepath.Join(t.TempDir(), "marker")
	// A client that asks for an endless download and never reads it.
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /stream?n=1000000&s=0&file=%s HTTP/1.1\r\nHost: x\r\n\r\n", marker)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(marker); string(b) == "stopped\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the application kept streaming to a client that does not read\nlogs:\n%s", h.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.waitLog("within response-socket-timeout")
	// The only thread is free again and in step.
	if code, body, _ := h.get("/hello"); code != 200 || body != "Hello world!" {
		t.Errorf("next request = %d %q", code, body)
	}
}

func TestListenBacklog(t *testing.T) {
	tests := []struct {
		name           string
		connectTimeout time.Duration
		minWait        time.Duration
	}{
		// mod_wsgi retries its connect for connect-timeout, then answers 503.
		{"waits connect-timeout for room", 300 * time.Millisecond, 250 * time.Millisecond},
		{"connect-timeout 0: at once", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := testSpec("backlog")
			spec.Threads = 1
			spec.ListenBacklog = 1
			spec.ConnectTimeout = tc.connectTimeout
			h := newHarness(t, spec)
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i, path := range []string{"/sleep?s=1.2", "/hello"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					codes[i], _, _ = h.get(path)
				}()
				// The first takes the thread, the second the backlog's one place.
				waitFor(t, func() bool { s := h.g.Snapshot(); return s.InFlight+s.Queued == i+1 })
			}
			start := time.Now()
			code, _, _ := h.get("/hello")
			took := time.Since(start)
			if code != 503 || took < tc.minWait || took > tc.minWait+time.Second {
				t.Errorf("request beyond listen-backlog = %d after %s, want 503 after %s", code, took, tc.minWait)
			}
			wg.Wait()
			if codes[0] != 200 || codes[1] != 200 {
				t.Errorf("the running and the queued request = %v, want 200 200", codes)
			}
			if s := h.g.Snapshot(); s.BacklogFull != 1 {
				t.Errorf("BacklogFull = %d, want 1", s.BacklogFull)
			}
			h.waitLog("listener backlog limit was exceeded")
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestScriptUserAndGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	nogroup, err := user.LookupGroup("nogroup")
	if err != nil {
		t.Skip("no group nogroup")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nogroup.Gid)
	src, _ := os.ReadFile(testApp(t))
	base := t.TempDir()
	os.Chmod(base, 0o755)
	n := 0
	// layout makes dir/app.wsgi with the given owners and modes.
	layout := func(fileUID, fileGID int, fileMode os.FileMode, dirUID, dirGID int, dirMode os.FileMode) string {
		n++
		dir := filepath.Join(base, strconv.Itoa(n))
		file := filepath.Join(dir, "app.wsgi")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(file, src, 0o644)
		for _, e := range []error{os.Chown(file, fileUID, fileGID), os.Chmod(file, fileMode),
			os.Chown(dir, dirUID, dirGID), os.Chmod(dir, dirMode)} {
			if e != nil {
				t.Fatal(e)
			}
		}
		return file
	}
	tests := []struct {
		name   string
		byUser bool
		script string
		code   int
		log    string
	}{
		{"user: owner and folder match", true, layout(uid, 0, 0o644, uid, 0, 0o755), 200, ""},
		{"user: file owned by root", true, layout(0, 0, 0o644, uid, 0, 0o755), 403,
			"Owner of WSGI script file does not match required user for daemon process, user=root"},
		{"user: file world-writable", true, layout(uid, 0, 0o646, uid, 0, 0o755), 403, "WSGI script file is writable to world"},
		{"user: file group-writable", true, layout(uid, 0, 0o664, uid, 0, 0o755), 403, "WSGI script file is writable to group"},
		{"user: folder owned by root", true, layout(uid, 0, 0o644, 0, 0, 0o755), 403,
			"Owner of parent directory of WSGI script file does not match required user for daemon process, user=root"},
		{"user: folder group-writable", true, layout(uid, 0, 0o644, uid, 0, 0o775), 403,
			"Parent directory of WSGI script file is writable to group"},
		{"group: group and folder match, group-writable is fine", false, layout(0, gid, 0o664, 0, gid, 0o775), 200, ""},
		{"group: file of group root", false, layout(0, 0, 0o644, 0, gid, 0o755), 403,
			"Group of WSGI script file does not match required group for daemon process, group=root"},
		{"group: folder of group root", false, layout(0, gid, 0o644, 0, 0, 0o755), 403,
			"Group of parent directory of WSGI script file does not match required group for daemon process, group=root"},
		{"group: folder world-writable", false, layout(0, gid, 0o644, 0, gid, 0o757), 403,
			"Parent directory of WSGI script file is writable to world"},
	}
	userSpec := testSpec("scriptuser")
	userSpec.ScriptUser = "nobody"
	groupSpec := testSpec("scriptgroup")
	groupSpec.ScriptGroup = "#" + nogroup.Gid
	hu, hg := newHarness(t, userSpec), newHarness(t, groupSpec)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := hg
			if tc.byUser {
				h = hu
			}
			code, body, _ := h.get("/hello", "X-Script", tc.script)
			if code != tc.code {
				t.Errorf("status %d %q, want %d", code, body, tc.code)
			}
			if tc.log != "" {
				h.waitLog(tc.log + ": " + tc.script)
			}
		})
	}
	if s := hu.g.Snapshot(); s.Requests != 1 {
		t.Errorf("script-user group ran %d requests, want only the allowed one", s.Requests)
	}
}

func TestLimitsAndPriority(t *testing.T) {
	t.Run("cpu-time-limit recycles gracefully", func(t *testing.T) {
		spec := testSpec("cpulimit")
		spec.CPUTimeLimit = time.Second
		h := newHarness(t, spec)
		old := h.workerPIDs()[0]
		// Past the soft limit SIGXCPU asks for a graceful recycle: the
		// request still completes on the old process.
		m := getJSON(t, h, "/burn?s=1.3")
		if int(m["pid"].(float64)) != old {
			t.Errorf("burn served by %v, want %d", m["pid"], old)
		}
		h.waitEvent(EventRecycling, ReasonCPUTimeLimit, 5*time.Second)
		e := h.waitEvent(EventExited, ReasonCPUTimeLimit, 5*time.Second)
		if e.PID != old || e.Err != nil {
			t.Errorf("exit %v, want a clean exit of %d", e, old)
		}
		if s := h.g.Snapshot(); s.Crashes != 0 {
			t.Errorf("the CPU limit killed the process: %+v", s)
		}
	})
	t.Run("memory limits", func(t *testing.T) {
		spec := testSpec("memlimit")
		spec.MemoryLimit = 200 << 20
		spec.VirtualMemoryLimit = 1 << 30
		h := newHarness(t, spec)
		pid := h.workerPIDs()[0]
		limits, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
		for _, want := range []string{
			fmt.Sprintf("Max data size             %-20d %-20d bytes", 200<<20, 200<<20),
			fmt.Sprintf("Max address space         %-20d %-20d bytes", 1<<30, 1<<30),
		} {
			if !strings.Contains(string(limits), want) {
				t.Errorf("/proc/%d/limits lacks %q:\n%s", pid, want, limits)
			}
		}
		for _, tc := range []struct {
			mb   int
			code int
		}{{10, 200}, {300, 500}, {900, 500}} {
			if code, body, _ := h.get(fmt.Sprintf("/alloc?mb=%d", tc.mb)); code != tc.code {
				t.Errorf("allocating %d MB = %d %q, want %d", tc.mb, code, body, tc.code)
			}
		}
		h.waitLog("MemoryError")
	})
	t.Run("cpu-priority", func(t *testing.T) {
		spec := testSpec("nice")
		spec.CPUPriority = 7
		h := newHarness(t, spec)
		m := getJSON(t, h, "/nice")
		if m["nice"] != float64(7) {
			t.Errorf("nice %v, want 7", m["nice"])
		}
		tasks, _ := m["tasks"].(map[string]any)
		if len(tasks) < spec.Threads+1 {
			t.Errorf("only %d tasks: %v", len(tasks), tasks)
		}
		for tid, nice := range tasks {
			if nice != float64(7) {
				t.Errorf("thread %s has nice %v, want 7 like the process", tid, nice)
			}
		}
	})
}

func TestInterpreterNotRunnableByUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: workers only switch users as root")
	}
	requirePython(t)
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("no user nobody")
	}
	private := openTempDir(t)
	os.Chmod(private, 0o700)
	link := filepath.Join(private, "python3")
	if err := os.Symlink("/usr/bin/python3", link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		python string
		want   []string
	}{
		{"interpreter in a private folder", link, []string{
			"test.conf:1:1: WSGIDaemonProcess runas: python interpreter " + link,
			"user nobody (uid", "the folder " + private + " (mode -rwx------) is not searchable",
			"python-home=/usr", "WSGIPythonHome /usr", "appserver serve --python /usr/bin/python3"}},
	}
	// The usual trap: python3 on root's PATH is pyenv under /root.
	if exe, err := resolvePython(context.Background(), "python3"); err == nil && strings.HasPrefix(exe, "/root/") {
		if fi, err := os.Stat("/root"); err == nil && fi.Mode().Perm()&0o001 == 0 {
			tests = append(tests, struct {
				name   string
				python string
				want   []string
			}{"python3 on root's PATH under /root", "", []string{
				"python interpreter " + exe + " (what python3 runs) cannot be run by the workers' user nobody",
				"the folder /root", "python-home=/usr"}})
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := testSpec("runas")
			spec.User = "nobody"
			g := NewGroup(spec, Options{Python: tc.python, Logger: discardLogger()})
			err := g.Start(context.Background())
			if err == nil {
				g.Stop(context.Background())
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if s := g.Snapshot(); len(s.Processes) != 0 {
				t.Errorf("processes left: %+v", s.Processes)
			}
		})
	}
}

func TestExecBlocker(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	base := openTempDir(t)
	mk := func(name string, mode os.FileMode, uid, gid int) string {
		p := filepath.Join(base, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if strings.HasSuffix(name, "/") {
			os.Mkdir(p, mode)
		} else {
			os.WriteFile(p, []byte("#!/bin/sh\n"), mode)
		}
		os.Chown(p, uid, gid)
		os.Chmod(p, mode)
		return p
	}
	cred := &syscall.Credential{Uid: 1234, Gid: 5678, Groups: []uint32{91}}
	tests := []struct {
		name, path, want string
	}{
		{"world-executable", mk("a/prog", 0o755, 0, 0), ""},
		{"owner only, owned by the user", mk("b/prog", 0o700, 1234, 0), ""},
		{"owner only, owned by root", mk("c/prog", 0o700, 0, 0), "is not executable by that user"},
		{"group bit, supplementary group", mk("d/prog", 0o750, 0, 91), ""},
		{"group bit, other group", mk("e/prog", 0o750, 0, 92), "is not executable by that user"},
		{"private folder", func() string { mk("f/", 0o700, 0, 0); return mk("f/prog", 0o755, 0, 0) }(), "the folder " + base + "/f (mode"},
		{"folder of the user's primary group", func() string { mk("g/", 0o710, 0, 5678); return mk("g/prog", 0o755, 0, 0) }(), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := execBlocker(tc.path, cred)
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("execBlocker(%s) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	if got := execBlocker(mk("h/prog", 0o700, 0, 0), &syscall.Credential{Uid: 0}); got != "" {
		t.Errorf("root: %q, want no blocker", got)
	}
}

// openTempDir is a temporary folder that every user can search (the
// parent of t.TempDir() is private).
func openTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "daemon-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDynamicProcesses(t *testing.T) {
	tests := []struct{ min, max int }{{1, 3}, {0, 2}}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("min=%d max=%d", tc.min, tc.max), func(t *testing.T) {
			spec := testSpec("dynamic")
			spec.Processes = tc.max
			spec.MinProcesses = tc.min
			spec.IdleTimeout = 700 * time.Millisecond
			spec.Threads = 1
			h := newHarness(t, spec, withTick(50*time.Millisecond))
			if n := len(h.workerPIDs()); n != tc.min {
				t.Fatalf("%d processes after Start, want min-processes=%d", n, tc.min)
			}
			// max requests at once on one-thread processes: the queue grows
			// and the group starts processes up to max.
			var wg sync.WaitGroup
			var mu sync.Mutex
			pids := map[int]bool{}
			for i := 0; i < tc.max; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					code, body, _ := h.get("/sleep?s=1")
					var m map[string]any
					json.Unmarshal([]byte(body), &m)
					if code != 200 {
						t.Errorf("request during scale-up = %d %q", code, body)
					}
					mu.Lock()
					pids[int(m["pid"].(float64))] = true
					mu.Unlock()
				}()
			}
			peak := 0
			for done := waitChan(&wg); ; {
				peak = max(peak, len(h.workerPIDs()))
				select {
				case <-done:
				case <-time.After(10 * time.Millisecond):
					continue
				}
				break
			}
			if peak != tc.max {
				t.Errorf("peak %d ready processes, want processes=%d; events %v", peak, tc.max, h.eventList())
			}
			if len(pids) < 2 {
				t.Errorf("requests served by %d processes, want them spread over the new ones", len(pids))
			}
			// Idle: back down to the minimum, one idle-timeout later.
			deadline := time.Now().Add(5 * time.Second)
			for h.countEvents(EventExited, ReasonIdleTimeout) < tc.max-tc.min && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if got := h.countEvents(EventExited, ReasonIdleTimeout); got != tc.max-tc.min {
				t.Errorf("%d idle exits, want %d; events %v", got, tc.max-tc.min, h.eventList())
			}
			if n := len(h.workerPIDs()); n != tc.min {
				t.Errorf("%d processes after idling, want %d", n, tc.min)
			}
			// And up again on demand, even from zero.
			if code, _, _ := h.get("/hello"); code != 200 {
				t.Errorf("request after scaling down = %d", code)
			}
			if s := h.g.Snapshot(); s.Crashes != 0 || s.ConnectTimeouts != 0 {
				t.Errorf("scaling failed requests or crashed: %+v", s)
			}
		})
	}
}

func waitChan(wg *sync.WaitGroup) <-chan struct{} {
	c := make(chan struct{})
	go func() { wg.Wait(); close(c) }()
	return c
}

// loadStats is what runLoad saw.
type loadStats struct {
	total, failed atomic.Int64
	mu            sync.Mutex
	bodies        map[string]int // response body -> count
	fails         []string
}

// runLoad runs clients goroutines doing back-to-back requests for d; each
// request is built by next and must answer 200. It returns what it saw.
func runLoad(t *testing.T, h *harness, clients int, d time.Duration, next func(client, i int) *http.Request) *loadStats {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	st := &loadStats{bodies: map[string]int{}}
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				st.total.Add(1)
				resp, err := client.Do(next(c, i))
				var b []byte
				if err == nil {
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					st.failed.Add(1)
					st.mu.Lock()
					if len(st.fails) < 10 {
						st.fails = append(st.fails, fmt.Sprintf("%v %v %q", err, resp != nil && resp.StatusCode == 200, b))
					}
					st.mu.Unlock()
					continue
				}
				st.mu.Lock()
				st.bodies[string(b)]++
				st.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return st
}

func (h *harness) request(path string, hdr ...string) *http.Request {
	req, err := http.NewRequest("GET", h.url(path), nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return req
}

// pidOf reads the "pid" of a JSON body.
func pidOf(body string) int {
	var m struct{ PID int }
	json.Unmarshal([]byte(body), &m)
	return m.PID
}

// The "done when": continuous concurrent load while the group
// recycles its processes, and not one failed request.
func TestRecycleUnderLoadWithoutFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const clients = 8
	const duration = 3 * time.Second

	t.Run("maximum-requests", func(t *testing.T) {
		spec := testSpec("maxreq")
		spec.Processes = 2
		spec.Threads = 2
		spec.MaximumRequests = 100
		spec.MaximumRequestsJitter = 20
		h := newHarness(t, spec)
		st := runLoad(t, h, clients, duration, func(c, i int) *http.Request {
			if i%2 == 0 {
				req := h.request("/upload")
				req.Method = "POST"
				req.Body = io.NopCloser(strings.NewReader("some body"))
				req.ContentLength = 9
				return req
			}
			return h.request("/pid")
		})
		pids := map[int]bool{}
		for b := range st.bodies {
			if p := pidOf(b); p > 0 {
				pids[p] = true
			}
		}
		exits := h.countEvents(EventExited, ReasonMaximumRequests)
		checkLoad(t, h, st, "maximum-requests")
		t.Logf("%d requests, %d recycled exits, %d pids", st.total.Load(), exits, len(pids))
		if exits < 4 || len(pids) < 4 {
			t.Errorf("%d maximum-requests exits over %d pids, want ≥ 4 of each", exits, len(pids))
		}
	})

	t.Run("maximum-rss", func(t *testing.T) {
		spec := testSpec("maxrss")
		spec.Processes = 2
		spec.Threads = 2
		spec.MaximumRSS = 64 << 20
		h := newHarness(t, spec, withTick(50*time.Millisecond))
		st := runLoad(t, h, clients, duration, func(c, i int) *http.Request {
			if i%4 == 0 {
				return h.request("/grow?kb=384") // recycles at a few hundred requests, so a busy host still sees it
			}
			return h.request("/pid")
		})
		pids := map[int]bool{}
		for b := range st.bodies {
			if p := pidOf(b); p > 0 {
				pids[p] = true
			}
		}
		exits := h.countEvents(EventExited, ReasonMaximumRSS)
		checkLoad(t, h, st, "maximum-rss")
		t.Logf("%d requests, %d recycled exits, %d pids", st.total.Load(), exits, len(pids))
		if exits < 2 || len(pids) < 4 {
			t.Errorf("%d maximum-rss exits over %d pids, want ≥ 2 exits and ≥ 4 pids", exits, len(pids))
		}
		for _, p := range h.g.Snapshot().Processes {
			if p.State == "ready" && (p.RSS <= 0 || p.RSS > 4*spec.MaximumRSS) {
				t.Errorf("pid %d RSS %d: not sampled, or far past maximum-rss", p.PID, p.RSS)
			}
		}
	})

	t.Run("script-reloading", func(t *testing.T) {
		script := filepath.Join(t.TempDir(), "app.wsgi")
		write := func(version string, mtime time.Time) {
			src := fmt.Sprintf(`import os, time
VERSION = %q
def application(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(0.3)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [("%%s %%d" %% (VERSION, os.getpid())).encode()]
`, version)
			if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chtimes(script, mtime, mtime)
		}
		t0 := time.Now().Add(-time.Hour)
		write("v1", t0)
		spec := testSpec("reloadload")
		spec.Processes = 2
		spec.Threads = 2
		h := newHarness(t, spec)
		go func() {
			time.Sleep(duration / 3)
			write("v2", t0.Add(time.Minute))
		}()
		st := runLoad(t, h, clients, duration, func(c, i int) *http.Request {
			path := "/"
			if c == 0 {
				path = "/slow" // in flight on the old process when it is replaced
			}
			return h.request(path, "X-Script", script, "X-Reload", "1")
		})
		checkLoad(t, h, st, "script-reloading")
		v1, v2 := map[int]bool{}, map[int]bool{}
		for b := range st.bodies {
			var v string
			var pid int
			fmt.Sscanf(b, "%s %d", &v, &pid)
			switch v {
			case "v1":
				v1[pid] = true
			case "v2":
				v2[pid] = true
			default:
				t.Errorf("unexpected body %q", b)
			}
		}
		t.Logf("%d requests; v1 from %v, v2 from %v", st.total.Load(), v1, v2)
		if len(v1) != 2 || len(v2) < 2 {
			t.Errorf("v1 served by %v and v2 by %v: want both processes replaced", v1, v2)
		}
		for pid := range v2 {
			if v1[pid] {
				t.Errorf("pid %d served both versions", pid)
			}
		}
		if n := h.countEvents(EventExited, ReasonScriptReload); n < 2 {
			t.Errorf("%d script-reloading exits, want 2", n)
		}
		// Every serving process runs the new code now.
		for range 4 {
			if _, b, _ := h.get("/", "X-Script", script, "X-Reload", "1"); !strings.HasPrefix(b, "v2 ") {
				t.Errorf("after the reload: %q", b)
			}
		}
	})
}

// checkLoad fails the test for any failed request or crash.
func checkLoad(t *testing.T, h *harness, st *loadStats, reason Reason) {
	t.Helper()
	if n := st.failed.Load(); n != 0 {
		t.Errorf("%d of %d requests failed while recycling by %s: %v\nlogs:\n%s", n, st.total.Load(), reason, st.fails, h.logs)
	}
	if st.total.Load() < 100 {
		t.Errorf("only %d requests: not much of a load", st.total.Load())
	}
	if s := h.g.Snapshot(); s.Crashes != 0 {
		t.Errorf("crashes during recycling: %+v", s)
	}
	if h.countEvents(EventRecycling, reason) == 0 {
		t.Errorf("no %s recycle happened: %v", reason, h.eventList())
	}
}

// readRSS must agree with the kernel's VmRSS and cost no more than a
// small read (no subprocess, a few allocations).
func TestReadRSS(t *testing.T) {
	rss, ok := readRSS(os.Getpid())
	if !ok {
		t.Fatal("readRSS failed on our own pid")
	}
	f, _ := os.Open("/proc/self/status")
	defer f.Close()
	var vmrss int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(fs[1], 10, 64)
			vmrss = kb << 10
		}
	}
	if d := rss - vmrss; d < -(8<<20) || d > 8<<20 {
		t.Errorf("readRSS %d, VmRSS %d", rss, vmrss)
	}
	if _, ok := readRSS(1 << 30); ok {
		t.Error("readRSS of a pid that does not exist succeeded")
	}
	if a := testing.AllocsPerRun(100, func() { readRSS(os.Getpid()) }); a > 2 {
		t.Errorf("readRSS allocates %.0f times per call", a)
	}
}

func BenchmarkReadRSS(b *testing.B) {
	pid := os.Getpid()
	for b.Loop() {
		readRSS(pid)
	}
}
