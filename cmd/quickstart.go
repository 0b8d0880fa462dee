package cmd

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/appserver/appserver/server/config"
	"github.com/spf13/cobra"
)

// quickFlags are the options of `serve SCRIPT.py`, named as mod_wsgi-express
// names them.
type quickFlags struct {
	processes, threads int
	host               string
	port               int
	pythonPath         []string
	workingDir         string
	urlAliases         []string
	user, group        string
	accessLog          bool
	reloadOnChanges    bool
	// roots are the folders whose Python files --reload-on-changes watches
	// (set by config).
	roots []string
}

func (q *quickFlags) register(c *cobra.Command) {
	f := c.Flags()
	f.IntVar(&q.processes, "processes", 1, "quick start: worker processes")
	f.IntVar(&q.threads, "threads", 5, "quick start: threads per process")
	f.StringVar(&q.host, "host", "127.0.0.1", "quick start: the address to listen on (0.0.0.0 or :: for every interface)")
	f.IntVar(&q.port, "port", 8000, "quick start: the port to listen on")
	f.StringArrayVar(&q.pythonPath, "python-path", nil, "quick start: a folder to add to the module search path (repeatable), e.g. the folder holding a Django project's package")
	f.StringVar(&q.workingDir, "working-directory", "", "quick start: the workers' current folder, also on the module search path (default: the current folder)")
	f.StringArrayVar(&q.urlAliases, "url-alias", nil, "quick start: serve files of a folder at a URL, as URL=FOLDER (repeatable), e.g. --url-alias /static=./static")
	f.StringVar(&q.user, "user", "", "quick start: the user the workers run as (default: yours; nobody when run as root)")
	f.StringVar(&q.group, "group", "", "quick start: the group the workers run as (default: the user's)")
	f.BoolVar(&q.accessLog, "access-log", false, "quick start: log each request (combined format) to stdout")
	f.BoolVar(&q.reloadOnChanges, "reload-on-changes", false, "quick start: restart the workers gracefully when a .py file under the working directory, the script's folder or --python-path changes (for development)")
}

// config writes the config a quick start serves: the same path through
// Load as a real config, so it behaves the same. Notes for the user go
// to out.
func (q *quickFlags) config(script string, out io.Writer) (string, error) {
	abs, err := filepath.Abs(script)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err != nil || fi.IsDir() {
		return "", fmt.Errorf("no WSGI script at %s: give the path of the Python file that defines application (a Django project's is PROJECT/wsgi.py)", abs)
	}
	work := q.workingDir
	if work == "" {
		if work, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	if work, err = filepath.Abs(work); err != nil {
		return "", err
	}
	paths := []string{}
	seen := map[string]bool{}
	for _, p := range append(append([]string{}, q.pythonPath...), work, filepath.Dir(abs)) {
		if p, err = filepath.Abs(p); err != nil {
			return "", err
		}
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	q.roots = paths
	var b strings.Builder
	fmt.Fprintf(&b, "# appserver serve %s (quick start)\n", script)
	fmt.Fprintf(&b, "Listen %s\n", net.JoinHostPort(q.host, strconv.Itoa(q.port)))
	fmt.Fprintf(&b, "WSGIDaemonProcess app processes=%d threads=%d display-name=%%{GROUP} home=%s python-path=%s",
		q.processes, q.threads, quote(work), quote(strings.Join(paths, ":")))
	if q.user != "" {
		fmt.Fprintf(&b, " user=%s", quote(q.user))
	}
	if q.group != "" {
		fmt.Fprintf(&b, " group=%s", quote(q.group))
	}
	b.WriteString("\nWSGIProcessGroup app\nWSGIApplicationGroup %{GLOBAL}\n")
	for _, a := range q.urlAliases {
		url, dir, ok := strings.Cut(a, "=")
		if !ok || !strings.HasPrefix(url, "/") || dir == "" {
			return "", fmt.Errorf("--url-alias %q: write URL=FOLDER, e.g. --url-alias /static=./static", a)
		}
		if dir, err = filepath.Abs(dir); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "Alias %s %s\n<Directory %s>\n    Require all granted\n</Directory>\n", quote(url), quote(dir), quote(dir))
	}
	// Fully specified, so the workers import the script at start (and,
	// with Required set by requireScripts, refuse to start without it).
	fmt.Fprintf(&b, "WSGIScriptAlias / %s process-group=app application-group=%%{GLOBAL}\n", quote(abs))
	if q.accessLog {
		b.WriteString("CustomLog /dev/stdout combined\n")
	}
	if q.user == "" && os.Geteuid() == 0 {
		fmt.Fprintln(out, "appserver: running as root: the workers run as nobody:nogroup. Files the app writes (a SQLite database and its folder, uploads, caches) must be writable by nobody, or pass --user NAME.")
	}
	f, err := os.CreateTemp("", "appserver-quickstart-*.conf")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// quote writes s as one double-quoted config word (httpd unescapes only
// \" inside quotes).
func quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// requireScripts makes every script the groups preload a condition of
// their start: a script that does not import, or lacks its callable, stops
// serve with the Python error instead of a 500 on every request.
func requireScripts(cfg *config.Config) {
	for _, g := range cfg.Groups {
		for i := range g.Spec.Preload {
			g.Spec.Preload[i].Required = true
		}
	}
}
