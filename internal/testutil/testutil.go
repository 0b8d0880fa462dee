// Package testutil holds what the test suites of several packages share:
// golden files (with one -update flag) and process CPU time.
package testutil

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Update is the -update flag of every suite that has golden files.
var Update = flag.Bool("update", false, "rewrite golden files instead of comparing with them (review the diff)")

// Golden compares got with the file at path; with -update it writes the
// file instead. A difference fails t with a line diff (- golden, + got).
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (run the test with -update, then review the diff):\n%s", path, Diff(string(want), string(got)))
	}
}

// Diff is a line diff of two texts: "-" lines are only in want, "+" lines
// only in got.
func Diff(want, got string) string {
	return cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n"))
}

// SelfCPU is the user plus system CPU time this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
