package expr

import (
	"net/http"
	"strings"
	"testing"
)

type fakeCtx struct {
	vars map[string]string
	req  http.Header
	resp http.Header
	env  map[string]string
}

func (c *fakeCtx) Var(n string) string            { return c.vars[n] }
func (c *fakeCtx) RequestHeader(n string) string  { return c.req.Get(n) }
func (c *fakeCtx) ResponseHeader(n string) string { return c.resp.Get(n) }
func (c *fakeCtx) Env(n string) (string, bool)    { v, ok := c.env[n]; return v, ok }

func testCtx() *fakeCtx {
	return &fakeCtx{
		vars: map[string]string{"REQUEST_URI": "/app/Some Path", "REQUEST_METHOD": "GET", "QUERY_STRING": "a=1&b=2",
			"HTTPS": "off", "REMOTE_ADDR": "10.1.2.3", "SERVER_PORT": "8080"},
		req:  http.Header{"User-Agent": {"Mozilla/5.0 (MSIE 9.0)"}, "X-Forwarded-Proto": {"https"}, "Host": {"example.com"}},
		resp: http.Header{"Content-Type": {"text/html"}},
		env:  map[string]string{"is_admin": "1", "empty": ""},
	}
}

func TestEval(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"true", true},
		{"false", false},
		{"!false", true},
		{"not true", false},
		{"true && false", false},
		{"true and true", true},
		{"false || true", true},
		{"false or false", false},
		{"(false || true) && !(false)", true},
		{"!true || true", true}, // ! binds tighter than ||
		{"%{REQUEST_METHOD} == 'GET'", true},
		{"%{request_method} = 'GET'", true},
		{"%{REQUEST_METHOD} != \"GET\"", false},
		{"%{HTTPS} == 'on'", false},
		{"%{HTTP_USER_AGENT} =~ /MSIE ([0-9]+)/ && $1 == '9'", true},
		{"%{HTTP_USER_AGENT} =~ /msie/", false},
		{"%{HTTP_USER_AGENT} =~ /msie/i", true},
		{"%{HTTP_USER_AGENT} =~ m#Mozilla/5#", true},
		{"%{HTTP_USER_AGENT} !~ /Chrome/", true},
		{"%{HTTP:X-Forwarded-Proto} == 'https'", true},
		{"req('x-forwarded-proto') == 'https'", true},
		{"http('Missing') == ''", true},
		{"%{HTTP_HOST} == 'example.com'", true},
		{"resp('Content-Type') -strmatch 'text/*'", true},
		{"reqenv('is_admin') == 1", true},
		{"%{ENV:is_admin} -eq 1", true},
		{"-n %{ENV:empty}", false},
		{"-z %{ENV:empty}", true},
		{"-T %{HTTPS}", false},
		{"-T 'yes'", true},
		{"%{SERVER_PORT} -gt 1024", true},
		{"%{SERVER_PORT} -lt 1024", false},
		{"%{SERVER_PORT} ge 8080 && %{SERVER_PORT} le 8080", true},
		{"'abc' < 'abd'", true},
		{"'10' -eq '010'", true},
		{"'x' -eq 0", true}, // apr_atoi64 of "x" is 0
		{"%{REQUEST_METHOD} in {'POST', 'GET'}", true},
		{"%{REQUEST_METHOD} in {'POST'}", false},
		{"%{REMOTE_ADDR} -ipmatch '10.0.0.0/8'", true},
		{"%{REMOTE_ADDR} -ipmatch '10.1'", true},
		{"%{REMOTE_ADDR} -ipmatch '192.168.0.0/255.255.0.0'", false},
		{"-R '10.1.2.0/24'", true},
		{"-R '::1'", false},
		{"'Foo.txt' -strcmatch '*.TXT'", true},
		{"'a/b' -strmatch 'a*'", true},
		{"'a/b' -fnmatch 'a*'", false},
		{"tolower(%{REQUEST_METHOD}) == 'get'", true},
		{"toupper('x') . 'y' == 'Xy'", true},
		{"escape(%{REQUEST_URI}) == '/app/Some%20Path'", true},
		{"unescape('a%20b') == 'a b'", true},
		{"md5('x') == '9dd4e461268c8034f5c8564e155c67a6'", true},
		{"'%{REQUEST_METHOD}-x' == 'GET-x'", true},
		{"'it\\'s' == \"it's\"", true},
		{"-d '/'", true},
		{"-f '/'", false},
	} {
		e, err := Parse(tc.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.src, err)
			continue
		}
		got, err := e.Eval(testCtx())
		if err != nil || got != tc.want {
			t.Errorf("Eval(%q) = %v, %v; want %v", tc.src, got, err, tc.want)
		}
	}
}

// The messages are Apache 2.4's (apache2 -t with Header ... expr=).
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"%{FOO} == 1", "Variable 'FOO' does not exist"},
		{"%{HTTP_ACCEPT_ENCODING} == 1", "Variable 'HTTP_ACCEPT_ENCODING' does not exist"},
		{"foo(1) == 1", "Function 'foo' does not exist"},
		{"%{FOO:bar} == 1", "Function 'FOO' does not exist"},
		{"-X 1", "Unary operator '-X' does not exist"},
		{"1 -bogus 2", "Binary operator '-bogus' does not exist"},
		{"1 ==", "syntax error, unexpected $end"},
		{"1", "syntax error, unexpected $end"},
		{"'abc == 1", "Unterminated string or variable"},
		{"(true", "syntax error, unexpected $end, expecting T_OP_OR or T_OP_AND or ')'"},
		{"%{REQUEST_URI} =~ /(/", "Failed to compile regular expression"},
		{"%{REQUEST_URI} =~ /x", "syntax error, unexpected $end, expecting T_REGEX or T_REGEX_I"},
		{"%{REQUEST_URI} == /a/", "syntax error, unexpected T_REGEX"},
		{"%{REMOTE_ADDR} -ipmatch 10.0.0.0/8", "-ipmatch requires subnet/netmask as constant argument"},
		{"%{REMOTE_ADDR} -ipmatch %{REMOTE_ADDR}", "-ipmatch requires subnet/netmask as constant argument"},
		{"%{REMOTE_ADDR} -ipmatch '10.0.0.0/33'", "parsing of subnet/netmask failed"},
		{"-R 'bogus'", "parsing of subnet/netmask failed"},
		{"a == 1", "syntax error, unexpected T_OP_STR_EQ, expecting '('"},
		{"'a' in 'a'", "syntax error, unexpected T_STR_BEGIN, expecting T_ID or '{'"},
		{"'a' =~ /a/ && $10 == 1", "syntax error, unexpected T_DIGIT"},
	} {
		_, err := Parse(tc.src)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v; want %q", tc.src, err, tc.want)
		}
	}
}

func TestUnsupported(t *testing.T) {
	e, err := Parse("-F '/x' || true")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Unsupported()) != 1 {
		t.Errorf("Unsupported() = %v", e.Unsupported())
	}
	if _, err := e.Eval(testCtx()); err != ErrUnsupported {
		t.Errorf("Eval = %v, want ErrUnsupported", err)
	}
	e = MustParse("true || -U '/x'") // never reached
	if ok, err := e.Eval(testCtx()); !ok || err != nil {
		t.Errorf("Eval = %v, %v", ok, err)
	}
}

func TestString(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"plain", "plain"},
		{"%{REQUEST_METHOD} %{REQUEST_URI}", "GET /app/Some Path"},
		{"proto=%{HTTP:X-Forwarded-Proto}", "proto=https"},
		{"%{tolower:ABC}", "abc"},
		{"100%", "100%"},
		{"$1", ""},
	} {
		s, err := ParseString(tc.src)
		if err != nil {
			t.Errorf("ParseString(%q): %v", tc.src, err)
			continue
		}
		got, err := s.Eval(testCtx())
		if err != nil || got != tc.want {
			t.Errorf("Eval(%q) = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	if _, err := ParseString("%{BOGUS}"); err == nil || err.Error() != "Variable 'BOGUS' does not exist" {
		t.Errorf("ParseString(%%{BOGUS}) = %v", err)
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"[a-c]x", "bx", true}, {"[!a-c]x", "bx", false}, {"\\*", "*", true}, {"\\*", "a", false},
		{"[]]", "]", true}, {"[", "[", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{"*a", "ba", true}, {"*.txt", "x.txt.bak", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false}, // linear, not exponential
	} {
		if got := Glob(tc.p, tc.s, false, false); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

// FuzzParse: no input makes Parse, ParseString or Eval panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"true", "%{REQUEST_URI} =~ m#^/(a|b)#i && $1 == 'a'", "-R '10.0.0.0/8'",
		"req('x') in {'a', 'b'} || !(1 -lt 2)", "'a' . %{HTTP:X} -strmatch '*a*'", "%{tolower:X}", "$", "m", "-", "%{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if e, err := Parse(src); err == nil {
			_, _ = e.Eval(testCtx())
		}
		if s, err := ParseString(src); err == nil {
			_, _ = s.Eval(testCtx())
		}
	})
}

func TestAndNot(t *testing.T) {
	a, b := MustParse("%{REQUEST_METHOD} == 'GET'"), MustParse("%{HTTPS} == 'on'")
	for _, tc := range []struct {
		e    *Expr
		want bool
	}{
		{And(a), true}, {And(a, b), false}, {And(a, Not(b)), true}, {And(nil, Not(a)), false},
	} {
		if got, err := tc.e.Eval(testCtx()); err != nil || got != tc.want {
			t.Errorf("%s = %v, %v", tc.e.Source(), got, err)
		}
	}
	if And() != nil {
		t.Error("And() != nil")
	}
}
