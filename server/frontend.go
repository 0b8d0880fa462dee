package server

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server/config"
	"github.com/appserver/appserver/server/route"
)

// FrontendOptions are the settings of a Frontend that do not come from the
// config file.
type FrontendOptions struct {
	// Logger receives the error log. nil = slog.Default().
	Logger *slog.Logger
	// Routing are the host facts routing uses (zero: this host's).
	Routing route.Options
	// Python overrides the interpreter of every group ("" = per group:
	// python-home, WSGIPythonHome, else python3 on PATH).
	Python string
	// AllowRoot lets workers run as root when no user is configured.
	AllowRoot bool
	// OnEvent receives the process lifecycle events of every group.
	OnEvent func(daemon.Event)
	// WorkerEnv is the environment workers start with; nil = os.Environ().
	WorkerEnv []string
}

// Frontend is the HTTP handler for a Config: it routes each request as
// Apache + mod_wsgi would and hands it to a daemon group, a static file or an
// error answer.
type Frontend struct {
	opts FrontendOptions
	log  *slog.Logger

	// gen is the config in service; a request reads it once, without a
	// lock, and keeps that generation to its end (Reload swaps it).
	gen atomic.Pointer[generation]

	mu       sync.Mutex
	embedded *daemon.Group   // the "" group, once started
	starting *embeddedStart  // the embedded group's last start attempt
	ctx      context.Context // for the embedded group
	reload   sync.Mutex      // one Reload at a time
	retiring sync.WaitGroup  // groups a reload left, until they stopped

	stopping   atomic.Bool // Draining was called
	mon        *monitor.Monitor
	monStop    context.CancelFunc // ends the monitor's sampling
	statusPage http.Handler       // SetHandler server-status
	metrics    http.Handler       // SetHandler server-metrics
}

// embeddedStart is one attempt to start the embedded group, shared by the
// requests that arrive while it runs.
type embeddedStart struct {
	done chan struct{}
	g    *daemon.Group
	err  error
	at   time.Time // when it finished
}

// embeddedRetry is how long a failed start of the embedded group is
// answered from memory before the next request tries again.
const embeddedRetry = 5 * time.Second

// NewFrontend prepares the groups of cfg; Start starts them.
func NewFrontend(cfg *config.Config, opts FrontendOptions) *Frontend {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	f := &Frontend{opts: opts, log: log}
	gen := &generation{cfg: cfg, table: route.Compile(cfg, opts.Routing), groups: map[string]*daemon.Group{},
		specs: map[string]*daemon.Spec{}}
	for _, g := range cfg.Groups {
		spec := withServerUser(cfg, g.Spec, opts.AllowRoot)
		gen.specs[spec.Name] = spec
		gen.groups[spec.Name] = daemon.NewGroup(spec, f.groupOptions(spec))
	}
	f.gen.Store(gen)
	f.mon = monitor.New()
	f.mon.SetSource(f)
	f.statusPage, f.metrics = f.mon.StatusHandler(), f.mon.MetricsHandler()
	return f
}

// withServerUser fills in the server's User/Group for a group that names
// none, and nobody when the server runs as root with no User at all, so that
// workers never run as root by accident; and the server-wide Python
// settings (WSGIPythonHome, WSGIPythonEggs, WSGIPythonOptimize) and
// AppserverMonitor.
func withServerUser(cfg *config.Config, spec *daemon.Spec, allowRoot bool) *daemon.Spec {
	s := *spec
	if s.User == "" {
		s.User = cfg.User
	}
	if s.Group == "" {
		s.Group = cfg.Group
	}
	if s.User == "" && os.Geteuid() == 0 && !allowRoot && !s.AllowRoot {
		s.User = "nobody"
		if s.Group == "" {
			s.Group = "nogroup"
		}
	}
	if s.PythonHome == "" {
		s.PythonHome = cfg.PythonHome
	}
	if s.PythonEggs == "" {
		s.PythonEggs = cfg.PythonEggs
	}
	s.PythonOptimize = cfg.PythonOptimize
	s.NoPeakRSS = cfg.MonitorOff
	return &s
}

// groupOptions are the daemon options of the front end's groups: their
// events go to the monitor, then to opts.OnEvent.
func (f *Frontend) groupOptions(spec *daemon.Spec) daemon.Options {
	return groupOptions(f.opts, f.log, spec, func(e daemon.Event) {
		f.mon.Event(e)
		if f.opts.OnEvent != nil {
			f.opts.OnEvent(e)
		}
	})
}

// groupOptions are the daemon options of a group started with opts.
func groupOptions(opts FrontendOptions, log *slog.Logger, spec *daemon.Spec, onEvent func(daemon.Event)) daemon.Options {
	return daemon.Options{Python: opts.Python, Logger: log, AllowRoot: opts.AllowRoot || spec.AllowRoot, OnEvent: onEvent, Env: opts.WorkerEnv,
		ErrorResponse: func(w http.ResponseWriter, r *http.Request, status int) { writeError(w, status, "") }}
}

// Start opens the access logs and starts every configured group's
// processes.
func (f *Frontend) Start(ctx context.Context) error {
	gen := f.gen.Load()
	logs, warnings, err := openAccessLogs(gen.cfg)
	for _, w := range warnings {
		f.log.Warn(w)
	}
	if err != nil {
		return err
	}
	gen.logs = logs // before any request is served
	mctx, stop := context.WithCancel(context.Background())
	go f.mon.Run(mctx)
	f.mu.Lock()
	f.ctx = ctx
	f.monStop = stop
	groups := f.sortedGroups()
	f.mu.Unlock()
	for _, g := range groups {
		if err := g.Start(ctx); err != nil {
			return fmt.Errorf("group %s: %w", g.Name(), err)
		}
	}
	return nil
}

// Stop stops every group, letting in-flight requests finish within each
// group's shutdown-timeout.
func (f *Frontend) Stop(ctx context.Context) error {
	f.mu.Lock()
	groups := f.sortedGroups()
	monStop := f.monStop
	f.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(groups))
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = g.Stop(ctx)
		}()
	}
	wg.Wait()
	f.retiring.Wait()
	f.gen.Load().logs.close()
	if monStop != nil {
		monStop()
	}
	return errors.Join(errs...)
}

// Monitor is what the front end measures.
func (f *Frontend) Monitor() *monitor.Monitor { return f.mon }

// Snapshots reads every group, the embedded one included (monitor.Source).
func (f *Frontend) Snapshots() []daemon.Snapshot {
	f.mu.Lock()
	groups := f.sortedGroups()
	f.mu.Unlock()
	out := make([]daemon.Snapshot, len(groups))
	for i, g := range groups {
		out[i] = g.Snapshot()
	}
	return out
}

// Groups returns the running groups by name.
func (f *Frontend) Groups() map[string]*daemon.Group {
	f.mu.Lock()
	defer f.mu.Unlock()
	gen := f.gen.Load()
	out := make(map[string]*daemon.Group, len(gen.groups)+1)
	for k, v := range gen.groups {
		out[k] = v
	}
	if f.embedded != nil {
		out[""] = f.embedded
	}
	return out
}

// sortedGroups lists the groups in config order, the embedded one last;
// the caller holds f.mu.
func (f *Frontend) sortedGroups() []*daemon.Group {
	gen := f.gen.Load()
	out := make([]*daemon.Group, 0, len(gen.groups)+1)
	for _, g := range gen.cfg.Groups {
		if dg := gen.groups[g.Spec.Name]; dg != nil {
			out = append(out, dg)
		}
	}
	if f.embedded != nil {
		out = append(out, f.embedded)
	}
	return out
}

// group returns the named group; "" is the embedded group, which appserver
// runs as a daemon group of its own (one process, 15 threads, like a
// default WSGIDaemonProcess), started on first use.
func (f *Frontend) group(gen *generation, name string) (*daemon.Group, error) {
	if g, ok := gen.groups[name]; ok {
		return g, nil
	}
	if name != "" {
		return nil, fmt.Errorf("No WSGI daemon process called '%s' has been configured", name)
	}
	// The start runs without the lock: requests for configured groups
	// (and everything else that takes it) never wait behind a slow or
	// failing interpreter start; requests for the embedded group wait for
	// the one attempt in progress, and a failed attempt is answered from
	// memory for embeddedRetry.
	f.mu.Lock()
	if f.embedded != nil {
		g := f.embedded
		f.mu.Unlock()
		return g, nil
	}
	try := f.starting
	if try == nil || (isClosed(try.done) && time.Since(try.at) >= embeddedRetry) {
		try = &embeddedStart{done: make(chan struct{})}
		f.starting = try
		ctx := f.ctx
		f.mu.Unlock()
		f.startEmbedded(ctx, try)
	} else {
		f.mu.Unlock()
		<-try.done
	}
	return try.g, try.err
}

func (f *Frontend) startEmbedded(ctx context.Context, try *embeddedStart) {
	f.log.Info("starting the embedded group (the first request for a script outside any WSGIDaemonProcess group)")
	// Embedded mode runs in Apache's MPM children: wsgi.multiprocess and
	// wsgi.multithread are both true there.
	spec := &daemon.Spec{Name: "", Processes: 1, ProcessesSet: true, Threads: 15, Umask: -1,
		ShutdownTimeout: 5 * time.Second, GracefulTimeout: 15 * time.Second, DeadlockTimeout: 300 * time.Second,
		ConnectTimeout: 15 * time.Second, ListenBacklog: 100}
	g := daemon.NewGroup(withServerUser(f.gen.Load().cfg, spec, f.opts.AllowRoot), f.groupOptions(spec))
	if ctx == nil {
		ctx = context.Background()
	}
	err := g.Start(ctx)
	f.mu.Lock()
	if err != nil {
		try.err = fmt.Errorf("embedded group: %w", err)
	} else {
		try.g = g
		f.embedded = g
	}
	try.at = time.Now()
	close(try.done)
	f.mu.Unlock()
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// ServeHTTP routes and serves one request.
func (f *Frontend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	local := localAddrOf(r)
	localIP, localPort := splitAddr(local)
	port, _ := strconv.Atoi(localPort)
	// Require ip/local see the connection's client address: proxy headers
	// (WSGITrustedProxies) change only the environ, as without mod_remoteip.
	remoteIP, remotePort := splitAddr(r.RemoteAddr)
	gen := f.gen.Load()
	gen.active.Add(1)
	var hooks config.AuthHooks
	if gen.cfg.UsesAuthHooks {
		hooks = &authHooks{f: f, gen: gen, r: r, local: local}
	}
	var resolver config.HostResolver
	if gen.cfg.UsesHostNames {
		resolver = &dnsResolver{ctx: r.Context()}
	}
	rt := gen.table.Route(route.Request{Method: r.Method, Target: r.RequestURI, Host: r.Host,
		LocalIP: localIP, LocalPort: port, HTTPS: r.TLS != nil, Header: r.Header, RemoteIP: remoteIP, Proto: r.Proto, RemotePort: remotePort, Hooks: hooks,
		Resolver: resolver, ClientVerified: r.TLS != nil && len(r.TLS.VerifiedChains) > 0})
	if d, ok := resolver.(*dnsResolver); ok && d.ok {
		rt.RemoteHost = d.name // httpd then has REMOTE_HOST
	}
	requestID := newRequestID()
	lw := writerPool.Get().(*loggingWriter)
	*lw = loggingWriter{ResponseWriter: w, logged: gen.logs.has(rt.VHost)}
	monitored := rt.Status == http.StatusOK && rt.Handler == route.HandlerWSGI && !gen.cfg.MonitorOff
	if monitored {
		f.mon.Start(rt.ProcessGroup)
	}
	// Deferred, so that a request the daemon aborts (a panic with
	// http.ErrAbortHandler) is counted and logged too.
	defer func() {
		dur := time.Since(start)
		if monitored {
			f.mon.Done(&monitor.Request{Group: rt.ProcessGroup, Apps: appNames(rt.Env), Route: rt.Label(), Path: rt.URI,
				Status: lw.status, Total: dur, Queued: lw.trace.Queued, App: lw.trace.App, PeakGrowth: lw.trace.PeakGrowth})
		}
		if lw.logged {
			rec := logRecord{r: r, route: rt, status: lw.status, bodyBytes: lw.bodyBytes, headBytes: lw.headBytes,
				start: start, dur: dur, header: lw.Header(), requestID: requestID}
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			gen.logs.log(&rec)
		}
		*lw = loggingWriter{}
		writerPool.Put(lw)
		gen.active.Add(-1)
	}()
	req := &request{gen: gen, start: start, id: requestID, local: local, trace: &lw.trace}
	// The way out, from the handler: the response directives (responses.go:
	// ErrorDocument, mod_expires, DEFLATE, charsets), then mod_headers'
	// Header tables (headers.go), then the access log's writer.
	var out http.ResponseWriter = lw
	if hs := reqHeadersFor(r, rt, start, f.log); hs != nil {
		hs.requestPhase()
		out = newHeadersWriter(lw, hs)
		req.hs = hs
	}
	if rw := f.newRespWriter(out, r, rt, req); rw != nil {
		f.serveResponses(rw)
		return
	}
	f.serveRouted(out, r, rt, req)
}

// request is what serving one request needs beside its route.
type request struct {
	gen   *generation // the config it is served under
	start time.Time
	id    string // UNIQUE_ID
	local string // the connection's local address
	trace *daemon.Trace
	hs    *reqHeaders // nil: no mod_headers/mod_setenvif config applies
}

// writerPool recycles the per-request writers: nothing keeps one once its
// request's ServeHTTP has returned.
var writerPool = sync.Pool{New: func() any { return new(loggingWriter) }}

// appNames are the application names a request counts under:
// appserver.app_name when set, else New Relic's newrelic.app_name (both
// "A;B" lists, as the New Relic agent reads them).
func appNames(env map[string]string) string {
	if v, ok := env["appserver.app_name"]; ok {
		return v
	}
	return env["newrelic.app_name"]
}

func (f *Frontend) serveRouted(w http.ResponseWriter, r *http.Request, rt *route.Route, req *request) {
	if rt.Status != http.StatusOK {
		if rt.Reason != "" {
			f.log.Info(rt.Reason, "status", rt.Status, "uri", r.RequestURI)
		}
		if rt.Status == http.StatusUnauthorized {
			writeUnauthorized(w, rt.Challenge)
			return
		}
		if rt.RedirectURL != "" {
			writeRedirect(w, rt.Status, rt.RedirectURL) // mod_alias, mod_rewrite
			return
		}
		if rt.Status == http.StatusMovedPermanently {
			writeRedirect(w, rt.Status, redirectLocation(r, rt)) // mod_dir
			return
		}
		writeError(w, rt.Status, "")
		return
	}
	if rt.Vary != nil {
		// The request headers RewriteCond looked at (httpd drops them from
		// error and redirect answers with the rest of headers_out).
		addVaryNames(w.Header(), rt.Vary)
	}
	limit := int64(defaultLimitRequestBody)
	if rt.Conf != nil && rt.Conf.LimitRequestBody != nil {
		limit = *rt.Conf.LimitRequestBody // 0: unlimited
	}
	if limit > 0 && r.Body != http.NoBody {
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, "")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	switch rt.Handler {
	case route.HandlerWSGI:
		f.serveWSGI(w, r, rt, req)
	case route.HandlerStatic:
		f.serveStatic(w, r, rt)
	case route.HandlerStatus:
		if r.URL.Query().Has("profile") {
			f.serveProfilePage(w, r)
			return
		}
		f.statusPage.ServeHTTP(w, r)
	case route.HandlerMetrics:
		f.metrics.ServeHTTP(w, r)
	case route.HandlerReady:
		f.serveReady(w, req.gen)
	case route.HandlerProxy:
		f.serveProxy(w, r, rt, req)
	default:
		writeError(w, http.StatusNotFound, "")
	}
}

func (f *Frontend) serveWSGI(w http.ResponseWriter, r *http.Request, rt *route.Route, req *request) {
	conf := rt.Conf
	if len(r.TransferEncoding) > 0 && (conf == nil || conf.ChunkedRequest == nil || !*conf.ChunkedRequest) {
		// mod_wsgi: "optional support for chunked transfer encoding has not been enabled".
		writeError(w, http.StatusLengthRequired, "")
		return
	}
	g, err := f.group(req.gen, rt.ProcessGroup)
	if err != nil {
		f.log.Error(err.Error(), "uri", r.RequestURI)
		writeError(w, http.StatusInternalServerError, "")
		return
	}
	reloading := conf == nil || conf.ScriptReloading == nil || *conf.ScriptReloading
	in := envInput{r: r, route: rt, requestID: req.id, start: req.start, queueStart: time.Now(), local: req.local,
		https: r.TLS != nil, docRoot: documentRoot(rt.VHost, req.gen.cfg),
		admin: serverAdmin(rt.VHost, req.gen.cfg), reloading: reloading}
	env := applyTrustedProxies(buildEnv(in), r, conf)
	if r.TLS != nil {
		env = addSSLEnv(env, r, rt)
	}
	if r.Method == http.MethodHead && conf != nil && conf.MapHEADToGET == "On" {
		env = setEnv(env, "REQUEST_METHOD", http.MethodGet)
	}
	if req.hs != nil {
		req.hs.cgiEnv = env // for Header env= and %{VAR}e (headers.go)
	}
	if rw, ok := w.(*respWriter); ok && rw.override {
		rw.origEnv = append([]string(nil), env...) // for an ErrorDocument's REDIRECT_*
	}
	g.Serve(w, r, &daemon.Request{Env: env, Script: rt.Script, ApplicationGroup: rt.ApplicationGroup,
		CallableObject: rt.CallableObject, ScriptReloading: reloading, ScriptMtime: rt.ScriptMtime, Trace: req.trace})
	// Serve has encoded the environ into its frame and is done with it (it
	// does not return normally when it aborts: then the slice is dropped).
	if req.hs != nil {
		req.hs.cgiEnv = nil
	}
	putEnv(env)
}

func setEnv(env []string, k, v string) []string {
	for i := 0; i+1 < len(env); i += 2 {
		if env[i] == k {
			env[i+1] = v
			return env
		}
	}
	return append(env, k, v)
}

func documentRoot(v *config.VHost, cfg *config.Config) string {
	if v != nil && v.DocumentRoot != "" {
		return v.DocumentRoot
	}
	if cfg.Main != nil && cfg.Main.DocumentRoot != "" {
		return cfg.Main.DocumentRoot
	}
	return "/var/www/html"
}

// serverAdmin is the vhost's ServerAdmin, else the main server's.
func serverAdmin(v *config.VHost, cfg *config.Config) string {
	if v != nil && v.Admin != "" {
		return v.Admin
	}
	if cfg.Main != nil {
		return cfg.Main.Admin
	}
	return ""
}

// serveStatic serves Alias targets and DocumentRoot files as httpd's
// default handler does: GET, HEAD and POST, Range and conditional requests,
// an Apache-style ETag, and the type from the MIME table with no charset
// added and no content sniffing.
func (f *Frontend) serveStatic(w http.ResponseWriter, r *http.Request, rt *route.Route) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET,POST,OPTIONS,HEAD")
		writeError(w, http.StatusMethodNotAllowed, "The requested method "+r.Method+" is not allowed for this URL.")
		return
	}
	name := rt.File
	fi, err := os.Stat(name)
	if err == nil && fi.IsDir() {
		index := filepath.Join(name, "index.html")
		if ifi, ierr := os.Stat(index); ierr == nil && !ifi.IsDir() {
			name, fi = index, ifi
		} else {
			writeError(w, http.StatusForbidden, "")
			return
		}
	}
	if err != nil {
		status := http.StatusNotFound
		if errors.Is(err, os.ErrPermission) {
			status = http.StatusForbidden
		}
		writeError(w, status, "")
		return
	}
	file, err := os.Open(name)
	if err != nil {
		writeError(w, http.StatusForbidden, "")
		return
	}
	defer file.Close()
	h := w.Header()
	etag := fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixMicro())
	if time.Since(fi.ModTime()) < time.Second {
		etag = "W/" + etag // httpd's ap_make_etag: a file changed this second may change again
	}
	h.Set("ETag", etag)
	// A present but nil Content-Type stops http.ServeContent from sniffing.
	h["Content-Type"] = nil
	if ct := staticTypeFor(name, rt.Conf); ct != "" {
		h.Set("Content-Type", ct)
		noteStaticType(w, ct)
	}
	if r.Method == http.MethodPost {
		// ServeContent only honours conditions for GET and HEAD; POST gets
		// the plain file, as from httpd.
		r = r.Clone(r.Context())
		r.Method = http.MethodGet
	}
	if serveStaticDeflated(w, r, name, fi, file) {
		return
	}
	http.ServeContent(w, r, name, fi.ModTime(), file)
}

// staticType is the MIME type of a file by extension, as mod_mime gives it
// from the system's mime.types: Go adds "; charset=utf-8" to text types,
// which Apache (AddDefaultCharset Off) does not.
func staticType(name string) string {
	ct := mime.TypeByExtension(filepath.Ext(name))
	if strings.HasPrefix(ct, "text/") {
		ct = strings.TrimSuffix(ct, "; charset=utf-8")
	}
	return ct
}

// redirectLocation is where mod_dir's DirectorySlash sends a request for a
// directory without its trailing slash.
func redirectLocation(r *http.Request, rt *route.Route) string {
	loc := serverURL(r, rt) + (&url.URL{Path: rt.URI + "/"}).EscapedPath()
	if rt.Query != "" {
		loc += "?" + rt.Query
	}
	return loc
}

// writeError answers with an Apache-style error page, or the request's
// ErrorDocument (responses.go).
func writeError(w http.ResponseWriter, status int, detail string) {
	if ed, ok := w.(errorDocumenter); ok && ed.errorDocument(status, detail) {
		return
	}
	writeErrorPage(w, status, detail, 0)
}

func defaultDetail(status int) string {
	switch status {
	case http.StatusNotFound:
		return "The requested URL was not found on this server."
	case http.StatusForbidden:
		return "You don't have permission to access this resource."
	case http.StatusGone:
		return "The requested resource is no longer available on this server and there is no forwarding address.\nPlease remove all references to this resource."
	case http.StatusBadRequest:
		return "Your browser sent a request that this server could not understand.<br />\n"
	case http.StatusBadGateway:
		return "The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n"
	case http.StatusServiceUnavailable:
		return "The server is temporarily unable to service your request."
	case http.StatusGatewayTimeout:
		return "The gateway did not receive a timely response from the upstream server or application."
	case http.StatusLengthRequired:
		return "A request with chunked transfer encoding needs WSGIChunkedRequest On."
	default:
		return "The server encountered an internal error or misconfiguration and was unable to complete your request."
	}
}

// newRequestID is 8 random bytes in URL-safe base64. It names a request in
// logs, it is no secret: the runtime's fast generator is enough, and costs
// no syscall or lock per request as crypto/rand does.
func newRequestID() string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	var out [11]byte
	base64.RawURLEncoding.Encode(out[:], b[:])
	return string(out[:])
}

var _ http.Handler = (*Frontend)(nil)

// ErrorPage writes the Apache-style error page of status: the body of the
// errors the HTTP/1 front end answers itself.
func ErrorPage(w http.ResponseWriter, status int) { writeError(w, status, "") }

// defaultLimitRequestBody is Apache 2.4.54's LimitRequestBody default (1 GiB).
const defaultLimitRequestBody = 1 << 30

// Draining marks the server as stopping: the readiness page says 503 from
// now on, so that a load balancer sends no more requests.
func (f *Frontend) Draining() { f.stopping.Store(true) }

// serveReady answers SetHandler appserver-ready: 200 "ready" while the
// server takes requests and every group that must have a process has one
// ready; else 503 with the reason.
func (f *Frontend) serveReady(w http.ResponseWriter, gen *generation) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if why := f.notReady(gen); why != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready:", why)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (f *Frontend) notReady(gen *generation) string {
	if f.stopping.Load() {
		return "stopping"
	}
	for name, g := range gen.groups {
		spec := gen.specs[name]
		if spec.Threads == 0 || (spec.IdleTimeout > 0 && spec.MinProcesses == 0) {
			continue // service groups, and dynamic groups that may rest at zero
		}
		s := g.Snapshot()
		if s.State != "running" {
			return "group " + name + " is " + s.State
		}
		ready := false
		for _, p := range s.Processes {
			ready = ready || p.State == "ready"
		}
		if !ready {
			return "group " + name + " has no process ready"
		}
	}
	return ""
}
