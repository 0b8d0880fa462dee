package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	appserver "github.com/appserver/appserver"
	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/server"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/http1"
	"github.com/coreos/go-systemd/v22/activation"
	sd "github.com/coreos/go-systemd/v22/daemon"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	loadFlags
	quick     quickFlags
	python    string
	allowRoot bool
	quiet     bool
}

func newServeCmd() *cobra.Command {
	var sf serveFlags
	c := &cobra.Command{
		Use:   "serve [-f FILE | SCRIPT.py]",
		Short: "Serve the WSGI apps of an Apache + mod_wsgi config (or one script) in daemon process groups",
		Long: `With no arguments, serves the demo site (testdata/demo: the partitioned
config of the "not all URLs are equal" post) on 127.0.0.1:8000.

serve -f FILE runs the site an Apache + mod_wsgi config describes: its
listeners, virtual hosts, Locations and WSGIDaemonProcess groups.

serve SCRIPT.py is a quick start in the spirit of mod_wsgi-express: one group
(--processes, --threads) serving the script's "application" at / on
--host:--port (127.0.0.1:8000), with --python-path, --working-directory,
--url-alias, --user/--group and --access-log as mod_wsgi-express has them.

Runs in the foreground, logs to stderr, and stops cleanly on SIGTERM or SIGINT:
listeners close, in-flight requests finish within the stop grace
(GracefulShutdownTimeout, default 30 s) and then their group's
shutdown-timeout, then the worker processes stop; a second SIGTERM or SIGINT,
or SIGQUIT, stops at once. SIGHUP and SIGUSR1 reload the config without
dropping a request: an invalid config is logged and the old one keeps
serving; groups whose definition did not change keep their processes,
changed and new ones start before the old ones drain; added Listen addresses
open, dropped ones close, certificates are read again. The HTTP limits of a
listener that stays apply at the next start. SIGUSR2 is logged and ignored.
docs/operations.md has the details.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if sf.file == "" && len(args) == 0 {
				dir, err := unpackDemo()
				if err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
				defer os.RemoveAll(dir)
				sf.file = filepath.Join(dir, "site.conf")
			}
			if sf.quick.reloadOnChanges && len(args) == 0 {
				return &exitError{code: ExitUsage, err: errors.New("--reload-on-changes works with the quick start (serve SCRIPT.py) only; a config can set WSGIScriptReloading On")}
			}
			if sf.file != "" && len(args) > 0 {
				return &exitError{code: ExitUsage, err: errors.New("give either -f FILE or a script, not both")}
			}
			if len(args) == 1 {
				file, err := sf.quick.config(args[0], c.ErrOrStderr())
				if err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
				defer os.Remove(file)
				sf.file = file
			}
			cfg, err := sf.load()
			if err != nil {
				writeConfigtestText(c.ErrOrStderr(), asErrorList(err), nil, false, false)
				return &exitError{code: ExitFailed}
			}
			if len(args) == 1 {
				requireScripts(cfg)
			}
			reread := func() (*config.Config, error) {
				cfg, err := sf.load()
				if err == nil && len(args) == 1 {
					requireScripts(cfg)
				}
				return cfg, err
			}
			return serve(cfg, sf, reread)
		},
	}
	sf.register(c, false)
	sf.quick.register(c)
	c.Flags().StringVar(&sf.python, "python", "", "the Python interpreter for every group (default: python-home, WSGIPythonHome, else python3 on PATH)")
	c.Flags().BoolVarP(&sf.quiet, "quiet", "q", false, "log errors only (no start-up, warning-summary or request-level notices)")
	c.Flags().BoolVar(&sf.allowRoot, "allow-root", false, "let workers run as root when no User or user= is configured (default: nobody)")
	return c
}

// unpackDemo writes the embedded demo site to a fresh folder that the
// workers' user can read, and points ${DEMO_ROOT} in its config at it.
func unpackDemo() (string, error) {
	dir, err := os.MkdirTemp("", "appserver-demo-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	for _, name := range []string{"wsgi.py", "site.conf"} {
		data, err := appserver.Demo.ReadFile("testdata/demo/" + name)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	return dir, os.Setenv("DEMO_ROOT", dir)
}

// frontMemoryLimit is the front end's soft memory limit unless GOMEMLIMIT
// says otherwise. With GOGC alone the heap grows to twice its live size
// before a collection; under hundreds of connections that is most of the
// process's RSS. Near the limit the GC runs more often instead (a little
// CPU, only when the heap is that large); GOGC still applies below it.
const frontMemoryLimit = 22 << 20

func setMemoryLimit() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(frontMemoryLimit)
	}
}

// keepServingOn catches the signals Apache's tools send for a restart (HUP,
// USR1) or that scripts send by habit (USR2), which would otherwise kill
// the server with every request in flight. Each goes to the handler, one
// at a time; one that arrives while the server still starts waits until
// the handler is set (the reload needs a server that serves). The returned
// func stops the handling.
func keepServingOn(log *slog.Logger, handler *atomic.Pointer[func(os.Signal)], sigs ...os.Signal) func() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-ch:
				for handler.Load() == nil {
					select {
					case <-done:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
				(*handler.Load())(sig)
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// reloadConfig reads the config again and puts it in service; on any error
// the config in service stays, and the error (every reason) is logged and
// returned.
// reloader is what a reload works with.
type reloader struct {
	ctx     context.Context
	log     *slog.Logger
	front   *server.Frontend
	web     *httpServers
	elog    *errorLog
	running *config.Config // the config serve started with (for messages)
	reread  func() (*config.Config, error)
}

func (rl *reloader) reload(why string) error {
	ctx, log, front, web, running, reread := rl.ctx, rl.log, rl.front, rl.web, rl.running, rl.reread
	log.Info("reloading the config", "signal", why, "config", running.File)
	notify(log, "RELOADING=1\n"+sd.SdNotifyMonotonicUsec())
	defer func() { notify(log, "READY=1\n"+statusLine(front)) }()
	next, err := reread()
	if err != nil {
		for _, e := range asErrorList(err) {
			log.Error("reload refused: " + e.Error())
		}
		log.Error("reload refused: the config has errors; still serving the one in service", "config", running.File)
		return err
	}
	commit, abort, err := web.prepare(next)
	if err != nil {
		log.Error("reload refused: "+err.Error()+"; still serving the config in service", "config", running.File)
		return err
	}
	if err := front.Reload(ctx, next); err != nil {
		abort()
		log.Error("reload refused: "+err.Error()+"; still serving the config in service", "config", running.File)
		return err
	}
	commit()
	if err := rl.elog.reopen(next); err != nil {
		log.Error("reload: "+err.Error()+"; still logging where it did", "config", running.File)
	}
	return nil
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGUSR2:
		return "SIGUSR2"
	}
	return sig.String()
}

func serve(cfg *config.Config, sf serveFlags, reread func() (*config.Config, error)) error {
	setMemoryLimit()
	out, err := openErrorLog(cfg)
	if err != nil {
		return &exitError{code: ExitFailed, err: err}
	}
	defer out.Close()
	level := slog.LevelInfo
	if sf.quiet {
		level = slog.LevelError
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}))
	var onSignal atomic.Pointer[func(os.Signal)]
	defer keepServingOn(log, &onSignal, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)()
	if len(cfg.Warnings) > 0 {
		// One line per start: the list is configtest's job, and hundreds of
		// "ignored" lines on every start bury what matters in the log.
		log.Warn("config "+config.WarningCounts(cfg.Warnings)+"; appserver configtest -f "+cfg.File+" lists them",
			"count", len(cfg.Warnings))
	}
	// Bind first: a port in use should fail before any worker starts.
	listeners, lns, err := bindListeners(cfg, log)
	if err != nil {
		return err
	}

	ctlPath := server.ControlSocketPath(cfg)
	ctlLn, err := server.ListenControl(ctlPath)
	if err != nil {
		for _, ln := range lns {
			ln.Close()
		}
		return &exitError{code: ExitFailed, err: err}
	}
	defer ctlLn.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// now is cancelled to stop at once: SIGQUIT at any time, or a second
	// SIGTERM/SIGINT while stopping.
	now, stopNow := context.WithCancel(context.Background())
	defer stopNow()
	defer stopAtOnceOn(log, stopNow, syscall.SIGQUIT)()
	front := server.NewFrontend(cfg, server.FrontendOptions{Logger: log, Python: sf.python, AllowRoot: sf.allowRoot,
		WorkerEnv: workerEnv()})
	if err := front.Start(ctx); err != nil {
		_ = front.Stop(context.Background())
		for _, ln := range lns {
			ln.Close()
		}
		return &exitError{code: ExitFailed, err: err}
	}
	if sf.quick.reloadOnChanges && len(sf.quick.roots) > 0 {
		w := newSourceWatcher(sf.quick.roots)
		go w.run(ctx, time.Second, func(path string) {
			log.Info("source changed: restarting the workers", "file", path)
			front.RestartGroups(string(daemon.ReasonFilesChanged))
		})
	}

	web := startHTTP(cfg, listeners, lns, front, log)
	rl := &reloader{ctx: ctx, log: log, front: front, web: web, elog: out, running: cfg, reread: reread}
	ctlSrv := server.ControlServer(front, server.ControlOps{
		Reload: func() error { return rl.reload("control socket") },
		Stop: func(at bool) {
			if at {
				stopNow()
			}
			stop()
		},
	})
	go func() { _ = ctlSrv.Serve(ctlLn) }()
	log.Info("control socket", "path", ctlPath)
	log.Info("serving", "config", cfg.File, "groups", len(cfg.Groups), "pid", strconv.Itoa(os.Getpid()))
	handle := func(sig os.Signal) {
		if sig == syscall.SIGUSR2 {
			log.Warn("received SIGUSR2: ignored (SIGHUP or SIGUSR1 reload the config)")
			return
		}
		_ = rl.reload(signalName(sig))
	}
	onSignal.Store(&handle)
	notify(log, "READY=1\n"+statusLine(front))
	go watchdog(ctx, log, front)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case <-now.Done():
		log.Info("shutting down at once")
	case serveErr = <-web.errc:
		log.Error("listener failed", "err", serveErr)
	}
	defer stopAtOnceOn(log, stopNow, syscall.SIGTERM, syscall.SIGINT)()
	front.Draining()
	notify(log, "STOPPING=1\nSTATUS=stopping: finishing the requests in flight")
	web.shutdown(now, stopGrace(cfg), log)
	// The control socket answers until the listeners are closed; a profile
	// or stack dump in flight is cut short.
	_ = ctlSrv.Close()
	if err := front.Stop(now); err != nil && now.Err() == nil {
		log.Error("stopping groups", "err", err)
	}
	if serveErr != nil {
		return &exitError{code: ExitFailed, err: serveErr}
	}
	return nil
}

// bindListeners binds the Listen addresses of cfg, or takes the sockets
// systemd passed for them (socket activation).
func bindListeners(cfg *config.Config, log *slog.Logger) ([]server.Listener, []net.Listener, error) {
	listeners, err := server.Listeners(cfg)
	if err != nil {
		return nil, nil, &exitError{code: ExitFailed, err: err}
	}
	if len(listeners) == 0 {
		return nil, nil, &exitError{code: ExitFailed, err: fmt.Errorf("%s: no Listen directive: nothing to serve", cfg.File)}
	}
	inherited, err := activation.Listeners()
	if err != nil {
		log.Warn("socket activation: " + err.Error())
	}
	lns, unused, err := server.Bind(cfg, listeners, inherited)
	for _, ln := range unused {
		log.Warn("socket activation: no Listen matches this socket; closing it", "addr", ln.Addr().String())
		ln.Close()
	}
	if err != nil {
		return nil, nil, &exitError{code: ExitFailed, err: err}
	}
	return listeners, lns, nil
}

// httpServers are the HTTP servers of the listeners, by address.
type httpServers struct {
	front  *server.Frontend
	log    *slog.Logger
	mu     sync.Mutex
	byAddr map[string]*http1.Server
	conf   map[string]server.Listener // what each address serves
	wg     sync.WaitGroup
	errc   chan error // a listener that failed
}

// startHTTP serves front on every listener.
func startHTTP(cfg *config.Config, listeners []server.Listener, lns []net.Listener, front *server.Frontend, log *slog.Logger) *httpServers {
	h := &httpServers{front: front, log: log, byAddr: map[string]*http1.Server{}, conf: map[string]server.Listener{},
		errc: make(chan error, 16)}
	for i, ln := range lns {
		h.serve(cfg, listeners[i], ln)
	}
	return h
}

func (h *httpServers) serve(cfg *config.Config, l server.Listener, ln net.Listener) {
	srv := server.HTTP1Server(cfg, l, h.front, h.log)
	h.mu.Lock()
	h.byAddr[l.Addr] = srv
	h.conf[l.Addr] = l
	h.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		err := srv.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			h.errc <- err
		}
	}()
	h.log.Info("listening", "addr", ln.Addr().String(), "tls", srv.TLSConfig != nil)
}

// prepare binds the listeners next adds, so that a port it cannot have
// refuses the reload before anything changed. The returned commit starts
// serving them and stops the listeners next dropped (their requests in
// flight finish); abort closes what prepare opened.
func (h *httpServers) prepare(next *config.Config) (commit, abort func(), err error) {
	want, err := server.Listeners(next)
	if err != nil {
		return nil, nil, err
	}
	h.mu.Lock()
	var added []server.Listener
	var kept [][2]server.Listener // {serving, next}
	keep := map[string]bool{}
	for _, l := range want {
		keep[l.Addr] = true
		if h.byAddr[l.Addr] == nil {
			added = append(added, l)
			continue
		}
		kept = append(kept, [2]server.Listener{h.conf[l.Addr], l})
	}
	var dropped []string
	for addr := range h.byAddr {
		if !keep[addr] {
			dropped = append(dropped, addr)
		}
	}
	h.mu.Unlock()
	lns, _, err := server.Bind(next, added, nil)
	if err != nil {
		return nil, nil, err
	}
	commit = func() {
		for i, ln := range lns {
			h.serve(next, added[i], ln)
		}
		for _, k := range kept {
			// New certificates (a renewed one, say) go out from the next
			// handshake on; switching TLS on or off needs a restart.
			if !k[0].TakeCertificates(k[1]) && (k[0].TLS != nil) != (k[1].TLS != nil) {
				h.log.Warn("reload: TLS was switched on or off for this address; that applies at the next start", "addr", k[1].Addr)
			}
		}
		for _, addr := range dropped {
			h.mu.Lock()
			srv := h.byAddr[addr]
			delete(h.byAddr, addr)
			delete(h.conf, addr)
			h.mu.Unlock()
			h.log.Info("reload: no Listen names this address any more; closing it", "addr", addr)
			go func() { _ = srv.Shutdown(context.Background()) }()
		}
	}
	abort = func() {
		for _, ln := range lns {
			ln.Close()
		}
	}
	return commit, abort, nil
}

// shutdown closes the listeners and lets the requests in flight finish,
// for grace at most (0 = no limit), or until now is cancelled.
func (h *httpServers) shutdown(now context.Context, grace time.Duration, log *slog.Logger) {
	drain, cancel := now, context.CancelFunc(func() {})
	if grace > 0 {
		drain, cancel = context.WithTimeout(now, grace)
	}
	defer cancel()
	h.mu.Lock()
	servers := make([]*http1.Server, 0, len(h.byAddr))
	for _, srv := range h.byAddr {
		servers = append(servers, srv)
	}
	h.mu.Unlock()
	for _, srv := range servers {
		_ = srv.Shutdown(drain)
	}
	if drain.Err() != nil && now.Err() == nil {
		log.Warn("stop: requests still running after the grace period; their groups get shutdown-timeout, then their workers are killed",
			"grace", grace.String())
	}
	h.wg.Wait()
}

// defaultStopGrace is how long a stop waits for requests in flight when
// the config has no GracefulShutdownTimeout.
const defaultStopGrace = 30 * time.Second

// stopGrace is how long a stop lets the requests in flight finish before
// their groups are stopped: GracefulShutdownTimeout (0 = no limit), else
// defaultStopGrace.
func stopGrace(cfg *config.Config) time.Duration {
	if cfg.GracefulShutdownTimeout != nil {
		return *cfg.GracefulShutdownTimeout
	}
	return defaultStopGrace
}

// stopAtOnceOn cancels the stop's patience (stopNow) when one of sigs
// arrives: the workers are then killed and the requests in flight cut.
// The returned func stops listening.
func stopAtOnceOn(log *slog.Logger, stopNow context.CancelFunc, sigs ...os.Signal) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			log.Warn("received " + signalName(sig) + ": stopping at once; requests in flight are cut")
			stopNow()
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
