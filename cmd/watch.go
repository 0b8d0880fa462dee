package cmd

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// sourceWatcher polls the Python files under some folders for changes, as
// mod_wsgi-express's --reload-on-changes does for the modules it loaded.
// Polling, not inotify: it also sees files on network and bind mounts, and
// a development tree is small enough to stat once a second.
type sourceWatcher struct {
	roots []string
	seen  map[string]time.Time
}

func newSourceWatcher(roots []string) *sourceWatcher {
	w := &sourceWatcher{roots: roots}
	w.seen = w.scan()
	return w
}

// scan returns the modification times of the .py files under the roots,
// skipping what is not the project's code.
func (w *sourceWatcher) scan() map[string]time.Time {
	out := map[string]time.Time{}
	for _, root := range w.roots {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				name := d.Name()
				if path != root && (strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" || isVirtualenv(path)) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(path, ".py") {
				if fi, err := d.Info(); err == nil {
					out[path] = fi.ModTime()
				}
			}
			return nil
		})
	}
	return out
}

func isVirtualenv(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "pyvenv.cfg"))
	return err == nil
}

// changed reports the first file added, removed or modified since the
// last call.
func (w *sourceWatcher) changed() (string, bool) {
	now := w.scan()
	defer func() { w.seen = now }()
	for p, t := range now {
		if old, ok := w.seen[p]; !ok || !old.Equal(t) {
			return p, true
		}
	}
	for p := range w.seen {
		if _, ok := now[p]; !ok {
			return p, true
		}
	}
	return "", false
}

// run calls onChange after each change until ctx ends.
func (w *sourceWatcher) run(ctx context.Context, every time.Duration, onChange func(path string)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if p, ok := w.changed(); ok {
				onChange(p)
			}
		}
	}
}
