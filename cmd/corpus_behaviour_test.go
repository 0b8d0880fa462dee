package cmd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/appserver/appserver/internal/testutil"
)

// TestCorpusBehaviour keeps the table "What still changes behaviour" in
// docs/corpus.md true: for each corpus file, the directives whose effect
// appserver leaves out (warnings of kind ignored, or denies: access rules
// answered with 403). Tuning warnings (Apache's own process sizes and
// logs) change nothing a client sees and are not listed. Run with -update
// to rewrite the table after a change, and review the diff.
func TestCorpusBehaviour(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*.conf"))
	if len(files) == 0 {
		t.Fatal("the corpus folder holds no .conf files")
	}
	bin, err := oracleBuild(t)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	clean, failing := 0, 0
	for _, path := range files {
		res := corpusConfigtest(t, bin, path)
		name := strings.TrimSuffix(filepath.Base(path), ".conf")
		if !res.OK {
			failing++
			rows = append(rows, fmt.Sprintf("| %s | (does not load: %s) |", name, corpusBehaviourCell(res.Errors[0].Message)))
			continue
		}
		count := map[string]int{}
		for _, w := range res.Warnings {
			if w.Kind == "ignored" || w.Kind == "denies" {
				count[corpusDirectiveOf(w.Message)]++
			}
		}
		if len(count) == 0 {
			clean++
			rows = append(rows, fmt.Sprintf("| %s | none |", name))
			continue
		}
		var names []string
		for d, n := range count {
			if n > 1 {
				d = fmt.Sprintf("%s ×%d", d, n)
			}
			names = append(names, d)
		}
		slices.Sort(names)
		rows = append(rows, fmt.Sprintf("| %s | %s |", name, corpusBehaviourCell(strings.Join(names, ", "))))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d files load with nothing that changes behaviour; %d load with the directives listed; %d do not load (as under Apache, see Results).\n\n",
		clean, len(files), len(files)-clean-failing, failing)
	b.WriteString("| file | directives appserver leaves out (ignored, or denied with 403) |\n|---|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n")
	corpusUpdateBlock(t, "../docs/corpus.md", "behaviour", b.String())
}

// corpusDirectiveOf is the directive a warning is about: its first word
// ("Header is ignored: ..." -> "Header"), two for Require ("Require
// valid-user").
func corpusDirectiveOf(msg string) string {
	f := strings.Fields(msg)
	switch {
	case len(f) == 0:
		return "?"
	case f[0] == "Require" && len(f) > 1:
		return f[0] + " " + f[1]
	}
	return strings.TrimSuffix(f[0], ":")
}

func corpusBehaviourCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// corpusUpdateBlock compares the text between "<!-- NAME:begin -->" and
// "<!-- NAME:end -->" in the doc at path with want; -update rewrites it.
func corpusUpdateBlock(t *testing.T, path, name, want string) {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q block", path, strings.TrimSpace(begin), end)
	}
	got := string(doc[i+len(begin) : j])
	if got == want {
		return
	}
	if *testutil.Update {
		out := string(doc[:i+len(begin)]) + want + string(doc[j:])
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s: the %s table is out of date (run go test ./cmd -run TestCorpusBehaviour -update, then review the diff):\n%s",
		path, name, testutil.Diff(got, want))
}
