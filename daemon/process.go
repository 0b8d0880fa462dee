package daemon

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// workerSource is the Python worker. It is fed to the interpreter on
// stdin ("python3 -"), so nothing is written to disk and ps shows
// "<display-name> -".
//
//go:embed worker/worker.py
var workerSource []byte

// process is one worker process of a group.
type process struct {
	g     *Group
	slot  int
	cmd   *exec.Cmd
	pid   int
	ctl   *net.UnixConn
	conns []*wconn

	startedAt time.Time
	exited    chan struct{} // closed once Wait returned
	waitErr   error         // valid after exited is closed
	readyC    chan readyMsg
	fatal     atomic.Pointer[string] // why a required preload failed
	readersC  chan struct{}          // receives once from each of readLog and readControl as they end
	stacksC   chan struct{}
	ctlOnce   sync.Once
	rss       atomic.Int64 // bytes, sampled by the supervisor
	timedOut  atomic.Bool  // killed by request-timeout: in-flight answers are 504
	lastPong  atomic.Int64 // g.clock time (UnixNano) of the last answer to a ping

	queryMu sync.Mutex
	queries map[uint64]chan []byte // open queries by id (see query)

	// Guarded by g.mu. state and reason are written by g.transition
	// only, recycle by g.markRecycle only.
	state         procState
	idle          []*wconn
	live          int // connections not broken
	inflight      int
	served        uint64
	completed     uint64 // requests it answered without breaking (for diedYoung)
	limit         uint64 // maximum-requests budget incl. jitter; 0 = none
	recycle       Reason // why a replacement is wanted; noReason = none
	readyAt       time.Time
	lastActive    time.Time
	drainDeadline time.Time
	killAt        time.Time
	reason        Reason // reported when it exits
	// startup-timeout: armed by the first attempt to load a script,
	// disarmed for good by the first successful load (mod_wsgi).
	loadState    loadState
	loadDeadline time.Time
}

type loadState int

const (
	loadNone  loadState = iota // no load attempted yet
	loadArmed                  // a load was attempted, none succeeded yet
	loadDone                   // a script loaded; startup-timeout no longer applies
)

// wconn is Go's end of one worker thread's connection.
type wconn struct {
	p       *process
	nc      *net.UnixConn
	br      *bufio.Reader
	scratch [frameHeaderLen]byte
	// armed is when the socket-timeout deadline was last pushed forward;
	// only the goroutine holding the connection touches it.
	armed time.Time

	busySince time.Time // guarded by g.mu; zero when idle
}

type readyMsg struct {
	PID      int    `json:"pid"`
	Protocol int    `json:"protocol"`
	Python   string `json:"python"`
}

// workerSettings is the first line Go sends on the control socket.
type workerSettings struct {
	Protocol        int        `json:"protocol"`
	Group           string     `json:"group"`
	Processes       int        `json:"processes"`
	ProcessesSet    bool       `json:"processes_set"`
	Threads         int        `json:"threads"`
	MaximumRequests int        `json:"maximum_requests"`
	Title           string     `json:"title,omitempty"`
	Executable      string     `json:"executable"`
	PythonPath      []string   `json:"python_path,omitempty"`
	Umask           int        `json:"umask"`
	Locale          string     `json:"locale,omitempty"`
	StackSize       int64      `json:"stack_size,omitempty"`
	ShutdownTimeout int64      `json:"shutdown_timeout"`
	Preload         [][]string `json:"preload,omitempty"`
	// ReportLoading asks for "loading" and "loaded" control lines around
	// the first script loads (startup-timeout is timed on the Go side).
	ReportLoading bool  `json:"report_loading,omitempty"`
	NoPeakRSS     bool  `json:"no_peak_rss,omitempty"`
	FDs           []int `json:"fds"`
}

// socketPair returns Go's end as a net.UnixConn (on the netpoller, so
// deadlines work) and the child's end as a file for ExtraFiles.
func socketPair(sndbuf, rcvbuf int) (*net.UnixConn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	for _, fd := range fds {
		if sndbuf > 0 {
			_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, sndbuf)
		}
		if rcvbuf > 0 {
			_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
		}
	}
	gf := os.NewFile(uintptr(fds[0]), "worker-conn")
	defer gf.Close()
	nc, err := net.FileConn(gf)
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return nc.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "worker-conn-child"), nil
}

// spawn starts one worker process for slot. The process is not ready
// until it sends "ready" on the control socket (see waitReady).
func (g *Group) spawn(slot int) (p *process, err error) {
	threads := g.spec.Threads
	p = &process{
		g:        g,
		slot:     slot,
		readyC:   make(chan readyMsg, 1),
		readersC: make(chan struct{}, 2),
		stacksC:  make(chan struct{}, 1),
		exited:   make(chan struct{}),
	}
	var child []*os.File
	var goEnds []*net.UnixConn
	defer func() {
		for _, f := range child {
			f.Close()
		}
		if err != nil {
			for _, c := range goEnds {
				c.Close()
			}
		}
	}()
	ctl, ctlChild, err := socketPair(0, 0)
	if err != nil {
		return nil, err
	}
	goEnds = append(goEnds, ctl)
	child = append(child, ctlChild)
	fds := make([]int, 0, threads)
	for i := 0; i < threads; i++ {
		nc, f, err := socketPair(g.spec.SendBufferSize, g.spec.ReceiveBufferSize)
		if err != nil {
			return nil, err
		}
		goEnds = append(goEnds, nc)
		child = append(child, f)
		fds = append(fds, 4+i) // fd 3 is the control socket
		p.conns = append(p.conns, &wconn{p: p, nc: nc, br: bufio.NewReaderSize(nc, 64<<10)})
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	child = append(child, logW)

	argv0 := title(g.spec.DisplayName, g.spec.Name)
	if argv0 == "" {
		argv0 = g.python
	}
	cmd := &exec.Cmd{
		Path:       g.python,
		Args:       []string{argv0, "-"},
		Env:        g.env,
		Dir:        g.dir,
		Stdin:      bytes.NewReader(workerSource),
		Stdout:     logW,
		Stderr:     logW,
		ExtraFiles: child[:1+threads],
		SysProcAttr: &syscall.SysProcAttr{
			// Own process group: a kill reaches the app's children too,
			// and a terminal's ^C does not reach the workers directly.
			Setpgid: true,
			// Backup only: the control socket's EOF is what makes a
			// worker exit when the front end goes away.
			Pdeathsig:  syscall.SIGKILL,
			Credential: g.cred,
			Chroot:     g.spec.Chroot,
		},
	}
	if err := cmd.Start(); err != nil {
		logR.Close()
		if errors.Is(err, fs.ErrPermission) && g.cred != nil {
			return nil, fmt.Errorf("start %s as %s: %w (the interpreter, and home= if set, must be reachable by that user; %s)",
				g.python, g.userLabel(), err, pythonFixHint)
		}
		return nil, fmt.Errorf("start %s: %w", g.python, err)
	}
	p.cmd = cmd
	p.pid = cmd.Process.Pid
	p.ctl = ctl
	p.live = threads
	p.startedAt = g.clock.Now()
	// The worker blocks on the settings line until it gets it, so limits set
	// now hold before it runs any application code or starts a thread
	// (threads inherit the nice value of the thread that creates them).
	g.applyLimits(p.pid)

	go p.readLog(logR)
	go p.readControl()
	g.procWG.Add(1)
	go p.wait()

	st := g.settings
	st.FDs = fds
	line, _ := json.Marshal(st)
	line = append(line, '\n')
	if _, err := ctl.Write(line); err != nil {
		// The process died at once; wait() reports it. Kill to be sure.
		p.kill()
		return p, fmt.Errorf("send settings: %w", err)
	}
	return p, nil
}

// waitReady waits until the worker says it is ready, exits, the timeout
// passes, or the group stops.
func (p *process) waitReady(timeout time.Duration, stop <-chan struct{}) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-p.readyC:
		if m.Protocol != protocolVersion {
			return fmt.Errorf("worker speaks protocol %d, want %d", m.Protocol, protocolVersion)
		}
		return nil
	case <-p.exited:
		// Its last words (a fatal message, a traceback) may still be in
		// the pipes: let the readers reach EOF first.
		wait := time.NewTimer(time.Second)
		for range 2 {
			select {
			case <-p.readersC:
			case <-wait.C:
			}
		}
		wait.Stop()
		if msg := p.fatal.Load(); msg != nil {
			return errors.New(*msg)
		}
		return fmt.Errorf("exited before it was ready: %v", exitError(p.waitErr))
	case <-t.C:
		return fmt.Errorf("not ready after %s", timeout)
	case <-stop:
		return errStopped
	}
}

func exitError(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

// wait reaps the process (no zombies) and reports the exit to the group.
func (p *process) wait() {
	defer p.g.procWG.Done()
	// Learn of the exit without reaping, so the pid (our process group id)
	// cannot be reused yet, and kill what the application left behind in
	// its process group: nothing of a worker outlives it.
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	err := p.cmd.Wait()
	p.waitErr = err
	close(p.exited)
	// No closeControl here: the worker's last control lines (a fatal
	// message) may still be unread, and closing under readControl drops
	// them. Its end is closed now, so readControl reaches EOF by itself;
	// the timer below is the safety net for a stray holder of that end.
	// A request in flight learns from its own read whether the worker had
	// read it (EOF) or not (ECONNRESET, see call.unseen); closing its
	// connection now would hide that. The close is only the safety net
	// for a stray process that still holds the worker's end.
	conns := p.conns
	time.AfterFunc(time.Second, func() {
		p.closeControl()
		for _, c := range conns {
			c.nc.Close()
		}
	})
	p.g.processExited(p)
}

// readLog copies the worker's stdout/stderr lines (tracebacks,
// wsgi.errors, print) to the group's logger with group and pid, a
// traceback as one record.
func (p *process) readLog(r *os.File) {
	defer func() { p.readersC <- struct{}{} }()
	defer r.Close()
	br := bufio.NewReaderSize(r, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			msg := strings.TrimRight(string(line), "\r\n")
			if rest, ok := strings.CutPrefix(msg, "\x1e"); ok {
				// The worker's multi-line record (a traceback): one line
				// with its breaks written as US.
				msg = strings.ReplaceAll(rest, "\x1f", "\n")
			}
			p.g.log.LogAttrs(context.Background(), slog.LevelError, msg,
				slog.String("group", p.g.spec.Name), slog.Int("pid", p.pid))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// readControl handles the worker's control messages.
func (p *process) readControl() {
	defer func() { p.readersC <- struct{}{} }()
	sc := bufio.NewScanner(p.ctl)
	sc.Buffer(make([]byte, 0, 64<<10), maxReply)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("ready ")):
			var m readyMsg
			if err := json.Unmarshal(line[len("ready "):], &m); err != nil {
				p.g.log.Error("daemon: bad ready message from worker", "group", p.g.spec.Name, "pid", p.pid, "err", err)
				continue
			}
			select {
			case p.readyC <- m:
			default:
			}
		case bytes.HasPrefix(line, []byte("fatal ")):
			var msg string
			if err := json.Unmarshal(line[len("fatal "):], &msg); err == nil {
				p.fatal.Store(&msg)
			}
		case bytes.Equal(line, []byte("pong")):
			p.lastPong.Store(p.g.clock.Now().UnixNano())
		case bytes.Equal(line, []byte("loading")):
			p.g.loadStarted(p)
		case bytes.Equal(line, []byte("loaded")):
			p.g.mu.Lock()
			p.loadState = loadDone
			p.g.mu.Unlock()
		case bytes.HasPrefix(line, []byte("recycle ")):
			switch reason := Reason(line[len("recycle "):]); reason {
			case ReasonGracefulSignal, ReasonCPUTimeLimit:
				p.g.requestRecycle(p, reason)
			}
		case bytes.HasPrefix(line, []byte("reply ")):
			p.answer(line[len("reply "):])
		case bytes.Equal(line, []byte("stacks-done")):
			select {
			case p.stacksC <- struct{}{}:
			default:
			}
		}
	}
}

// closeControl tells the worker to exit (it exits on EOF).
func (p *process) closeControl() {
	p.ctlOnce.Do(func() {
		if p.ctl != nil {
			p.ctl.Close()
		}
	})
}

func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the worker's whole process group, unless it was reaped.
func (p *process) kill() {
	if p.hasExited() {
		return
	}
	if p.pid > 0 {
		_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	}
}

// ping asks the worker to answer "pong" from its main thread, which needs
// the GIL: deadlock-timeout is the time since the last answer.
func (p *process) ping() {
	_, _ = p.ctl.Write([]byte("ping\n"))
}

// dumpStacks asks the worker to log the Python stacks of its active
// request threads and waits up to timeout for it to finish.
func (p *process) dumpStacks(timeout time.Duration) {
	if _, err := p.ctl.Write([]byte("stacks\n")); err != nil {
		return
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.stacksC:
	case <-p.exited:
	case <-t.C:
	}
}

// maxReply bounds one control line from the worker (a folded profile).
const maxReply = 64 << 20

var queryIDs atomic.Uint64

// query sends "query ID args" on the control socket and returns the JSON of
// the worker's "reply ID JSON" line.
func (p *process) query(ctx context.Context, args string) ([]byte, error) {
	id := queryIDs.Add(1)
	ch := make(chan []byte, 1)
	p.queryMu.Lock()
	if p.queries == nil {
		p.queries = map[uint64]chan []byte{}
	}
	p.queries[id] = ch
	p.queryMu.Unlock()
	defer func() {
		p.queryMu.Lock()
		delete(p.queries, id)
		p.queryMu.Unlock()
	}()
	if _, err := p.ctl.Write([]byte("query " + strconv.FormatUint(id, 10) + " " + args + "\n")); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	select {
	case b := <-ch:
		return b, nil
	case <-p.exited:
		return nil, errors.New("the process exited")
	case <-ctx.Done():
		return nil, fmt.Errorf("no answer: %w", context.Cause(ctx))
	}
}

// answer hands a "reply ID JSON" line to the query waiting for it.
func (p *process) answer(rest []byte) {
	idText, data, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return
	}
	id, err := strconv.ParseUint(string(idText), 10, 64)
	if err != nil {
		return
	}
	p.queryMu.Lock()
	ch := p.queries[id]
	p.queryMu.Unlock()
	if ch != nil {
		select {
		case ch <- bytes.Clone(data):
		default:
		}
	}
}

// sampleRSS reads the resident set size from /proc/PID/statm: one small
// read, no subprocess, so it is cheap enough for every supervisor tick.
func (p *process) sampleRSS() {
	if rss, ok := readRSS(p.pid); ok {
		p.rss.Store(rss)
	}
}

var pageSize = int64(os.Getpagesize())

// readRSS returns the resident set size of pid in bytes. statm is
// "size resident shared text lib data dt", in pages.
func readRSS(pid int) (int64, bool) {
	// Raw syscalls: no *os.File, no poller registration, one allocation.
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/statm", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	var buf [128]byte
	n, err := unix.Read(fd, buf[:])
	unix.Close(fd)
	if err != nil || n <= 0 {
		return 0, false
	}
	b := buf[:n]
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return 0, false
	}
	b = b[sp+1:]
	if end := bytes.IndexAny(b, " \n"); end >= 0 {
		b = b[:end]
	}
	var pages int64
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		pages = pages*10 + int64(c-'0')
	}
	return pages * pageSize, true
}

// applyLimits sets the cpu-priority and the rlimits (cpu-time-limit,
// memory-limit, virtual-memory-limit) of a new worker from the front end,
// which may still have the privilege a negative priority needs.
func (g *Group) applyLimits(pid int) {
	s := g.spec
	if s.CPUPriority != 0 {
		if err := unix.Setpriority(unix.PRIO_PROCESS, pid, s.CPUPriority); err != nil {
			g.log.Error("daemon: cannot set cpu-priority", "group", s.Name, "pid", pid, "priority", s.CPUPriority, "err", err)
		}
	}
	limits := []struct {
		name     string
		resource int
		soft     int64
		hard     int64
	}{
		// mod_wsgi: the hard CPU limit leaves room for a graceful exit
		// after SIGXCPU at the soft one.
		{"cpu-time-limit", unix.RLIMIT_CPU, int64(s.CPUTimeLimit / time.Second),
			int64(s.CPUTimeLimit/time.Second) + 1 + int64(g.shutdownTimeout()/time.Second)},
		{"memory-limit", unix.RLIMIT_DATA, s.MemoryLimit, s.MemoryLimit},
		{"virtual-memory-limit", unix.RLIMIT_AS, s.VirtualMemoryLimit, s.VirtualMemoryLimit},
	}
	for _, l := range limits {
		if l.soft <= 0 {
			continue
		}
		rl := unix.Rlimit{Cur: uint64(l.soft), Max: uint64(l.hard)}
		if err := unix.Prlimit(pid, l.resource, &rl, nil); err != nil {
			g.log.Error("daemon: cannot set "+l.name, "group", s.Name, "pid", pid, "err", err)
		}
	}
}
