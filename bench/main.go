// Command bench runs appserver, Apache + mod_wsgi (daemon mode), gunicorn
// (gthread) and uWSGI (--http-socket) side by side on this machine, with
// the same app and the same pool shape (2 processes x 8 threads), under
// wrk; it records throughput, latency, errors, CPU per request (front end
// and workers apart) and the memory of every process, and writes the
// report: tables and SVG charts, into a marked block of docs/performance.md.
//
// bench/run.sh installs what it needs, builds appserver and runs this;
// see bench/README.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// workload is one wrk measurement shape.
type workload struct {
	ID     string // in results.json: name-cCONNS
	Label  string
	Site   string // "bench" (app.py) or "demo" (testdata/demo)
	Path   string
	Conns  int
	Script string // a wrk Lua script in bench/, if any
}

var workloads = []workload{
	{ID: "hello-c32", Label: "hello world, 32 conns", Site: "bench", Path: "/hello", Conns: 32},
	{ID: "hello-c256", Label: "hello world, 256 conns", Site: "bench", Path: "/hello", Conns: 256},
	{ID: "json-c32", Label: "1 KB JSON, 32 conns", Site: "bench", Path: "/json", Conns: 32},
	{ID: "json-c256", Label: "1 KB JSON, 256 conns", Site: "bench", Path: "/json", Conns: 256},
	{ID: "100k-c32", Label: "100 KB response, 32 conns", Site: "bench", Path: "/100k", Conns: 32},
	{ID: "upload-c32", Label: "1 MB upload, 32 conns", Site: "bench", Path: "/upload", Conns: 32, Script: "upload.lua"},
	{ID: "sleep-c256", Label: "100 ms sleep, 256 conns", Site: "bench", Path: "/sleep", Conns: 256},
	{ID: "mix-c32", Label: "demo-site mix, 32 conns", Site: "demo", Path: "/", Conns: 32, Script: "mix.lua"},
}

func workloadByID(id string) *workload {
	for i := range workloads {
		if workloads[i].ID == id {
			return &workloads[i]
		}
	}
	return nil
}

type options struct {
	repo      string
	appserver string
	base      string
	baseDefs  []string // -D NAMEs for the base binary's config
	// proto and protoWorker: the transport prototype's front end binary
	// and worker script, for server "proto".
	proto, protoWorker string
	python             string
	user               string
	port               int
	repeats            int
	seconds            int
	warmup             int
	servers            []string
	workloads          []string
	out                string
	doc                string
	report             bool
	quick              bool
	profile            bool
	keep               bool
}

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	os.Exit(code)
}

func parseFlags(args []string) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.repo, "repo", ".", "the appserver repository (bench/ and testdata/demo are read from it)")
	fs.StringVar(&o.appserver, "appserver", "", "the appserver binary to run (go build -o X ./cmd/appserver)")
	fs.StringVar(&o.base, "base", "", "a second appserver binary (an earlier commit's) run as server \"base\", for before/after ratios")
	fs.Func("base-define", "run the base binary with -D NAME (repeatable): bench.conf's <IfDefine NoMonitor> switches the monitor off", func(v string) error {
		o.baseDefs = append(o.baseDefs, v)
		return nil
	})
	fs.StringVar(&o.proto, "proto", "", "the transport prototype's front end (cd ../shared/proto/front && go build), for server \"proto\"")
	fs.StringVar(&o.protoWorker, "proto-worker", "", "the transport prototype's worker.py, for server \"proto\"")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "the interpreter of every server's workers")
	fs.StringVar(&o.user, "user", "", "the user every server's workers run as (default www-data as root, else you)")
	fs.IntVar(&o.port, "port", 28290, "the loopback port the servers listen on, one at a time")
	fs.IntVar(&o.repeats, "repeats", 3, "rounds over every server and workload")
	fs.IntVar(&o.seconds, "seconds", 8, "length of one measurement (wrk -d)")
	fs.IntVar(&o.warmup, "warmup", 1, "wrk warm-up before each measurement, discarded")
	servers := fs.String("servers", "appserver,apache,gunicorn,uwsgi", "servers to run, comma-separated")
	wls := fs.String("workloads", "", "workload IDs to run, comma-separated (default all)")
	fs.StringVar(&o.out, "out", "", "folder for results.json and the charts (default bench/results; a temp folder with -quick)")
	fs.StringVar(&o.doc, "doc", "", "markdown file whose generated block is rewritten (default docs/performance.md; none with -quick)")
	fs.BoolVar(&o.report, "report", false, "only rebuild the report from OUT/results.json")
	fs.BoolVar(&o.quick, "quick", false, "1 repeat of 3 s measurements, for development")
	fs.BoolVar(&o.profile, "profile", false, "instead of the benchmark: perf profile of appserver under hello-world load into OUT/profile.txt")
	fs.BoolVar(&o.keep, "keep", false, "keep the run folder (server logs, configs) under $TMPDIR")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		if !set["repeats"] {
			o.repeats = 1
		}
		if !set["seconds"] {
			o.seconds = 3
		}
	}
	if o.out == "" && !o.quick {
		o.out = filepath.Join(o.repo, "bench", "results")
	}
	if o.doc == "" && !set["doc"] && !o.quick {
		o.doc = filepath.Join(o.repo, "docs", "performance.md")
	}
	o.servers = splitList(*servers)
	if o.base != "" && !slices.Contains(o.servers, "base") {
		o.servers = append(o.servers, "base")
	}
	for _, s := range o.servers {
		if s == "base" && o.base == "" {
			return nil, errors.New("-servers: base needs -base BIN")
		}
		if s == "proto" && (o.proto == "" || o.protoWorker == "") {
			return nil, errors.New("-servers: proto needs -proto BIN and -proto-worker FILE (bench/run.sh builds them from ../shared/proto)")
		}
		if kindByName(s) == nil {
			return nil, fmt.Errorf("-servers: unknown server %q (known: appserver, apache, gunicorn, uwsgi, base, proto)", s)
		}
	}
	o.workloads = splitList(*wls)
	for _, w := range o.workloads {
		if workloadByID(w) == nil {
			return nil, fmt.Errorf("-workloads: unknown workload %q", w)
		}
	}
	if o.repeats < 1 || o.seconds < 1 || o.warmup < 0 {
		return nil, errors.New("-repeats and -seconds must be at least 1, -warmup at least 0")
	}
	if o.user == "" {
		o.user = "www-data"
		if os.Geteuid() != 0 {
			o.user = os.Getenv("USER")
		}
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(args []string) (int, error) {
	o, err := parseFlags(args)
	if err != nil {
		return 2, err
	}
	if o.report {
		if o.out == "" {
			return 2, errors.New("-report needs -out (or no -quick)")
		}
		res, err := readResults(filepath.Join(o.out, "results.json"))
		if err != nil {
			return 1, err
		}
		return 0, writeReport(res, o)
	}
	if o.appserver == "" {
		return 2, errors.New("-appserver is required (go build -o X ./cmd/appserver)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	r, err := newRunner(o)
	if err != nil {
		return 1, err
	}
	defer r.cleanup()
	if o.profile {
		return exitCode(r.profile(ctx))
	}
	if err := r.bench(ctx); err != nil {
		if ctx.Err() != nil {
			err = errors.New("interrupted")
		}
		if len(r.res.Samples) > 0 {
			err = fmt.Errorf("%w (the samples so far are in %s)", err, r.resPath)
		}
		return 1, err
	}
	return 0, writeReport(r.res, o)
}

func exitCode(err error) (int, error) {
	if err != nil {
		return 1, err
	}
	return 0, nil
}

// runner holds one benchmark run.
type runner struct {
	opts      *options
	work      string // the run folder
	apps      string // work/apps: app.py and the demo's wsgi.py
	benchConf string // bench/bench.conf: the one config appserver and Apache run
	sites     map[string]*site
	procRoot  string
	res       *Results
	resPath   string
}

func newRunner(o *options) (*runner, error) {
	for _, p := range []string{o.appserver, o.python} {
		if _, err := os.Stat(p); err != nil {
			return nil, err
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, errors.New("wrk is missing: run bench/run.sh, which installs it")
	}
	repo, err := filepath.Abs(o.repo)
	if err != nil {
		return nil, err
	}
	o.repo = repo
	if o.appserver, err = filepath.Abs(o.appserver); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "appserver-bench-")
	if err != nil {
		return nil, err
	}
	r := &runner{opts: o, work: work, apps: filepath.Join(work, "apps"), procRoot: "/proc",
		benchConf: filepath.Join(repo, "bench", "bench.conf")}
	if o.out == "" {
		// A quick run keeps its results apart from the run folder, which
		// goes (server logs, app copies) unless -keep.
		if o.out, err = os.MkdirTemp("", "appserver-bench-results-"); err != nil {
			return nil, err
		}
	}
	// Samples go to a partial file while the run lasts: an interrupted run
	// must not replace the results of the last complete one.
	r.resPath = filepath.Join(o.out, "results.partial.json")
	// The workers' user must read the apps and traverse every folder above
	// them; the checkout may sit under a private home, so copy them.
	if err := os.Chmod(work, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(r.apps, 0o755); err != nil {
		return nil, err
	}
	for dst, src := range map[string]string{"app.py": "bench/app.py", "wsgi.py": "testdata/demo/wsgi.py"} {
		b, err := os.ReadFile(filepath.Join(repo, src))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(r.apps, dst), b, 0o644); err != nil {
			return nil, err
		}
	}
	demo, err := os.ReadFile(filepath.Join(repo, "testdata", "demo", "site.conf"))
	if err != nil {
		return nil, err
	}
	demoConf := filepath.Join(work, "site-demo.conf")
	if err := os.WriteFile(demoConf, demoSite(demo), 0o644); err != nil {
		return nil, err
	}
	r.sites = map[string]*site{
		"bench": {Name: "bench", Conf: filepath.Join(repo, "bench", "site-bench.conf"), Script: "app.py", Ready: "/hello"},
		"demo":  {Name: "demo", Conf: demoConf, Script: "wsgi.py", Ready: "/"},
	}
	return r, nil
}

// demoSite is testdata/demo/site.conf minus what bench.conf sets for every
// site: Listen (the demo's port 8000), User and Group.
func demoSite(conf []byte) []byte {
	var out bytes.Buffer
	out.WriteString("# testdata/demo/site.conf without Listen, User and Group (bench.conf sets them)\n")
	for _, line := range strings.SplitAfter(string(conf), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 {
			switch strings.ToLower(f[0]) {
			case "listen", "user", "group":
				out.WriteString("# (bench) " + line)
				continue
			}
		}
		out.WriteString(line)
	}
	return out.Bytes()
}

func (r *runner) cleanup() {
	if r.opts.keep {
		fmt.Fprintln(os.Stderr, "bench: kept", r.work)
		return
	}
	os.RemoveAll(r.work)
}

func (r *runner) selected() []workload {
	if len(r.opts.workloads) == 0 {
		return workloads
	}
	var out []workload
	for _, w := range workloads {
		for _, id := range r.opts.workloads {
			if w.ID == id {
				out = append(out, w)
			}
		}
	}
	return out
}

// bench runs every repeat. Each repeat starts the servers in a rotated
// order, so that no server always runs first (or last) in a round.
func (r *runner) bench(ctx context.Context) error {
	o := r.opts
	r.res = &Results{Meta: Meta{
		Started: time.Now().UTC().Format(time.RFC3339), Command: commandLine(),
		Machine: machineInfo(), Versions: versions(o.python), Repeats: o.repeats,
		Seconds: o.seconds, Warmup: o.warmup, Servers: o.servers, Quick: o.quick,
	}}
	sel := r.selected()
	total := 0
	for range o.repeats {
		total += len(o.servers) * len(sel)
	}
	done := 0
	begun := time.Now()
	for rep := 1; rep <= o.repeats; rep++ {
		for i := range o.servers {
			k := kindByName(o.servers[(i+rep-1)%len(o.servers)])
			for _, siteName := range []string{"bench", "demo"} {
				var ws []workload
				for _, w := range sel {
					if w.Site == siteName {
						ws = append(ws, w)
					}
				}
				if len(ws) == 0 {
					continue
				}
				if err := r.runSite(ctx, rep, k, r.sites[siteName], ws, &done, total, begun); err != nil {
					return err
				}
			}
		}
	}
	r.res.Meta.Finished = time.Now().UTC().Format(time.RFC3339)
	if err := r.res.save(r.resPath); err != nil {
		return err
	}
	return os.Rename(r.resPath, filepath.Join(o.out, "results.json"))
}

func (r *runner) runSite(ctx context.Context, rep int, k *serverKind, s *site, ws []workload, done *int, total int, begun time.Time) (err error) {
	in, err := r.start(ctx, k, s)
	if err != nil {
		return err
	}
	defer func() {
		if serr := in.stop(); serr != nil && err == nil {
			err = serr
		}
		os.RemoveAll(in.dir) // the access log grows by ~100 bytes a request
	}()
	// Load the app in every worker, then let things settle before the
	// memory at rest is read.
	if err := r.wrk(ctx, ws[0].Conns, max(r.opts.warmup, 1), "", s.Ready, nil); err != nil {
		return fmt.Errorf("%s warm-up: %w", k.Name, err)
	}
	time.Sleep(time.Second)
	r.res.Baselines = append(r.res.Baselines, Baseline{Repeat: rep, Server: k.Name, Site: s.Name, Procs: r.memNow(in)})
	for _, w := range ws {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		smp, err := r.measure(ctx, in, w)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s %s: %w\n%s", k.Name, w.ID, err, in.logTail())
		}
		smp.Repeat = rep
		r.res.Samples = append(r.res.Samples, smp)
		if err := r.res.save(r.resPath); err != nil {
			return err
		}
		*done++
		eta := time.Duration(float64(time.Since(begun)) / float64(*done) * float64(total-*done)).Round(time.Second)
		fmt.Fprintf(os.Stderr, "[%d/%d, ~%s left] rep %d %-9s %-10s %9.0f req/s  p50 %7.2f ms  p99 %8.2f ms  errors %d  cpu/1k front %.3fs workers %.3fs\n",
			*done, total, eta, rep, k.Name, w.ID, smp.ReqPerSec, smp.P50Ms, smp.P99Ms, smp.Errors(),
			perK(smp.FrontCPU, smp.Requests), perK(smp.WorkerCPU, smp.Requests))
	}
	return nil
}

func perK(cpu float64, n int64) float64 {
	if n == 0 {
		return 0
	}
	return cpu / float64(n) * 1000
}

// wrk runs wrk and returns its parsed output in res (if not nil).
func (r *runner) wrk(ctx context.Context, conns, seconds int, script, path string, res *wrkResult) error {
	if script != "" {
		script = filepath.Join(r.opts.repo, "bench", script)
	}
	cmd := exec.CommandContext(ctx, "wrk", wrkArgs(conns, seconds, script, "http://"+r.addr()+path)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrk: %w: %s", err, out)
	}
	if res != nil {
		*res, err = parseWrk(string(out))
	}
	return err
}

// measure runs one workload after a warm-up, reading the server's CPU
// before and after and its memory every 500 ms meanwhile.
func (r *runner) measure(ctx context.Context, in *instance, w workload) (Sample, error) {
	smp := Sample{Server: in.kind.Name, Workload: w.ID}
	if r.opts.warmup > 0 {
		if err := r.wrk(ctx, w.Conns, r.opts.warmup, w.Script, w.Path, nil); err != nil {
			return smp, fmt.Errorf("warm-up: %w", err)
		}
	}
	script := ""
	if w.Script != "" {
		script = filepath.Join(r.opts.repo, "bench", w.Script)
	}
	cpu := newCPUTracker(in.procs())
	host0, err := hostBusy(r.procRoot)
	if err != nil {
		return smp, err
	}
	cmd := exec.CommandContext(ctx, "wrk", wrkArgs(w.Conns, r.opts.seconds, script, "http://"+r.addr()+w.Path)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return smp, err
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	peaks := map[procKey]*ProcMem{}
	var order []procKey
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var werr error
wait:
	for {
		select {
		case werr = <-waited:
			break wait
		case <-tick.C:
			ps := in.procs()
			cpu.see(ps)
			for _, p := range ps {
				rss, pss, err := memOf(r.procRoot, p.PID)
				if err != nil {
					continue
				}
				pm, ok := peaks[p.key()]
				if !ok {
					pm = &ProcMem{PID: p.PID, Role: in.role(p), Name: procName(p)}
					peaks[p.key()] = pm
					order = append(order, p.key())
				}
				pm.RSSKB, pm.PSSKB = max(pm.RSSKB, rss), max(pm.PSSKB, pss)
			}
		}
	}
	smp.WallSecs = time.Since(start).Seconds()
	cpu.see(in.procs())
	host1, _ := hostBusy(r.procRoot)
	if werr != nil {
		return smp, fmt.Errorf("wrk: %w: %s", werr, out.String())
	}
	res, err := parseWrk(out.String())
	if err != nil {
		return smp, err
	}
	smp.Requests, smp.ReqPerSec, smp.P50Ms, smp.P99Ms = res.Requests, res.ReqPerSec, res.P50Ms, res.P99Ms
	smp.Non2xx, smp.Connect, smp.Read, smp.Write, smp.Timeout = res.Non2xx, res.Connect, res.Read, res.Write, res.Timeout
	used := cpu.seconds(in.role)
	smp.FrontCPU, smp.WorkerCPU = round3(used[roleFront]), round3(used[roleWorker])
	smp.WrkCPU = round3((cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds())
	smp.HostCPU = round3(host1 - host0)
	for _, k := range order {
		smp.Procs = append(smp.Procs, *peaks[k])
	}
	return smp, nil
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// memNow is every process of the server with its RSS and PSS now.
func (r *runner) memNow(in *instance) []ProcMem {
	var out []ProcMem
	for _, p := range in.procs() {
		rss, pss, err := memOf(r.procRoot, p.PID)
		if err != nil {
			continue
		}
		out = append(out, ProcMem{PID: p.PID, Role: in.role(p), Name: procName(p), RSSKB: rss, PSSKB: pss})
	}
	return out
}

// procName is what ps would show: the display-name when there is one.
func procName(p procInfo) string {
	if strings.HasPrefix(p.Cmd, "(") {
		return p.Cmd
	}
	return p.Comm
}

func commandLine() string {
	if c := os.Getenv("BENCH_COMMAND"); c != "" {
		return c
	}
	return strings.Join(os.Args, " ")
}

// machineInfo describes the host from /proc and /etc.
func machineInfo() map[string]string {
	m := map[string]string{"cores": fmt.Sprint(runtime.NumCPU()), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		l, _, _ := strings.Cut(string(b), "\n")
		m["memory"] = strings.Join(strings.Fields(l)[1:], " ")
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m["os"] = strings.Trim(v, `"`)
			}
		}
	}
	return m
}

// versions of the compared software, from the Debian packages and the
// interpreter the workers run.
func versions(python string) map[string]string {
	m := map[string]string{}
	for _, pkg := range []string{"apache2", "libapache2-mod-wsgi-py3", "gunicorn", "uwsgi", "uwsgi-plugin-python3", "wrk"} {
		out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", pkg).Output()
		if err == nil {
			m[pkg] = strings.TrimSpace(string(out))
		}
	}
	if out, err := exec.Command(python, "--version").CombinedOutput(); err == nil {
		m["python"] = strings.TrimSpace(string(out))
	}
	return m
}
