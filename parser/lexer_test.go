package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/appserver/appserver/server/modules"
)

// render is a compact one-line view of directives for table tests:
// "L:C Name a@L:C b@L:C {body}".
func render(ds []*Directive) string {
	var parts []string
	for _, d := range ds {
		var b strings.Builder
		fmt.Fprintf(&b, "%d:%d ", d.Pos.Line, d.Pos.Column)
		if d.Section {
			b.WriteByte('<')
		}
		b.WriteString(d.Name)
		for _, a := range d.Args {
			fmt.Fprintf(&b, " %q@%d:%d", a.Value, a.Pos.Line, a.Pos.Column)
		}
		if d.Section {
			fmt.Fprintf(&b, " {%s}", render(d.Body))
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}

func readString(t *testing.T, src string, opts Options) (*Config, error) {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	return Read("t.conf", []byte(src), withModules(opts))
}

// TestLogicalLines covers httpd's line-joining and
// comment rules (httpd's ap_cfg_getline: trailing-backslash continuation, '#' lines): the joined
// values, and the physical line:col of every name and argument.
func TestLogicalLines(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"continuation keeps next line's indent", "SetEnv Q \"foo\\\n    bar\"\n",
			`1:1 SetEnv "Q"@1:8 "foo    bar"@1:10`},
		{"continuation joins without space", "SetEnv Q a\\\nb\n",
			`1:1 SetEnv "Q"@1:8 "ab"@1:10`},
		{"escaped backslash at EOL still continues", "SetEnv Q24 trailing\\\\\nSetEnv Q25 x\n",
			`1:1 SetEnv "Q24"@1:8 "trailing\\SetEnv"@1:12 "Q25"@2:8 "x"@2:12`},
		{"space after backslash is no continuation", "SetEnv Q x\\ \nSetEnv R y\n",
			`1:1 SetEnv "Q"@1:8 "x\\"@1:10; 2:1 SetEnv "R"@2:8 "y"@2:10`},
		{"backslash as last byte of file", "SetEnv Q x\\",
			`1:1 SetEnv "Q"@1:8 "x\\"@1:10`},
		{"backslash-newline on the last line", "SetEnv Q x\\\n",
			`1:1 SetEnv "Q"@1:8 "x"@1:10`},
		{"CRLF", "SetEnv A 1\r\nSetEnv B 2\r\n",
			`1:1 SetEnv "A"@1:8 "1"@1:10; 2:1 SetEnv "B"@2:8 "2"@2:10`},
		{"CRLF continuation", "SetEnv A a\\\r\nb\r\n",
			`1:1 SetEnv "A"@1:8 "ab"@1:10`},
		{"lone CR is not a line break", "SetEnv A 1\rSetEnv B 2\r",
			`1:1 SetEnv "A"@1:8 "1"@1:10 "SetEnv"@1:12 "B"@1:19 "2"@1:21`},
		{"no trailing newline", "SetEnv A 1",
			`1:1 SetEnv "A"@1:8 "1"@1:10`},
		{"blank and whitespace-only lines", "\n   \n\t\nSetEnv A\n \t \n",
			`4:1 SetEnv "A"@4:8`},
		{"indented comment", "   # SetEnv X\nSetEnv A\n",
			`2:1 SetEnv "A"@2:8`},
		{"no trailing comments", "SetEnv Q value # comment\n",
			`1:1 SetEnv "Q"@1:8 "value"@1:10 "#"@1:16 "comment"@1:18`},
		{"hash inside a value", "SetEnv Q val#ue\n",
			`1:1 SetEnv "Q"@1:8 "val#ue"@1:10`},
		{"comment continued by backslash swallows the next line", "# comment \\\nSetEnv Q32 x y z\nSetEnv A\n",
			`3:1 SetEnv "A"@3:8`},
		{"continuation into a comment line", "SetEnv A \\\n# b\n",
			`1:1 SetEnv "A"@1:8 "#"@2:1 "b"@2:3`},
		{"tabs", "\tSetEnv\tQ21\ttabs\t\n",
			`1:2 SetEnv "Q21"@1:9 "tabs"@1:13`},
		{"continuation inside the name", "Set\\\nEnv A b\n",
			`1:1 SetEnv "A"@2:5 "b"@2:7`},
		{"quoted name", "\"SetEnv\" Q v\n",
			`1:1 SetEnv "Q"@1:10 "v"@1:12`},
		{"name case kept", "setENV Q v\n",
			`1:1 setENV "Q"@1:8 "v"@1:10`},
		{"empty first word skips the line", "\"\" foo\nSetEnv A\n",
			`2:1 SetEnv "A"@2:8`},
		{"several continuations", "A 1 \\\n 2 \\\n\t3\n",
			`1:1 A "1"@1:3 "2"@2:2 "3"@3:2`},
		{"empty continuation lines", "A \\\n\\\n\\\nb\n",
			`1:1 A "b"@4:1`},
		{"trailing '>' dropped from a name", "SetEnv> A b\n",
			`1:1 SetEnv "A"@1:9 "b"@1:11`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := readString(t, tt.src, Options{})
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := render(cfg.Root); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestSectionLines covers section openers and closers as lines.
func TestSectionLines(t *testing.T) {
	tests := []struct {
		name, src, want string
		raw             string // Raw of the first directive
		missingGT       bool
	}{
		{"plain", "<Location /a>\nSetEnv A\n</Location>\n",
			`1:1 <Location "/a"@1:11 {2:1 SetEnv "A"@2:8}`, "/a", false},
		{"cut at the last '>'", "<Location \"/a>b\">\n</Location>\n",
			`1:1 <Location "/a>b"@1:11 {}`, `"/a>b"`, false},
		{"space before '>'", "<Location /a >\n</Location>\n",
			`1:1 <Location "/a"@1:11 {}`, "/a", false},
		{"no argument", "<Location>\n</Location>\n",
			`1:1 <Location {}`, "", false},
		{"missing '>'", "<Location /a\n</Location>\n",
			`1:1 <Location "/a"@1:11 {}`, "/a", true},
		{"case-insensitive closer", "<location /a>\n</LOCATION>\n",
			`1:1 <location "/a"@1:11 {}`, "/a", false},
		{"junk after closer", "<Location /a>\n</Location> junk\n",
			`1:1 <Location "/a"@1:11 {}`, "/a", false},
		{"quoted opener word", "\"<Location\" /a>\n</Location>\n",
			`1:1 <Location "/a"@1:13 {}`, "/a", false},
		{"one-line section is an opener with junk", "<Location /a> SetEnv X 1 </Location>\n</Location>\n",
			`1:1 <Location "/a>"@1:11 "SetEnv"@1:15 "X"@1:22 "1"@1:24 "</Location"@1:26 {}`, "/a> SetEnv X 1 </Location", false},
		{"nested", "<VirtualHost *:80>\n  <Location />\n    SetEnv A\n  </Location>\n</VirtualHost>\n",
			`1:1 <VirtualHost "*:80"@1:14 {2:3 <Location "/"@2:13 {3:5 SetEnv "A"@3:12}}`, "*:80", false},
		{"continued opener", "<Location \\\n /a>\n</Location>\n",
			`1:1 <Location "/a"@2:2 {}`, "/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := readString(t, tt.src, Options{})
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got := render(cfg.Root); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			d := cfg.Root[0]
			if d.Raw != tt.raw || d.MissingGT != tt.missingGT {
				t.Errorf("Raw = %q, MissingGT = %v; want %q, %v", d.Raw, d.MissingGT, tt.raw, tt.missingGT)
			}
		})
	}
}

// TestLexTokens pins the token stream of the hand-written lexer: comments
// and blank lines give no token (except blank lines in a macro body, which
// count in its line numbers), an opener is cut at its last '>'.
func TestLexTokens(t *testing.T) {
	src := "# c\n<Location \"/a>b\" > junk\n  SetEnv A \\\n b\n</Location>\n<Macro M>\n# dropped\n\n  x\n</Macro>\n"
	names := map[lexer.TokenType]string{}
	for name, typ := range (lineDefinition{}).Symbols() {
		names[typ] = name
	}
	var got []string
	for _, tk := range lexLines("f", src) {
		got = append(got, fmt.Sprintf("%s@%d:%d=%q", names[tk.Type], tk.Pos.Line, tk.Pos.Column, tk.Value))
	}
	want := []string{
		`Open@2:1="<Location"`, `Args@2:11="\"/a>b\""`, `GT@2:18=">"`, `Trailing@2:20="junk"`,
		`Line@3:3="SetEnv A \\\n b"`,
		`Close@5:1="</Location>"`,
		`Open@6:1="<Macro"`, `Args@6:8="M"`, `GT@6:9=">"`,
		`MacroLine@8:1=""`, `MacroLine@9:3="x"`,
		`Close@10:1="</Macro>"`,
		`EOF@10:9=""`,
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("tokens:\n got  %s\n want %s", strings.Join(got, " "), strings.Join(want, " "))
	}
}

// TestLineTooLong: httpd refuses a logical line over 16 MiB (a 20,000-byte
// line is fine).
func TestLineTooLong(t *testing.T) {
	long := "SetEnv A " + strings.Repeat("x", 20000) + "\n"
	cfg, err := readString(t, long, Options{})
	if err != nil || len(cfg.Root) != 1 || len(cfg.Root[0].Args[1].Value) != 20000 {
		t.Fatalf("20,000-byte line: %v", err)
	}
	huge := "SetEnv A " + strings.Repeat("x", maxLineLen) + "\nSetEnv B 1\n"
	cfg, err = readString(t, huge, Options{})
	el, _ := err.(ErrorList)
	if len(el) != 1 || el[0].Msg != "Error reading t.conf at line 1: Line too long" || len(cfg.Root) != 1 {
		t.Fatalf("17 MiB line: %v, %d directives", err, len(cfg.Root))
	}
}

// withModules gives o the module lists load.File passes.
func withModules(o Options) Options {
	o.Provided, o.Static = modules.Provided, modules.Static
	return o
}
