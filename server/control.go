package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/appserver/appserver/daemon"
	"github.com/appserver/appserver/monitor"
	"github.com/appserver/appserver/server/config"
)

// The control socket: a unix socket, owner only, on which `appserver serve`
// answers HTTP for `appserver status` and `appserver profile`. Its path is
// AppserverControlSocket, else derived from the config file's absolute path
// so that the commands find it from -f FILE alone.

// ControlSocketPath is where the server of cfg listens for control
// requests: AppserverControlSocket if set, else
// DIR/<first 12 hex digits of sha256(absolute config path)>.sock, where DIR
// is /run/appserver for root, else $XDG_RUNTIME_DIR/appserver, else
// $TMPDIR/appserver-UID.
func ControlSocketPath(cfg *config.Config) string {
	if cfg.ControlSocket != "" {
		return cfg.ControlSocket
	}
	file := cfg.File
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	sum := sha256.Sum256([]byte(file))
	return filepath.Join(controlSocketDir(), hex.EncodeToString(sum[:])[:12]+".sock")
}

// ControlSocketPathAsRoot is ControlSocketPath for a server run by root.
func ControlSocketPathAsRoot(cfg *config.Config) string {
	if cfg.ControlSocket != "" {
		return cfg.ControlSocket
	}
	return filepath.Join(rootControlDir, filepath.Base(ControlSocketPath(cfg)))
}

const rootControlDir = "/run/appserver"

func controlSocketDir() string {
	if os.Geteuid() == 0 {
		return rootControlDir
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "appserver")
	}
	return filepath.Join(os.TempDir(), "appserver-"+strconv.Itoa(os.Geteuid()))
}

// ListenControl listens on the control socket at path: its directory is
// created 0700 if missing (and must then be ours and closed to others), a
// stale socket left by a server that died is removed, and the socket is
// made 0600. It fails if another server answers on path.
func ListenControl(path string) (*net.UnixListener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := checkControlDir(dir); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("control socket %s: exists and is not a socket; remove it or name another path with AppserverControlSocket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket %s: another appserver is serving this config (appserver status -f FILE shows it)", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("control socket %s: removing the stale socket: %w", path, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	return ln, nil
}

// checkControlDir refuses a directory of the default layout that someone
// else could write to: the socket's name is predictable.
func checkControlDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if fi.Mode().Perm()&0o022 != 0 && fi.Mode()&os.ModeSticky == 0 {
		return fmt.Errorf("control socket directory %s is writable by others (mode %04o): make it 0700 or name another path with AppserverControlSocket", dir, fi.Mode().Perm())
	}
	if int(st.Uid) != os.Geteuid() && st.Uid != 0 {
		return fmt.Errorf("control socket directory %s belongs to uid %d, not to this user (%d): name another path with AppserverControlSocket", dir, st.Uid, os.Geteuid())
	}
	return nil
}

// ControlOps are what the control socket can ask of the running server
// beyond the front end: they live with the command that serves.
type ControlOps struct {
	// Reload reads the config again and puts it in service; the error
	// lists every reason it was refused.
	Reload func() error
	// Stop stops the server as SIGTERM does, or at once.
	Stop func(now bool)
}

// ControlHandler serves the control endpoints:
//
//	GET  /status                           the monitor's Status as JSON
//	GET  /stacks                           the stacks of the request threads of every process
//	POST /profile?group=G&duration=10s     a thread profile of group G, folded
//	POST /reload                           reload the config (ops.Reload)
//	POST /stop[?now=1]                     stop the server (ops.Stop); answers "stopping PID"
func (f *Frontend) ControlHandler(ops ControlOps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reload", func(w http.ResponseWriter, r *http.Request) {
		if ops.Reload == nil {
			http.Error(w, "this server cannot reload", http.StatusNotImplemented)
			return
		}
		if err := ops.Reload(); err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		fmt.Fprintln(w, "reloaded")
	})
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		if ops.Stop == nil {
			http.Error(w, "this server cannot be stopped from here", http.StatusNotImplemented)
			return
		}
		now := r.URL.Query().Get("now") == "1"
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintln(w, "stopping", os.Getpid())
		http.NewResponseController(w).Flush() // before the stop closes this socket
		ops.Stop(now)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, f.mon.Status())
	})
	mux.HandleFunc("GET /stacks", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		var st Stacks
		for _, g := range f.runningGroups() {
			st.Groups = append(st.Groups, GroupStacks{Name: g.Name(), Processes: g.Stacks(ctx)})
		}
		writeJSON(w, st)
	})
	mux.HandleFunc("POST /profile", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		name := q.Get("group")
		if name == "(embedded)" {
			name = ""
		}
		d := 10 * time.Second
		if s := q.Get("duration"); s != "" {
			var err error
			if d, err = time.ParseDuration(s); err != nil {
				http.Error(w, fmt.Sprintf("duration %q: write a Go duration such as 10s or 1m", s), http.StatusBadRequest)
				return
			}
		}
		if !q.Has("group") {
			http.Error(w, "name the group: ?group=NAME", http.StatusBadRequest)
			return
		}
		res, _, status, err := f.profile(r.Context(), name, d)
		if err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		writeJSON(w, res)
	})
	return mux
}

// Stacks is the answer of GET /stacks.
type Stacks struct {
	Groups []GroupStacks `json:"groups"`
}

// GroupStacks is one group's part of Stacks.
type GroupStacks struct {
	Name      string                 `json:"name"`
	Processes []daemon.ProcessStacks `json:"processes"`
}

// Profile is the answer of POST /profile: the folded stacks of every
// process of the group, merged.
type Profile struct {
	Group           string                  `json:"group"`
	DurationSeconds float64                 `json:"duration_seconds"`
	Samples         int                     `json:"samples"` // sampling rounds, summed over the processes
	Processes       []daemon.ProcessProfile `json:"processes"`
	Folded          string                  `json:"folded"`
}

func groupName(name string) string {
	if name == "" {
		return "(embedded)"
	}
	return name
}

// runningGroups are the configured groups and the embedded one if it was
// started.
func (f *Frontend) runningGroups() []*daemon.Group {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sortedGroups()
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	_ = enc.Encode(v)
}

// ControlServer is the HTTP server of the control socket.
func ControlServer(f *Frontend, ops ControlOps) *http.Server {
	return &http.Server{Handler: f.ControlHandler(ops), ReadHeaderTimeout: 10 * time.Second}
}

// profile samples the Python threads of group name for d and merges the
// processes' folded stacks; on failure it returns the HTTP status to
// answer.
func (f *Frontend) profile(ctx context.Context, name string, d time.Duration) (Profile, monitor.Folded, int, error) {
	var g *daemon.Group
	var names []string
	for _, rg := range f.runningGroups() {
		names = append(names, groupName(rg.Name()))
		if rg.Name() == name {
			g = rg
		}
	}
	if g == nil {
		return Profile{}, nil, http.StatusNotFound, fmt.Errorf("no group %q: the groups are %s", name, strings.Join(names, ", "))
	}
	procs, err := g.Profile(ctx, d)
	if err != nil {
		return Profile{}, nil, http.StatusBadRequest, err
	}
	res := Profile{Group: g.Name(), DurationSeconds: d.Seconds(), Processes: procs}
	folded := monitor.Folded{}
	for _, p := range procs {
		pf, err := monitor.ParseFolded(p.Folded)
		if err != nil {
			return Profile{}, nil, http.StatusInternalServerError, fmt.Errorf("pid %d: %v", p.PID, err)
		}
		folded.Add(pf)
		res.Samples += p.Samples
	}
	var b strings.Builder
	_, _ = folded.WriteTo(&b)
	res.Folded = b.String()
	return res, folded, http.StatusOK, nil
}

// maxPageProfile bounds a profile started from the status page.
const maxPageProfile = 60 * time.Second

// serveProfilePage answers the status page's ?profile=GROUP&seconds=N: a
// flame graph (SVG) of the group's Python threads over N seconds (10 by
// default, 60 at most). The page's own access rules protect it.
func (f *Frontend) serveProfilePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("profile")
	if name == "(embedded)" {
		name = ""
	}
	d := 10 * time.Second
	if s := q.Get("seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			http.Error(w, "seconds: write a whole number of seconds, 1 to 60", http.StatusBadRequest)
			return
		}
		d = min(time.Duration(n)*time.Second, maxPageProfile)
	}
	_, folded, status, err := f.profile(r.Context(), name, d)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	_ = monitor.FlameGraph(w, folded, fmt.Sprintf("%s: %s of Python stacks", groupName(name), d))
}
