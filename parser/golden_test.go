package parser

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/appserver/appserver/internal/testutil"
)

// A case file under testdata/read/ is a small archive: "-- name --" lines
// start files, written to a temporary directory; main.conf is read. An
// "-- options --" section holds one option per line:
//
//	define NAME        -D NAME
//	env NAME=VALUE     process environment (nothing else is visible)
//	module NAME        Options.Modules (replaces the provided modules)
//	directive NAME     Options.IsDirective answers true for NAME
//	nohostchecks       Options.NoHostChecks
//	serverroot PATH    Options.ServerRoot, relative to the case directory
//
// In file contents <CR> stands for a carriage return, "<NOEOL>\n" for no
// line break and @DIR@ for the case directory.
//
// The golden file next to it holds the Dump of the result, the warnings and
// the errors, with the temporary directory written as $DIR.
func TestReadGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/read/*.txt")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".txt")
		t.Run(name, func(t *testing.T) {
			got := runCase(t, c)
			testutil.Golden(t, strings.TrimSuffix(c, ".txt")+".golden", got)
		})
	}
}

// splitArchive parses the "-- name --" sections of a case file.
func splitArchive(data string) (names []string, files map[string]string) {
	files = map[string]string{}
	cur := ""
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") && len(trimmed) > 6 {
			cur = strings.TrimSpace(trimmed[3 : len(trimmed)-3])
			names = append(names, cur)
			files[cur] = ""
			continue
		}
		if cur != "" {
			files[cur] += line
		}
	}
	return names, files
}

func runCase(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names, files := splitArchive(string(data))
	env := map[string]string{}
	opts := Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }}
	var directives []string
	for _, n := range names {
		if n == "options" {
			for _, l := range strings.Split(files[n], "\n") {
				k, v, _ := strings.Cut(strings.TrimSpace(l), " ")
				switch k {
				case "define":
					opts.Defines = append(opts.Defines, v)
				case "env":
					ek, ev, _ := strings.Cut(v, "=")
					env[ek] = ev
				case "module":
					opts.Modules = append(opts.Modules, v)
				case "directive":
					directives = append(directives, v)
				case "nohostchecks":
					opts.NoHostChecks = true
				case "serverroot":
					opts.ServerRoot = filepath.Join(dir, v)
				case "":
				default:
					t.Fatalf("unknown option %q", k)
				}
			}
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(n))
		if strings.HasSuffix(n, "/") { // an empty directory
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := strings.ReplaceAll(files[n], "<CR>", "\r")
		content = strings.ReplaceAll(content, "@DIR@", dir)
		content = strings.ReplaceAll(content, "<NOEOL>\n", "")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if directives != nil {
		opts.IsDirective = func(name string) bool {
			for _, d := range directives {
				if strings.EqualFold(d, name) {
					return true
				}
			}
			return false
		}
	}
	cfg, err := ReadFile(filepath.Join(dir, "main.conf"), withModules(opts))
	var b bytes.Buffer
	Dump(&b, cfg.Root)
	if len(cfg.Warnings) > 0 {
		b.WriteString("-- warnings --\n")
		for _, w := range cfg.Warnings {
			fmt.Fprintln(&b, w)
		}
	}
	if err != nil {
		el, ok := err.(ErrorList)
		if !ok {
			t.Fatalf("error is %T, want ErrorList", err)
		}
		b.WriteString("-- errors --\n")
		for _, e := range el {
			fmt.Fprintln(&b, e)
			if c := e.Chain(); c != "" {
				fmt.Fprintln(&b, c)
			}
		}
	}
	b.WriteString("-- state --\n")
	var defs []string
	for d := range cfg.Defines {
		defs = append(defs, d)
	}
	sort.Strings(defs)
	fmt.Fprintf(&b, "defines %q\n", defs)
	fmt.Fprintf(&b, "serverroot %s\n", cfg.ServerRoot)
	for i, f := range cfg.Files {
		fmt.Fprintf(&b, "file %d %s\n", i, f)
	}
	return bytes.ReplaceAll(b.Bytes(), []byte(dir), []byte("$DIR"))
}
