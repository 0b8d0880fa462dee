package parser

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Apache oracle: when the real apache2 and mod_info are installed, each
// testdata/oracle/*.txt case (same archive format as testdata/read) is read
// by "apache2 -t -D DUMP_CONFIG", which prints the tree httpd built after
// its read-time pass, and compared with what Read produced: same
// directives, files, nesting, line numbers and argument text.
const (
	apacheBin  = "/usr/sbin/apache2"
	apacheMods = "/usr/lib/apache2/modules"
)

// oracleModules are loaded by the wrapper config; staticModules are
// compiled into Debian's apache2 (apache2 -l).
var (
	oracleModules = []string{"mpm_event", "info", "env", "alias", "macro", "authz_core", "setenvif"}
	staticModules = []string{
		"core_module", "core.c", "so_module", "mod_so.c", "watchdog_module", "mod_watchdog.c",
		"http_module", "http_core.c", "log_config_module", "mod_log_config.c",
		"logio_module", "mod_logio.c", "version_module", "mod_version.c", "unixd_module", "mod_unixd.c",
	}
)

// dumpEntry is one directive as the comparison sees it.
type dumpEntry struct {
	file  string
	line  int
	depth int
	text  string // "Name args" (sections: "<Name" plus the text before the last '>')
}

func (e dumpEntry) String() string {
	return fmt.Sprintf("%s:%d depth=%d %s", e.file, e.line, e.depth, e.text)
}

// requireApache skips when apache2 is not installed, and fails when
// APPSERVER_REQUIRE_APACHE=1 says it must be (CI).
func requireApache(t *testing.T) {
	for _, p := range []string{apacheBin, filepath.Join(apacheMods, "mod_info.so")} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("APPSERVER_REQUIRE_APACHE") == "1" {
				t.Fatalf("%s missing (APPSERVER_REQUIRE_APACHE=1): install apache2", p)
			}
			t.Skipf("%s missing: install apache2", p)
		}
	}
}

func TestApacheOracle(t *testing.T) {
	requireApache(t)
	cases, _ := filepath.Glob("testdata/oracle/*.txt")
	if len(cases) == 0 {
		t.Fatal("no oracle cases")
	}
	for _, c := range cases {
		t.Run(strings.TrimSuffix(filepath.Base(c), ".txt"), func(t *testing.T) {
			dir, opts := writeCase(t, c)
			wrapper := filepath.Join(dir, "wrapper.conf")
			var w strings.Builder
			fmt.Fprintf(&w, "ServerRoot %s\nErrorLog /dev/null\nServerName oracle.test\n", dir)
			mods := append([]string{}, staticModules...)
			for _, m := range oracleModules {
				fmt.Fprintf(&w, "LoadModule %s_module %s/mod_%s.so\n", m, apacheMods, m)
				mods = append(mods, m+"_module", sourceName(m+"_module", "mod_"+m+".so"))
			}
			fmt.Fprintf(&w, "Include %s/main.conf\n", dir)
			if err := os.WriteFile(wrapper, []byte(w.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, apacheBin, "-t", "-D", "DUMP_CONFIG", "-f", wrapper)
			cmd.Env = append(os.Environ(), "ORACLE_ENV=from-env")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("apache2 -t failed (the case must be valid for Apache): %v\n%s", err, out)
			}
			want := parseApacheDump(t, string(out), wrapper)

			opts.Modules = mods
			opts.IsDirective = func(name string) bool {
				for _, d := range []string{"SetEnv", "UnsetEnv", "SetEnvIf", "ServerName", "Alias", "Require",
					"<Location", "<LocationMatch", "<VirtualHost", "<Directory", "<Files"} {
					if strings.EqualFold(d, name) {
						return true
					}
				}
				return false
			}
			opts.ServerRoot = dir
			opts.LookupEnv = func(k string) (string, bool) {
				if k == "ORACLE_ENV" {
					return "from-env", true
				}
				return os.LookupEnv(k)
			}
			cfg, rerr := ReadFile(filepath.Join(dir, "main.conf"), withModules(opts))
			if rerr != nil {
				t.Fatalf("Read failed where Apache succeeded: %v", rerr)
			}
			var got []dumpEntry
			flattenForOracle(cfg.Root, 0, &got)
			if len(got) != len(want) {
				t.Errorf("Apache has %d directives, Read has %d", len(want), len(got))
			}
			for i := 0; i < len(got) || i < len(want); i++ {
				var g, a dumpEntry
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					a = want[i]
				}
				if !sameEntry(g, a) {
					t.Errorf("directive %d:\n apache %v\n read   %v", i, a, g)
				}
			}
		})
	}
}

// writeCase writes a case archive's files to a temporary directory.
func writeCase(t *testing.T, path string) (string, Options) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names, files := splitArchive(string(data))
	var opts Options
	for _, n := range names {
		if n == "options" {
			t.Fatal("oracle cases take no options")
		}
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := strings.ReplaceAll(files[n], "@DIR@", dir)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, opts
}

// parseApacheDump reads mod_info's DUMP_CONFIG listing: "# In file: F",
// "#%4d:" line markers, directives indented two spaces per level, closers.
func parseApacheDump(t *testing.T, out, skipFile string) []dumpEntry {
	var entries []dumpEntry
	file, line := "", 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		raw := sc.Text()
		s := strings.TrimLeft(raw, " ")
		depth := (len(raw) - len(s)) / 2
		switch {
		case strings.HasPrefix(s, "# In file: "):
			file = strings.TrimPrefix(s, "# In file: ")
		case strings.HasPrefix(s, "#") && strings.HasSuffix(s, ":"):
			n, err := strconv.Atoi(strings.TrimSpace(s[1 : len(s)-1]))
			if err != nil {
				t.Fatalf("bad line marker %q", raw)
			}
			line = n
		case strings.HasPrefix(s, "</"), s == "Syntax OK", strings.HasPrefix(s, "AH0"), s == "",
			strings.HasPrefix(s, "["), file == "": // log lines, closers
		default:
			if file == skipFile {
				continue
			}
			entries = append(entries, dumpEntry{file: file, line: line, depth: depth, text: s})
		}
	}
	return entries
}

// flattenForOracle lists Read's tree the way the Apache dump shows it.
// httpd records a continued line under its last physical line.
func flattenForOracle(ds []*Directive, depth int, out *[]dumpEntry) {
	for _, d := range ds {
		line := lastPhysicalLine(d.Pos)
		text := d.Name
		if d.Section {
			text = "<" + d.Name
		}
		if d.Raw != "" {
			text += " " + d.Raw
		}
		*out = append(*out, dumpEntry{file: d.Pos.Filename, line: line, depth: depth, text: text})
		if d.Section {
			flattenForOracle(d.Body, depth+1, out)
		}
	}
}

// lastPhysicalLine is the line httpd records for the logical line starting
// at p: the last physical line of a backslash-continued line.
func lastPhysicalLine(p Position) int {
	src, err := os.ReadFile(p.Filename)
	if err != nil || p.Offset > len(src) {
		return p.Line // a macro expansion: no continuation lines there
	}
	line := p.Line
	for i := p.Offset; i < len(src); i++ {
		if src[i] != '\n' {
			continue
		}
		j := i
		if j > 0 && src[j-1] == '\r' {
			j--
		}
		if j == 0 || src[j-1] != '\\' || i == len(src)-1 {
			break
		}
		line++
	}
	return line
}

// sameEntry compares a Read entry with an Apache one: names ignoring case
// (Apache prints the canonical spelling), arguments exactly; for sections
// Apache prints the opener's whole argument text, '>' and what follows
// included, so it is cut at its last '>' first.
func sameEntry(g, a dumpEntry) bool {
	if g.file != a.file || g.line != a.line || g.depth != a.depth {
		return false
	}
	gName, gRest, _ := strings.Cut(g.text, " ")
	aName, aRest, _ := strings.Cut(a.text, " ")
	if !strings.EqualFold(gName, aName) {
		return false
	}
	if strings.HasPrefix(aName, "<") {
		if i := strings.LastIndexByte(aRest, '>'); i >= 0 {
			aRest = strings.TrimRight(aRest[:i], " \t")
		} else if i := strings.LastIndexByte(aName, '>'); i >= 0 {
			aName = aName[:i]
		}
	}
	return gRest == aRest
}

// TestApacheOracleErrors compares the first read-time (pass 1) error of
// small configs with apache2 -t: message text, file and line.
func TestApacheOracleErrors(t *testing.T) {
	requireApache(t)
	tests := []struct {
		name  string
		files map[string]string // main.conf and others
		// ourLine, when not 0, is the line Read reports where httpd names
		// another one (false-branch errors: httpd names the conditional).
		ourLine int
	}{
		{"stray closer", map[string]string{"main.conf": "</Location>\n"}, 0},
		{"stray closer without '>'", map[string]string{"main.conf": "</Location\n"}, 0},
		{"closer for another section", map[string]string{"main.conf": "<Location /a>\n</Directory>\n"}, 0},
		{"closer without '>'", map[string]string{"main.conf": "<Location /a>\n</Location\n"}, 0},
		{"closer with space before '>'", map[string]string{"main.conf": "<Location /a>\n</Location >\n"}, 0},
		// httpd names the outermost section's line; Read reports each section
		// at its own opener, innermost first, as httpd's message lists them.
		{"unclosed", map[string]string{"main.conf": "<VirtualHost *:80>\n<Location /a>\n"}, 2},
		{"false branch mismatch", map[string]string{"main.conf": "<IfDefine NOPE>\n<Location /a>\n</Directory>\n</IfDefine>\n"}, 3},
		{"false branch closer with space", map[string]string{"main.conf": "<IfDefine NOPE>\n</IfDefine >\n"}, 2},
		{"false branch at EOF", map[string]string{"main.conf": "<IfDefine NOPE>\n<Location /a>\n"}, 2},
		{"true branch closer junk", map[string]string{"main.conf": "<IfDefine !NOPE>\n</IfDefine junk>\n"}, 0},
		{"true branch closer after", map[string]string{"main.conf": "<IfDefine !NOPE>\n</IfDefine> junk\n"}, 0},
		{"true branch wrong closer", map[string]string{"main.conf": "<IfDefine !NOPE>\n</Location>\n</IfDefine>\n"}, 0},
		{"section across true branch", map[string]string{"main.conf": "<IfDefine !NOPE>\n<Location /a>\n</IfDefine>\n"}, 0},
		{"IfDefine without argument", map[string]string{"main.conf": "<IfDefine>\n</IfDefine>\n"}, 0},
		{"IfDefine empty argument", map[string]string{"main.conf": "<IfDefine \"\">\n</IfDefine>\n"}, 0},
		{"IfDefine bang only", map[string]string{"main.conf": "<IfDefine ! >\n</IfDefine>\n"}, 0},
		{"IfDefine without '>'", map[string]string{"main.conf": "<IfDefine X\n</IfDefine>\n"}, 0},
		{"IfModule without argument", map[string]string{"main.conf": "<IfModule>\n</IfModule>\n"}, 0},
		{"IfFile without argument", map[string]string{"main.conf": "<IfFile>\n</IfFile>\n"}, 0},
		{"IfVersion bad version", map[string]string{"main.conf": "<IfVersion 2.x>\n</IfVersion>\n"}, 0},
		{"IfVersion no argument", map[string]string{"main.conf": "<IfVersion>\n</IfVersion>\n"}, 0},
		{"IfVersion bad operator", map[string]string{"main.conf": "<IfVersion !! 2.4>\n</IfVersion>\n"}, 0},
		{"IfVersion bad regex", map[string]string{"main.conf": "<IfVersion ~ [>\n</IfVersion>\n"}, 0},
		{"IfVersion unterminated /re", map[string]string{"main.conf": "<IfVersion /2.4>\n</IfVersion>\n"}, 0},
		{"IfVersion missing '>'", map[string]string{"main.conf": "<IfVersion 2.4 x y>\n</IfVersion>\n"}, 0},
		{"Define with colon", map[string]string{"main.conf": "Define a:b c\n"}, 0},
		{"Define arity", map[string]string{"main.conf": "Define\n"}, 0},
		{"Define too many", map[string]string{"main.conf": "Define a b c\n"}, 0},
		{"UnDefine arity", map[string]string{"main.conf": "UnDefine\n"}, 0},
		{"ServerRoot not a directory", map[string]string{"main.conf": "ServerRoot /definitely/not/here\n"}, 0},
		{"LoadModule arity", map[string]string{"main.conf": "LoadModule foo_module\n"}, 0},
		{"Include missing", map[string]string{"main.conf": "Include nothere.conf\n"}, 0},
		{"Include arity", map[string]string{"main.conf": "Include a b\n"}, 0},
		{"IncludeOptional arity", map[string]string{"main.conf": "IncludeOptional\n"}, 0},
		{"Include no wildcard match", map[string]string{"main.conf": "Include inc/*/*.conf\n", "inc/a/x.conf": "SetEnv A 1\n", "inc/b/y.txt": "SetEnv B 1\n"}, 0},
		{"Include missing directory", map[string]string{"main.conf": "Include nodir/*.conf\n"}, 0},
		{"Include file used as directory", map[string]string{"main.conf": "IncludeOptional x.conf/*.conf\n", "x.conf": "SetEnv X 1\n"}, 0},
		{"Include class matching a missing file", map[string]string{"main.conf": "Include \"inc/[ab]/x.conf\"\n", "inc/a/x.conf": "SetEnv A 1\n", "inc/b/y.conf": "SetEnv B 1\n"}, 0},
		{"error inside an included file", map[string]string{"main.conf": "SetEnv A 1\nInclude inc.conf\n", "inc.conf": "\n</Location>\n"}, 0},
		{"section closed by an included file", map[string]string{"main.conf": "<Location /a>\nInclude inc.conf\n</Location>\n", "inc.conf": "</Location>\n"}, 0},
		{"Use before any macro", map[string]string{"main.conf": "Use M\n"}, 0},
		{"Use undefined macro", map[string]string{"main.conf": "<Macro A>\nSetEnv A 1\n</Macro>\nUse B\n"}, 0},
		{"Use argument count", map[string]string{"main.conf": "<Macro A $x>\nSetEnv A $x\n</Macro>\nUse A\n"}, 0},
		{"recursive macro", map[string]string{"main.conf": "<Macro A>\nUse A\n</Macro>\nUse A\n"}, 0},
		{"macro duplicate parameter", map[string]string{"main.conf": "<Macro A $x $x>\nSetEnv A $x\n</Macro>\n"}, 0},
		{"macro without name", map[string]string{"main.conf": "<Macro>\n</Macro>\n"}, 0},
		{"macro not closed", map[string]string{"main.conf": "<Macro A>\nSetEnv A 1\n"}, 0},
		{"UndefMacro undefined", map[string]string{"main.conf": "<Macro A>\nSetEnv A 1\n</Macro>\nUndefMacro B\n"}, 0},
		{"error inside a macro expansion", map[string]string{"main.conf": "<Macro A>\nSetEnv A 1\n</Location>\n</Macro>\nUse A\n"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, content := range tt.files {
				p := filepath.Join(dir, n)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wrapper := filepath.Join(dir, "wrapper.conf")
			w := fmt.Sprintf("ServerRoot %s\nErrorLog /dev/null\nLoadModule mpm_event_module %s/mod_mpm_event.so\n"+
				"LoadModule env_module %s/mod_env.so\nLoadModule macro_module %s/mod_macro.so\nInclude %s/main.conf\n",
				dir, apacheMods, apacheMods, apacheMods, dir)
			if err := os.WriteFile(wrapper, []byte(w), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, _ := exec.CommandContext(ctx, apacheBin, "-t", "-f", wrapper).CombinedOutput()
			file, line, msg, ok := apachePass1Error(string(out))
			if !ok {
				t.Fatalf("apache2 -t gave no read-time error:\n%s", out)
			}
			_, err := ReadFile(filepath.Join(dir, "main.conf"), Options{ServerRoot: dir,
				Modules: append([]string{"env_module", "mod_env.c", "macro_module", "mod_macro.c"}, staticModules...)})
			el, isList := err.(ErrorList)
			if !isList || len(el) == 0 {
				t.Fatalf("Read gave no error; apache2: %s:%d: %s", file, line, msg)
			}
			first := el[0]
			if tt.ourLine != 0 {
				line = tt.ourLine
			}
			// httpd joins the "was not closed" list with a literal \n.
			wantMsg := strings.SplitN(msg, `\n`, 2)[0]
			gotMsg := first.Msg
			if strings.HasSuffix(gotMsg, "was not closed.") {
				gotMsg = fmt.Sprintf("%s:%d: %s", first.Pos.Filename, first.Pos.Line, gotMsg)
			}
			// httpd puts "\n\tcontents error: ..." on a second line; Read
			// keeps one line.
			if strings.HasPrefix(gotMsg, wantMsg+" contents error: ") {
				gotMsg = wantMsg
			}
			if gotMsg != wantMsg || first.Pos.Filename != file || first.Pos.Line != line {
				t.Errorf("first error:\n apache %s:%d: %s\n read   %s:%d: %s", file, line, wantMsg,
					first.Pos.Filename, first.Pos.Line, gotMsg)
			}
		})
	}
}

// apachePass1Error extracts the innermost file, line and message of an
// "apache2: Syntax error on line N of F: ..." read-time error.
func apachePass1Error(out string) (file string, line int, msg string, ok bool) {
	const prefix = "Syntax error on line "
	for _, l := range strings.Split(out, "\n") {
		rest, found := strings.CutPrefix(l, "apache2: ")
		if !found {
			continue
		}
		for strings.HasPrefix(rest, prefix) {
			var n int
			r := strings.TrimPrefix(rest, prefix)
			num, after, _ := strings.Cut(r, " of ")
			n, err := strconv.Atoi(num)
			if err != nil {
				return "", 0, "", false
			}
			// The file name ends at the first ": " (the test paths have none).
			f, m, cut := strings.Cut(after, ": ")
			if !cut {
				return "", 0, "", false
			}
			file, line, rest = f, n, m
		}
		return file, line, rest, file != ""
	}
	return "", 0, "", false
}
