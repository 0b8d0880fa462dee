package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Request is one request for a group, as server/ resolved it.
type Request struct {
	// Env is the CGI and mod_wsgi.* environ, key, value, key, value...
	// Values are passed as bytes and reach Python as latin-1 str (PEP 3333
	// native strings). The worker adds the wsgi.* keys, turns HTTPS into
	// wsgi.url_scheme and drops PATH. Serve reads Env only while it runs
	// (each attempt encodes it anew) and keeps no reference: the caller may
	// reuse the slice once Serve has returned or panicked.
	Env []string
	// Script is the WSGI script file; ApplicationGroup the module
	// namespace it is loaded into ("" = %{GLOBAL}); CallableObject the
	// name of the application in it ("" = "application").
	Script, ApplicationGroup, CallableObject string
	// ScriptReloading is WSGIScriptReloading: when the script's mtime
	// changed, the process that had loaded it is restarted and the request
	// is served by its replacement.
	ScriptReloading bool
	// Trace, when set, receives what Serve measured of the request.
	Trace *Trace
	// ScriptMtime is the script's modification time as the caller found
	// it while routing the request (zero = not known). With
	// ScriptReloading, the worker compares it with the loaded module's
	// instead of stat'ing the script itself: that saves a system call and,
	// above all, a hand-off of Python's GIL per request.
	ScriptMtime time.Time
	// Hook: CallableObject names a mod_wsgi auth hook of Script
	// (check_password, groups_for_user, allow_access) to call instead of
	// an application; the answer's head carries its result (see frame.go).
	Hook bool
}

// Trace is what Serve measured of one request, for the monitor.
type Trace struct {
	// Queued is the time spent waiting for a free worker thread (all of
	// it, when the request had to be sent again).
	Queued time.Duration
	// App is from the request handed to the worker thread to the worker's
	// last frame: the time the thread was busy with it.
	App time.Duration
	// PID is the worker process that answered (0 = none did).
	PID int
	// PeakGrowth is how much that process's peak RSS (VmHWM) grew while
	// the request ran, in bytes. Requests running at the same time in the
	// same process share the growth, so each may report it.
	PeakGrowth int64
}

// Options are the front end's settings for a Group; the zero value works.
type Options struct {
	// Python is the interpreter; "" = Spec.PythonHome + "/bin/python3" when
	// PythonHome is set, else python3 on PATH.
	Python string
	// Logger receives the workers' output (tracebacks, wsgi.errors, print)
	// at error level with "group" and "pid" attributes, and the group's own
	// messages. nil = slog.Default().
	Logger *slog.Logger
	// OnEvent, when set, is called for every process lifecycle event. It
	// is called from the group's goroutines, possibly concurrently, and
	// must not block.
	OnEvent func(Event)
	// AllowRoot lets workers run as root when the front end runs as root
	// and the Spec names no other user. Otherwise Start refuses.
	AllowRoot bool
	// Env is the environment workers start with; nil = os.Environ().
	Env []string
	// StartTimeout bounds how long a new process may take to become ready
	// (interpreter start-up and preloaded scripts). 0 = 60s.
	StartTimeout time.Duration
	// ErrorResponse writes the answers the group gives itself (500 on a
	// failed or crashed application, 503 when no process is available,
	// 504 on queue-timeout or socket-timeout). nil = a short text/plain body.
	ErrorResponse func(w http.ResponseWriter, r *http.Request, status int)
	// Clock drives the supervisor's timers (backoff, inactivity-timeout,
	// restart-interval, request-timeout). nil = real time.
	Clock Clock
	// Crash policy, per slot: a failure of the slot's new process (it
	// could not start, or died young, see youngAge) adds 1 to the slot's
	// counter, which halves every FailureDecay; above FailureThreshold the
	// slot waits FailureBackoff (+ up to 50% jitter) before it starts
	// again. A process that lived and served is replaced at once.
	// 0 = 5 failures, 30s, 10s.
	FailureThreshold float64
	FailureDecay     time.Duration
	FailureBackoff   time.Duration
}

type groupState int

const (
	gsNew groupState = iota
	gsRunning
	gsStopping
	gsStopped
)

func (s groupState) String() string {
	return [...]string{"new", "running", "stopping", "stopped"}[s]
}

var errStopped = errors.New("process group is stopped")

// slotState is one of the group's Processes positions. cur serves; a
// replacement (or the first process) starts in the background and takes
// over when it is ready.
type slotState struct {
	cur      *process
	spawning bool
	retryAt  time.Time
	failures failureCounter // failures of this slot's new processes
	// active: the slot is wanted. Always true in a static group; a dynamic
	// one (IdleTimeout > 0) turns slots on when requests queue and off
	// when their process has idled for IdleTimeout.
	active bool
}

// Group is one running WSGIDaemonProcess group: Processes workers with
// Threads connections each, a FIFO queue in front of them, and a
// supervisor goroutine that replaces, recycles and stops them.
type Group struct {
	spec  *Spec
	opts  Options
	log   *slog.Logger
	clock Clock
	tick  time.Duration // supervisor period; tests shorten it

	// Fixed by NewGroup.
	dynamic  bool // IdleTimeout > 0: between minProcs and len(slots) processes
	minProcs int
	// script-user / script-group as ids (-1 = not set); scriptErr is a
	// lookup failure that Start reports.
	scriptUID, scriptGID int
	scriptErr            error

	// Fixed by Start.
	python   string
	cred     *syscall.Credential
	dir      string
	env      []string
	settings workerSettings

	mu       sync.Mutex
	state    groupState
	slots    []slotState
	ready    []*process // dispatch candidates
	retiring []*process // draining or stopping
	all      map[*process]struct{}
	queue    waitQueue
	inflight int
	// rescuedAt is when reconcile last started a slot before its backoff
	// ended because no process was left (see rescue).
	rescuedAt time.Time
	drained   chan struct{} // closed when stopping and nothing is in flight
	stats     groupStats

	kick    chan struct{}
	done    chan struct{} // closed by Stop
	stopped chan struct{} // closed when Stop finished
	wg      sync.WaitGroup
	procWG  sync.WaitGroup
}

type groupStats struct {
	requests        uint64
	queueWaits      uint64
	queueWaitTotal  time.Duration
	queueWaitMax    time.Duration
	queueTimeouts   uint64
	connectTimeouts uint64
	backlogFull     uint64
	socketTimeouts  uint64
	crashes         uint64
	recycles        uint64
	retries         uint64
}

// NewGroup returns a Group for spec; nothing runs before Start. The Group
// keeps spec; do not change it afterwards.
func NewGroup(spec *Spec, opts Options) *Group {
	g := &Group{
		spec:    spec,
		opts:    opts,
		log:     opts.Logger,
		clock:   opts.Clock,
		tick:    time.Second,
		all:     make(map[*process]struct{}),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.clock == nil {
		g.clock = realClock{}
	}
	fc := failureCounter{
		threshold: opts.FailureThreshold,
		decay:     opts.FailureDecay,
		backoff:   opts.FailureBackoff,
		jitter:    rand.Float64,
	}
	if fc.threshold == 0 {
		fc.threshold = 5
	}
	if fc.decay == 0 {
		fc.decay = 30 * time.Second
	}
	if fc.backoff == 0 {
		fc.backoff = 10 * time.Second
	}
	n := spec.Processes
	if n < 1 {
		n = 1
	}
	g.slots = make([]slotState, n)
	for i := range g.slots {
		g.slots[i].failures = fc
	}
	g.minProcs = n
	if spec.IdleTimeout > 0 && spec.MinProcesses < n {
		g.dynamic = true
		g.minProcs = max(spec.MinProcesses, 0)
	}
	g.scriptUID, g.scriptGID = -1, -1
	if spec.ScriptUser != "" {
		id, _, err := LookupUser(spec.ScriptUser)
		if err != nil {
			g.scriptErr = fmt.Errorf("script-user: %v", err)
		}
		g.scriptUID = int(id)
	}
	if spec.ScriptGroup != "" {
		id, _, err := LookupGroup(spec.ScriptGroup)
		if err != nil {
			g.scriptErr = fmt.Errorf("script-group: %v", err)
		}
		g.scriptGID = int(id)
	}
	return g
}

// Name is the group's name.
func (g *Group) Name() string { return g.spec.Name }

// errorf prefixes the group's config position, so messages point at the
// WSGIDaemonProcess line.
func (g *Group) errorf(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if g.spec.Source != "" {
		return fmt.Errorf("%s: WSGIDaemonProcess %s: %s", g.spec.Source, g.spec.Name, msg)
	}
	return fmt.Errorf("WSGIDaemonProcess %s: %s", g.spec.Name, msg)
}

// Start starts every process of the group and waits until they are ready.
// If one cannot start, Start stops the others and returns why.
func (g *Group) Start(ctx context.Context) error {
	g.mu.Lock()
	if g.state != gsNew {
		g.mu.Unlock()
		return g.errorf("Start called on a group that was already started")
	}
	g.state = gsRunning
	g.mu.Unlock()

	if err := g.prepare(ctx); err != nil {
		g.Stop(ctx)
		return err
	}
	// A dynamic group starts with its minimum (possibly none).
	n := g.minProcs
	results := make(chan error, n)
	g.mu.Lock()
	for i := 0; i < n; i++ {
		g.slots[i].active = true
		g.slots[i].spawning = true
		g.wg.Add(1)
		go g.startSlot(i, results)
	}
	g.mu.Unlock()
	var first error
	for range n {
		select {
		case err := <-results:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			if first == nil {
				first = ctx.Err()
			}
		}
		if first != nil {
			break
		}
	}
	if first != nil {
		g.Stop(context.Background())
		return g.errorf("cannot start worker process: %v", first)
	}
	g.wg.Add(1)
	go g.supervise()
	return nil
}

// prepare resolves the interpreter, credentials, directory and settings.
func (g *Group) prepare(ctx context.Context) error {
	s := g.spec
	if g.scriptErr != nil {
		return g.errorf("%v", g.scriptErr)
	}
	py := g.opts.Python
	if py == "" {
		py = "python3"
		if s.PythonHome != "" {
			py = filepath.Join(s.PythonHome, "bin", "python3")
		}
	}
	exe, err := resolvePython(ctx, py)
	if err != nil {
		return g.errorf("%v (set python-home= to a virtualenv or install python3)", err)
	}
	g.python = exe
	cred, home, err := credentials(s, g.opts.AllowRoot)
	if err != nil {
		return g.errorf("%v", err)
	}
	g.cred = cred
	if why := execBlocker(exe, cred); why != "" {
		via := ""
		if exe != py {
			via = " (what " + py + " runs)"
		}
		return g.errorf("python interpreter %s%s cannot be run by the workers' %s: %s; %s",
			exe, via, g.userLabel(), why, pythonFixHint)
	}
	g.dir = s.Home
	if g.dir == "" && cred != nil && int(cred.Uid) != os.Getuid() && home != "" {
		if fi, err := os.Stat(home); err == nil && fi.IsDir() {
			g.dir = home
		}
	}
	base := g.opts.Env
	if base == nil {
		base = os.Environ()
	}
	g.env = workerEnv(base, s, exe)
	st := workerSettings{
		Protocol:        protocolVersion,
		Group:           s.Name,
		Processes:       len(g.slots),
		ProcessesSet:    s.ProcessesSet,
		Threads:         s.Threads,
		MaximumRequests: s.MaximumRequests,
		Title:           title(s.DisplayName, s.Name),
		Executable:      exe,
		PythonPath:      s.PythonPath,
		Umask:           s.Umask,
		Locale:          s.Locale,
		StackSize:       s.StackSize,
		ShutdownTimeout: int64(s.ShutdownTimeout / time.Second),
		ReportLoading:   s.StartupTimeout > 0,
		NoPeakRSS:       s.NoPeakRSS,
	}
	for _, p := range s.Preload {
		required := ""
		if p.Required {
			required = "required"
		}
		st.Preload = append(st.Preload, []string{p.Script, p.ApplicationGroup, p.CallableObject, required})
	}
	g.settings = st
	return nil
}

func (g *Group) startTimeout() time.Duration {
	if g.opts.StartTimeout > 0 {
		return g.opts.StartTimeout
	}
	return 60 * time.Second
}

// budget is a new process's maximum-requests, with jitter.
func (g *Group) budget() uint64 {
	if g.spec.MaximumRequests <= 0 {
		return 0
	}
	n := uint64(g.spec.MaximumRequests)
	if j := g.spec.MaximumRequestsJitter; j > 0 {
		n += uint64(rand.IntN(j + 1))
	}
	return n
}

// startSlot starts a process for slot i (the first one, or a replacement)
// and installs it when ready. notify, when set, receives the outcome.
func (g *Group) startSlot(i int, notify chan<- error) {
	defer g.wg.Done()
	p, err := g.spawn(i)
	if err == nil {
		g.mu.Lock()
		if g.state != gsRunning {
			err = errStopped
		} else if p.state != stExited {
			g.all[p] = struct{}{}
		}
		g.mu.Unlock()
		if err == nil {
			g.emit(Event{Kind: EventSpawned, Slot: i, PID: p.pid})
			err = p.waitReady(g.startTimeout(), g.done)
		}
		if err != nil {
			g.mu.Lock()
			if p.state != stExited {
				g.transition(p, stStopping, reasonStartFailed)
			}
			g.mu.Unlock()
			p.kill()
		}
	}
	if err != nil {
		now := g.clock.Now()
		var delay time.Duration
		g.mu.Lock()
		s := &g.slots[i]
		s.spawning = false
		running := g.state == gsRunning
		if running {
			delay = s.failures.fail(now)
			s.retryAt = now.Add(delay)
		}
		g.mu.Unlock()
		if running {
			pid := 0
			if p != nil {
				pid = p.pid
			}
			g.log.Error("daemon: cannot start worker process, restarting", "group", g.spec.Name, "slot", i, "pid", pid,
				"reason", reasonStartFailed, "err", err, "restart_in", delay)
			g.emit(Event{Kind: EventSpawnFailed, Slot: i, PID: pid, Err: err, Backoff: delay})
			g.poke()
		}
		if notify != nil {
			notify <- err
		}
		return
	}
	g.install(i, p)
	if notify != nil {
		notify <- nil
	}
}

// install makes a ready process serve slot i and retires its predecessor.
func (g *Group) install(i int, p *process) {
	now := g.clock.Now()
	g.mu.Lock()
	s := &g.slots[i]
	s.spawning = false
	if g.state != gsRunning || p.state != stStarting {
		g.mu.Unlock()
		p.closeControl()
		return
	}
	g.transition(p, stReady, noReason)
	p.readyAt = now
	p.lastActive = now
	p.lastPong.Store(now.UnixNano())
	p.limit = g.budget()
	old := s.cur
	s.cur = p
	g.ready = append(g.ready, p)
	if old != nil {
		grace := g.graceTimeout()
		if old.recycle == ReasonGracefulSignal && g.spec.EvictionTimeout > 0 {
			grace = g.spec.EvictionTimeout
		}
		g.retire(old, now, grace, noReason)
	}
	// Highest index first into the LIFO idle stack, so that thread 1 is
	// the busiest; queued requests get connections at once.
	for j := len(p.conns) - 1; j >= 0; j-- {
		c := p.conns[j]
		if w := g.queue.pop(); w != nil {
			g.assign(c, now)
			w.ch <- c
		} else {
			p.idle = append(p.idle, c)
		}
	}
	g.mu.Unlock()
	g.emit(Event{Kind: EventReady, Slot: i, PID: p.pid})
	g.poke()
}

func (g *Group) graceTimeout() time.Duration {
	if g.spec.GracefulTimeout > 0 {
		return g.spec.GracefulTimeout
	}
	return g.spec.ShutdownTimeout
}

func (g *Group) shutdownTimeout() time.Duration {
	if g.spec.ShutdownTimeout > 0 {
		return g.spec.ShutdownTimeout
	}
	return 5 * time.Second
}

// retire takes p out of dispatch; it stops once idle or after grace
// (0 = no deadline). reason is why it stops (noReason: why it is being
// recycled); it is kept unless p already has one. Caller holds g.mu.
func (g *Group) retire(p *process, now time.Time, grace time.Duration, reason Reason) {
	g.ready = slices.DeleteFunc(g.ready, func(q *process) bool { return q == p })
	to := p.state
	if p.state == stReady || p.state == stStarting {
		to = stDraining
		if grace > 0 {
			p.drainDeadline = now.Add(grace)
		}
		g.retiring = append(g.retiring, p)
	}
	if s := &g.slots[p.slot]; s.cur == p {
		s.cur = nil
	}
	if reason == noReason {
		reason = p.recycle
	}
	g.transition(p, to, reason)
}

// loadStarted arms startup-timeout on the first attempt to load a script.
func (g *Group) loadStarted(p *process) {
	g.mu.Lock()
	if p.loadState == loadNone {
		p.loadState = loadArmed
		p.loadDeadline = g.clock.Now().Add(g.spec.StartupTimeout)
	}
	g.mu.Unlock()
}

// requestRecycle asks for p to be replaced gracefully (a worker-side
// trigger).
func (g *Group) requestRecycle(p *process, reason Reason) {
	g.mu.Lock()
	ok := p.state == stReady && p.recycle == noReason
	var ev Event
	if ok {
		ev = g.markRecycle(p, reason)
	}
	g.mu.Unlock()
	if ok {
		g.emit(ev)
		g.poke()
	}
}

// Restart replaces every ready process of the group gracefully, as
// maximum-requests does: each goes out of dispatch once its replacement is
// ready and finishes the requests it has. reason names the cause in events
// and the log: one of the Reason* constants, as a string.
func (g *Group) Restart(reason string) {
	g.mu.Lock()
	procs := slices.Clone(g.ready)
	g.mu.Unlock()
	for _, p := range procs {
		g.requestRecycle(p, Reason(reason))
	}
}

// poke wakes the supervisor.
func (g *Group) poke() {
	select {
	case g.kick <- struct{}{}:
	default:
	}
}

func (g *Group) emit(e Event) {
	if e.Kind == EventRecycling {
		// mod_wsgi logs its restarts at info level too; operators tune
		// maximum-requests and friends by these lines.
		g.log.Info("daemon: recycling process", "group", g.spec.Name, "pid", e.PID, "reason", e.Reason)
	}
	if g.opts.OnEvent == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = g.clock.Now()
	}
	e.Group = g.spec.Name
	g.opts.OnEvent(e)
}

// Stop stops the group: queued requests get 503, in-flight requests may
// finish until ShutdownTimeout (or ctx) ends, then every process is told
// to exit and killed (its whole process group) if it does not. Stop waits
// for every child, so none is left behind.
func (g *Group) Stop(ctx context.Context) error {
	g.mu.Lock()
	switch g.state {
	case gsStopping, gsStopped:
		g.mu.Unlock()
		select {
		case <-g.stopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.state = gsStopping
	now := g.clock.Now()
	for w := g.queue.pop(); w != nil; w = g.queue.pop() {
		w.ch <- nil
	}
	for _, p := range slices.Clone(g.ready) {
		g.retire(p, now, 0, ReasonStop)
	}
	g.drained = make(chan struct{})
	if g.inflight == 0 {
		close(g.drained)
	}
	drained := g.drained
	g.mu.Unlock()
	close(g.done)

	t := time.NewTimer(g.shutdownTimeout())
	select {
	case <-drained:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()

	g.mu.Lock()
	ps := make([]*process, 0, len(g.all))
	for p := range g.all {
		ps = append(ps, p)
	}
	g.mu.Unlock()
	for _, p := range ps {
		p.closeControl()
	}
	// Workers exit as soon as their control socket closes; give them a
	// moment, then kill whatever is left (and the children it made).
	grace := time.NewTimer(2 * time.Second)
wait:
	for _, p := range ps {
		select {
		case <-p.exited:
		case <-grace.C:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	grace.Stop()
	for _, p := range ps {
		p.kill()
	}
	g.wg.Wait()     // supervisor and starting processes
	g.procWG.Wait() // every child reaped
	g.mu.Lock()
	g.state = gsStopped
	g.mu.Unlock()
	close(g.stopped)
	return nil
}

// Snapshot is a point-in-time view of a group for monitoring.
type Snapshot struct {
	Name  string
	State string // "new", "running", "stopping", "stopped"
	// Queued is the number of requests waiting for a thread now;
	// InFlight the number being served.
	Queued   int
	InFlight int
	// Requests counts requests handed to a process.
	Requests uint64
	// QueueWaits counts requests that had to wait in the queue;
	// QueueWaitTotal and QueueWaitMax are their summed and longest wait.
	QueueWaits     uint64
	QueueWaitTotal time.Duration
	QueueWaitMax   time.Duration
	// QueueTimeouts (504), ConnectTimeouts (503), BacklogFull (503: more
	// than ListenBacklog requests were waiting for connect-timeout) and
	// SocketTimeouts (504 or aborted) count the requests the group failed
	// itself.
	QueueTimeouts   uint64
	ConnectTimeouts uint64
	BacklogFull     uint64
	SocketTimeouts  uint64
	// Crashes counts unplanned exits; Recycles planned replacements.
	Crashes  uint64
	Recycles uint64
	// Retries counts requests sent again to another process because the
	// one they were written to died before it read them.
	Retries uint64
	// Processes lists every live process, serving or not.
	Processes []ProcessSnapshot
}

// ProcessSnapshot describes one worker process.
type ProcessSnapshot struct {
	Slot      int
	PID       int
	State     string // "starting", "ready", "draining", "stopping"
	Threads   int    // request threads still connected
	InFlight  int
	Requests  uint64 // requests handed to it
	StartedAt time.Time
	ReadyAt   time.Time // zero while starting
	RSS       int64     // bytes; sampled only when MaximumRSS is set
	Recycle   string    // why it is being replaced; "" = it is not
}

// Snapshot returns the group's counters and processes.
func (g *Group) Snapshot() Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := Snapshot{
		Name:            g.spec.Name,
		State:           g.state.String(),
		Queued:          g.queue.n,
		InFlight:        g.inflight,
		Requests:        g.stats.requests,
		QueueWaits:      g.stats.queueWaits,
		QueueWaitTotal:  g.stats.queueWaitTotal,
		QueueWaitMax:    g.stats.queueWaitMax,
		QueueTimeouts:   g.stats.queueTimeouts,
		ConnectTimeouts: g.stats.connectTimeouts,
		BacklogFull:     g.stats.backlogFull,
		SocketTimeouts:  g.stats.socketTimeouts,
		Crashes:         g.stats.crashes,
		Recycles:        g.stats.recycles,
		Retries:         g.stats.retries,
	}
	for p := range g.all {
		s.Processes = append(s.Processes, ProcessSnapshot{
			Slot:      p.slot,
			PID:       p.pid,
			State:     p.state.String(),
			Threads:   p.live,
			InFlight:  p.inflight,
			Requests:  p.served,
			StartedAt: p.startedAt,
			ReadyAt:   p.readyAt,
			RSS:       p.rss.Load(),
			Recycle:   string(p.recycle),
		})
	}
	slices.SortFunc(s.Processes, func(a, b ProcessSnapshot) int {
		if a.Slot != b.Slot {
			return a.Slot - b.Slot
		}
		return a.StartedAt.Compare(b.StartedAt)
	})
	return s
}
