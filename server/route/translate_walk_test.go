package route

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestWalkFileScriptFirst checks the one-stat walk: when the mapping's
// target is a file, walkFile stats only it and decides exactly what the
// segment-by-segment walk decides.
func TestWalkFileScriptFirst(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "apps", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"apps/app.py", "apps/sub/index.html"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	app := filepath.Join(dir, "apps", "app.py")
	tests := []struct {
		name   string
		kind   int
		target string
		full   string
		stats  int // stat calls the walk may make
	}{
		{"script alone", mapWSGI, app, app, 1},
		{"script with path info", mapWSGI, app, app + "/a/b", 1},
		{"script with trailing slash", mapWSGI, app, app + "/", 1},
		{"file alias", mapAlias, app, app + "/x", 1},
		{"target is a directory", mapWSGI, filepath.Join(dir, "apps"), filepath.Join(dir, "apps", "sub", "index.html"), -1},
		{"target missing", mapWSGI, filepath.Join(dir, "apps", "gone.py"), filepath.Join(dir, "apps", "gone.py", "x"), -1},
		{"name only shares a prefix", mapWSGI, app, app + "x/y", -1},
		{"document root", mapDocRoot, filepath.Join(dir, "apps"), app + "/p", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			count := func(p string) (fs.FileInfo, error) { n++; return os.Stat(p) }
			m := mapping{kind: tc.kind, target: tc.target, filename: tc.full}
			wk := newWalker(count, &m, tc.full)
			got := walkFile(tc.full, &wk)

			// The reference: the same walk with the shortcut disabled.
			ref := newWalker(os.Stat, &m, tc.full)
			ref.target = ""
			want := walkFile(tc.full, &ref)
			if got.filename != want.filename || got.pathInfo != want.pathInfo || got.ftype != want.ftype || got.levels != want.levels {
				t.Errorf("walk = %+v, segment walk = %+v", got, want)
			}
			if tc.stats > 0 && n != tc.stats {
				t.Errorf("%d stat calls, want %d", n, tc.stats)
			}
			if got.ftype == ftFile && (got.finfo == nil || got.finfo.IsDir()) {
				t.Errorf("file walk without the file's stat: %+v", got)
			}
		})
	}
}
