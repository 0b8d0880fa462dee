package daemon

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// title returns the process title for a display-name value: only the exact
// string %{GROUP} expands (mod_wsgi), to "(wsgi:NAME)".
func title(displayName, group string) string {
	if displayName == "%{GROUP}" {
		return "(wsgi:" + group + ")"
	}
	return displayName
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

// pythonFixHint is how to point a group at an interpreter its workers'
// user can run (python3 on root's PATH is often pyenv under /root).
const pythonFixHint = "point the group at an interpreter outside it: python-home=/usr on the WSGIDaemonProcess line, " +
	"WSGIPythonHome /usr, or appserver serve --python /usr/bin/python3"

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
	if spec.PythonOptimize > 0 {
		drop["PYTHONOPTIMIZE"] = true
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
	if spec.PythonOptimize > 0 {
		env = append(env, "PYTHONOPTIMIZE="+strconv.Itoa(spec.PythonOptimize))
	}
	return env
}
