package parser

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// memFS is a one-file file system for the fuzzer: the main file exists,
// nothing else does, so Include and <IfFile> never touch the host.
func memFS(name string, data []byte) Options {
	return Options{
		ReadFile: func(p string) ([]byte, error) {
			if p == name {
				return data, nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
		Stat: func(p string) (fs.FileInfo, error) {
			return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
		},
		ReadDir: func(p string) ([]fs.DirEntry, error) {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
		LookupEnv: func(k string) (string, bool) {
			if k == "FUZZ_ENV" {
				return "a b", true
			}
			return "", false
		},
		ServerRoot: "/fuzz",
		Defines:    []string{"FUZZ"},
	}
}

// FuzzRead reads arbitrary bytes as a config file: it must not panic, any
// error must be an ErrorList of positioned errors, positions in the file
// must agree with its bytes, and reading twice must give the same result.
func FuzzRead(f *testing.F) {
	for _, dir := range []string{"testdata/read", "testdata/oracle"} {
		cases, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
		for _, c := range cases {
			data, err := os.ReadFile(c)
			if err != nil {
				f.Fatal(err)
			}
			_, files := splitArchive(string(data))
			for _, content := range files {
				f.Add([]byte(content))
			}
		}
	}
	if seed, err := os.ReadFile("../../shared/seed/seed-configs.conf"); err == nil {
		f.Add(seed)
	}
	f.Add([]byte("Include fuzz.conf\n"))
	f.Add([]byte("<Macro A $x>\nUse B $x $x\n</Macro>\n<Macro B $y $z>\nSetEnv $y $z\n</Macro>\nUse A 1\n"))
	f.Add([]byte("\xef\xbb\xbf<IfVersion >= 2.4>\r\nSetEnv ${FUZZ_ENV} \\\r\n x\r\n</IfVersion>"))

	const name = "/fuzz/fuzz.conf"
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Read(name, data, withModules(memFS(name, data)))
		if cfg == nil {
			t.Fatal("nil Config")
		}
		if err != nil {
			el, ok := err.(ErrorList)
			if !ok || len(el) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range el {
				if e.Msg == "" || e.Pos.Filename == "" || e.Pos.Line < 1 || e.Pos.Column < 1 {
					t.Fatalf("badly positioned error %+v", e)
				}
				checkPos(t, name, data, e.Pos)
			}
		}
		walk(cfg.Root, func(d *Directive) {
			checkPos(t, name, data, d.Pos)
			for _, a := range d.Args {
				checkPos(t, name, data, a.Pos)
			}
		})
		cfg2, err2 := Read(name, data, withModules(memFS(name, data)))
		if snapshot(cfg, err) != snapshot(cfg2, err2) {
			t.Fatalf("reading twice differs:\n%s\n----\n%s", snapshot(cfg, err), snapshot(cfg2, err2))
		}
	})
}

// checkPos checks that a position in the main file is where its line and
// column say (offsets count bytes; the BOM is blanked, not removed).
func checkPos(t *testing.T, name string, data []byte, p Position) {
	t.Helper()
	if p.Filename != name {
		return // a macro expansion
	}
	if p.Offset < 0 || p.Offset > len(data) {
		t.Fatalf("offset %d outside the file (%d bytes)", p.Offset, len(data))
	}
	line := 1 + bytes.Count(data[:p.Offset], []byte("\n"))
	col := p.Offset - (bytes.LastIndexByte(data[:p.Offset], '\n') + 1) + 1
	if p.Line != line || p.Column != col {
		t.Fatalf("position %d:%d does not match offset %d (%d:%d)", p.Line, p.Column, p.Offset, line, col)
	}
}

func walk(ds []*Directive, fn func(*Directive)) {
	for _, d := range ds {
		fn(d)
		walk(d.Body, fn)
	}
}

func snapshot(cfg *Config, err error) string {
	var b strings.Builder
	Dump(&b, cfg.Root)
	for _, w := range cfg.Warnings {
		fmt.Fprintln(&b, w)
	}
	if err != nil {
		fmt.Fprintln(&b, err)
	}
	return b.String()
}

// BenchmarkRead10k reads a generated 10,000-line config (vhosts, sections,
// continued lines, Defines and ${VAR}s, conditionals, comments).
func BenchmarkRead10k(b *testing.B) {
	src := generateConfig(10000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read("bench.conf", src, withModules(Options{LookupEnv: func(string) (string, bool) { return "", false }})); err != nil {
			b.Fatal(err)
		}
	}
}

func generateConfig(lines int) []byte {
	var b bytes.Buffer
	b.WriteString("Define APPROOT /srv/app\nDefine PROCS 4\n")
	n := 2
	for i := 0; n < lines; i++ {
		fmt.Fprintf(&b, "# virtual host %d\n", i)
		fmt.Fprintf(&b, "<VirtualHost *:80>\n")
		fmt.Fprintf(&b, "    ServerName host%d.example.com\n", i)
		fmt.Fprintf(&b, "    ServerAlias www.host%d.example.com *.host%d.example.org\n", i, i)
		fmt.Fprintf(&b, "    WSGIDaemonProcess g%d processes=${PROCS} threads=15 \\\n        display-name='%%{GROUP}' python-path=${APPROOT}/%d\n", i, i)
		fmt.Fprintf(&b, "    WSGIProcessGroup g%d\n", i)
		fmt.Fprintf(&b, "    WSGIScriptAlias / \"${APPROOT}/%d/wsgi.py\"\n", i)
		fmt.Fprintf(&b, "    <IfModule wsgi_module>\n        SetEnv APP_%d 'site %d'\n    </IfModule>\n", i, i)
		fmt.Fprintf(&b, "    <Location \"/admin\">\n        WSGIProcessGroup admin%d\n        Require all granted\n    </Location>\n", i)
		fmt.Fprintf(&b, "    <LocationMatch \"^/api/(\\d+)$\">\n        SetEnv API yes\n    </LocationMatch>\n")
		fmt.Fprintf(&b, "</VirtualHost>\n\n")
		n += 20
	}
	return b.Bytes()
}

// TestRunawayStops: recursion that httpd would follow until it is killed
// (or until 128 nested Includes) stops with one error, quickly.
func TestRunawayStops(t *testing.T) {
	doubling := "<Macro M0 $x>\nSetEnv $x\n</Macro>\n"
	for i := 1; i <= 24; i++ {
		doubling += fmt.Sprintf("<Macro M%d $x>\nUse M%d $x\nUse M%d $x\n</Macro>\n", i, i-1, i-1)
	}
	doubling += "Use M24 1\n"
	tests := []struct {
		name, src, want string
	}{
		// Define/UnDefine change the state, so this is no plain loop; it
		// branches twice per level until the depth limit.
		{"self include branching", "Define X\nUnDefine X\nInclude fuzz.conf\nInclude fuzz.conf\n",
			"Exceeded maximum include depth of 128, There appears to be a recursion."},
		{"plain self include", "Include fuzz.conf\n", "Include loop: /fuzz/fuzz.conf includes itself (/fuzz/fuzz.conf:1:1)"},
		{"doubling macros", doubling, "files and macro expansions read in total; reading stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const name = "/fuzz/fuzz.conf"
			_, err := Read(name, []byte(tt.src), withModules(memFS(name, []byte(tt.src))))
			el, _ := err.(ErrorList)
			if len(el) != 1 || !strings.Contains(el[0].Msg, tt.want) {
				t.Fatalf("want one error containing %q, got %d: %v", tt.want, len(el), err)
			}
		})
	}
}
