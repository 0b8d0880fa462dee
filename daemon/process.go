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
	"os/user"
	"path/filepath"
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

type procState int

const (
	stStarting procState = iota // spawned, waiting for "ready"
	stReady                     // takes requests
	stDraining                  // no new requests; stopped when idle
	stStopping                  // control socket closed or killed; waiting for exit
	stExited
)

func (s procState) String() string {
	return [...]string{"starting", "ready", "draining", "stopping", "exited"}[s]
}

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
	stacksC   chan struct{}
	ctlOnce   sync.Once
	rss       atomic.Int64 // bytes, sampled by the supervisor
	timedOut  atomic.Bool  // killed by request-timeout: in-flight answers are 504

	// Guarded by g.mu.
	state         procState
	idle          []*wconn
	live          int // connections not broken
	inflight      int
	served        uint64
	limit         uint64 // maximum-requests budget incl. jitter; 0 = none
	recycle       string // why a replacement is wanted; "" = none
	readyAt       time.Time
	lastActive    time.Time
	drainDeadline time.Time
	killAt        time.Time
	reason        string // reported when it exits
}

// wconn is Go's end of one worker thread's connection.
type wconn struct {
	p       *process
	nc      *net.UnixConn
	br      *bufio.Reader
	scratch [frameHeaderLen]byte

	busySince time.Time // guarded by g.mu; zero when idle
}

type readyMsg struct {
	PID      int    `json:"pid"`
	Protocol int    `json:"protocol"`
	Python   string `json:"python"`
}

// workerSettings is the first line Go sends on the control socket.
type workerSettings struct {
	Protocol           int        `json:"protocol"`
	Group              string     `json:"group"`
	Processes          int        `json:"processes"`
	ProcessesSet       bool       `json:"processes_set"`
	Threads            int        `json:"threads"`
	MaximumRequests    int        `json:"maximum_requests"`
	Title              string     `json:"title,omitempty"`
	Executable         string     `json:"executable"`
	PythonPath         []string   `json:"python_path,omitempty"`
	Umask              int        `json:"umask"`
	Locale             string     `json:"locale,omitempty"`
	CPUPriority        int        `json:"cpu_priority,omitempty"`
	CPUTimeLimit       int64      `json:"cpu_time_limit,omitempty"`
	MemoryLimit        int64      `json:"memory_limit,omitempty"`
	VirtualMemoryLimit int64      `json:"virtual_memory_limit,omitempty"`
	StackSize          int64      `json:"stack_size,omitempty"`
	ShutdownTimeout    int64      `json:"shutdown_timeout"`
	Preload            [][]string `json:"preload,omitempty"`
	FDs                []int      `json:"fds"`
}

// title returns the process title for a display-name value: only the exact
// string %{GROUP} expands (mod_wsgi), to "(wsgi:NAME)".
func title(displayName, group string) string {
	if displayName == "%{GROUP}" {
		return "(wsgi:" + group + ")"
	}
	return displayName
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
		g:       g,
		slot:    slot,
		readyC:  make(chan readyMsg, 1),
		stacksC: make(chan struct{}, 1),
		exited:  make(chan struct{}),
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
			return nil, fmt.Errorf("start %s as uid %d: %w (the interpreter and home must be reachable by the worker's user)",
				g.python, g.cred.Uid, err)
		}
		return nil, fmt.Errorf("start %s: %w", g.python, err)
	}
	p.cmd = cmd
	p.pid = cmd.Process.Pid
	p.ctl = ctl
	p.live = threads
	p.startedAt = g.clock.Now()

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
	p.closeControl()
	for _, c := range p.conns {
		c.nc.Close()
	}
	p.g.processExited(p)
}

// readLog copies the worker's stdout/stderr lines (tracebacks,
// wsgi.errors, print) to the group's logger with group and pid.
func (p *process) readLog(r *os.File) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			msg := strings.TrimRight(string(line), "\r\n")
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
	sc := bufio.NewScanner(p.ctl)
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
		case bytes.HasPrefix(line, []byte("recycle ")):
			switch reason := string(line[len("recycle "):]); reason {
			case ReasonGracefulSignal, ReasonCPUTimeLimit:
				p.g.requestRecycle(p, reason)
			}
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

// sampleRSS reads the resident set size from /proc.
func (p *process) sampleRSS() {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/statm")
	if err != nil {
		return
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err == nil {
		p.rss.Store(pages * int64(os.Getpagesize()))
	}
}

// resolvePython finds the real interpreter: "python3" on PATH may be a
// shim (pyenv) that re-execs and would lose our argv[0], so ask it for
// sys.executable once.
var pythonCache sync.Map // path -> string

func resolvePython(ctx context.Context, path string) (string, error) {
	if v, ok := pythonCache.Load(path); ok {
		return v.(string), nil
	}
	lp, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Errorf("python interpreter: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, lp, "-c", "import sys; print(sys.executable); print(sys.version_info >= (3, 9))").Output()
	if err != nil {
		return "", fmt.Errorf("python interpreter %s: %w", lp, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[1] != "True" {
		return "", fmt.Errorf("python interpreter %s: python 3.9 or later is required", lp)
	}
	exe := lines[0]
	if exe == "" || !filepath.IsAbs(exe) {
		exe = lp
	}
	// A venv's interpreter reports itself (its pyvenv.cfg must be found
	// next to it), so keep the path we were given when it is absolute.
	if filepath.IsAbs(path) {
		exe = path
	}
	pythonCache.Store(path, exe)
	return exe, nil
}

// credentials decides the uid/gid of the workers. Only root can switch;
// otherwise the workers run as we do and User/Group are ignored.
func credentials(spec *Spec, allowRoot bool) (cred *syscall.Credential, home string, err error) {
	if os.Geteuid() != 0 {
		return nil, "", nil
	}
	uid, gid := uint32(0), uint32(0)
	var u *user.User
	if spec.User != "" {
		if id, ok := strings.CutPrefix(spec.User, "#"); ok {
			n, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				return nil, "", fmt.Errorf("invalid user %q", spec.User)
			}
			uid = uint32(n)
			u, _ = user.LookupId(id)
		} else {
			u, err = user.Lookup(spec.User)
			if err != nil {
				return nil, "", fmt.Errorf("unknown user %q: %v", spec.User, err)
			}
			n, _ := strconv.ParseUint(u.Uid, 10, 32)
			uid = uint32(n)
		}
		if u != nil {
			n, _ := strconv.ParseUint(u.Gid, 10, 32)
			gid = uint32(n)
			home = u.HomeDir
		}
	}
	if uid == 0 && !allowRoot {
		return nil, "", errors.New("worker processes would run as root; set user= on WSGIDaemonProcess " +
			"(or the server's User directive), or allow root explicitly")
	}
	if spec.Group != "" {
		if id, ok := strings.CutPrefix(spec.Group, "#"); ok {
			n, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				return nil, "", fmt.Errorf("invalid group %q", spec.Group)
			}
			gid = uint32(n)
		} else {
			grp, err := user.LookupGroup(spec.Group)
			if err != nil {
				return nil, "", fmt.Errorf("unknown group %q: %v", spec.Group, err)
			}
			n, _ := strconv.ParseUint(grp.Gid, 10, 32)
			gid = uint32(n)
		}
	}
	cred = &syscall.Credential{Uid: uid, Gid: gid}
	switch {
	case spec.SupplementaryGroups != nil:
		for _, name := range spec.SupplementaryGroups {
			id, ok := strings.CutPrefix(name, "#")
			if !ok {
				grp, err := user.LookupGroup(name)
				if err != nil {
					return nil, "", fmt.Errorf("unknown supplementary group %q: %v", name, err)
				}
				id = grp.Gid
			}
			n, err := strconv.ParseUint(id, 10, 32)
			if err != nil {
				return nil, "", fmt.Errorf("invalid supplementary group %q", name)
			}
			cred.Groups = append(cred.Groups, uint32(n))
		}
	case u != nil:
		// initgroups(user), as mod_wsgi does without supplementary-groups.
		ids, _ := u.GroupIds()
		for _, id := range ids {
			if n, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	return cred, home, nil
}

// workerEnv builds the workers' environment.
func workerEnv(base []string, spec *Spec, python string) []string {
	drop := map[string]bool{"PYTHONEXECUTABLE": true}
	if spec.Lang != "" {
		drop["LANG"] = true
	}
	if spec.Locale != "" {
		drop["LC_ALL"] = true
	}
	if spec.PythonEggs != "" {
		drop["PYTHON_EGG_CACHE"] = true
	}
	env := make([]string, 0, len(base)+4)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !drop[k] {
			env = append(env, kv)
		}
	}
	// With argv[0] replaced by the title, Python ≥ 3.11 finds its prefix
	// (and a venv's pyvenv.cfg) through this; the worker removes it again.
	env = append(env, "PYTHONEXECUTABLE="+python)
	if spec.Lang != "" {
		env = append(env, "LANG="+spec.Lang)
	}
	if spec.Locale != "" {
		env = append(env, "LC_ALL="+spec.Locale)
	}
	if spec.PythonEggs != "" {
		env = append(env, "PYTHON_EGG_CACHE="+spec.PythonEggs)
	}
	return env
}
