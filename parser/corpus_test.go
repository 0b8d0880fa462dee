package parser

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestCorpusNoPanic reads every file of the third-party mod_wsgi corpus in
// place (never copied): no panic, errors only as positioned ErrorLists,
// and the same result when read twice.
func TestCorpusNoPanic(t *testing.T) {
	// ../shared sits next to the repository; tests only read it.
	files, _ := filepath.Glob("../../shared/corpus/modwsgi/*.conf")
	if len(files) == 0 {
		t.Fatal("no corpus in ../../shared/corpus/modwsgi (../shared must sit next to the repository)")
	}
	for _, f := range files {
		opts := Options{NoHostChecks: true, LookupEnv: func(string) (string, bool) { return "", false }}
		cfg, err := ReadFile(f, withModules(opts))
		if cfg == nil {
			t.Fatalf("%s: nil Config", f)
		}
		var el ErrorList
		if err != nil && !errors.As(err, &el) {
			t.Errorf("%s: error %T is not an ErrorList", f, err)
		}
		for _, e := range el {
			if e.Pos.Filename == "" || e.Pos.Line < 1 {
				t.Errorf("%s: unpositioned error %v", f, e)
			}
		}
		cfg2, err2 := ReadFile(f, withModules(opts))
		if snapshot(cfg, err) != snapshot(cfg2, err2) {
			t.Errorf("%s: reading twice differs", f)
		}
	}
	if len(files) != 71 {
		t.Logf("corpus has %d files (expected 71)", len(files))
	}
}
