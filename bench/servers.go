package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Roles of a server's processes: the front end takes the HTTP connections
// (appserver's Go process, Apache's master and children, gunicorn's
// arbiter, uWSGI's master); the workers run Python.
const (
	roleFront  = "front"
	roleWorker = "worker"
)

// serverKind is one of the compared servers.
type serverKind struct {
	Name  string // on the command line and in results.json
	Label string // in tables and charts
	// command is the program and arguments that serve site s.
	command func(r *runner, s *site) []string
	// role tells the front end from the workers in the server's tree.
	role func(root int, p procInfo) string
}

func rootIsFront(root int, p procInfo) string {
	if p.PID == root {
		return roleFront
	}
	return roleWorker
}

// serverKinds are the servers in report order: appserver first, then the
// peers it is divided by.
var serverKinds = []*serverKind{
	{
		Name: "appserver", Label: "appserver",
		command: func(r *runner, s *site) []string {
			return []string{r.opts.appserver, "serve", "-f", r.benchConf}
		},
		role: rootIsFront,
	},
	{
		// The same server built from an earlier commit (-base): the
		// before/after comparison of a change, interleaved like the peers.
		Name: "base", Label: "appserver (base)",
		command: func(r *runner, s *site) []string {
			args := []string{r.opts.base, "serve", "-f", r.benchConf}
			for _, d := range r.opts.baseDefs {
				args = append(args, "-D", d)
			}
			return args
		},
		role: rootIsFront,
	},
	{
		Name: "apache", Label: "Apache+mod_wsgi",
		command: func(r *runner, s *site) []string {
			// -D FOREGROUND keeps the master our child, so we hold its pid
			// and see every process it starts.
			return []string{"/usr/sbin/apache2", "-d", "${BENCH_DIR}", "-f", r.benchConf, "-D", "FOREGROUND"}
		},
		role: func(root int, p procInfo) string {
			// The daemon processes carry the display-name (wsgi:bench); the
			// master and the mpm_event children are Apache's front end.
			if p.PID != root && strings.HasPrefix(p.Cmd, "(wsgi:") {
				return roleWorker
			}
			return roleFront
		},
	},
	{
		Name: "gunicorn", Label: "gunicorn gthread",
		command: func(r *runner, s *site) []string {
			return []string{r.opts.python, "-m", "gunicorn", "--worker-class", "gthread",
				"--workers", "2", "--threads", "8", "--bind", r.addr(),
				"--user", r.opts.user, "--group", r.opts.user,
				"--chdir", r.apps, strings.TrimSuffix(s.Script, ".py") + ":application"}
		},
		role: rootIsFront,
	},
	{
		Name: "uwsgi", Label: "uWSGI",
		command: func(r *runner, s *site) []string {
			return []string{"/usr/bin/uwsgi", "--plugin", "python3", "--http-socket", r.addr(),
				"--wsgi-file", filepath.Join(r.apps, s.Script), "--chdir", r.apps, "--need-app",
				"--master", "--processes", "2", "--threads", "8",
				"--uid", r.opts.user, "--gid", r.opts.user, "--disable-logging", "--die-on-term"}
		},
		role: rootIsFront,
	},
	{
		// The throwaway transport prototype of ../shared/proto (no routing,
		// logging or monitoring): the yardstick of the request path's cost.
		// It runs its workers as the runner's user, from the app's folder.
		Name: "proto", Label: "transport prototype",
		command: func(r *runner, s *site) []string {
			return []string{r.opts.proto, "-app", filepath.Join(r.apps, s.Script), "-worker", r.opts.protoWorker,
				"-listen", r.addr(), "-procs", "2", "-threads", "8"}
		},
		role: rootIsFront,
	},
}

func kindByName(name string) *serverKind {
	for _, k := range serverKinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}

// site is an app plus the config that appserver and Apache include for it.
type site struct {
	Name   string
	Conf   string // included as ${BENCH_SITE}
	Script string // the WSGI file in the apps folder (gunicorn, uWSGI)
	Ready  string // a path that answers 200 once the app serves
}

// instance is one running server.
type instance struct {
	kind   *serverKind
	site   *site
	cmd    *exec.Cmd
	dir    string // BENCH_DIR: pid file, logs, sockets
	log    string // its stdout and stderr
	exited chan struct{}
	seen   map[procKey]bool // every process seen in its tree, for stop
	r      *runner
}

// start runs kind on site and waits until the site answers.
func (r *runner) start(ctx context.Context, k *serverKind, s *site) (*instance, error) {
	if portOpen(r.addr()) {
		return nil, fmt.Errorf("%s is already in use: pick another -port", r.addr())
	}
	dir, err := os.MkdirTemp(r.work, k.Name+"-"+s.Name+"-")
	if err != nil {
		return nil, err
	}
	// The workers' user reaches its sockets (and appserver's) through it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	for _, d := range []string{"run", "wsgi"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	// mod_wsgi's daemons create their sockets as the worker user.
	if err := chownUser(filepath.Join(dir, "wsgi"), r.opts.user); err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"BENCH_DIR="+dir, "BENCH_PORT="+strconv.Itoa(r.opts.port), "BENCH_USER="+r.opts.user,
		"BENCH_APPS="+r.apps, "BENCH_SITE="+s.Conf, "DEMO_ROOT="+r.apps, "PYTHONDONTWRITEBYTECODE=1")
	argv := k.command(r, s)
	for i := range argv {
		argv[i] = strings.ReplaceAll(argv[i], "${BENCH_DIR}", dir)
	}
	in := &instance{kind: k, site: s, dir: dir, log: filepath.Join(dir, "server.log"),
		exited: make(chan struct{}), seen: map[procKey]bool{}, r: r}
	logf, err := os.Create(in.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = r.apps
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a ^C on the terminal reaches only this runner,
	// which then stops the servers in order. Pdeathsig covers the runner
	// being killed outright.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", k.Name, err)
	}
	in.cmd = cmd
	go func() {
		_ = cmd.Wait()
		close(in.exited)
	}()
	if err := in.waitReady(ctx, 60*time.Second); err != nil {
		tail := in.logTail()
		_ = in.stop()
		return nil, fmt.Errorf("%s (%s site): %w\n%s", k.Name, s.Name, err, tail)
	}
	in.procs()
	return in, nil
}

func (r *runner) addr() string { return "127.0.0.1:" + strconv.Itoa(r.opts.port) }

func (in *instance) waitReady(ctx context.Context, limit time.Duration) error {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	url := "http://" + in.r.addr() + in.site.Ready
	deadline := time.Now().Add(limit)
	last := errors.New("not listening")
	for time.Now().Before(deadline) {
		select {
		case <-in.exited:
			return fmt.Errorf("exited during start-up (%v)", in.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(url)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return nil
		}
		last = fmt.Errorf("GET %s: %s", in.site.Ready, resp.Status)
	}
	return fmt.Errorf("not ready within %s: %v", limit, last)
}

// procs is the server's process tree now; it remembers every process it
// saw, so that stop can make sure none outlives the server.
func (in *instance) procs() []procInfo {
	all, err := readProcs(in.r.procRoot)
	if err != nil {
		return nil
	}
	t := tree(all, in.cmd.Process.Pid)
	for _, p := range t {
		in.seen[p.key()] = true
	}
	return t
}

func (in *instance) role(p procInfo) string { return in.kind.role(in.cmd.Process.Pid, p) }

// stop ends the server with SIGTERM (SIGKILL after 20 s), then ends any
// process of its tree that is still alive, by pid and start time only,
// and waits for the port to close.
func (in *instance) stop() error {
	select {
	case <-in.exited:
	default:
		in.procs()
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.exited:
		case <-time.After(20 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.exited
		}
	}
	var left []procKey
	for k := range in.seen {
		if alive(in.r.procRoot, k) {
			left = append(left, k)
		}
	}
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		var still []procKey
		for _, k := range left {
			if alive(in.r.procRoot, k) {
				_ = syscall.Kill(k.PID, sig)
				still = append(still, k)
			}
		}
		left = still
		for t := 0; t < 50 && len(left) > 0; t++ {
			time.Sleep(100 * time.Millisecond)
			still = still[:0]
			for _, k := range left {
				if alive(in.r.procRoot, k) {
					still = append(still, k)
				}
			}
			left = still
		}
		if len(left) == 0 {
			break
		}
		if i == 1 {
			return fmt.Errorf("%s: processes %v did not exit", in.kind.Name, left)
		}
	}
	for t := 0; t < 100 && portOpen(in.r.addr()); t++ {
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// alive reports whether the process k (same pid, same start time) exists
// and is not a zombie.
func alive(procRoot string, k procKey) bool {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(k.PID), "stat"))
	if err != nil {
		return false
	}
	p, err := parseStat(b)
	if err != nil || p.Start != k.Start {
		return false
	}
	end := bytes.LastIndexByte(b, ')')
	return !bytes.HasPrefix(bytes.TrimSpace(b[end+1:]), []byte("Z"))
}

func (in *instance) logTail() string {
	var out []string
	for _, f := range []string{in.log, filepath.Join(in.dir, "error.log")} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) == 0 {
			continue
		}
		if len(b) > 2000 {
			b = b[len(b)-2000:]
		}
		out = append(out, "--- "+f+" (tail) ---\n"+string(b))
	}
	return strings.Join(out, "\n")
}

func portOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// chownUser gives path to the named user (and its primary group), when
// running as root; otherwise everything runs as the invoking user anyway.
func chownUser(path, user string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	out, err := exec.Command("id", "-u", user).Output()
	if err != nil {
		return fmt.Errorf("user %q: %w", user, err)
	}
	uid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	out, err = exec.Command("id", "-g", user).Output()
	if err != nil {
		return fmt.Errorf("user %q: %w", user, err)
	}
	gid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return os.Chown(path, uid, gid)
}
