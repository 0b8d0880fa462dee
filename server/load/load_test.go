package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/appserver/appserver/internal/testutil"
	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// testConfPath is where loadTestConf pretends its config lives.
const testConfPath = "/cfg/test.conf"

// loadTestConf loads conf as the file /cfg/test.conf, read from memory.
func loadTestConf(t *testing.T, conf string, opts Options) (*config.Config, parser.ErrorList) {
	t.Helper()
	files := map[string]string{testConfPath: conf}
	return loadTestFiles(t, files, opts)
}

// loadTestFiles loads /cfg/test.conf from files (path -> content).
func loadTestFiles(t *testing.T, files map[string]string, opts Options) (*config.Config, parser.ErrorList) {
	t.Helper()
	opts.ReadFile = func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	cfg, err := File(testConfPath, opts)
	if err == nil {
		return cfg, nil
	}
	var list parser.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Load returned %T, want parser.ErrorList: %v", err, err)
	}
	if len(list) == 0 {
		t.Fatalf("Load returned an empty ErrorList as a non-nil error")
	}
	return cfg, list
}

// errStrings renders errors as "line:col: msg".
func errStrings(errs parser.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Column, e.Msg))
	}
	return out
}

// warnStrings renders warnings as "line:col: [kind] msg".
func warnStrings(ws []config.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, fmt.Sprintf("%d:%d: [%s] %s", w.Pos.Line, w.Pos.Column, w.Kind, w.Msg))
	}
	return out
}

// TestLoadGolden loads every server/load/testdata/load/*.conf and compares a
// dump of the result (errors, warnings, typed config) with NAME.golden.
// go test ./server -run TestLoadGolden -update rewrites the goldens.
func TestLoadGolden(t *testing.T) {
	confs, err := filepath.Glob(filepath.Join("testdata", "load", "*.conf"))
	if err != nil || len(confs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, conf := range confs {
		name := strings.TrimSuffix(filepath.Base(conf), ".conf")
		t.Run(name, func(t *testing.T) {
			opts := Options{LookupEnv: func(k string) (string, bool) {
				if k == "APP_ENV" {
					return "production", true
				}
				return "", false
			}}
			if strings.HasPrefix(name, "nohost-") {
				opts.NoHostChecks = true
			}
			cfg, err := File(conf, opts)
			got := dumpLoad(cfg, err)
			testutil.Golden(t, strings.TrimSuffix(conf, ".conf")+".golden", []byte(got))
		})
	}
}

// dumpLoad renders what Load returned in a stable, reviewable text form.
func dumpLoad(cfg *config.Config, err error) string {
	var b strings.Builder
	var list parser.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintf(&b, "error %s: %s\n", parser.FormatPos(e.Pos), e.Msg)
		}
	} else if err != nil {
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	if cfg == nil {
		b.WriteString("no config\n")
		return b.String()
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(&b, "warning %s: [%s] %s\n", parser.FormatPos(w.Pos), w.Kind, w.Msg)
	}
	dumpValue(&b, "config", reflect.ValueOf(cfg), 0)
	return b.String()
}

// dumpValue prints the non-zero parts of v, one field per line.
func dumpValue(b *strings.Builder, name string, v reflect.Value, depth int) {
	indent := strings.Repeat("  ", depth)
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		if re, ok := v.Interface().(*config.Regexp); ok {
			fmt.Fprintf(b, "%s%s: regexp %q\n", indent, name, re.String())
			return
		}
		v = v.Elem()
	}
	if p, ok := v.Interface().(parser.Position); ok {
		if p.Filename != "" {
			fmt.Fprintf(b, "%s%s: %s\n", indent, name, parser.FormatPos(p))
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		fmt.Fprintf(b, "%s%s:\n", indent, name)
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() || v.Field(i).IsZero() || f.Type == reflect.TypeOf([]config.Warning(nil)) {
				continue
			}
			dumpValue(b, f.Name, v.Field(i), depth+1)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			fmt.Fprintf(b, "%s%s: []\n", indent, name)
			return
		}
		if v.Type().Elem().Kind() == reflect.String {
			fmt.Fprintf(b, "%s%s: %q\n", indent, name, v.Interface())
			return
		}
		for i := 0; i < v.Len(); i++ {
			dumpValue(b, fmt.Sprintf("%s[%d]", name, i), v.Index(i), depth)
		}
	case reflect.Map:
		if v.Len() == 0 {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		fmt.Fprintf(b, "%s%s:\n", indent, name)
		for _, k := range keys {
			fmt.Fprintf(b, "%s  %q: %q\n", indent, k.String(), v.MapIndex(k).Interface())
		}
	case reflect.String:
		fmt.Fprintf(b, "%s%s: %q\n", indent, name, v.String())
	default:
		if d, ok := v.Interface().(fmt.Stringer); ok {
			fmt.Fprintf(b, "%s%s: %s\n", indent, name, d)
			return
		}
		fmt.Fprintf(b, "%s%s: %v\n", indent, name, v.Interface())
	}
}

// TestLoadSeedConfigs loads the seed examples under testdata/seed at the
// repository root: they must load with no errors and no lint findings.
func TestLoadSeedConfigs(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "seed")
	confs, _ := filepath.Glob(filepath.Join(root, "*.conf"))
	want := []string{"admin-split.conf", "display-names.conf", "high-volume.conf", "newrelic.conf"}
	var have []string
	for _, c := range confs {
		have = append(have, filepath.Base(c))
	}
	for _, w := range want {
		if !contains(have, w) {
			t.Errorf("seed config %s missing from %s", w, root)
		}
	}
	for _, conf := range confs {
		t.Run(filepath.Base(conf), func(t *testing.T) {
			// The seeds name the WSGI script relative to the repository
			// root, as the serve command would be run from there.
			t.Chdir("../..")
			cfg, err := File(filepath.Join("testdata", "seed", filepath.Base(conf)), Options{})
			if err != nil {
				t.Fatalf("seed config does not load:\n%v", err)
			}
			for _, w := range cfg.Warnings {
				if w.Kind == "lint" || w.Kind == "host" {
					t.Errorf("unexpected warning %s: [%s] %s", parser.FormatPos(w.Pos), w.Kind, w.Msg)
				}
			}
			if len(cfg.Groups) == 0 {
				t.Errorf("no WSGIDaemonProcess groups loaded")
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestLoadCorpus loads every config of the third-party corpus (read in
// place) and checks that Load never panics and that whatever it reports
// points into the file with a position. Files that are templates
// ({% ... %}) are expected to fail.
func TestLoadCorpus(t *testing.T) {
	// ../shared sits next to the repository; tests only read it.
	dir := "../../../shared/corpus/modwsgi"
	confs, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	if len(confs) == 0 {
		t.Fatalf("no corpus in %s (../shared must sit next to the repository)", dir)
	}
	clean := 0
	for _, conf := range confs {
		cfg, err := File(conf, Options{NoHostChecks: true, LookupEnv: func(string) (string, bool) { return "", false }})
		var list parser.ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Errorf("%s: error of type %T", conf, err)
			continue
		}
		for _, e := range list {
			if e.Pos.Filename == "" || e.Pos.Line == 0 {
				t.Errorf("%s: error without position: %s", conf, e.Msg)
			}
		}
		if cfg == nil {
			t.Errorf("%s: no config returned", conf)
			continue
		}
		for _, w := range cfg.Warnings {
			if w.Kind == "" || w.Msg == "" {
				t.Errorf("%s: empty warning %+v", conf, w)
			}
		}
		if err == nil {
			clean++
		}
	}
	// Most corpus files are plain configs and must load; the rest are
	// templates or use modules no httpd ships.
	if clean < len(confs)/2 {
		t.Errorf("only %d of %d corpus configs load", clean, len(confs))
	}
}

// FuzzLoad feeds arbitrary config text to Load: it may report errors but
// must never panic, and every error must carry a position.
func FuzzLoad(f *testing.F) {
	for _, c := range directiveOracleCases {
		f.Add(c.conf)
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "load", "*.conf"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, conf string) {
		opts := Options{
			NoHostChecks: true,
			LookupEnv:    func(string) (string, bool) { return "", false },
			ReadFile: func(p string) ([]byte, error) {
				if p == testConfPath {
					return []byte(conf), nil
				}
				return nil, fs.ErrNotExist
			},
		}
		cfg, err := File(testConfPath, opts)
		var list parser.ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		for _, e := range list {
			if e.Pos.Filename == "" {
				t.Fatalf("error without a file: %q", e.Msg)
			}
		}
		if cfg == nil {
			t.Fatalf("no config returned")
		}
	})
}

// TestLoadTreeByHand walks a tree built without the reader: read-time
// sections that reach the walk are spliced, read-time directives are
// no-ops, and positions come from the nodes.
func TestLoadTreeByHand(t *testing.T) {
	pos := func(line, col int) parser.Position {
		return parser.Position{Filename: "hand.conf", Line: line, Column: col}
	}
	arg := func(v string, line, col int) parser.Arg { return parser.Arg{Pos: pos(line, col), Value: v} }
	tree := &parser.Config{File: "hand.conf", Files: []string{"hand.conf"}, Root: []*parser.Directive{
		{Pos: pos(1, 1), Name: "LoadModule", Args: []parser.Arg{arg("wsgi_module", 1, 12), arg("mod_wsgi.so", 1, 24)}, Raw: "wsgi_module mod_wsgi.so"},
		{Pos: pos(2, 1), Name: "IfModule", Section: true, Args: []parser.Arg{arg("wsgi_module", 2, 11)}, Body: []*parser.Directive{
			{Pos: pos(3, 3), Name: "WSGIDaemonProcess", Args: []parser.Arg{arg("g", 3, 21), arg("threads=3", 3, 23)}, Raw: "g threads=3", RawPos: pos(3, 21)},
			{Pos: pos(4, 3), Name: "wsgiprocessgroup", Args: []parser.Arg{arg("g", 4, 20)}, Raw: "g", RawPos: pos(4, 20)},
			{Pos: pos(5, 3), Name: "SetEnv", Args: []parser.Arg{arg("a", 5, 10), arg("b", 5, 12), arg("c", 5, 14)}, Raw: "a b c", RawPos: pos(5, 10)},
		}},
	}}
	cfg, errs := loadTree(tree, Options{})
	if got, want := errStrings(errs), []string{"5:3: SetEnv takes 1-2 arguments, an environment variable name and optional value to pass to CGI."}; !reflect.DeepEqual(got, want) {
		t.Errorf("errors: got %q, want %q", got, want)
	}
	if len(cfg.Groups) != 1 || cfg.Groups[0].Spec.Threads != 3 || cfg.Main.Defaults.ProcessGroup.Value != "g" {
		t.Errorf("hand-built tree not walked: %+v", cfg.Groups)
	}
}

func TestLoadLogFormatsAndIfDirective(t *testing.T) {
	tests := []struct {
		name, conf, wantErr string
		wantEnv             map[string]string
	}{
		{"bad LogFormat letter", "LogFormat \"%h %Z\" bad\n", "2:11: Unrecognized LogFormat directive %Z", nil},
		{"bad inline CustomLog format", "CustomLog /tmp/x.log \"%h %{x\"\n", "2:22: LogFormat \"%h %{x\": missing '}'", nil},
		{"good formats", "LogFormat \"%h %>s %{User-Agent}i %D\" mine\nCustomLog /tmp/x.log mine\n", "", map[string]string{}},
		{"IfDirective of implemented and ignored names",
			"<IfDirective WSGIDaemonProcess>\nSetEnv A 1\n</IfDirective>\n<IfDirective RewriteRule>\nSetEnv B 1\n</IfDirective>\n<IfSection Location>\nSetEnv C 1\n</IfSection>\n",
			"", map[string]string{"A": "1", "C": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.conf")
			if err := os.WriteFile(path, []byte("Listen 8080\n"+tt.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := File(path, Options{NoHostChecks: true})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, op := range cfg.Main.Defaults.Env {
				got[op.Name] = op.Value
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantEnv) {
				t.Errorf("SetEnv kept %v, want %v", got, tt.wantEnv)
			}
		})
	}
}

// Every bad option of a WSGIDaemonProcess line is reported in one run, in
// line order, and the group counts as defined: no follow-on lint that
// WSGIProcessGroup names no group.
func TestLoadDaemonOptionsAllReported(t *testing.T) {
	cfg, errs := loadTestConf(t, "WSGIDaemonProcess shop processes=0 proceses=2 umask=99\nWSGIProcessGroup shop\n", Options{NoHostChecks: true})
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d:%d %s", e.Pos.Line, e.Pos.Column, strings.SplitN(e.Msg, " ", 3)[1]))
	}
	want := []string{"1:24 process", "1:36 option", "1:47 umask"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
	for _, w := range cfg.Warnings {
		if strings.Contains(w.Msg, "shop") {
			t.Errorf("follow-on warning: %s", w.Msg)
		}
	}
}
