package parser

import (
	"reflect"
	"strings"
	"testing"
)

// TestGetWord covers httpd's ap_getword_conf (server/util.c): quotes of
// both kinds, \" inside them, plus the escape corner cases.
func TestGetWord(t *testing.T) {
	tests := []struct {
		in    string
		tok   string
		quote byte
		rest  string
	}{
		{`'My Site (main);My Site'`, `My Site (main);My Site`, '\'', ``},
		{`"a \"b\" c"`, `a "b" c`, '"', ``},
		{`"a\\b"`, `a\b`, '"', ``},
		{`a\\b`, `a\b`, 0, ``},
		{`a\b`, `a\b`, 0, ``},
		{`"a\\\\b"`, `a\\b`, '"', ``},
		{`"x\\y\\"`, `x\y\`, '"', ``},
		{`'it\'s'`, `it's`, '\'', ``},
		{`"it's"`, `it's`, '"', ``},
		{`'a"b'`, `a"b`, '\'', ``},
		{`foo"bar"`, `foo"bar"`, 0, ``},
		{`"unterminated value`, `unterminated value`, '"', ``},
		{`""`, ``, '"', ``},
		{``, ``, 0, ``},
		{"   \t ", ``, 0, ``},
		{`"Q22" "quoted name"`, `Q22`, '"', `"quoted name"`},
		{"\tQ21\ttabs\t", `Q21`, 0, "tabs\t"},
		{`$notavar`, `$notavar`, 0, ``},
		{`"Q35"x y`, `Q35`, '"', `x y`},
		{"a\u00a0b", "a\u00a0b", 0, ``}, // NBSP is not whitespace
		{`"a\nb"`, `a\nb`, '"', ``},     // \n is not an escape
		{`'a\"b'`, `a\"b`, '\'', ``},    // \" is not an escape inside '...'
		{`a\"b`, `a\"b`, 0, ``},         // nor outside quotes
		{`"a\"`, `a"`, '"', ``},         // escaped quote then end: unterminated
		{`"a\\"b`, `a\`, '"', `b`},
		{"a\vb\fc", `a`, 0, "b\fc"},
		{`C:\apps\x`, `C:\apps\x`, 0, ``},
		{`"^/(\d+)$"`, `^/(\d+)$`, '"', ``},
	}
	for _, tt := range tests {
		tok, q, rest := GetWord(tt.in)
		if tok != tt.tok || q != tt.quote || rest != tt.rest {
			t.Errorf("GetWord(%q) = %q, %q, %q; want %q, %q, %q", tt.in, tok, q, rest, tt.tok, tt.quote, tt.rest)
		}
	}
}

// TestGetWordSequence tokenises whole argument strings, the way RAW_ARGS
// directives and mod_wsgi's option parser do.
func TestGetWordSequence(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`Q01 'My Site (main);My Site'`, []string{"Q01", "My Site (main);My Site"}},
		{`"Q35"x y`, []string{"Q35", "x", "y"}},
		{`"abc"def`, []string{"abc", "def"}},
		{`A # a comment`, []string{"A", "#", "a", "comment"}},
		{`IA "" IB`, []string{"IA", "", "IB"}},
		{`main display-name='%{GROUP}' threads=5`, []string{"main", "display-name='%{GROUP}'", "threads=5"}},
	}
	for _, tt := range tests {
		var got []string
		for rest := tt.in; rest != ""; {
			var tok string
			tok, _, rest = GetWord(rest)
			got = append(got, tok)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("words of %q = %q, want %q", tt.in, got, tt.want)
		}
	}
	// The mod_wsgi use: the value after '=' is read with GetWord again.
	_, after, _ := strings.Cut("display-name='%{GROUP}'", "=")
	if v, q, _ := GetWord(after); v != "%{GROUP}" || q != '\'' {
		t.Errorf("GetWord(%q) = %q, %q", after, v, q)
	}
}
