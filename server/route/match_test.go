package route

import (
	"fmt"
	"testing"

	"github.com/appserver/appserver/parser"
	"github.com/appserver/appserver/server/config"
)

// TestLocationMatrix covers <Location> matching as httpd's ap_location_walk
// (server/request.c) does it, checked against Apache 2.4: each section sets a variable, and the
// request either gets it or not.
func TestLocationMatrix(t *testing.T) {
	tests := []struct {
		kind    config.SectionKind
		path    string
		match   []string
		nomatch []string
	}{
		{config.SectionLocation, "/admin",
			[]string{"/admin", "/admin/", "/admin/foo", "/admin?q=1",
				"//admin", "/./admin", "/foo/../admin", "/%61dmin", "/adm%69n", "/%2e/admin", "/x/y/../../admin", "http://host/admin"},
			[]string{"/administrator", "/Admin", "/admin;x", "/admin%20x", "/admin%2e"}},
		{config.SectionLocation, "/admin/", []string{"/admin/", "/admin/foo"}, []string{"/admin"}},
		{config.SectionLocation, "/x/y", []string{"/x//y", "/x/./y", "/x/y/"}, []string{"/x/yz"}},
		{config.SectionLocation, "/w/*", []string{"/w/x", "/w/"}, []string{"/w/x/y", "/w"}},
		{config.SectionLocation, "/w2/*/x", []string{"/w2/q/x"}, []string{"/w2/q/x/y"}},
		{config.SectionLocation, "/dbl//slash", nil, []string{"/dbl//slash", "/dbl/slash"}},
		{config.SectionLocation, "/%7Euser", nil, []string{"/%7Euser", "/~user"}},
		{config.SectionLocation, "/~user", []string{"/~user", "/%7Euser"}, nil},
		{config.SectionLocation, "/sp ace", []string{"/sp%20ace"}, nil},
		{config.SectionLocation, "admin", nil, []string{"/admin", "/"}},
		{config.SectionLocation, "/", []string{"/", "/anything/at/all"}, nil},
		{config.SectionLocationMatch, "^/a$", []string{"/a"}, []string{"/a/"}},
		{config.SectionLocationMatch, "(?i)^/CI", []string{"/ci", "/CI"}, nil},
		// More wildcard forms (apr_fnmatch with FNM_PATHNAME).
		{config.SectionLocation, "/f/[ab]c", []string{"/f/ac", "/f/bc"}, []string{"/f/cc", "/f/ac/d"}},
		{config.SectionLocation, "/g/[!a]?", []string{"/g/bx"}, []string{"/g/ax", "/g/b"}},
		{config.SectionLocation, "/h/*.py", []string{"/h/app.py"}, []string{"/h/app.pyc", "/h/d/app.py"}},
	}
	for _, tt := range tests {
		main := mainServer("main.test")
		main.Sections = []*config.Section{sec(t, tt.kind, tt.path, &config.DirConf{Env: env("HIT", "1")})}
		c := &config.Config{Main: main}
		check := func(target string, want bool) {
			t.Run(fmt.Sprintf("%s/%s", tt.path, target), func(t *testing.T) {
				r := get(c, target, "main.test", 80)
				if r.Status != 404 && r.Status != 200 {
					t.Fatalf("status %d %s", r.Status, r.Reason)
				}
				if got := r.Env["HIT"] == "1"; got != want {
					t.Errorf("match = %v, want %v (uri %q)", got, want, r.URI)
				}
			})
		}
		for _, u := range tt.match {
			check(u, true)
		}
		for _, u := range tt.nomatch {
			check(u, false)
		}
	}
}

// TestLocationMergeSlashesOff: plain sections compare against a merged
// copy of r->uri, regexes against r->uri as is (§6, verified).
func TestLocationMergeSlashesOff(t *testing.T) {
	main := mainServer("main.test")
	main.MergeSlashes = boolp(false)
	main.Sections = []*config.Section{
		sec(t, config.SectionLocation, "/x/y", &config.DirConf{Env: env("PLAIN", "1")}),
		sec(t, config.SectionLocationMatch, "^/x/y", &config.DirConf{Env: env("RE", "1")}),
	}
	c := &config.Config{Main: main}
	tests := []struct {
		target    string
		uri       string
		plain, re bool
	}{
		{"/x//y", "/x//y", true, false},
		{"//x/y", "/x/y", true, true},
		{"/x/y", "/x/y", true, true},
	}
	for _, tt := range tests {
		r := get(c, tt.target, "", 80)
		if r.URI != tt.uri || (r.Env["PLAIN"] == "1") != tt.plain || (r.Env["RE"] == "1") != tt.re {
			t.Errorf("%s: uri %q env %v, want uri %q plain %v re %v", tt.target, r.URI, r.Env, tt.uri, tt.plain, tt.re)
		}
	}

	// NoDecode: %2F stays encoded, so it is no separator for <Location>
	// but a regex sees the text.
	main2 := mainServer("main.test")
	main2.AllowEncodedSlashes = "NoDecode"
	main2.Sections = []*config.Section{
		sec(t, config.SectionLocation, "/admin", &config.DirConf{Env: env("PLAIN", "1")}),
		sec(t, config.SectionLocationMatch, "^/admin", &config.DirConf{Env: env("RE", "1")}),
	}
	r := get(&config.Config{Main: main2}, "/admin%2fx", "", 80)
	if r.URI != "/admin%2fx" || r.Env["PLAIN"] != "" || r.Env["RE"] != "1" {
		t.Errorf("NoDecode: uri %q env %v", r.URI, r.Env)
	}
}

// TestLocationCaptures: named groups of matching regex sections become
// MATCH_<NAME>; groups that did not take part and numbered groups do not.
func TestLocationCaptures(t *testing.T) {
	main := mainServer("main.test")
	main.Sections = []*config.Section{
		sec(t, config.SectionLocationMatch, "(?<first>[a-z]+)/(?<Second>[0-9]+)(?P<opt>X)?", &config.DirConf{}),
		sec(t, config.SectionLocationMatch, "^/(abc)", &config.DirConf{}),
		sec(t, config.SectionLocationMatch, "^/(?<over>[a-z]+)", &config.DirConf{Env: env("MATCH_OVER", "setenv-wins")}),
	}
	r := get(&config.Config{Main: main}, "/abc/123", "", 80)
	want := map[string]string{"MATCH_FIRST": "abc", "MATCH_SECOND": "123", "MATCH_OVER": "setenv-wins"}
	if fmt.Sprint(r.Env) != fmt.Sprint(want) {
		t.Errorf("env = %v, want %v", r.Env, want)
	}
}

func TestFnmatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"/w/*", "/w/x", true},
		{"/w/*", "/w/", true},
		{"/w/*", "/w/x/y", false},
		{"/w/*", "/w", false},
		{"*", "", true},
		{"a?c", "abc", true},
		{"a?c", "a/c", false},
		{"a[/]c", "a/c", false},
		{"[a-c]x", "bx", true},
		{"[a-c]x", "dx", false},
		{"[^a-c]x", "dx", true},
		{"[!a-c]x", "ax", false},
		{"[]]x", "]x", true},
		{`\*x`, "*x", true},
		{`\*x`, "ax", false},
		{"[ab", "[ab", true},
		{"*.py", ".py", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"/srv/*/", "/srv/app/", true},
		{"/srv/*/", "/srv/app/x/", false},
	}
	for _, tt := range tests {
		if got := fnmatch(tt.pat, tt.s); got != tt.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func TestFnmatchTest(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"/admin", false},
		{"/a*", true},
		{"/a?", true},
		{"/a[bc]", true},
		{"/a[bc", false},
		{"/a]", false},
		{`/a\*`, false},
		{`/a\`, false},
	}
	for _, tt := range tests {
		if got := parser.HasWildcard(tt.p); got != tt.want {
			t.Errorf("parser.HasWildcard(%q) = %v", tt.p, got)
		}
	}
}

// TestLocationIndexMatchesLinearScan checks the prefix index against a
// straightforward scan of every section, on many sections and URIs.
func TestLocationIndexMatchesLinearScan(t *testing.T) {
	paths := []string{"/", "/a", "/a/", "/a/b", "/a/b/", "/ab", "/a/bc", "/b", "/b/c/d", "/a/*", "/*/b", "", "a"}
	var secs []*config.Section
	for i := 0; i < 3; i++ {
		for _, p := range paths {
			secs = append(secs, &config.Section{Kind: config.SectionLocation, Path: p})
		}
		secs = append(secs, sec(t, config.SectionLocationMatch, "^/a/b", nil))
	}
	x := newLocationIndex(secs)
	uris := []string{"/", "/a", "/a/", "/a/b", "/a/b/", "/a/b/c", "/ab", "/abc", "/a/bc", "/a/bcd", "/b", "/b/", "/b/c/d/e", "/c/b", "/x"}
	for _, u := range uris {
		got := x.match(nil, u, u)
		var want []int32
		for i, ls := range x.secs {
			var ok bool
			switch ls.kind {
			case locRegex:
				ok = ls.re.MatchString(u)
			case locWild:
				ok = fnmatch(ls.sec.Path, u)
			default:
				p := ls.sec.Path
				ok = len(u) >= len(p) && u[:len(p)] == p &&
					(p == "" || p[len(p)-1] == '/' || len(u) == len(p) || u[len(p)] == '/')
			}
			if ok {
				want = append(want, int32(i))
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: index %v, scan %v", u, got, want)
		}
	}
}

func TestDollarEndOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{`^/a$`, `^/a\z`},
		{`^/a\$`, `^/a\$`},
		{`^/[$]x$`, `^/[$]x\z`},
		{`^/[]$]$`, `^/[]$]\z`},
		{`^/[^]$]$`, `^/[^]$]\z`},
		{`(?m)^/a$`, `(?m)^/a$`},
		{`(?im:x)$`, `(?im:x)$`},
		{`(?i)x$`, `(?i)x\z`},
		{`(?<n>a)$`, `(?<n>a)\z`},
	}
	for _, tt := range tests {
		if got := config.DollarEndOnly(tt.in); got != tt.want {
			t.Errorf("dollarEndOnly(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Both engines: '$' does not match before a final newline (an encoded
	// %0a at the end of the URI), as with httpd's DOLLAR_ENDONLY.
	for _, src := range []string{`^/a$`, `^/a(?=$)`} {
		re, err := config.CompileRegexp(src)
		if err != nil {
			t.Fatal(err)
		}
		if re.MatchString("/a\n") || !re.MatchString("/a") {
			t.Errorf("%s: DOLLAR_ENDONLY not honoured", src)
		}
	}
}
